"""The engine in a child process: same answers, stop works, failures are reported."""

from __future__ import annotations

import threading

import pytest

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
    assert all(p.bound >= p.objective for p in seen)


def test_stop_from_another_thread_keeps_a_plan() -> None:
    solver = ProcessSolver(_problem(), SolveOptions(time_limit=60, workers=1))
    timer = threading.Timer(3.0, solver.stop)
    timer.start()
    result = solver.solve()
    timer.cancel()
    assert result.schedule.solve_seconds < 30
    assert result.violations == []


def test_a_failure_in_the_child_is_reported() -> None:
    problem = _problem()
    broken = type(problem)(scenario=problem.scenario, now=problem.now, busy={"p1": [("x", "y")]})  # type: ignore[list-item]
    with pytest.raises(PlannerError, match="the solver failed"):
        ProcessSolver(broken, SolveOptions(time_limit=2, workers=1)).solve()
