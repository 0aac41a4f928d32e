"""`planner.solve.price`: the gain of relaxing each negotiable limit by one step (issue 19).

Each scenario is built so that exactly one limit binds; ``price`` must rank that limit first
with the exact gain, proven, and find nothing else that gains.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from planner.domain.planning import PlanningInput
from planner.domain.schedule import PlanStatus
from planner.solve.engine import SolveOptions
from planner.solve.price import PriceReport, _PriceSolver, counts, price, relaxations
from planner.solve.verify import verify
from tests.factories import activity, build, everyone_yes, person, planning_input, scenario_data

OPTIONS = SolveOptions(time_limit=30, workers=1, seed=0)
ONE_WEEK = {"horizon": {"start": "2027-03-01", "end": "2027-03-05"}}
LUNCH_ONLY = {"working_hours": {"tue": ["12:00-13:00"]}}


def _gains(report: PriceReport) -> list[tuple[str, int, int, bool]]:
    return [
        (p.relaxation.id, p.people_gain, p.yes_gain, p.proven)
        for p in report.prices
        if p.status == "gain"
    ]


def lunch_queue(service: str = "12:00-13:00") -> dict[str, Any]:
    """Everyone works Tue 12:00-13:00 only; the phone line's floor (2) is its size then."""
    people = [
        person("ann", queues=["phone"], **LUNCH_ONLY),
        person("bo", queues=["phone"], **LUNCH_ONLY),
        person("cy", **LUNCH_ONLY),
        person("di", **LUNCH_ONLY),
    ]
    return scenario_data(
        people,
        [activity("lunch")],
        everyone_yes(people, "lunch"),
        team=ONE_WEEK,
        queues=[
            {
                "id": "phone",
                "name": "Phone line",
                "min_on_duty": 2,
                "service_hours": {"tue": [service]},
            }
        ],
    )


def test_queue_floor_at_lunch_is_the_binding_limit() -> None:
    report = price(planning_input(lunch_queue()), OPTIONS)
    assert report.status is PlanStatus.optimal and report.proven
    assert (report.people, report.yes) == (2, 2)
    assert _gains(report) == [("queue-floor:phone:tue:12:00", 1, 1, True)]
    first = report.prices[0]
    assert first.relaxation.label == "Phone line floor, Tue 12:00–13:00: 2 → 1"
    assert first.gain_text() == "+1 people, +1 yes"
    others = report.prices[1:]
    assert others and all(p.status == "not_binding" and p.proven for p in others)


def test_queue_floor_is_priced_per_window() -> None:
    """Service 11:00-14:00: only the hour when people work binds; the other two do not."""
    report = price(planning_input(lunch_queue("11:00-14:00")), OPTIONS)
    by_id = {p.relaxation.id: p for p in report.prices}
    assert by_id["queue-floor:phone:tue:12:00"].status == "gain"
    assert by_id["queue-floor:phone:tue:12:00"].people_gain == 1
    for band in ("11:00", "13:00"):
        assert by_id[f"queue-floor:phone:tue:{band}"].status == "not_binding"
    assert _gains(report) == [("queue-floor:phone:tue:12:00", 1, 1, True)]


def test_weekly_cap_of_one_with_two_wanted_activities() -> None:
    people = [person(p) for p in ("ann", "bo", "cy", "di")]
    data = scenario_data(
        people,
        [activity("quiz"), activity("walk")],
        everyone_yes(people, "quiz", "walk"),
        team=ONE_WEEK,
        policy={"max_events_per_week": 1},
    )
    report = price(planning_input(data), OPTIONS)
    assert (report.people, report.yes) == (4, 4)
    assert _gains(report) == [("team-cap:weekly-events", 0, 4, True)]
    assert report.prices[0].relaxation.label == "Team cap, events per week: 1 → 2"


def den_for_five(capacity: int) -> dict:
    """Five people who all want board games in the den, which seats ``capacity``."""
    people = [person(p) for p in ("ann", "bo", "cy", "di", "ed")]
    return scenario_data(
        people,
        [activity("board-games", venues=["den"])],
        everyone_yes(people, "board-games"),
        team=ONE_WEEK,
        venues=[{"id": "den", "name": "The den", "capacity": capacity}],
    )


