"""The benchmark organisations: deterministic, valid, realistic in shape."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest

from planner.bench.orgs import NOW, SHAPES, generate, scenario_data
from planner.domain.models import Answer, Kind


@pytest.mark.parametrize("size", ["S", "M"])
def test_same_seed_same_scenario(size: str) -> None:
    assert scenario_data(size, 3) == scenario_data(size, 3)  # type: ignore[arg-type]
    assert generate(size, 3) == generate(size, 3)  # type: ignore[arg-type]
    assert scenario_data(size, 3) != scenario_data(size, 4)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", ["S", "M", "L"])
def test_sizes_validate_with_the_intended_shape(size: str) -> None:
    problem = generate(size)  # type: ignore[arg-type]
    sc = problem.scenario
    shape = SHAPES[size]
    assert problem.now == NOW
    assert len(sc.people) == shape.people
    assert len(sc.activities) == shape.activities
    assert len(sc.queues) == shape.queues and all(q.min_on_duty >= 1 for q in sc.queues)
    assert len({p.department for p in sc.people}) == shape.departments
    assert {p.timezone for p in sc.people} >= {None, "Europe/London", "America/New_York"}
    assert any(a.kind is Kind.pairing for a in sc.activities)
    assert all(a.template for a in sc.activities)
    assert any(p.time_off for p in sc.people) and any(p.busy for p in sc.people)
    assert any(p.needs for p in sc.people) and any(a.venues for a in sc.activities)
    assert sc.history.pairs and sc.history.missed_out
    answers = Counter(a for per in sc.preferences.values() for a in per.values())
    total = len(sc.people) * len(sc.activities)
    assert 0.25 < answers[Answer.yes] / total < 0.45
    assert 0.12 < answers[Answer.maybe] / total < 0.28
    # Horizon: two working weeks on a 30-minute grid.
    assert sc.team.slot_minutes == 30
    assert sc.team.horizon.start.weekday() == 0 and sc.team.horizon.days == 12


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError):
        scenario_data("XXL")  # type: ignore[arg-type]


PINNED = {
    "S": "57b665269eabe5e28f0c94428047fd708c42d6945e3841b25f2abb6e309fb7fd",
    "M": "2854819acb2216ae82428f461b0b0ffd611310176d33eb7661ace8bed2070e87",
    "L": "bc3be2c6992455fa610b543a76b52b2c7eb3f61358e99c74b1085ef45c2e061d",
}
"""SHA-256 of each size's scenario JSON, computed before XL was added (issue 17): S, M and
L must stay exactly as they were, so benchmark figures stay comparable across versions."""


@pytest.mark.parametrize("size", sorted(PINNED))
def test_existing_sizes_are_unchanged(size: str) -> None:
    data = json.dumps(scenario_data(size), sort_keys=True).encode()  # type: ignore[arg-type]
    assert hashlib.sha256(data).hexdigest() == PINNED[size]


def test_xl_has_the_shape_of_issue_17() -> None:
    sc = generate("XL").scenario
    assert len(sc.people) == 10_000 and len(sc.activities) == 80
    assert len({p.department for p in sc.people}) == 16
    assert len(sc.queues) == 80 and len(sc.venues) == 30
    assert sc.team.horizon.days == 12 and sc.team.slot_minutes == 30
    assert {p.timezone for p in sc.people} >= {None, "Europe/London", "America/New_York"}
    assert any(p.time_off for p in sc.people) and any(p.busy for p in sc.people)
    assert any(p.max_events_per_week is not None for p in sc.people)
    (coffee,) = [a for a in sc.activities if a.kind is Kind.pairing]
    opted = [
        pid
        for pid, per in sc.preferences.items()
        if per.get(coffee.id) in (Answer.yes, Answer.maybe)
    ]
    assert len(opted) == 10_000
    # The other activities keep the usual lukewarm rates.
    others = Counter(
        ans for per in sc.preferences.values() for aid, ans in per.items() if aid != coffee.id
    )
    assert 0.25 < others[Answer.yes] / (10_000 * 79) < 0.45
