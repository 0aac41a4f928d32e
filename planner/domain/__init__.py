"""Domain models, validation and time arithmetic (imports nothing else of planner's)."""
