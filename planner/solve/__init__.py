"""CP-SAT planning engine: ``PlanSolver(problem, options).solve()`` -> ``SolveResult``.

The engine (and OR-Tools with it, about a second to import) loads on first use of these
names, so ``planner.solve.verify`` and the other plain-Python parts import without it
(``round close`` and ``report`` need the checker's facts, not the solver).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.solve.engine import PlanSolver, SolveOptions, SolveProgress, SolveResult

__all__ = ["PlanSolver", "SolveOptions", "SolveProgress", "SolveResult"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from planner.solve import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
