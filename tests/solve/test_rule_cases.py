"""Every hard rule, primer style: one case just inside it, one just outside, and a mutation gate.

For each rule id of the ledger, :data:`CASES` holds a minimal scenario in two versions that
differ in one value: ``feasible`` (a ``must_hold`` activity can be held within the rule: the
solver finds a plan and the independent checker accepts it) and ``infeasible`` (it cannot:
CP-SAT proves the plan infeasible). Only the rule under test binds; the others are loose.

The mutation gate solves the infeasible case with that rule switched off in the model
(``PlanSolver.disabled_rules``, a test-only hook) and asserts that the plan it now finds
breaks exactly that rule by ``verify``. So a rule whose constraints or bans are deleted from
its module fails its own infeasible case, and a case that stays infeasible for another
reason fails the gate: removing any rule is caught here, deterministically (one worker,
fixed seed, presolve-sized models).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from ortools.sat.python import cp_model

from planner.domain.planning import PlanningInput
from planner.domain.schedule import PlanStatus, Schedule
from planner.solve import PlanSolver, SolveOptions
from planner.solve.instance import Instance, build_instance
from planner.solve.ledger import HARD_RULES
from planner.solve.rules import MODULES
from planner.solve.variables import Vars
from planner.solve.verify import verify
from tests.factories import activity, person, planning_input, scenario_data

ONE = SolveOptions(time_limit=20.0, workers=1, seed=0)

TUE = {"horizon": {"start": "2027-03-02", "end": "2027-03-02"}}
"""One working day (Tuesday)."""
WEEK = {"horizon": {"start": "2027-03-01", "end": "2027-03-05"}}
"""One working week."""
TWO_DAYS = {"horizon": {"start": "2027-03-02", "end": "2027-03-03"}}


def held(aid: str = "m", **extra: Any) -> dict[str, Any]:
    """An activity that must be held (so breaking a rule makes the plan infeasible)."""
    return activity(aid, must_hold=True, **extra)


def yes(*pairs: tuple[str, str], answer: str = "yes") -> dict[str, dict[str, str]]:
    prefs: dict[str, dict[str, str]] = {}
    for pid, aid in pairs:
        prefs.setdefault(pid, {})[aid] = answer
    return prefs


def with_r(r: dict[str, Any], *activities: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """``r`` required in every activity, each with its own opted-in companion ``p<i>``."""
    acts = [{**a, "required": ["r"]} for a in activities]
    people = [r] + [person(f"p{i}", "Billing") for i in range(1, len(acts) + 1)]
    prefs = yes(*((f"p{i}", a["id"]) for i, a in enumerate(acts, start=1)))
    return scenario_data(people, acts, prefs, **sections)


Case = Callable[[bool], dict[str, Any]]
"""``case(ok)``: the scenario just inside the rule (``ok``) or just outside it."""

DECLINED = "declined"
"""A case's (person, activity) pairs declined by RSVP: they go to the planning input (the
workspace's record of replies), not the scenario."""


def problem_of(data: dict[str, Any]) -> PlanningInput:
    data = dict(data)
    declined = frozenset(tuple(pair) for pair in data.pop(DECLINED, ()))
    return planning_input(data, declined=declined)


def opted_out(ok: bool) -> dict[str, Any]:
    prefs = yes(("p0", "m"))
    prefs["p1"] = {"m": "maybe" if ok else "no"}
    return scenario_data([person("p0"), person("p1", "Billing")], [held()], prefs, team=TUE)


def opted_out_required(ok: bool) -> dict[str, Any]:
    # A required person who said no is not placed (and the session cannot be held).
    data = with_r(person("r"), held(), team=TUE)
    data["preferences"]["r"] = {"m": "maybe" if ok else "no"}
    return data


def opted_out_declined(ok: bool) -> dict[str, Any]:
    # Said yes in the poll, then declined the invitation: never placed there again.
    data = scenario_data([person("p0"), person("p1", "Billing")], [held()], {}, team=TUE)
    data["preferences"] = yes(("p0", "m"), ("p1", "m"))
    return {**data, DECLINED: [] if ok else [("p1", "m")]}


def time_off(ok: bool) -> dict[str, Any]:
    end = "16:00" if ok else "17:00"
    r = person("r", time_off=[{"start": "2027-03-02T09:00", "end": f"2027-03-02T{end}"}])
    return with_r(r, held(), team=TUE)


