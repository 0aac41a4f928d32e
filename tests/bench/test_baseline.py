"""The greedy baselines keep every hard rule; their seating orders differ as documented."""

from __future__ import annotations

import pytest

from planner.bench.baseline import SEATINGS, Seating, greedy_plan, yes_placed
from planner.bench.orgs import generate
from planner.domain.models import Answer
from planner.solve.verify import verify
from tests.factories import activity, person, planning_input, scenario_data


@pytest.mark.parametrize("seating", SEATINGS)
@pytest.mark.parametrize("size", ["S", "M"])
def test_greedy_plans_pass_verify(size: str, seating: Seating) -> None:
    problem = generate(size)  # type: ignore[arg-type]
    plan = greedy_plan(problem, seating)
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
    plan = greedy_plan(problem, "balanced")
    assert verify(problem, plan) == []
    lunch = next(s for s in plan.sessions if s.activity == "lunch")
    assert not {"ann", "ben"} <= set(lunch.attendees)  # one of them stays on the phone
    assert yes_placed(problem, plan) == 4


def test_poll_seating_takes_yes_then_answer_order_and_ignores_other_seats() -> None:
    # Four yes-people for two 2-seat activities; the answers came in as dan, cat, ben, ann.
    people = [person(pid, dept) for pid, dept in
              [("ann", "Support"), ("ben", "Billing"), ("cat", "Sales"), ("dan", "Ops")]]  # fmt: skip
    acts = [activity("lunch", max_participants=2), activity("quiz", max_participants=2)]
    prefs = {pid: {"lunch": "yes", "quiz": "yes"} for pid in ["dan", "cat", "ben", "ann"]}
    prefs["ann"] = {"lunch": "yes", "quiz": "maybe"}
    problem = planning_input(scenario_data(people, acts, prefs))
    seats = {
        seating: {s.activity: s.attendees for s in greedy_plan(problem, seating).sessions}
        for seating in SEATINGS
    }
    # The poll organiser seats the first answerers in both: two people get everything.
    assert seats["poll"] == {"lunch": ["cat", "dan"], "quiz": ["cat", "dan"]}
    # The balanced organiser gives the second activity to those without a seat yet.
    assert seats["balanced"] == {"lunch": ["cat", "dan"], "quiz": ["ann", "ben"]}


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
            status="optimal",
            solve_seconds=7.25,
            yes_placed=34,
            violations=0,
            peak_mb=150.0,
            poll_yes_placed=32,
            poll_violations=0,
            balanced_yes_placed=33,
            balanced_violations=0,
            yes_bound=35,
        ),
        BenchRow(size="M", people=300, activities=20, keen=290, error="engine unavailable"),
    ]
    console = Console(width=240, record=True)
    console.print(bench_table(rows))
    text = console.export_text()
    assert "900 / 950 / 5.0%" in text and "no plan yet" in text
    assert "34 of 36" in text and "32 of 36" in text and "33 of 36" in text
    assert "engine unavailable" in text and "0 / 0" in text
    assert "≤ 35" in text and "optimal @7.2s" in text
