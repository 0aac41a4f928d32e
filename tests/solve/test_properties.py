"""Property tests: solver output always passes the independent checker; validation never crashes.

Hypothesis runs derandomised (a fixed sequence of examples) so the suite is deterministic.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from planner.domain.errors import InputError
from planner.domain.io import validate_scenario
from planner.domain.planning import PlanningInput
from planner.solve.verify import verify
from tests.factories import NOW, activity, person, scenario_data

PROPERTY = settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DEPARTMENTS = ("Support", "Billing", "Sales")
ZONES = (None, "Europe/London", "America/New_York")
DAYS = ("2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05")


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Small valid scenarios touching every kind of rule."""
    n_people = draw(st.integers(2, 6))
    has_queue = draw(st.booleans())
    people = []
    for i in range(n_people):
        extra: dict[str, Any] = {}
        if tz := draw(st.sampled_from(ZONES)):
            extra["timezone"] = tz
        if has_queue and draw(st.booleans()):
            extra["queues"] = ["phone"]
        if draw(st.integers(0, 3)) == 0:
            day = draw(st.sampled_from(DAYS))
            extra["time_off"] = [{"start": day, "end": day}]
        if draw(st.integers(0, 2)) == 0:
            day = draw(st.sampled_from(DAYS))
            hour = draw(st.integers(9, 16))
            extra["busy"] = [{"start": f"{day}T{hour:02d}:00", "end": f"{day}T{hour + 1:02d}:00"}]
        if draw(st.integers(0, 3)) == 0:
            extra["max_events_per_week"] = draw(st.integers(0, 1))
        if draw(st.integers(0, 3)) == 0:
            extra["after_hours"] = True
        if draw(st.integers(0, 4)) == 0:
            extra["needs"] = ["step-free"]
        if draw(st.integers(0, 4)) == 0:
            extra["working_hours"] = {"mon": ["08:00-12:00"], "wed": ["12:00-18:00"]}
        people.append(person(f"p{i}", draw(st.sampled_from(DEPARTMENTS)), **extra))
    venues = [{"id": "room", "name": "Room", "capacity": draw(st.integers(2, 6))}]
    if draw(st.booleans()):
        venues[0]["provides"] = ["step-free"]
    activities = []
    for j in range(draw(st.integers(1, 3))):
        extra = {
            "duration_minutes": draw(st.sampled_from((30, 60, 90))),
            "sessions": draw(st.integers(1, 2)),
            "min_participants": 2,
            "max_participants": draw(st.integers(2, 4)),
        }
        if draw(st.integers(0, 2)) == 0:
            extra["min_departments"] = 2
        if draw(st.integers(0, 3)) == 0:
            extra["venues"] = ["room"]
        if draw(st.integers(0, 3)) == 0:
            extra["after_hours"] = True
        if draw(st.integers(0, 3)) == 0:
            extra["windows"] = [{"days": ["tue", "thu"], "time": "13:00-18:00"}]
        if draw(st.integers(0, 4)) == 0:
            extra["required"] = [f"p{draw(st.integers(0, n_people - 1))}"]
        if draw(st.integers(0, 4)) == 0:
            extra.update(kind="pairing", sessions=2, max_participants=3)
            extra.pop("venues", None)
        activities.append(activity(f"a{j}", **extra))
    answers = st.sampled_from(("yes", "yes", "maybe", "no", None))
    prefs: dict[str, dict[str, str]] = {}
    for p in people:
        for a in activities:
            if (ans := draw(answers)) is not None:
                prefs.setdefault(p["id"], {})[a["id"]] = ans
    sections: dict[str, Any] = {}
    if has_queue:
        sections["queues"] = [
            {"id": "phone", "name": "Phone", "min_on_duty": draw(st.integers(1, 2))}
        ]
    policy: dict[str, Any] = {"max_events_per_day": draw(st.integers(1, 2))}
    if draw(st.booleans()):
        policy["protected"] = [{"days": ["mon", "tue", "wed", "thu", "fri"], "time": "11:30-12:30"}]
    if draw(st.booleans()):
        policy["max_minutes_per_week"] = 90
    return scenario_data(people, activities, prefs, venues=venues, policy=policy, **sections)


@PROPERTY
@given(scenarios())
def test_solver_output_passes_verify(data: dict[str, Any]) -> None:
    solve = pytest.importorskip("planner.solve.engine", reason="the CP-SAT engine is not there yet")
    try:
        scenario = validate_scenario(data, "generated.toml")
    except InputError:
        assume(False)
        return
    problem = PlanningInput(scenario=scenario, now=NOW)
    result = solve.PlanSolver(problem, solve.SolveOptions(time_limit=2, workers=1, seed=0)).solve()
    violations = verify(problem, result.schedule)
    assert violations == [], "\n".join(v.render() for v in violations)


# --------------------------------------------------------------------------- mutations

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 100_000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["", "mon", "25:00-26:00", "2027-13-01", "Europe/Nowhere", "x@y", "p0"]),
    st.just([]),
    st.just({}),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


BASE_DOC = scenario_data(
    [person("ann", queues=["phone"]), person("ben", "Billing")],
    [activity("lunch", venues=["room"], windows=[{"days": ["mon"], "time": "10:00-14:00"}])],
    {"ann": {"lunch": "yes"}, "ben": {"lunch": "maybe"}},
    queues=[{"id": "phone", "name": "Phone", "min_on_duty": 1}],
    venues=[{"id": "room", "name": "Room", "capacity": 4}],
)


@PROPERTY
@given(st.data())
def test_mutated_scenarios_never_crash_validation(data: st.DataObject) -> None:
    doc = copy.deepcopy(BASE_DOC)
    paths = _paths(doc)
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(("replace", "delete", "extra")))
        try:
            if action == "replace":
                doc = _set(doc, path, data.draw(LEAVES))
            elif action == "delete" and path:
                parent = doc
                for key in path[:-1]:
                    parent = parent[key]
                del parent[path[-1]]
            elif action == "extra" and path:
                parent = doc
                for key in path:
                    parent = parent[key]
                if isinstance(parent, dict):
                    parent["unexpected"] = data.draw(LEAVES)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation replaced this branch; skip
        paths = _paths(doc)
    if not isinstance(doc, dict):
        return
    try:
        validate_scenario(doc, "mutated.toml")
    except InputError as exc:
        assert exc.problems
        assert all(p.source == "mutated.toml" and p.message for p in exc.problems)