def time_off_opt_in(ok: bool) -> dict[str, Any]:
    # Two opt-ins, one off the morning, one the afternoon: one session can take only one
    # of them (inside), or none can reach a minimum of two (outside). Without the link
    # "attending means the session starts when you can come" both would be placed.
    people = [
        person("p0", time_off=[{"start": "2027-03-02T09:00", "end": "2027-03-02T13:00"}]),
        person(
            "p1", "Billing", time_off=[{"start": "2027-03-02T13:00", "end": "2027-03-02T17:00"}]
        ),
    ]
    act = held(min_participants=1 if ok else 2)
    return scenario_data(people, [act], yes(("p0", "m"), ("p1", "m")), team=TUE)


def busy(ok: bool) -> dict[str, Any]:
    end = "16:00" if ok else "17:00"
    r = person("r", busy=[{"start": "2027-03-02T09:00", "end": f"2027-03-02T{end}"}])
    return with_r(r, held(), team=TUE)


def working_hours(ok: bool) -> dict[str, Any]:
    r = person("r", working_hours={"tue": ["09:00-10:00" if ok else "09:00-09:30"]})
    return with_r(r, held(), team=TUE)


def weekly_events_cap(ok: bool) -> dict[str, Any]:
    r = person("r", max_events_per_week=2 if ok else 1)
    return with_r(r, held("a"), held("b"), team=WEEK)


def weekly_minutes_cap(ok: bool) -> dict[str, Any]:
    r = person("r", max_minutes_per_week=120 if ok else 90)
    return with_r(r, held("a"), held("b"), team=WEEK)


def daily_cap(ok: bool) -> dict[str, Any]:
    policy = {"max_events_per_day": 2 if ok else 1}
    return with_r(person("r"), held("a"), held("b"), team=TUE, policy=policy)


def overlap(ok: bool) -> dict[str, Any]:
    a = held("a", windows=[{"days": ["tue"], "time": "10:00-11:00"}])
    later = "11:00-12:00" if ok else "10:00-11:00"
    b = held("b", windows=[{"days": ["tue"], "time": later}])
    return with_r(person("r"), a, b, team=TUE, policy={"max_events_per_day": 2})


def capacity(ok: bool) -> dict[str, Any]:
    people = [person("p0"), person("p1", "Billing"), person("p2", "Sales")]
    prefs = yes(*((p["id"], "m") for p in people[: 3 if ok else 2]))
    return scenario_data(people, [held(min_participants=3)], prefs, team=TUE)


def capacity_max(ok: bool) -> dict[str, Any]:
    # Two required Support people and a second department make three: one seat too many.
    people = [person("r1"), person("r2"), person("p1", "Billing")]
    act = held(min_participants=2, max_participants=3 if ok else 2, min_departments=2)
    act["required"] = ["r1", "r2"]
    return scenario_data(people, [act], yes(("p1", "m")), team=TUE)


def capacity_queue(ok: bool) -> dict[str, Any]:
    # capacity_max with everyone in a staffed queue (the fourth member keeps the floor):
    # switched off, ``capacity`` must lift its maximum wherever seats are counted, the
    # queue's count of members away included.
    people = [
        person("r1", queues=["line"]),
        person("r2", queues=["line"]),
        person("p1", "Billing", queues=["line"]),
        person("q", queues=["line"]),
    ]
    queues = [{"id": "line", "name": "Phone line", "min_on_duty": 1}]
    act = held(min_participants=2, max_participants=3 if ok else 2, min_departments=2)
    act["required"] = ["r1", "r2"]
    return scenario_data(people, [act], yes(("p1", "m")), team=TUE, queues=queues)


def coverage_floor(ok: bool) -> dict[str, Any]:
    off = [] if ok else [{"start": "2027-03-02", "end": "2027-03-02"}]
    people = [
        person("r", queues=["line"]),
        person("b", queues=["line"], time_off=off),
        person("p1", "Billing"),
    ]
    queues = [{"id": "line", "name": "Phone line", "min_on_duty": 1}]
    return scenario_data(people, [held(required=["r"])], yes(("p1", "m")), team=TUE, queues=queues)


