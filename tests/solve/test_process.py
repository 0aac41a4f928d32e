"""The engine in a child process: same answers, stop works, failures are reported."""

from __future__ import annotations

import threading

import pytest

from planner.bench.orgs import generate
from planner.domain.errors import PlannerError
from planner.domain.schedule import PlanStatus
from planner.solve import SolveOptions
from planner.solve.process import ProcessSolver
from tests.factories import activity, everyone_yes, person, planning_input, scenario_data


def _problem():
    people = [person(f"p{i}", ("Support", "Billing", "Sales")[i % 3]) for i in range(12)]
    acts = [activity("lunch", max_participants=6, sessions=2), activity("quiz", max_participants=6)]
    return planning_input(scenario_data(people, acts, everyone_yes(people, "lunch", "quiz")))


def test_child_process_plans_explains_and_checks() -> None:
    seen = []
    result = ProcessSolver(_problem(), SolveOptions(time_limit=5, workers=1)).solve(seen.append)
    assert result.schedule.status in (PlanStatus.optimal, PlanStatus.feasible)
    assert result.schedule.sessions
    assert result.violations == []
    assert seen and all(p.bound >= p.objective for p in seen)
    assert result.schedule.unplaced  # 12 yes-people, 6 seats a session: explained
    assert all(u.reasons for u in result.schedule.unplaced)


def test_stop_from_another_thread_keeps_a_plan() -> None:
    # Bench S takes a single worker about a minute to prove: the stop always lands.
    solver = ProcessSolver(generate("S"), SolveOptions(time_limit=60, workers=1))
    stops: list[threading.Thread] = []

    def stop_on_first_report(_progress: object) -> None:
        if not stops:  # from another thread, as the TUI's Stop does
            stops.append(threading.Thread(target=solver.stop))
            stops[0].start()

    result = solver.solve(stop_on_first_report)
    assert stops and result.stopped
    assert result.schedule.status is PlanStatus.feasible and result.schedule.sessions
    assert result.schedule.solve_seconds < 30
    assert result.violations == []


def test_a_failure_in_the_child_is_reported() -> None:
    problem = _problem()
    broken = type(problem)(scenario=problem.scenario, now=problem.now, busy={"p1": [("x", "y")]})  # type: ignore[list-item]
    with pytest.raises(PlannerError, match="the solver failed"):
        ProcessSolver(broken, SolveOptions(time_limit=2, workers=1)).solve()
