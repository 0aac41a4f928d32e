"""Re-seating (ruin and recreate one session at a time over every person and start): it
finds the yes-people a large model's neighbourhoods hide, keeps every rule, never makes a
plan worse, and its undo is exact."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given

from planner.domain.errors import InputError
from planner.domain.io import validate_scenario
from planner.domain.models import Answer
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Objective, PlanStatus
from planner.solve import PlanSolver, SolveOptions, decode, neighbourhood
from planner.solve import greedy as greedy_mod
from planner.solve.greedy import Placement, reseat
from planner.solve.instance import Instance
from planner.solve.verify import verify
from tests.factories import NOW, activity, person, planning_input, scenario_data
from tests.solve.test_properties import PROPERTY, scenarios
from tests.solve.test_rules import checked

ONE_WORKER = SolveOptions(time_limit=20, workers=1, seed=0)


def _round(seed: int = 105) -> PlanningInput:
    """A seeded small round of 12-24 people and two to four activities of one to three
    sessions of two to five seats, about half the people allowed one event a week, most
    answers ``yes`` (seed 105: 21 people, four activities of two or three sessions)."""
    rng = random.Random(seed)
    n = rng.randint(12, 24)
    people = [
        person(
            f"p{i}",
            ("Support", "Billing", "Sales")[i % 3],
            **({"max_events_per_week": 1} if rng.random() < 0.5 else {}),
        )
        for i in range(n)
    ]
    acts = [
        activity(
            f"a{j}",
            sessions=rng.randint(1, 3),
            max_participants=rng.randint(2, 5),
            min_participants=2,
        )
        for j in range(rng.randint(2, 4))
    ]
    prefs = {
        p["id"]: {a["id"]: rng.choice(["yes", "maybe", "no", "yes"]) for a in acts} for p in people
    }
    return planning_input(scenario_data(people, acts, prefs))


def _yes_people(instance: Instance, plan: list[Placement]) -> set[int]:
    return {
        p
        for pl in plan
        for p in pl.people
        if instance.activities[instance.sessions[pl.session].activity].answers.get(p) is Answer.yes
    }


@pytest.fixture
def tight(monkeypatch: Any) -> None:
    """Neighbourhoods on a small round: every session linked to its capacity only."""
    monkeypatch.setattr(neighbourhood, "LINK_LIMIT", 0)
    monkeypatch.setattr(neighbourhood, "LINK_FACTOR", 1)


def test_reseating_places_the_yes_people_the_neighbourhoods_hide(
    tight: None, monkeypatch: Any
) -> None:
    problem = _round()
    solver = PlanSolver(problem, ONE_WORKER)
    schedule = solver.solve().schedule
    checked(problem, schedule)
    assert solver.restricted and solver.instance is not None
    found = len(_yes_people(solver.instance, solver.placements))

    # The whole model (no neighbourhoods) proves how many yes-people any plan can place.
    monkeypatch.setattr(neighbourhood, "LINK_LIMIT", 10**9)
    whole = PlanSolver(problem, ONE_WORKER)
    optimum = whole.solve().schedule
    checked(problem, optimum)
    assert optimum.status is PlanStatus.optimal
    assert not whole.restricted and whole.instance is not None
    assert found == len(_yes_people(whole.instance, whole.placements)) == 20
    # Deterministic: one worker, phases and re-seating that end by themselves.
    monkeypatch.setattr(neighbourhood, "LINK_LIMIT", 0)
    again = PlanSolver(problem, ONE_WORKER).solve().schedule
    assert [(x.activity, x.start, x.attendees) for x in again.sessions] == [
        (x.activity, x.start, x.attendees) for x in schedule.sessions
    ]


def test_undoing_a_session_restores_the_state_exactly() -> None:
    problem = _round()
    solver = PlanSolver(problem, ONE_WORKER)
    solver.prepare()
    instance = solver.instance
    assert instance is not None and solver.hint
    state = greedy_mod._new_state(instance)
    for pl in solver.hint:
        greedy_mod._commit(
            instance, instance.activities[instance.sessions[pl.session].activity], pl, state
        )
    before = {k: v.copy() for k, v in vars(state).items() if isinstance(v, np.ndarray)}
    for pl in solver.hint:
        a = instance.activities[instance.sessions[pl.session].activity]
        greedy_mod._uncommit(instance, a, pl, state)
        assert not all(np.array_equal(before[k], getattr(state, k)) for k in before)
        greedy_mod._commit(instance, a, pl, state)
        for k, v in before.items():
            assert np.array_equal(v, getattr(state, k)), k


@PROPERTY
@given(scenarios())
def test_reseating_keeps_every_rule_and_never_makes_a_plan_worse(data: dict[str, Any]) -> None:
    try:
        scenario = validate_scenario(data, "generated.toml")
    except InputError:
        assume(False)
        return
    problem = PlanningInput(scenario=scenario, now=NOW)
    solver = PlanSolver(problem, ONE_WORKER)
    solver.prepare()
    instance = solver.instance
    assert instance is not None
    assume(solver.hint and solver._greedy_ok())
    start, _ = solver.evaluate(solver.hint)
    current = dict(start)

    def better(plan: list[Placement]) -> bool:
        values, _ = solver.evaluate(plan)
        if PlanSolver._better(values, current):
            current.clear()
            current.update(values)
            return True
        return False

    plan = reseat(instance, solver.hint, better, lambda: False)
    values, kept = solver.evaluate(plan)
    assert values == current and not PlanSolver._better(start, values)
    schedule = decode.schedule(
        instance, plan, kept, PlanStatus.feasible, Objective(value=0, bound=0, gap=0)
    )
    violations = verify(problem, schedule)
    assert violations == [], "\n".join(v.render() for v in violations)