def min_notice(ok: bool) -> dict[str, Any]:
    # now is 2027-02-01 09:00 UTC; 702 h later is Tue 2027-03-02 16:00 in Stockholm.
    policy = {"min_notice_hours": 702 if ok else 702.5}
    return with_r(person("r"), held(), team=TUE, policy=policy)


def protected_window(ok: bool) -> dict[str, Any]:
    window = {"days": ["tue"], "time": "09:00-16:00" if ok else "09:00-16:30"}
    return with_r(person("r"), held(), team=TUE, policy={"protected": [window]})


def activity_window(ok: bool) -> dict[str, Any]:
    window = {"days": ["tue" if ok else "wed"], "time": "16:00-17:00"}
    return with_r(person("r"), held(windows=[window]), team=TUE)


def needs_unmet(ok: bool) -> dict[str, Any]:
    r = person("r", needs=["step-free"])
    return with_r(r, held(provides=["step-free"] if ok else ["vegetarian"]), team=TUE)


def department_mix(ok: bool) -> dict[str, Any]:
    people = [person("p0", "Support"), person("p1", "Billing" if ok else "Support")]
    prefs = yes(("p0", "m"), ("p1", "m"))
    return scenario_data(people, [held(min_departments=2)], prefs, team=TUE)


def required_attendee(ok: bool) -> dict[str, Any]:
    off = [] if ok else [{"start": "2027-03-02", "end": "2027-03-02"}]
    people = [person("r", time_off=off), person("p1", "Billing"), person("p2", "Sales")]
    prefs = yes(("p1", "m"), ("p2", "m"))
    return scenario_data(people, [held(required=["r"])], prefs, team=TUE)


def venue_conflict(ok: bool) -> dict[str, Any]:
    end = "16:00" if ok else "17:00"
    venue = {
        "id": "room",
        "name": "Room",
        "capacity": 10,
        "busy": [{"start": "2027-03-02T09:00", "end": f"2027-03-02T{end}"}],
    }
    return with_r(person("r"), held(venues=["room"]), team=TUE, venues=[venue])


def venue_capacity(ok: bool) -> dict[str, Any]:
    venue = {"id": "room", "name": "Room", "capacity": 3 if ok else 2}
    people = [person("p0"), person("p1", "Billing"), person("p2", "Sales")]
    act = held(venues=["room"], required=[p["id"] for p in people])
    return scenario_data(people, [act], {}, team=TUE, venues=[venue])


def one_session_per_activity(ok: bool) -> dict[str, Any]:
    people = [person(f"p{i}", ("Support", "Billing")[i % 2]) for i in range(4 if ok else 2)]
    prefs = yes(*((p["id"], "m") for p in people))
    return scenario_data(people, [held(sessions=2)], prefs, team=TWO_DAYS)


def horizon(ok: bool) -> dict[str, Any]:
    # Outside: the required person is off the whole horizon (but free the days around it).
    off = (
        {"start": "2027-03-02T09:00", "end": "2027-03-02T16:00"}
        if ok
        else {
            "start": "2027-03-02",
            "end": "2027-03-02",
        }
    )
    return with_r(person("r", time_off=[off]), held(), team=TUE)


# -- second cases: a rule enforced in two places (a static ban and a constraint) gets one
# case per place, so deleting either is caught.


def daily_cap_zero(ok: bool) -> dict[str, Any]:
    return with_r(person("r", max_events_per_day=1 if ok else 0), held(), team=TUE)


def weekly_events_cap_zero(ok: bool) -> dict[str, Any]:
    return with_r(person("r", max_events_per_week=1 if ok else 0), held(), team=TUE)


def weekly_minutes_cap_short(ok: bool) -> dict[str, Any]:
    return with_r(person("r", max_minutes_per_week=60 if ok else 30), held(), team=TUE)


def capacity_shared(ok: bool) -> dict[str, Any]:
    # Two opted-in people can fill one of two sessions a day: each needs two of them.
    people = [person(f"p{i}", ("Support", "Billing")[i % 2]) for i in range(4 if ok else 2)]
    prefs = yes(*((p["id"], a) for p in people for a in ("a", "b")))
    return scenario_data(people, [held("a"), held("b")], prefs, team=TUE)


