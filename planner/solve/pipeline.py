"""One round of planning: solve → annotate (explain) → verify, the same for every caller.

The CLI's ``solve``, the terminal UI's solve worker and the solver's child process
(:mod:`planner.solve.process`) all plan through :class:`RoundPlanner` (or
:func:`plan_round`); what they do with the plan afterwards (write ``schedule.json`` and the
invitations, save it to the workspace, post it to the UI) stays with them.

Time accounting: the time limit counts from ``options.started`` (the CLI: when the command
started; ``None``: when :meth:`RoundPlanner.run` is called). With ``options.reserve_checks``
the search leaves :func:`~planner.solve.engine.check_seconds` of it for this module's
explanations and check; the explanations may use the first half of that share.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from planner.domain.errors import PlannerError
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Schedule
from planner.solve.engine import PlanSolver, SolveOptions, SolveProgress, SolveResult, check_seconds


@dataclass
class PlannedRound:
    """A plan explained (``annotate``) and checked (``verify``), with its search's timings."""

    schedule: Schedule
    build_seconds: float
    """Precomputation, greedy hint and model construction."""
    first_solution_seconds: float | None
    stopped: bool
    """True if the search was stopped early (the plan is the best found so far)."""
    violations: list[str] = field(default_factory=list)
    """The independent check's findings, rendered; empty for a sound plan."""

    def refuse_if_broken(self, consequence: str = "") -> None:
        """Raise :class:`PlannerError` if the plan breaks a hard rule: a bug in the engine,
        never a user mistake, so such a plan is never published or kept."""
        if self.violations:
            raise PlannerError(
                "the plan failed the independent check"
                + (f"; {consequence}" if consequence else "")
                + ": "
                + "; ".join(self.violations[:3])
            )


def explain_deadline(
    problem: PlanningInput, options: SolveOptions, began: float, schedule: Schedule
) -> float:
    """When explaining ``schedule`` must end: half the checking share of the time limit is
    kept for the listing, the check and writing."""
    placed = len(schedule.placed())
    return began + options.time_limit - check_seconds(problem, placed) / 2


def finish_round(
    problem: PlanningInput,
    result: SolveResult,
    *,
    explain_until: float | None = None,
    check: bool = True,
) -> PlannedRound:
    """Explain and check a solver's result (``check=False``: explain only)."""
    from planner.solve.explain import annotate
    from planner.solve.verify import verify

    schedule = annotate(problem, result.schedule, deadline=explain_until)
    violations = [v.render() for v in verify(problem, schedule)] if check else []
    return PlannedRound(
        schedule=schedule,
        build_seconds=result.build_seconds,
        first_solution_seconds=result.first_solution_seconds,
        stopped=result.stopped,
        violations=violations,
    )


class RoundPlanner:
    """Plans one round of ``problem``: :meth:`run` blocks, :meth:`stop` (thread-safe, and
    safe from a signal handler) ends the search and keeps the best plan so far."""

    def __init__(self, problem: PlanningInput, options: SolveOptions | None = None) -> None:
        self.problem = problem
        self.options = options or SolveOptions()
        self.solver = PlanSolver(problem, self.options)

    def stop(self) -> None:
        self.solver.stop()

    def run(self, progress: Callable[[SolveProgress], None] | None = None) -> PlannedRound:
        began = time.monotonic() if self.options.started is None else self.options.started
        result = self.solver.solve(progress)
        until = explain_deadline(self.problem, self.options, began, result.schedule)
        return finish_round(self.problem, result, explain_until=until)


def plan_round(
    problem: PlanningInput,
    options: SolveOptions | None = None,
    *,
    progress: Callable[[SolveProgress], None] | None = None,
    stop: threading.Event | None = None,
) -> PlannedRound:
    """Solve, explain and check ``problem``; setting ``stop`` ends the search early."""
    planner = RoundPlanner(problem, options)
    if stop is None:
        return planner.run(progress)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if stop.wait(0.2):
                planner.stop()
                return

    watcher = threading.Thread(target=watch, name="planner-stop", daemon=True)
    watcher.start()
    try:
        return planner.run(progress)
    finally:
        done.set()
        watcher.join()