def test_venue_too_small() -> None:
    data = den_for_five(capacity=3)
    report = price(planning_input(data), OPTIONS)
    assert (report.people, report.yes) == (3, 3)
    assert _gains(report) == [("venue:den:capacity", 1, 1, True)]
    assert report.prices[0].relaxation.label == "The den capacity: 3 → 4"
    # The activity's own capacity is far above the venue's: a bound proves it idle.
    by_id = {p.relaxation.id: p for p in report.prices}
    assert by_id["activity:board-games:max"].status == "not_binding"


def test_nothing_binds_lists_nothing() -> None:
    people = [person(p) for p in ("ann", "bo", "cy")]
    data = scenario_data(
        people,
        [activity("quiz", windows=[{"days": ["wed"], "time": "10:00-12:00"}])],
        everyone_yes(people, "quiz"),
        team=ONE_WEEK,
        policy={"protected": [{"days": ["fri"], "time": "13:00-17:00"}]},
        venues=[{"id": "den", "name": "The den", "capacity": 10}],
    )
    report = price(planning_input(data), OPTIONS)
    assert (report.people, report.yes) == (3, 3)
    assert report.prices
    assert _gains(report) == []
    assert all(p.status == "not_binding" and p.proven for p in report.prices)


def test_facilitator_is_priced_and_relaxed_plans_keep_every_other_rule() -> None:
    """The facilitator is away on the only day the activity can run: another facilitator
    places everyone; the facilitator's reason is never part of the label."""
    people = [
        person(
            "fay", name="Fay Facilitator", time_off=[{"start": "2027-03-02", "end": "2027-03-02"}]
        ),
        *(person(p) for p in ("ann", "bo", "cy")),
    ]
    data = scenario_data(
        people,
        [activity("quiz", required=["fay"], windows=[{"days": ["tue"], "time": "10:00-12:00"}])],
        everyone_yes(people[1:], "quiz"),
        team=ONE_WEEK,
    )
    report = price(planning_input(data), OPTIONS)
    assert (report.people, report.yes) == (0, 0)
    # Another facilitator, or lifting the window (another day): both place all three.
    assert set(_gains(report)) == {
        ("activity:quiz:required:fay", 3, 3, True),
        ("activity:quiz:windows", 3, 3, True),
    }
    labels = {p.relaxation.id: p.relaxation.label for p in report.prices}
    assert labels["activity:quiz:required:fay"] == (
        "Quiz: another facilitator in place of Fay Facilitator"
    )


def test_personal_boundaries_are_never_offered() -> None:
    marker = "zz-secret-marker"
    people = [
        person(
            "ann",
            name="Ann " + marker.capitalize(),
            max_events_per_week=1,
            max_minutes_per_week=60,
            max_events_per_day=1,
            needs=["step-free"],
            time_off=[{"start": "2027-03-02", "end": "2027-03-03"}],
            busy=[{"start": "2027-03-01T10:00:00+01:00", "end": "2027-03-01T11:00:00+01:00"}],
            **LUNCH_ONLY,
        ),
        person("bo"),
    ]
    data = scenario_data(
        people,
        [activity("quiz")],
        {"ann": {"quiz": "no"}, "bo": {"quiz": "yes"}},
        team=ONE_WEEK,
    )
    found = relaxations(build(data))
    rules = {r.rule for r in found}
    assert rules.isdisjoint(
        {
            "time_off",
            "busy",
            "working_hours",
            "needs_unmet",
            "opted_out",
            "one_session_per_activity",
        }
    )
    for r in found:
        assert "ann" not in r.id and marker not in r.label.lower()
        relaxed = r.relax(build(data))
        assert [p.model_dump() for p in relaxed.people] == [
            p.model_dump() for p in build(data).people
        ]
        assert relaxed.preferences == build(data).preferences


