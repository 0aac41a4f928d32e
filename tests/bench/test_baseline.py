"""The greedy baseline keeps every hard rule and places most people with a yes."""

from __future__ import annotations

import pytest

from planner.bench.baseline import greedy_plan, yes_placed
from planner.bench.orgs import generate
from planner.domain.models import Answer
from planner.solve.verify import verify
from tests.factories import activity, person, planning_input, scenario_data


@pytest.mark.parametrize("size", ["S", "M"])
def test_greedy_plans_pass_verify(size: str) -> None:
    problem = generate(size)  # type: ignore[arg-type]
    plan = greedy_plan(problem)
    assert verify(problem, plan) == []
    keen = {p for p, per in problem.scenario.preferences.items() if Answer.yes in per.values()}
    placed = yes_placed(problem, plan)
    assert placed == plan.objective.value
    assert placed >= 0.6 * len(keen)
    ids = [s.id for s in plan.sessions]
    assert len(ids) == len(set(ids))


def test_greedy_respects_queue_cover_and_fills_by_placements() -> None:
    people = [
        person("ann", queues=["phone"]),
        person("ben", queues=["phone"]),
        person("cat", "Billing"),
        person("dan", "Sales"),
    ]
    acts = [activity("lunch", max_participants=3), activity("quiz", max_participants=2)]
    prefs = {p["id"]: {"lunch": "yes", "quiz": "yes"} for p in people}
    data = scenario_data(
        people, acts, prefs, queues=[{"id": "phone", "name": "Phone", "min_on_duty": 1}]
    )
    problem = planning_input(data)
    plan = greedy_plan(problem)
    assert verify(problem, plan) == []
    lunch = next(s for s in plan.sessions if s.activity == "lunch")
    assert not {"ann", "ben"} <= set(lunch.attendees)  # one of them stays on the phone
    assert yes_placed(problem, plan) == 4


def test_bench_table_renders_rows() -> None:
    from rich.console import Console

    from planner.bench.table import BenchRow, Checkpoint, bench_table

    rows = [
        BenchRow(
            size="S",
            people=40,
            activities=8,
            keen=36,
            build_seconds=0.2,
            first_solution_seconds=1.5,
            checkpoints=(Checkpoint(10, 900.0, 950.0, 0.05), Checkpoint(60, None, None, None)),
            status="feasible",
            yes_placed=34,
            violations=0,
            peak_mb=150.0,
            greedy_yes_placed=32,
            greedy_violations=0,
            yes_bound=35,
        ),
        BenchRow(size="M", people=300, activities=20, keen=290, error="engine unavailable"),
    ]
    console = Console(width=240, record=True)
    console.print(bench_table(rows))
    text = console.export_text()
    assert "900 / 950 / 5.0%" in text and "no plan yet" in text
    assert "34 of 36" in text and "32 of 36" in text and "engine unavailable" in text
    assert "≤ 35" in text
