"""Capped error lists, the unknown-key flood check and the memory budget's estimate."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from planner.bench import orgs
from planner.domain.budget import MEMORY_BUDGET, check_memory, estimate
from planner.domain.catalogue import default_catalogue
from planner.domain.errors import MAX_SHOWN, InputError, Problem
from planner.domain.keys import FLOOD, check_unknown_keys
from planner.domain.models import Activity, Person, Scenario, Team
from tests.factories import activity, build, person, scenario_data


def _problems(n: int) -> list[Problem]:
    return [Problem("s.toml", f"people.{i}.email", "not an email address") for i in range(n)]


@pytest.mark.parametrize(
    ("count", "last"),
    [
        (MAX_SHOWN, "s.toml: people.199.email: not an email address"),
        (MAX_SHOWN + 1, "… and 1 more problem"),
        (150_000, "… and 149,800 more problems"),
    ],
)
def test_rendered_error_list_is_capped(count: int, last: str) -> None:
    lines = InputError(_problems(count)).render().splitlines()
    assert len(lines) == min(count, MAX_SHOWN + 1)
    assert lines[0] == "s.toml: people.0.email: not an email address"
    assert lines[-1] == last


def test_combined_errors_keep_the_count_of_problems_not_kept() -> None:
    combined = InputError.combine([InputError(_problems(3), omitted=10), InputError(_problems(2))])
    assert combined.count == 15
    assert str(combined).splitlines()[-1] == "… and 10 more problems"


def test_unknown_keys_are_found_in_nested_records() -> None:
    data = scenario_data([person("ann")], [activity("lunch")])
    data["people"][0].update({f"x{i}": 1 for i in range(FLOOD + 1)})
    data["team"]["organiser"]["nick\nname"] = 1
    with pytest.raises(InputError) as info:
        check_unknown_keys(Scenario, data, "s.toml")
    locations = [p.location for p in info.value.problems]
    assert locations[:2] == ["team.organiser.'nick\\nname'", "people.0.x0"]
    assert info.value.count == FLOOD + 2 and len(locations) == MAX_SHOWN
    # At or below the flood, pydantic reports them with every other fault.
    data["people"][0].pop(f"x{FLOOD}")
    data["people"][0].pop("x0")
    check_unknown_keys(Scenario, data, "s.toml")


# ---------------------------------------------------------------------- the memory budget


def _light(data: dict[str, Any]) -> Scenario:
    """A generated organisation as a Scenario without validating 10,000 people one by one
    (the estimate reads counts only)."""
    context = {"catalogue": default_catalogue()}
    return Scenario.model_construct(
        team=Team.model_validate(data["team"]),
        # The estimate counts people; building 10,000 of them would take most of the test.
        people=[Person.model_construct(**data["people"][0])] * len(data["people"]),
        activities=[Activity.model_validate(a, context=context) for a in data["activities"]],
        preferences=data["preferences"],
    )


def test_bench_l_and_the_scale_issue_xl_fit_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    large = estimate(_light(orgs.scenario_data("L")))
    assert large.people == 2000 and large.activities == 40 and large.slots == 12 * 48
    assert large.bytes < MEMORY_BUDGET / 4  # measured: 0.45 GB peak
    monkeypatch.setitem(
        orgs.SHAPES,
        "XL",
        orgs.Shape(
            people=10_000,
            activities=80,
            departments=12,
            queues=32,
            venues=24,
            max_sessions=4,
            pairing_groups=400,
        ),
    )
    data = orgs.scenario_data("XL")  # type: ignore[arg-type]
    data["team"]["horizon"]["end"] = str(date(2027, 5, 16))  # two full weeks
    xl = estimate(_light(data))
    assert xl.people == 10_000 and xl.activities == 80 and xl.slots == 14 * 48
    assert xl.bytes < MEMORY_BUDGET
    check_memory(_light(data), "xl.toml")


def test_a_year_of_15_minute_slots_for_3000_people_is_refused() -> None:
    people = [person(f"p{i}") for i in range(3000)]
    data = scenario_data(
        people,
        [activity(f"a{j}") for j in range(40)],
        team={"horizon": {"start": "2027-01-04", "end": "2028-01-02"}, "slot_minutes": 15},
    )
    scenario = build(data)
    found = estimate(scenario)
    assert (found.people, found.activities, found.slots) == (3000, 40, 364 * 96)
    assert found.bytes > 2 * MEMORY_BUDGET
    with pytest.raises(InputError) as info:
        check_memory(scenario, "big.toml")
    assert str(info.value).startswith(
        "big.toml: team.horizon: too large to plan: 3,000 people x 40 activities x 34,944 slots"
    )
    # The same people over two weeks of 30-minute slots fit.
    data["team"]["horizon"] = {"start": "2027-01-04", "end": str(date(2027, 1, 4) + timedelta(13))}
    data["team"]["slot_minutes"] = 30
    check_memory(build(data), "small.toml")
