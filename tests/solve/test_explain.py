"""Explanations: honest reasons from the checker, and privacy (no 'no', no private reasons)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from planner.domain.errors import InputError
from planner.domain.planning import PlanningInput
from planner.domain.schedule import NotHeld, Objective, PlannedSession, Schedule
from planner.solve.explain import (
    NOT_HELD,
    NOT_OPTED_IN,
    OUTRANKED,
    UNAVAILABLE,
    annotate,
    explain_person,
    render_explanations,
)
from planner.solve.verify import verify
from tests.factories import activity, person, planning_input, scenario_data


def at(day: int, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2027-03-{day:02d}T{hhmm}:00+01:00")


def sess(sid: str, day: int, hhmm: str, attendees: list[str]) -> PlannedSession:
    return PlannedSession(
        id=sid,
        activity=sid.split("#")[0],
        start=at(day, hhmm),
        end=at(day, hhmm) + timedelta(minutes=60),
        attendees=sorted(attendees),
    )


def schedule(*sessions: PlannedSession, not_held: list[NotHeld] | None = None) -> Schedule:
    return Schedule(
        status="feasible",
        objective=Objective(value=0, bound=0, gap=0),
        sessions=list(sessions),
        not_held=not_held or [],
    )


OFF = [{"start": "2027-03-02T09:00", "end": "2027-03-02T12:00"}]


def team(**acts: Any) -> PlanningInput:
    people = [
        person("alice", "Support"),
        person("bob", "Billing"),
        person("carol", "Sales", time_off=OFF),  # private reasons
        person("dave", "Sales", busy=OFF, share_reasons=True),
        person("erin", "Support"),
        person("frank", "Billing"),
        person("gina", "Sales"),
    ]
    activities = [
        activity("lunch", max_participants=3, **acts),
        activity("quiz", min_participants=3),
    ]
    prefs = {
        "alice": {"lunch": "yes"},
        "bob": {"lunch": "yes"},
        "carol": {"lunch": "yes", "quiz": "maybe"},
        "dave": {"lunch": "maybe", "quiz": "yes"},
        "erin": {"lunch": "no", "quiz": "no"},
        "frank": {"lunch": "yes"},
        # gina answered nothing
    }
    return planning_input(scenario_data(people, activities, prefs))


def reasons(plan: Schedule, pid: str, aid: str) -> dict[str, str]:
    entry = next(u for u in plan.unplaced if u.person == pid and u.activity == aid)
    return {r.rule: r.detail for r in entry.reasons}


def test_unplaced_lists_only_opt_ins_and_respects_privacy() -> None:
    p = team()
    base = schedule(sess("lunch#1", 2, "10:00", ["alice", "bob"]))
    assert verify(p, base) == []
    plan = annotate(p, base)
    listed = {(u.person, u.activity) for u in plan.unplaced}
    # erin said no, gina never answered: neither ever appears.
    assert listed == {
        ("carol", "lunch"),
        ("dave", "lunch"),
        ("frank", "lunch"),
        ("carol", "quiz"),
        ("dave", "quiz"),
    }
    carol = reasons(plan, "carol", "lunch")
    assert set(carol) == {UNAVAILABLE}
    assert "2027" not in carol[UNAVAILABLE] and "time off" not in carol[UNAVAILABLE]
    assert set(reasons(plan, "dave", "lunch")) == {"busy"}  # dave shares reasons
    assert set(reasons(plan, "carol", "quiz")) == {NOT_HELD}
    # The annotated plan still passes the checker; the input was not modified.
    assert verify(p, plan) == []
    assert base.unplaced == []


def test_outranked_when_nothing_stops_the_placement() -> None:
    plan = annotate(team(), schedule(sess("lunch#1", 2, "10:00", ["alice", "bob"])))
    assert set(reasons(plan, "frank", "lunch")) == {OUTRANKED}


def test_full_session_is_capacity() -> None:
    full = schedule(sess("lunch#1", 2, "13:00", ["alice", "bob", "dave"]))
    plan = annotate(team(), full)
    frank = reasons(plan, "frank", "lunch")
    assert set(frank) == {"capacity"}
    assert frank["capacity"] == "Lunch, Tue 02 Mar 13:00 (3 of 3) is full"
    assert "#" not in frank["capacity"]


def test_reasons_aggregate_over_sessions() -> None:
    p = team(sessions=2)
    plan = annotate(
        p,
        schedule(
            sess("lunch#1", 2, "10:00", ["alice", "bob"]),
            sess("lunch#2", 3, "10:00", ["frank", "dave"]),
        ),
    )
    carol = reasons(plan, "carol", "lunch")
    assert set(carol) == {UNAVAILABLE, OUTRANKED}
    assert "Lunch, Tue 02 Mar 10:00" in carol[UNAVAILABLE]
    assert "Lunch, Wed 03 Mar 10:00" in carol[OUTRANKED]
    assert "#" not in carol[UNAVAILABLE] + carol[OUTRANKED]


def test_caps_and_coverage_reasons() -> None:
    people = [
        person("alice", queues=["phone"]),
        person("bob", queues=["phone"]),
        person("carol", max_events_per_week=1),
    ]
    acts = [activity("lunch", min_participants=1), activity("talk", min_participants=1)]
    prefs = {"alice": {"lunch": "yes"}, "bob": {"lunch": "yes"}, "carol": {"lunch": "yes"}}
    prefs["carol"]["talk"] = "yes"
    queues = [{"id": "phone", "name": "Phone", "min_on_duty": 1}]
    p = planning_input(scenario_data(people, acts, prefs, queues=queues))
    base = schedule(sess("lunch#1", 2, "10:00", ["alice"]), sess("talk#1", 3, "10:00", ["carol"]))
    assert verify(p, base) == []
    plan = annotate(p, base)
    assert set(reasons(plan, "bob", "lunch")) == {"coverage_floor"}
    assert set(reasons(plan, "carol", "lunch")) == {"weekly_events_cap"}


def test_not_held_reasons() -> None:
    p = team()
    nh = [NotHeld(activity="quiz", session=1)]
    plan = annotate(p, schedule(sess("lunch#1", 2, "10:00", ["alice", "bob"]), not_held=nh))
    (entry,) = plan.not_held
    assert [r.rule for r in entry.reasons] == ["capacity"]
    assert "only 2 people opted in; 3 needed" in entry.reasons[0].detail


def test_not_held_required_no_is_unavailable() -> None:
    people = [person("alice"), person("bob"), person("carol")]
    acts = [activity("talk", required=["carol"])]
    prefs = {"alice": {"talk": "yes"}, "bob": {"talk": "yes"}, "carol": {"talk": "no"}}
    p = planning_input(scenario_data(people, acts, prefs))
    plan = annotate(p, schedule(not_held=[NotHeld(activity="talk", session=1)]))
    (reason,) = plan.not_held[0].reasons
    assert reason.rule == "required_attendee"
    assert "unavailable" in reason.detail and "no" not in reason.detail.split()


def test_not_held_required_no_and_time_off_read_alike() -> None:
    # The wording must not tell a required person's "no" apart from their time off.
    acts = [activity("talk", required=["carol"])]
    people = [person("alice"), person("bob"), person("carol")]
    prefs = {"alice": {"talk": "yes"}, "bob": {"talk": "yes"}, "carol": {"talk": "no"}}
    said_no = planning_input(scenario_data(people, acts, prefs))
    people[2]["time_off"] = [{"start": "2027-03-01", "end": "2027-03-12"}]
    prefs["carol"]["talk"] = "yes"
    away = planning_input(scenario_data(people, acts, prefs))
    empty = schedule(not_held=[NotHeld(activity="talk", session=1)])
    no, off = annotate(said_no, empty), annotate(away, empty)
    assert no.not_held == off.not_held and no.unplaced == off.unplaced
    (reason,) = no.not_held[0].reasons
    assert reason.rule == "required_attendee" and "carol" in reason.detail
    for pid in ("alice", "carol"):
        assert explain_person(said_no, empty, pid) == explain_person(away, empty, pid)


def test_not_held_when_people_cannot_meet() -> None:
    people = [
        person("alice", working_hours={"mon": ["09:00-10:00"]}),
        person("bob", working_hours={"tue": ["09:00-10:00"]}),
    ]
    prefs = {"alice": {"talk": "yes"}, "bob": {"talk": "yes"}}
    p = planning_input(scenario_data(people, [activity("talk")], prefs))
    plan = annotate(p, schedule(not_held=[NotHeld(activity="talk", session=1)]))
    (reason,) = plan.not_held[0].reasons
    assert reason.rule == "capacity"
    assert reason.detail == (
        "only 1 of the 2 needed can make any start: the others are outside their working hours (1)"
    )


def test_explain_person() -> None:
    p = team()
    plan = schedule(sess("lunch#1", 2, "10:00", ["alice", "bob"]))
    alice = explain_person(p, plan, "alice")
    assert [(e.activity, e.placed, e.sessions) for e in alice] == [("lunch", True, ("lunch#1",))]
    carol = explain_person(p, plan, "carol")
    assert [e.activity for e in carol] == ["lunch", "quiz"]
    assert [r.rule for r in carol[0].reasons] == [UNAVAILABLE]
    # erin said no to everything: nothing is listed unless asked for explicitly, and then
    # the wording is the same as for gina, who never answered.
    assert explain_person(p, plan, "erin") == []
    erin = explain_person(p, plan, "erin", "lunch")
    gina = explain_person(p, plan, "gina", "lunch")
    assert [r.rule for r in erin[0].reasons] == [NOT_OPTED_IN]
    assert erin[0].reasons == gina[0].reasons
    text = render_explanations(p, plan, "carol", carol)
    assert "✗ Lunch: not placed" in text and "not available at the time of Lunch" in text
    assert "Lunch, Tue 02 Mar 10:00" in text and "#" not in text
    assert "✓ Lunch, Tue 02 Mar 10:00-11:00" in render_explanations(p, plan, "alice", alice)
    assert "nothing opted in" in render_explanations(p, plan, "erin", [])
    assert not re.search(r"\bno\b", render_explanations(p, plan, "erin", erin))
    with pytest.raises(InputError):
        explain_person(p, plan, "zed")
    with pytest.raises(InputError):
        explain_person(p, plan, "alice", "nope")


def test_prefilters_never_hide_a_broken_rule() -> None:
    """The checker families' prefilters (``verify.attendance.may_break``,
    ``verify.caps.may_break``) may only over-approximate: every person/limit rule the full
    check finds for a join is among those the prefilter lets through."""
    from planner.solve import PlanSolver
    from planner.solve.explain import _FILTERED, _Explainer
    from planner.solve.verify import RULES, Focus
    from tests.factories import activity, person, planning_input, scenario_data
    from tests.solve.test_rules import FAST

    people = [person(f"p{i}", ("Support", "Billing", "Sales")[i % 3]) for i in range(7)]
    people[1]["time_off"] = [{"start": "2027-03-02", "end": "2027-03-04"}]
    people[2]["busy"] = [{"start": "2027-03-01T09:00", "end": "2027-03-01T15:00"}]
    people[3]["needs"] = ["step-free"]
    people[4]["max_minutes_per_week"] = 60
    people[5]["working_hours"] = {"mon": ["09:00-11:00"]}
    acts = [
        activity("a", max_participants=4),
        activity("b", max_participants=3, sessions=2),
        activity("c", provides=["step-free"], max_participants=3),
    ]
    prefs = {p["id"]: {"a": "yes", "b": "maybe", "c": "yes"} for p in people}
    problem = planning_input(
        scenario_data(
            people, acts, prefs, team={"horizon": {"start": "2027-03-01", "end": "2027-03-03"}}
        )
    )
    schedule = PlanSolver(problem, FAST).solve().schedule
    ex = _Explainer(problem, schedule)
    checked = 0
    for s in schedule.sessions:
        for p in people:
            pid = p["id"]
            if pid in s.attendees:
                continue
            view = ex.plan.with_attendee(s.id, pid)
            full = {
                r
                for r in _FILTERED
                if any(True for _ in RULES[r](ex.facts, view, Focus(pid, s.id)))
            }
            assert full <= ex._may_break(pid, s), (pid, s.id)
            checked += bool(full)
    assert checked  # some joins do break a rule


def test_placed_lines_come_first() -> None:
    p = team()
    plan = schedule(sess("quiz#1", 2, "14:00", ["carol", "dave", "frank"]))
    dave = explain_person(p, plan, "dave")
    assert [(e.activity, e.placed) for e in dave] == [("quiz", True), ("lunch", False)]
    lines = render_explanations(p, plan, "dave", dave).splitlines()
    assert lines[1].startswith("  ✓ Quiz") and lines[2].startswith("  ✗ Lunch")


def test_times_are_in_the_viewers_zone() -> None:
    people = [person("alice"), person("bob", timezone="America/New_York")]
    prefs = {"alice": {"lunch": "yes"}, "bob": {"lunch": "yes"}}
    p = planning_input(
        scenario_data(people, [activity("lunch", min_participants=1, max_participants=1)], prefs)
    )
    plan = schedule(sess("lunch#1", 2, "16:00", ["alice"]))
    (bob,) = explain_person(p, plan, "bob")
    assert [r.detail for r in bob.reasons] == ["Lunch, Tue 02 Mar 10:00 (1 of 1) is full"]
    # The organiser's annotations use the team zone.
    (u,) = annotate(p, plan).unplaced
    assert [r.detail for r in u.reasons] == ["Lunch, Tue 02 Mar 16:00 (1 of 1) is full"]


def test_private_reasons_and_no_answers_stay_hidden_in_every_wording() -> None:
    """carol is on time off (no share_reasons), erin said no to both: in every text the
    organiser or the person can read, carol is only 'unavailable'/'not available', and no
    wording mentions erin or a no."""
    from planner.solve.explain import explain_session

    p = team()
    plan = schedule(
        sess("lunch#1", 2, "10:00", ["alice", "bob"]),
        not_held=[NotHeld(activity="quiz", session=1)],
    )
    annotated = annotate(p, plan)
    texts = [
        annotated.model_dump_json(),
        render_explanations(p, plan, "carol", explain_person(p, plan, "carol")),
        render_explanations(p, plan, "erin", explain_person(p, plan, "erin", "lunch")),
        "\n".join(explain_session(p, plan, "lunch#1")),
        "\n".join(explain_session(p, plan, "quiz#1")),
    ]
    for text in texts:
        lowered = text.lower()
        assert "time off" not in lowered and "time_off" not in lowered
        assert "2027-03-02t09" not in lowered and "09:00-12:00" not in lowered
        assert "erin" not in lowered or text is texts[2]
        assert not re.search(r"\bno\b", lowered.replace("no rule", "").replace("no group", ""))
    assert "not available at the time of Lunch, Tue 02 Mar 10:00" in texts[1]
    assert "Carol: not available" in texts[3]
    (carol,) = [u for u in annotated.unplaced if u.person == "carol" and u.activity == "lunch"]
    assert [r.rule for r in carol.reasons] == [UNAVAILABLE]


def test_not_held_says_why_to_the_person() -> None:
    people = [
        person("alice", working_hours={"mon": ["09:00-10:00"]}),
        person("bob", working_hours={"tue": ["09:00-10:00"]}),
    ]
    prefs = {"alice": {"talk": "yes"}, "bob": {"talk": "yes"}}
    p = planning_input(scenario_data(people, [activity("talk")], prefs))
    empty = schedule(not_held=[NotHeld(activity="talk", session=1)])
    (alice,) = explain_person(p, empty, "alice")
    assert [r.detail for r in alice.reasons] == [
        "Talk was not held: only 1 of the 2 needed can make any start: the others are "
        "outside their working hours (1)"
    ]
    plan = annotate(p, empty)
    assert plan.unplaced[0].reasons == list(alice.reasons)


def test_reasons_a_schedule_carries_for_a_session_not_held_are_kept_whole() -> None:
    from planner.domain.schedule import Reason

    p = team()
    given = [Reason(rule="capacity", detail="first"), Reason(rule="department_mix", detail="two")]
    nh = [NotHeld(activity="quiz", session=1, reasons=given)]
    plan = schedule(sess("lunch#1", 2, "10:00", ["alice", "bob"]), not_held=nh)
    (quiz,) = [e for e in explain_person(p, plan, "dave") if e.activity == "quiz"]
    assert [r.detail for r in quiz.reasons] == ["Quiz was not held: first; two"]
