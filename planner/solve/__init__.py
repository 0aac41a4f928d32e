"""CP-SAT planning engine: ``PlanSolver(problem, options).solve()`` -> ``SolveResult``."""

from __future__ import annotations

from planner.solve.engine import PlanSolver, SolveOptions, SolveProgress, SolveResult

__all__ = ["PlanSolver", "SolveOptions", "SolveProgress", "SolveResult"]
