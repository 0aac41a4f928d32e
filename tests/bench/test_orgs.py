"""The benchmark organisations: deterministic, valid, realistic in shape."""

from __future__ import annotations

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
        scenario_data("XL")  # type: ignore[arg-type]
