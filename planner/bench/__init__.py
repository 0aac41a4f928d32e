"""Benchmarks of planner's solver against public instances."""