def coverage_floor_short(ok: bool) -> dict[str, Any]:
    # Outside: two of three members are off, so the queue is short all day and no member
    # may leave it (a static ban); inside, one of three may.
    off = [{"start": "2027-03-02", "end": "2027-03-02"}]
    people = [
        person("r", queues=["line"]),
        person("b", queues=["line"], time_off=[] if ok else off),
        person("c", queues=["line"], time_off=[] if ok else off),
        person("p1", "Billing"),
    ]
    queues = [{"id": "line", "name": "Phone line", "min_on_duty": 2}]
    return scenario_data(people, [held(required=["r"])], yes(("p1", "m")), team=TUE, queues=queues)


def coverage_floor_away(ok: bool) -> dict[str, Any]:
    # Both members work; with r at the session only one of two is on duty.
    people = [person("r", queues=["line"]), person("b", queues=["line"]), person("p1", "Billing")]
    queues = [{"id": "line", "name": "Phone line", "min_on_duty": 1 if ok else 2}]
    return scenario_data(people, [held(required=["r"])], yes(("p1", "m")), team=TUE, queues=queues)


def needs_unmet_venue(ok: bool) -> dict[str, Any]:
    # Only the step-free room meets r's needs, and it is busy (or not) most of the day.
    end = "16:00" if ok else "17:00"
    venues = [
        {"id": "hall", "name": "Hall", "capacity": 10},
        {
            "id": "ramp",
            "name": "Ramp room",
            "capacity": 10,
            "provides": ["step-free"],
            "busy": [{"start": "2027-03-02T09:00", "end": f"2027-03-02T{end}"}],
        },
    ]
    r = person("r", needs=["step-free"])
    return with_r(r, held(venues=["hall", "ramp"]), team=TUE, venues=venues)


def department_share(ok: bool) -> dict[str, Any]:
    depts = ("Support", "Support" if not ok else "Sales", "Billing")
    people = [person(f"p{i}", d) for i, d in enumerate(depts)]
    prefs = yes(*((p["id"], "m") for p in people))
    act = held(min_participants=3, max_department_share=0.5)
    return scenario_data(people, [act], prefs, team=TUE)


