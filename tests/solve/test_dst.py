"""Time zones and daylight-saving changes: wall-clock meaning is kept per person and day.

A person in New York working 09:00-10:00 can meet a Stockholm colleague at 15:00 Stockholm
time, except between the US change (14 March 2027) and the EU one (28 March 2027), when
the same 09:00 in New York is 14:00 in Stockholm.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pytest

from planner.solve.instance import build_instance
from tests.factories import activity, person, planning_input, scenario_data
from tests.solve.test_rules import plan

ALL_DAY = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
NEW_YORK = ZoneInfo("America/New_York")


def _data(window: dict | None = None) -> dict:
    people = [
        person("ny", "Support", timezone="America/New_York",
               working_hours={d: ["09:00-10:00"] for d in ALL_DAY}),
        person("sto", "Billing", working_hours=ALL_DAY),
    ]  # fmt: skip
    act = activity("call", duration_minutes=60, min_departments=2)
    if window:
        act["windows"] = [window]
    prefs = {"ny": {"call": "yes"}, "sto": {"call": "yes"}}
    return scenario_data(
        people, [act], prefs, team={"horizon": {"start": "2027-03-08", "end": "2027-04-02"}}
    )


def test_candidate_slots_shift_with_each_clock_change() -> None:
    inst = build_instance(planning_input(_data()))
    a = inst.activities[0]
    by_day: dict[str, list[str]] = {}
    for t in a.candidates:
        local = inst.grid.instant(int(t))
        by_day.setdefault(local.date().isoformat(), []).append(local.strftime("%H:%M%z"))
    assert by_day["2027-03-10"] == ["15:00+0100"]  # both on winter time: 6 hours apart
    assert by_day["2027-03-17"] == ["14:00+0100"]  # US on summer time: 5 hours apart
    assert by_day["2027-03-31"] == ["15:00+0200"]  # both on summer time again
    assert "2027-03-13" not in by_day  # weekend


@pytest.mark.parametrize(
    ("day", "stockholm"),
    [("2027-03-10", "15:00:00+01:00"), ("2027-03-17", "14:00:00+01:00"),
     ("2027-03-31", "15:00:00+02:00")],
)  # fmt: skip
def test_nine_in_new_york_in_the_plan(day: str, stockholm: str) -> None:
    s = plan(_data({"date": day, "time": "00:00-24:00"}))
    assert len(s.sessions) == 1
    start = s.sessions[0].start
    assert start.isoformat() == f"{day}T{stockholm}"
    assert start.astimezone(NEW_YORK).strftime("%H:%M") == "09:00"


def test_day_of_the_eu_change_has_23_hours_of_slots() -> None:
    data = _data()
    data["team"]["horizon"] = {"start": "2027-03-27", "end": "2027-03-29"}
    inst = build_instance(planning_input(data))
    per_day = [int((inst.grid.day == d).sum()) for d in range(3)]
    assert per_day == [48, 46, 48]


def test_all_day_busy_is_read_in_the_persons_zone() -> None:
    # New York Tue 2027-03-02 runs 06:00 Tue .. 06:00 Wed in Stockholm. The only allowed
    # start window (Wed 00:00-05:00 Stockholm) lies inside it, so "ny" cannot attend.
    people = [
        person("ny", "Support", timezone="America/New_York", working_hours=ALL_DAY,
               busy=[{"start": "2027-03-02", "end": "2027-03-02"}]),
        person("sto", "Billing", working_hours=ALL_DAY),
        person("sto2", "Sales", working_hours=ALL_DAY),
    ]  # fmt: skip
    act = activity("call", windows=[{"date": "2027-03-03", "time": "00:00-05:00"}])
    prefs = {p["id"]: {"call": "yes"} for p in people}
    data = scenario_data(people, [act], prefs)
    inst = build_instance(planning_input(data))
    busy = [inst.grid.instant(int(t)) for t in np.flatnonzero(inst.people[0].busy)]
    assert busy[0].astimezone(NEW_YORK).isoformat() == "2027-03-02T00:00:00-05:00"
    assert busy[-1].astimezone(NEW_YORK).isoformat() == "2027-03-02T23:30:00-05:00"
    s = plan(data)  # ``plan`` asserts the independent checker finds no violation
    assert len(s.sessions) == 1 and "ny" not in s.sessions[0].attendees
