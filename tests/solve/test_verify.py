"""The independent checker: each hard rule just inside and just outside feasibility."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from planner.domain.errors import InputError
from planner.domain.io import load_scenario
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Objective, PlannedSession, Schedule
from planner.solve.verify import (
    HARD_RULES,
    RULES,
    Violation,
    load_schedule,
    render_violations,
    verify,
)
from tests.factories import NOW, activity, person, planning_input, scenario_data

# Stockholm is UTC+1 throughout the test horizon (2027-03-01 .. 2027-03-12).


def at(day: int, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2027-03-{day:02d}T{hhmm}:00+01:00")


def sess(
    sid: str,
    day: int,
    hhmm: str,
    attendees: list[str],
    minutes: int = 60,
    aid: str | None = None,
    venue: str | None = None,
) -> PlannedSession:
    start = at(day, hhmm)
    return PlannedSession(
        id=sid,
        activity=aid or sid.split("#")[0],
        start=start,
        end=start + timedelta(minutes=minutes),
        attendees=sorted(attendees),
        venue=venue,
    )


def schedule(*sessions: PlannedSession) -> Schedule:
    return Schedule(
        status="feasible", objective=Objective(value=0, bound=0, gap=0), sessions=list(sessions)
    )


def rules(problem: PlanningInput, *sessions: PlannedSession) -> list[str]:
    return [v.rule for v in verify(problem, schedule(*sessions))]


PEOPLE = [person("alice", "Support"), person("bob", "Billing"), person("carol", "Sales")]


def problem(
    people: list[dict[str, Any]] | None = None,
    activities: list[dict[str, Any]] | None = None,
    prefs: dict[str, dict[str, str]] | None = None,
    pi: dict[str, Any] | None = None,
    **sections: Any,
) -> PlanningInput:
    people = people if people is not None else PEOPLE
    activities = activities if activities is not None else [activity("lunch")]
    if prefs is None:
        prefs = {p["id"]: {a["id"]: "yes" for a in activities} for p in people}
    data = scenario_data(people, activities, prefs, **sections)
    return planning_input(data, **(pi or {}))


AB = ["alice", "bob"]


def test_every_rule_has_a_checker() -> None:
    assert set(RULES) == set(HARD_RULES)


def test_valid_plan_has_no_violation() -> None:
    assert rules(problem(), sess("lunch#1", 2, "10:00", AB)) == []


# --------------------------------------------------------------------------- opt-in


def test_opted_out() -> None:
    prefs = {"alice": {"lunch": "yes"}, "bob": {"lunch": "maybe"}}
    assert rules(problem(prefs=prefs), sess("lunch#1", 2, "10:00", AB)) == []
    prefs = {"alice": {"lunch": "yes"}, "bob": {"lunch": "no"}}
    assert rules(problem(prefs=prefs), sess("lunch#1", 2, "10:00", AB)) == ["opted_out"]
    absent = {"alice": {"lunch": "yes"}}
    assert rules(problem(prefs=absent), sess("lunch#1", 2, "10:00", AB)) == ["opted_out"]


def test_declined_by_rsvp_is_opted_out() -> None:
    p = problem(pi={"declined": frozenset({("bob", "lunch")})})
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == ["opted_out"]


def test_required_person_attends_without_answer_but_never_after_a_no() -> None:
    acts = [activity("lunch", required=["carol"])]
    prefs = {"alice": {"lunch": "yes"}, "bob": {"lunch": "yes"}}
    s = sess("lunch#1", 2, "10:00", ["alice", "bob", "carol"])
    assert rules(problem(activities=acts, prefs=prefs), s) == []
    prefs["carol"] = {"lunch": "no"}
    assert rules(problem(activities=acts, prefs=prefs), s) == ["opted_out"]


# --------------------------------------------------------------------------- availability


def test_time_off_touching_is_fine() -> None:
    off = [person("alice", time_off=[{"start": "2027-03-02T11:00", "end": "2027-03-02T12:00"}])]
    p = problem(people=off + PEOPLE[1:])
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "10:30", AB)) == ["time_off"]


def test_all_day_time_off_is_in_the_persons_zone() -> None:
    # New York day 2027-03-02 runs 06:00 Mar 2 .. 06:00 Mar 3 in Stockholm.
    ny = person(
        "alice",
        timezone="America/New_York",
        after_hours=True,
        time_off=[{"start": "2027-03-02", "end": "2027-03-02"}],
    )
    acts = [activity("lunch", after_hours=True)]
    p = problem(people=[ny, *PEOPLE[1:]], activities=acts)
    assert rules(p, sess("lunch#1", 2, "05:00", ["alice", "bob"])) == ["working_hours"]
    assert rules(p, sess("lunch#1", 2, "06:00", ["alice", "bob"])) == [
        "time_off",
        "working_hours",
    ]


def test_busy_from_scenario_and_from_calendars() -> None:
    busy = [person("alice", busy=[{"start": "2027-03-02T11:00", "end": "2027-03-02T12:00"}])]
    p = problem(people=busy + PEOPLE[1:])
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "11:30", AB)) == ["busy"]
    extra = {"bob": [(at(3, "09:30"), at(3, "10:00"))]}
    p = problem(pi={"busy": extra})
    assert rules(p, sess("lunch#1", 3, "10:00", AB)) == []
    assert rules(p, sess("lunch#1", 3, "09:00", AB)) == ["busy"]


def test_working_hours_edges() -> None:
    p = problem()
    assert rules(p, sess("lunch#1", 2, "16:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "16:30", AB)) == ["working_hours", "working_hours"]


def test_working_hours_in_own_zone_and_joined_ranges() -> None:
    # New York is UTC-5 before 2027-03-14: 09:00-17:00 there is 15:00-23:00 here.
    ny = person("bob", timezone="America/New_York")
    p = problem(people=[person("alice", working_hours={"tue": ["09:00-12:00", "12:00-23:00"]}), ny])
    assert rules(p, sess("lunch#1", 2, "15:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "11:30", AB)) == ["working_hours"]


def test_after_hours_needs_both_person_and_activity() -> None:
    people = [person("alice", after_hours=True), person("bob", "Billing", after_hours=True)]
    late = sess("lunch#1", 2, "18:00", AB)
    assert (
        rules(problem(people=people, activities=[activity("lunch", after_hours=True)]), late) == []
    )
    assert rules(problem(people=people), late) == ["working_hours", "working_hours"]


def test_needs_unmet_activity_or_venue_provides() -> None:
    people = [person("alice", needs=["step-free"]), PEOPLE[1]]
    venues = [{"id": "cafe", "name": "Cafe", "capacity": 10, "provides": ["step-free"]}]
    room = [{"id": "cafe", "name": "Cafe", "capacity": 10}]
    s = sess("lunch#1", 2, "10:00", AB, venue="cafe")
    act = [activity("lunch", venues=["cafe"])]
    assert rules(problem(people=people, activities=act, venues=venues), s) == []
    assert rules(problem(people=people, activities=act, venues=room), s) == ["needs_unmet"]
    act = [activity("lunch", venues=["cafe"], provides=["step-free"])]
    assert rules(problem(people=people, activities=act, venues=room), s) == []


# --------------------------------------------------------------------------- caps


def test_weekly_events_cap_uses_the_stricter_value() -> None:
    acts = [activity("a"), activity("b")]
    p = problem(people=[person("alice", max_events_per_week=1), *PEOPLE[1:]], activities=acts)
    week1 = sess("a#1", 2, "10:00", ["alice", "bob"])
    week2 = sess("b#1", 9, "10:00", ["alice", "carol"])
    assert rules(p, week1, week2) == []
    same_week = sess("b#1", 4, "10:00", ["alice", "carol"])
    assert rules(p, week1, same_week) == ["weekly_events_cap"]


def test_weekly_events_cap_team_value() -> None:
    acts = [activity("a"), activity("b"), activity("c")]
    p = problem(activities=acts)
    two = [sess("a#1", 1, "10:00", AB), sess("b#1", 2, "10:00", AB)]
    assert rules(p, *two) == []
    assert rules(p, *two, sess("c#1", 3, "10:00", AB)) == ["weekly_events_cap"] * 2


def test_weekly_minutes_cap() -> None:
    acts = [activity("a"), activity("b", duration_minutes=90)]
    p = problem(activities=acts, policy={"max_minutes_per_week": 120})
    assert rules(p, sess("a#1", 1, "10:00", AB), sess("b#1", 9, "10:00", AB, 90)) == []
    assert (
        rules(p, sess("a#1", 1, "10:00", AB), sess("b#1", 3, "10:00", AB, 90))
        == ["weekly_minutes_cap"] * 2
    )


def test_paused_person() -> None:
    p = problem(people=[person("alice", max_events_per_week=0), *PEOPLE[1:]])
    assert rules(p, sess("lunch#1", 2, "10:00", ["bob", "carol"])) == []
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == ["weekly_events_cap"]


def test_daily_cap() -> None:
    p = problem(activities=[activity("a"), activity("b")])
    assert rules(p, sess("a#1", 2, "10:00", AB), sess("b#1", 3, "10:00", AB)) == []
    assert rules(p, sess("a#1", 2, "10:00", AB), sess("b#1", 2, "14:00", AB)) == ["daily_cap"] * 2


def test_overlap_back_to_back_is_fine() -> None:
    p = problem(activities=[activity("a"), activity("b")], policy={"max_events_per_day": 2})
    assert rules(p, sess("a#1", 2, "10:00", AB), sess("b#1", 2, "11:00", AB)) == []
    assert rules(p, sess("a#1", 2, "10:00", AB), sess("b#1", 2, "10:30", AB)) == ["overlap"] * 2


def test_one_session_per_activity_required_excepted() -> None:
    acts = [activity("lunch", sessions=2)]
    p = problem(activities=acts)
    s1 = sess("lunch#1", 2, "10:00", ["alice", "bob"])
    assert rules(p, s1, sess("lunch#2", 9, "10:00", ["carol", "bob"])) == [
        "one_session_per_activity"
    ]
    assert rules(p, s1, sess("lunch#2", 9, "10:00", ["carol", "alice"])) == [
        "one_session_per_activity"
    ]
    p = problem(activities=[activity("lunch", sessions=2, required=["alice"])])
    assert rules(p, s1, sess("lunch#2", 9, "10:00", ["carol", "alice"])) == []


# --------------------------------------------------------------------------- sessions


def test_capacity_bounds() -> None:
    p = problem(activities=[activity("lunch", min_participants=2, max_participants=2)])
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "10:00", ["alice"])) == ["capacity"]
    assert rules(p, sess("lunch#1", 2, "10:00", ["alice", "bob", "carol"])) == ["capacity"]


def test_department_mix_min_departments() -> None:
    people = [person("alice", "Support"), person("bob", "Support"), person("carol", "Sales")]
    p = problem(people=people, activities=[activity("lunch", min_departments=2)])
    assert rules(p, sess("lunch#1", 2, "10:00", ["alice", "carol"])) == []
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == ["department_mix"]


def test_department_mix_share() -> None:
    people = [person(n, d) for n, d in [("a1", "S"), ("a2", "S"), ("a3", "S"), ("b1", "B")]]
    p = problem(people=people, activities=[activity("lunch", max_department_share=0.5)])
    assert rules(p, sess("lunch#1", 2, "10:00", ["a1", "a2", "b1"])) == ["department_mix"]
    p = problem(people=people, activities=[activity("lunch", max_department_share=0.67)])
    assert rules(p, sess("lunch#1", 2, "10:00", ["a1", "a2", "b1"])) == []


def test_required_attendee() -> None:
    p = problem(activities=[activity("lunch", required=["alice"])])
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "10:00", ["bob", "carol"])) == ["required_attendee"]


VENUES = [
    {
        "id": "cafe",
        "name": "Cafe",
        "capacity": 2,
        "busy": [{"start": "2027-03-03T09:00", "end": "2027-03-03T10:00"}],
    },
    {"id": "hall", "name": "Hall", "capacity": 50},
]


def test_venue_capacity() -> None:
    p = problem(activities=[activity("lunch", venues=["cafe"])], venues=VENUES)
    assert rules(p, sess("lunch#1", 2, "10:00", AB, venue="cafe")) == []
    three = ["alice", "bob", "carol"]
    assert rules(p, sess("lunch#1", 2, "10:00", three, venue="cafe")) == ["venue_capacity"]


def test_venue_conflict_listing_busy_and_double_booking() -> None:
    acts = [activity("lunch", venues=["cafe"]), activity("talk", venues=["cafe", "hall"])]
    prefs = {
        "alice": {"lunch": "yes"},
        "bob": {"lunch": "yes", "talk": "yes"},
        "carol": {"talk": "yes"},
    }
    p = problem(activities=acts, prefs=prefs, venues=VENUES, policy={"max_events_per_day": 2})
    lunch = sess("lunch#1", 2, "10:00", ["alice", "bob"], venue="cafe")
    assert rules(p, lunch) == []
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == ["venue_conflict"]
    assert rules(p, sess("lunch#1", 2, "10:00", AB, venue="hall")) == ["venue_conflict"]
    assert rules(p, sess("lunch#1", 3, "09:30", AB, venue="cafe")) == ["venue_conflict"]
    assert rules(p, sess("lunch#1", 3, "10:00", AB, venue="cafe")) == []
    talk_same = sess("talk#1", 2, "10:30", ["carol", "bob"], venue="cafe")
    alone = sess("lunch#1", 2, "10:00", ["alice", "bob"], venue="cafe")
    assert "venue_conflict" in rules(p, alone, talk_same)
    talk_after = sess("talk#1", 2, "11:00", ["carol", "bob"], venue="cafe")
    assert rules(p, alone, talk_after) == []


def test_min_notice() -> None:
    start = at(2, "10:00")
    p = problem(policy={"min_notice_hours": 48}, pi={"now": start - timedelta(hours=48)})
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == []
    p = problem(policy={"min_notice_hours": 48}, pi={"now": start - timedelta(hours=47.5)})
    assert rules(p, sess("lunch#1", 2, "10:00", AB)) == ["min_notice"]


def test_protected_window() -> None:
    p = problem(policy={"protected": [{"days": ["tue"], "time": "12:00-13:00"}]})
    assert rules(p, sess("lunch#1", 2, "11:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "13:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "11:30", AB)) == ["protected_window"]
    assert rules(p, sess("lunch#1", 3, "11:30", AB)) == []


def test_protected_window_on_a_date() -> None:
    p = problem(policy={"protected": [{"date": "2027-03-03", "time": "09:00-17:00"}]})
    assert rules(p, sess("lunch#1", 2, "11:00", AB)) == []
    assert rules(p, sess("lunch#1", 3, "11:00", AB)) == ["protected_window"]


def test_activity_window() -> None:
    acts = [activity("lunch", windows=[{"days": ["tue"], "time": "10:00-12:00"}])]
    p = problem(activities=acts)
    assert rules(p, sess("lunch#1", 2, "11:00", AB)) == []
    assert rules(p, sess("lunch#1", 2, "11:30", AB)) == ["activity_window"]
    assert rules(p, sess("lunch#1", 3, "10:00", AB)) == ["activity_window"]


def test_horizon() -> None:
    people = [person("alice", after_hours=True), person("bob", "Billing", after_hours=True)]
    acts = [activity("lunch", after_hours=True)]
    p = problem(people=people, activities=acts)
    assert rules(p, sess("lunch#1", 12, "23:00", AB)) == []
    assert rules(p, sess("lunch#1", 12, "23:30", AB)) == ["horizon"]
    assert rules(p, sess("lunch#1", 13, "10:00", AB)) == ["horizon"]


# --------------------------------------------------------------------------- coverage


def _queue_problem(k: int, people: list[dict[str, Any]]) -> PlanningInput:
    acts = [activity("lunch", min_participants=1)]
    return problem(
        people=people,
        activities=acts,
        queues=[{"id": "phone", "name": "Phone", "min_on_duty": k}],
    )


def test_coverage_floor_enough_on_duty() -> None:
    people = [person(n, queues=["phone"]) for n in ("alice", "bob")] + [person("carol")]
    p = _queue_problem(1, people)
    assert rules(p, sess("lunch#1", 2, "10:00", ["alice", "carol"])) == []
    assert rules(p, sess("lunch#1", 2, "10:00", ["alice", "bob"])) == ["coverage_floor"]


def test_coverage_floor_checks_every_breakpoint() -> None:
    # Bob is busy for the last half hour of Alice's event: the queue is empty then.
    busy = [{"start": "2027-03-02T10:30", "end": "2027-03-02T11:00"}]
    people = [person("alice", queues=["phone"]), person("bob", queues=["phone"], busy=busy)]
    p = _queue_problem(1, people)
    assert rules(p, sess("lunch#1", 2, "10:00", ["alice"])) == ["coverage_floor"]
    assert rules(p, sess("lunch#1", 2, "11:00", ["alice"])) == []


def test_coverage_floor_when_too_few_are_working() -> None:
    off = [{"start": "2027-03-02", "end": "2027-03-02"}]
    people = [
        person("alice", queues=["phone"]),
        person("bob", queues=["phone"], time_off=off),
        person("carol"),
    ]
    p = _queue_problem(2, people)
    # Only Alice works on Tuesday (fewer than 2): no member may be at an event then.
    assert rules(p, sess("lunch#1", 2, "10:00", ["carol"])) == []
    assert rules(p, sess("lunch#1", 2, "10:00", ["alice"])) == ["coverage_floor"]
    assert rules(p, sess("lunch#1", 3, "10:00", ["alice"])) == ["coverage_floor"]


def test_coverage_floor_outside_service_hours() -> None:
    people = [
        person("alice", queues=["phone"], after_hours=True),
        person("bob", queues=["phone"]),
    ]
    acts = [activity("lunch", min_participants=1, after_hours=True)]
    queues = [{"id": "phone", "name": "Phone", "min_on_duty": 2}]
    p = problem(people=people, activities=acts, queues=queues)
    assert rules(p, sess("lunch#1", 2, "17:00", ["alice"])) == []
    assert rules(p, sess("lunch#1", 2, "16:30", ["alice"])) == ["coverage_floor"]
    queues = [
        {
            "id": "phone",
            "name": "Phone",
            "min_on_duty": 2,
            "service_hours": {"tue": ["08:00-18:00"]},
        }
    ]
    p = problem(people=people, activities=acts, queues=queues)
    assert rules(p, sess("lunch#1", 2, "17:00", ["alice"])) == ["coverage_floor"]


# --------------------------------------------------------------------------- structure


def test_structural_checks() -> None:
    p = problem(activities=[activity("lunch"), activity("talk", sessions=1)])
    assert rules(p, sess("lunch#1", 2, "10:00", ["alice", "zed"])) == ["unknown_person"]
    assert rules(p, sess("x#1", 2, "10:00", AB)) == ["unknown_activity"]
    assert rules(p, sess("lunch#1", 2, "10:00", AB, venue="moon")) == [
        "unknown_venue",
        "venue_conflict",
    ]
    assert rules(p, sess("lunch#1", 2, "10:00", AB, minutes=90)) == ["duration"]
    assert rules(p, sess("lunch#1", 2, "10:15", AB)) == ["slot_grid"]
    twice = sess("lunch#1", 2, "10:00", ["alice", "alice", "bob"])
    assert "duplicate_attendee" in rules(p, twice)
    two = [sess("talk#1", 2, "10:00", AB), sess("talk#1", 9, "10:00", ["carol", "bob"])]
    assert sorted(set(rules(p, *two))) == [
        "duplicate_session_id",
        "one_session_per_activity",
        "too_many_sessions",
    ]


def test_violation_render_is_one_line() -> None:
    v = Violation("busy", "bob is busy during lunch#1", "lunch#1", "bob")
    assert v.render() == "busy: lunch#1 (bob): bob is busy during lunch#1"
    assert Violation("too_many_sessions", "x", None, None).render() == "too_many_sessions: x"
    assert render_violations([v, v]).count("\n") == 1


# --------------------------------------------------------------------------- files


def test_shared_example_valid_and_violating_plans(example_scenario: Path) -> None:
    scenario = load_scenario(example_scenario).scenario
    p = PlanningInput(scenario=scenario, now=NOW)
    quiz = PlannedSession(
        id="quiz-night#1",
        activity="quiz-night",
        start=datetime.fromisoformat("2027-03-25T18:00+01:00"),
        end=datetime.fromisoformat("2027-03-25T20:00+01:00"),
        attendees=["chen", "dana", "gus"],
    )
    assert verify(p, schedule(quiz)) == []
    lunch = PlannedSession(
        id="team-lunch#1",
        activity="team-lunch",
        start=datetime.fromisoformat("2027-03-23T12:00+01:00"),
        end=datetime.fromisoformat("2027-03-23T13:00+01:00"),
        attendees=["ali", "bea", "chen", "fatima", "karin"],
        venue="cafe",
    )
    found = {v.rule for v in verify(p, schedule(quiz, lunch))}
    # fatima said no; three phone members leave the queue empty; 12:00 Stockholm is
    # 07:00 in New York, outside fatima's hours.
    assert found == {"opted_out", "coverage_floor", "working_hours"}
    rendered = render_violations(verify(p, schedule(quiz, lunch)))
    assert "fatima attends team-lunch without opting in" in rendered


def test_load_schedule_round_trip_and_errors(tmp_path: Path) -> None:
    good = schedule(sess("lunch#1", 2, "10:00", AB))
    path = tmp_path / "schedule.json"
    path.write_text(good.model_dump_json())
    assert load_schedule(path) == good
    path.write_text("{not json")
    with pytest.raises(InputError) as exc:
        load_schedule(path)
    assert str(exc.value).startswith(f"{path}: line 1, column 2: not valid JSON")
    data = json.loads(good.model_dump_json())
    data["sessions"][0]["start"] = "2027-03-02T10:00"  # no offset
    data["bogus"] = 1
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as exc:
        load_schedule(path)
    text = str(exc.value)
    assert f"{path}: sessions.0 (lunch#1).start:" in text
    assert f"{path}: bogus: unknown key" in text
    with pytest.raises(InputError):
        load_schedule(tmp_path / "missing.json")