def pairs_for(*activities: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """Each activity with two opted-in people of its own (``<activity>1``, ``<activity>2``)."""
    people = [
        person(f"{a['id']}{i}", ("Support", "Billing")[i - 1]) for a in activities for i in (1, 2)
    ]
    prefs = yes(*((f"{a['id']}{i}", a["id"]) for a in activities for i in (1, 2)))
    return scenario_data(people, list(activities), prefs, **sections)


def department_mix_taken(ok: bool) -> dict[str, Any]:
    # Billing's only opt-in is needed elsewhere that day: every start has two departments
    # on paper, but a plan can only field one.
    people = [
        person("p0", "Support"),
        person("p2", "Sales" if ok else "Support"),
        person("p1", "Billing"),
        person("p3", "Billing"),
    ]
    prefs = yes(("p0", "m"), ("p2", "m"), ("p1", "m"), ("p3", "b"))
    acts = [held(min_departments=2), held("b", required=["p1"])]
    return scenario_data(people, acts, prefs, team=TUE)


def required_attendee_capped(ok: bool) -> dict[str, Any]:
    # r can make every start, but not both activities of the day.
    policy = {"max_events_per_day": 2 if ok else 1}
    data = pairs_for(held("a", required=["r"]), held("b", required=["r"]), team=TUE, policy=policy)
    data["people"].append(person("r"))
    return data


def venue_conflict_shared(ok: bool) -> dict[str, Any]:
    venue = {"id": "room", "name": "Room", "capacity": 10}
    a = held("a", venues=["room"], windows=[{"days": ["tue"], "time": "10:00-11:00"}])
    later = "11:00-12:00" if ok else "10:00-11:00"
    b = held("b", venues=["room"], windows=[{"days": ["tue"], "time": later}])
    return pairs_for(a, b, team=TUE, venues=[venue])


def venue_capacity_chosen(ok: bool) -> dict[str, Any]:
    # The big room is busy most of the day; the small one is too small.
    end = "16:00" if ok else "17:00"
    venues = [
        {"id": "small", "name": "Small", "capacity": 2},
        {
            "id": "big",
            "name": "Big",
            "capacity": 3,
            "busy": [{"start": "2027-03-02T09:00", "end": f"2027-03-02T{end}"}],
        },
    ]
    people = [person("p0"), person("p1", "Billing"), person("p2", "Sales")]
    act = held(venues=["small", "big"], required=[p["id"] for p in people])
    return scenario_data(people, [act], {}, team=TUE, venues=venues)


CASES: dict[str, tuple[Case, ...]] = {
    "opted_out": (opted_out, opted_out_required, opted_out_declined),
    "time_off": (time_off, time_off_opt_in),
    "busy": (busy,),
    "working_hours": (working_hours,),
    "weekly_events_cap": (weekly_events_cap, weekly_events_cap_zero),
    "weekly_minutes_cap": (weekly_minutes_cap, weekly_minutes_cap_short),
    "daily_cap": (daily_cap, daily_cap_zero),
    "overlap": (overlap,),
    "capacity": (capacity, capacity_shared, capacity_max, capacity_queue),
    "coverage_floor": (coverage_floor, coverage_floor_away, coverage_floor_short),
    "min_notice": (min_notice,),
    "protected_window": (protected_window,),
    "activity_window": (activity_window,),
    "needs_unmet": (needs_unmet, needs_unmet_venue),
    "department_mix": (department_mix, department_share, department_mix_taken),
    "required_attendee": (required_attendee, required_attendee_capped),
    "venue_conflict": (venue_conflict, venue_conflict_shared),
    "venue_capacity": (venue_capacity, venue_capacity_chosen),
    "one_session_per_activity": (one_session_per_activity,),
    "horizon": (horizon,),
}
"""Per rule id, its cases (the first the plain one)."""

CASE_IDS = [(rule, case) for rule, cases in CASES.items() for case in cases]


def case_id(value: object) -> str:
    return value.__name__ if callable(value) else str(value)


@dataclass
class Solved:
    schedule: Schedule
    broken: set[str]
    """Rule ids ``verify`` reports for the plan."""


def solve(
    case: Case, ok: bool, disabled: frozenset[str] = frozenset(), cuts: bool = True
) -> Solved:
    problem = problem_of(case(ok))
    solver = PlanSolver(problem, ONE)
    solver.disabled_rules = disabled
    solver.bound_cuts = cuts
    schedule = solver.solve().schedule
    return Solved(schedule, {v.rule for v in verify(problem, schedule)})


def test_every_rule_has_a_case() -> None:
    assert list(CASES) == list(HARD_RULES)


@pytest.mark.parametrize(("rule", "case"), CASE_IDS, ids=case_id)
@pytest.mark.parametrize("cuts", [True, False], ids=["cuts", "rules-only"])
def test_just_feasible(rule: str, case: Case, cuts: bool) -> None:
    """A plan, and one the checker accepts, also without the redundant level bounds: they
    cap placements, and so would hide a deleted link or seat limit that lets more in."""
    got = solve(case, ok=True, cuts=cuts)
    assert got.schedule.status is PlanStatus.optimal
    assert got.schedule.sessions and got.broken == set()


@pytest.mark.parametrize(("rule", "case"), CASE_IDS, ids=case_id)
@pytest.mark.parametrize("cuts", [True, False], ids=["cuts", "rules-only"])
def test_just_infeasible(rule: str, case: Case, cuts: bool) -> None:
    """Infeasible as planned, and by the rules alone: without the redundant level bounds,
    which count caps and so would hide a deleted cap or one-session constraint."""
    got = solve(case, ok=False, cuts=cuts)
    assert got.schedule.status is PlanStatus.infeasible
    assert got.schedule.sessions == []


@pytest.mark.parametrize(("rule", "case"), CASE_IDS, ids=case_id)
def test_mutation_gate(rule: str, case: Case) -> None:
    """Without the rule's own bans and constraints the infeasible case has a plan, and that
    plan breaks the rule: the case tests this rule, and only this rule keeps it out."""
    got = solve(case, ok=False, disabled=frozenset({rule}))
    assert got.schedule.status in (PlanStatus.optimal, PlanStatus.feasible)
    assert rule in got.broken


# -- static bans: rules decided when the instance is built (a start no session may take, a
# person who may not attend) rule the infeasible case out before any model exists. The
# model repeats some of them (a zero cap is also a cap constraint, a busy venue also a
# venue clause), so a deleted ban would go unseen by the solving tests above.

STATIC: dict[str, tuple[Case, ...]] = {
    "opted_out": (opted_out_required, opted_out_declined),
    "time_off": (time_off,),
    "busy": (busy,),
    "working_hours": (working_hours,),
    "weekly_events_cap": (weekly_events_cap_zero,),
    "weekly_minutes_cap": (weekly_minutes_cap_short,),
    "daily_cap": (daily_cap_zero,),
    "capacity": (capacity,),
    "coverage_floor": (coverage_floor_short,),
    "min_notice": (min_notice,),
    "protected_window": (protected_window,),
    "activity_window": (activity_window,),
    "needs_unmet": (needs_unmet,),
    "department_mix": (department_mix,),
    "required_attendee": (required_attendee,),
    "venue_conflict": (venue_conflict,),
    "horizon": (horizon,),
}
"""Per rule id, its cases whose infeasibility is static."""

STATIC_IDS = [(rule, case) for rule, cases in STATIC.items() for case in cases]


def can_hold(data: dict[str, Any], disabled: frozenset[str] = frozenset()) -> bool:
    """Whether, by the instance alone, every ``must_hold`` activity has a candidate start
    (a required person who may not attend leaves none, nor does a start too few can make)."""
    instance = build_instance(problem_of(data), disabled)
    return all(len(a.candidates) > 0 for a in instance.activities if a.activity.must_hold)


@pytest.mark.parametrize(("rule", "case"), STATIC_IDS, ids=case_id)
def test_static_ban(rule: str, case: Case) -> None:
    """The rule's ban alone keeps the infeasible case from being held, and only it."""
    assert can_hold(case(True))
    assert not can_hold(case(False))
    assert can_hold(case(False), disabled=frozenset({rule}))


def pairing_alone(ok: bool) -> dict[str, Any]:
    people = [person("p0"), person("p1", "Billing")][: 2 if ok else 1]
    act = activity("coffee", kind="pairing", min_participants=1, max_participants=3, sessions=1)
    return scenario_data(people, [act], yes(*((p["id"], "coffee") for p in people)), team=TUE)


def test_a_pairing_group_never_leaves_one_alone() -> None:
    """``capacity`` of a pairing: a group holds two people at least, even with a minimum of
    one; the model places nobody alone, and the checker rejects a group of one."""
    pair = solve(pairing_alone, ok=True)
    assert [len(s.attendees) for s in pair.schedule.sessions] == [2] and pair.broken == set()
    alone = solve(pairing_alone, ok=False)
    assert alone.schedule.status is PlanStatus.optimal
    assert alone.schedule.sessions == [] and alone.broken == set()
    group = pair.schedule.sessions[0]
    one = pair.schedule.model_copy(
        update={"sessions": [group.model_copy(update={"attendees": group.attendees[:1]})]}
    )
    assert {v.rule for v in verify(problem_of(pairing_alone(True)), one)} == {"capacity"}


def test_a_session_lies_within_one_day() -> None:
    """No candidate start runs a session past midnight (team zone), even for people who
    may meet at any hour: caps and the overlap constraints count a session on its day."""
    people = [person("p0", after_hours=True), person("p1", "Billing", after_hours=True)]
    act = activity("late", after_hours=True, duration_minutes=120, min_participants=2)
    data = scenario_data(people, [act], yes(("p0", "late"), ("p1", "late")), team=TWO_DAYS)
    instance = build_instance(problem_of(data))
    grid, a = instance.grid, instance.activities[0]
    assert len(a.candidates) > 0
    last = a.candidates + a.duration - 1
    assert (grid.day[a.candidates] == grid.day[last]).all()
    # the first day's latest start is the last that ends by midnight
    first_day = a.candidates[grid.day[a.candidates] == 0]
    assert int(grid.start[first_day].max()) + 120 == int(grid.start[grid.day == 1].min())


def test_seats_per_start_keep_the_maximum() -> None:
    """``capacity``: where fewer people can make some starts than the maximum, the seats
    of a start are its people, but never more than the maximum (without the level bounds,
    which cap placements themselves)."""
    off = [{"start": "2027-03-02T09:00", "end": "2027-03-02T12:00"}]
    people = [
        person("r1"),
        person("r2"),
        person("p1", "Billing", time_off=off),
        person("p2", "Sales", time_off=off),
    ]
    act = held(min_participants=2, max_participants=3, required=["r1", "r2"])
    data = scenario_data(people, [act], yes(("p1", "m"), ("p2", "m")), team=TUE)
    got = solve(lambda _ok: data, ok=True, cuts=False)
    assert got.schedule.status is PlanStatus.optimal and got.broken == set()
    assert [len(s.attendees) for s in got.schedule.sessions] == [3]


# -- the link "attending means the session starts at a time you can make". Its cases above
# cannot see it: in ``time_off_opt_in`` the seats-per-start bound (``capacity``) already
# caps each start at the one person who can make it, and the mutation gate switches
# ``time_off`` off as a whole (its mask too). The seats count people, not who they are,
# so the two tests below ask about who.


def raw_model(
    data: dict[str, Any], disabled: frozenset[str] = frozenset()
) -> tuple[Instance, cp_model.CpModel, Vars]:
    """The rule modules' model alone (``disabled`` rules off, as in a diagnosis question):
    no objective, no level bounds, no hint, no decoding."""
    instance = build_instance(problem_of(data), disabled)
    model = cp_model.CpModel()
    vars = Vars()
    for module in MODULES:
        module.build(instance, model, vars)
    return instance, model, vars


def proven_infeasible(model: cp_model.CpModel) -> bool:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = 10.0
    return solver.solve(model) == cp_model.INFEASIBLE


def test_the_raw_model_seats_nobody_at_a_start_they_cannot_make() -> None:
    """For each attendance literal and each start of its day the person cannot make,
    CP-SAT proves "attends and the session starts there" infeasible in the raw model."""
    instance, model, vars = raw_model(time_off_opt_in(True))
    asked = 0
    for a in instance.activities:
        cand_day = instance.grid.day[a.candidates]
        for p in a.eligible:
            can = {int(k) for k in a.avail[p]}
            for s in a.sessions:
                for d, x in vars.x[p, s].items():
                    cannot = [
                        k for k in range(len(a.candidates)) if cand_day[k] == d and k not in can
                    ]
                    question = model.clone()
                    question.add(x == 1)
                    question.add(sum(vars.y[s][k] for k in cannot) == 1)
                    assert proven_infeasible(question), (p, s, d)
                    asked += 1
    assert asked == 2  # each of the two people, on the one day


def seat_for_a_yes(ok: bool) -> dict[str, Any]:
    # r leads both; b fills the morning, so m runs in the afternoon with three seats. p0
    # said yes but is off the afternoon; p1 and p2 said maybe and are off the morning, so
    # they take the seats. Seating p0 would gain a person with a "yes" (the first level)
    # and the seats-per-start bound allows three in the afternoon: a plan without the link
    # puts p0 there, on time off. (p0 can make m's morning starts, so p0 is eligible.)
    morning = [{"start": "2027-03-02T09:00", "end": "2027-03-02T13:00"}]
    afternoon = [{"start": "2027-03-02T13:00", "end": "2027-03-02T17:00"}]
    people = [
        person("r"),
        person("p0", time_off=afternoon),
        person("p1", "Billing", time_off=morning),
        person("p2", "Sales", time_off=morning),
    ]
    m = held(min_participants=1, max_participants=3, required=["r"])
    b = held(
        "b",
        min_participants=1,
        duration_minutes=240,
        required=["r"],
        windows=[{"days": ["tue"], "time": "09:00-13:00"}],
    )
    prefs = {**yes(("p0", "m")), **yes(("p1", "m"), ("p2", "m"), answer="maybe")}
    return scenario_data(people, [m, b], prefs, team=TUE, policy={"max_events_per_day": 2})


@pytest.mark.parametrize("cuts", [True, False], ids=["cuts", "rules-only"])
def test_a_seat_goes_only_to_someone_who_can_come(cuts: bool) -> None:
    got = solve(seat_for_a_yes, ok=True, cuts=cuts)
    assert got.schedule.status is PlanStatus.optimal and got.broken == set()
    assert {s.activity: s.attendees for s in got.schedule.sessions} == {
        "b": ["r"],
        "m": ["p1", "p2", "r"],
    }
