"""Small scenario builders shared by the tests (plain dicts in, validated models out)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from planner.domain.io import validate_scenario
from planner.domain.models import Scenario
from planner.domain.planning import PlanningInput

BASE: dict[str, Any] = {
    "team": {
        "name": "Test team",
        "timezone": "Europe/Stockholm",
        "organiser": {"name": "Olga Organiser", "email": "olga@example.com"},
        # Mon 2027-03-01 .. Fri 2027-03-12: two working weeks, no DST change.
        "horizon": {"start": "2027-03-01", "end": "2027-03-12"},
        "slot_minutes": 30,
    },
    "policy": {"max_events_per_week": 2, "max_events_per_day": 1},
}

NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
"""A fixed 'now' well before every test horizon."""


def person(pid: str, department: str = "Support", **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "name": pid.capitalize(),
        "email": f"{pid}@example.com",
        "department": department,
        **extra,
    }


def activity(aid: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": aid,
        "name": aid.replace("-", " ").capitalize(),
        "category": "social",
        "duration_minutes": 60,
        "min_participants": 2,
        "max_participants": 10,
    }
    data.update(extra)
    return data


def scenario_data(
    people: list[dict[str, Any]],
    activities: list[dict[str, Any]],
    preferences: dict[str, dict[str, str]] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """A scenario dict; ``sections`` replace or extend top-level keys (policy is merged)."""
    data = copy.deepcopy(BASE)
    data["people"] = people
    data["activities"] = activities
    data["preferences"] = preferences or {}
    for key, value in sections.items():
        if key == "policy":
            data["policy"].update(value)
        elif key == "team":
            data["team"].update(value)
        else:
            data[key] = value
    return data


def build(data: dict[str, Any]) -> Scenario:
    return validate_scenario(data, "test.toml")


def planning_input(data: dict[str, Any], **kwargs: Any) -> PlanningInput:
    kwargs.setdefault("now", NOW)
    return PlanningInput(scenario=build(data), **kwargs)


def everyone_yes(people: list[dict[str, Any]], *activity_ids: str) -> dict[str, dict[str, str]]:
    return {p["id"]: dict.fromkeys(activity_ids, "yes") for p in people}
