"""planner — boundary-aware team-building planner."""

__version__ = "0.1.0"