def test_relaxations_leave_the_scenario_alone() -> None:
    data = lunch_queue("11:00-14:00")
    scenario = build(data)
    before = scenario.model_dump()
    for r in relaxations(scenario):
        r.relax(scenario)
    assert scenario.model_dump() == before


def test_infeasible_scenario_prices_nothing() -> None:
    people = [person("ann"), person("bo")]
    data = scenario_data(
        people,
        [activity("quiz", must_hold=True, min_participants=3)],
        everyone_yes(people, "quiz"),
        team=ONE_WEEK,
    )
    problem: PlanningInput = planning_input(data)
    report = price(problem, SolveOptions(time_limit=5, workers=1, seed=0))
    assert report.status is PlanStatus.infeasible and report.prices == []


def test_a_relaxation_that_invalidates_the_current_plan_starts_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The facilitator attends without opting in (required); without the requirement the
    current plan breaks ``opted_out``, so it must not be used as the relaxed search's start
    (the engine offers its start as a plan before any search)."""
    people = [person("fay", name="Fay Facilitator"), *(person(p) for p in ("ann", "bo"))]
    data = scenario_data(
        people,
        [activity("quiz", required=["fay"])],
        everyone_yes(people[1:], "quiz"),
        team=ONE_WEEK,
    )
    problem = planning_input(data)
    report = price(problem, OPTIONS)
    assert (report.people, report.yes) == (2, 2)
    by_id = {p.relaxation.id: p for p in report.prices}
    assert by_id["activity:quiz:required:fay"].status == "not_binding"

    base = _PriceSolver(problem, OPTIONS)
    base.solve()
    assert base.instance is not None and base.placements
    relax = by_id["activity:quiz:required:fay"].relaxation.relax
    relaxed = replace(problem, scenario=relax(problem.scenario))
    # No greedy start: the warm start is the only candidate, and it breaks a rule.
    monkeypatch.setattr("planner.solve.engine.greedy_plan", lambda instance, deadline=None: [])
    solver = _PriceSolver(relaxed, OPTIONS, (base.instance, list(base.placements)))
    solver.prepare()
    assert solver.hint == []
    schedule = solver.solve().schedule
    assert not verify(relaxed, schedule)


def maybe_trade() -> dict[str, Any]:
    """Quiz (Tue 12:00-14:00) seats one, and Dan has it. Ann says yes to it too, and maybe to
    a walk (12:00-13:00) and a talk (13:00-14:00) she now attends; a seat more lets her
    swap both maybes for the quiz: one more ``yes`` answer, and level 2 unchanged (2 units
    for a yes, 1 per maybe). Ann's book club (Wed) already counts her among the people."""
    tue = {"days": ["tue"]}
    people = [person("ann"), person("dan")]
    return scenario_data(
        people,
        [
            activity(
                "quiz",
                min_participants=1,
                max_participants=1,
                duration_minutes=120,
                windows=[{**tue, "time": "12:00-14:00"}],
            ),
            activity("walk", min_participants=1, windows=[{**tue, "time": "12:00-13:00"}]),
            activity("talk", min_participants=1, windows=[{**tue, "time": "13:00-14:00"}]),
            activity(
                "book", min_participants=1, windows=[{"days": ["wed"], "time": "12:00-13:00"}]
            ),
        ],
        {
            "ann": {"quiz": "yes", "walk": "maybe", "talk": "maybe", "book": "yes"},
            "dan": {"quiz": "yes"},
        },
        team=ONE_WEEK,
        policy={"max_events_per_day": 3, "max_events_per_week": 5},
    )


def test_a_yes_gain_hidden_by_stability_is_never_called_not_binding() -> None:
    """Ann's walk and talk are published: stability (level 4) ranks above level 2, so the
    relaxed search keeps them and proves levels 1, 4 and 2 optimal without a gain. That
    proof says nothing about the ``yes`` answers (a seat more in the quiz lets Ann swap two
    maybes for one more yes, every rule kept): the quiz's capacity must not be listed as
    not binding."""
    problem = planning_input(maybe_trade())
    # Nothing published: the relaxed search finds the swap. The levels count maybes, so
    # the proof that it is exact comes from the bounds in the two measures (2 people, 3
    # yes answers), which the relaxed plan reaches.
    report = price(problem, OPTIONS)
    assert (report.people, report.yes) == (2, 2) and report.proven
    assert _gains(report)[0] == ("activity:quiz:max", 0, 1, True)

    first = _PriceSolver(problem, OPTIONS).solve().schedule
    assert {s.activity: s.attendees for s in first.sessions} == {
        "quiz": ["dan"],
        "walk": ["ann"],
        "talk": ["ann"],
        "book": ["ann"],
    }
    published = replace(problem, published=first.sessions)
    report = price(published, OPTIONS)
    assert (report.people, report.yes) == (2, 2)
    quiz = next(p for p in report.prices if p.relaxation.id == "activity:quiz:max")
    assert quiz.status == "unknown"
    assert quiz.gain_text() == "no gain found in the time given"
    # The gain is real: a plan of the relaxed scenario with Ann in the quiz keeps every rule.
    relaxed = replace(problem, scenario=quiz.relaxation.relax(problem.scenario))
    solver = _PriceSolver(relaxed, OPTIONS)
    plan = solver.solve().schedule
    assert solver.instance is not None and counts(solver.instance, plan) == (2, 3)
    assert not verify(replace(relaxed, published=first.sessions), plan)


def test_a_search_with_no_time_to_run_proves_nothing() -> None:
    """With too little time to build a model the engine returns its greedy plan: no level
    is proven (no model means no level has terms, which counted as proven), and no limit
    is called not binding on the strength of it."""
    problem = planning_input(lunch_queue())
    short = SolveOptions(time_limit=0.5, workers=1, seed=0)
    solver = _PriceSolver(problem, short)
    solver.solve()
    assert solver.vars is None  # no model was built
    assert solver.proven_levels == frozenset()

    report = price(problem, replace(short, time_limit=1.5))
    assert (report.people, report.yes) == (2, 2) and not report.proven
    by_id = {p.relaxation.id: p for p in report.prices}
    # The current plan is below the bounds (4 people, 4 yes): nothing proves the cap idle.
    assert by_id["team-cap:weekly-events"].status == "unknown"


def test_a_queue_plan_that_keeps_the_other_windows_is_the_windows_gain() -> None:
    """Service 11:00-14:00, members reachable only 12:00-13:00: the plan found with the
    floor lowered everywhere keeps the floor in every other window, so it is the window's
    gain without a search of its own."""
    problem = planning_input(lunch_queue("11:00-14:00"))
    report = price(problem, OPTIONS)
    first = report.prices[0]
    assert (first.relaxation.id, first.people_gain, first.yes_gain, first.proven) == (
        "queue-floor:phone:tue:12:00",
        1,
        1,
        True,
    )
    assert first.how == "family plan" and first.schedule is not None
    relaxed = replace(problem, scenario=first.relaxation.relax(problem.scenario))
    assert not verify(relaxed, first.schedule)


def test_a_seat_more_is_found_without_a_search() -> None:
    """With no time for any relaxed search, the venue's missing seat is still found: the
    fifth person seated in the current plan's session keeps every rule of the relaxed
    scenario (a lower bound, since no search proved it exact)."""
    data = den_for_five(capacity=4)
    problem = planning_input(data)
    report = price(problem, SolveOptions(time_limit=1.5, workers=1, seed=0))
    assert (report.people, report.yes) == (4, 4)
    first = report.prices[0]
    assert (first.relaxation.id, first.people_gain, first.yes_gain, first.proven) == (
        "venue:den:capacity",
        1,
        1,
        False,
    )
    assert first.how == "seated" and first.gain_text() == "≥ +1 people, ≥ +1 yes"
    assert first.schedule is not None
    relaxed = replace(problem, scenario=first.relaxation.relax(problem.scenario))
    assert not verify(relaxed, first.schedule) and verify(problem, first.schedule)
