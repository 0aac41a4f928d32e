"""The engine end to end: the shared example, pairing, stability, determinism, stop()."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from planner.domain.io import load_scenario
from planner.domain.planning import PlanningInput
from planner.domain.schedule import PlanStatus
from planner.solve import PlanSolver, SolveOptions, SolveProgress
from tests.factories import activity, everyone_yes, person, planning_input, scenario_data
from tests.solve.test_rules import checked, plan, solve


def _example_input(path: Path) -> PlanningInput:
    loaded = load_scenario(path)
    s = loaded.scenario
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    try:
        from planner.calendar.busy import read_busy_blocks
        from planner.domain.timeutil import zone
    except ImportError:  # pragma: no cover - written in parallel
        read_busy_blocks = None
    if read_busy_blocks is not None:
        tz = zone(s.team.timezone)
        start = datetime.combine(s.team.horizon.start, datetime.min.time(), tz)
        end = datetime.combine(s.team.horizon.end + timedelta(days=1), datetime.min.time(), tz)
        for pid, paths in loaded.calendar_paths().items():
            for p in paths:
                blocks = read_busy_blocks(p, zone=tz, start=start, end=end)
                busy.setdefault(pid, []).extend((b.start, b.end) for b in blocks)
    return PlanningInput(scenario=s, now=datetime(2027, 3, 15, 9, 0, tzinfo=UTC), busy=busy)


def test_shared_example_plans_without_violations(example_scenario: Path) -> None:
    problem = _example_input(example_scenario)
    result = PlanSolver(problem, SolveOptions(time_limit=10)).solve()
    s = result.schedule
    assert s.status is PlanStatus.optimal
    checked(problem, s)
    assert s.sessions and s.objective.gap == 0
    assert result.first_solution_seconds is not None and result.build_seconds < 2
    lunch = [x for x in s.sessions if x.activity == "team-lunch"]
    assert all(x.venue == "cafe" and x.location == "Cafeteria" for x in lunch)
    assert all("fatima" not in x.attendees for x in lunch)  # her 'no'
    quiz = [x for x in s.sessions if x.activity == "quiz-night"]
    assert all(x.start.weekday() == 3 and x.location == "The Anchor pub" for x in quiz)
    ids = [x.id for x in s.sessions]
    assert len(ids) == len(set(ids))


def _pairing_people() -> list[dict]:
    return [person(f"p{i}", ("Support", "Billing")[i % 2]) for i in range(6)]


def test_pairing_avoids_history_and_never_leaves_one_alone() -> None:
    people = _pairing_people()
    coffee = activity("coffee", kind="pairing", duration_minutes=30, sessions=3,
                      min_participants=2, max_participants=2, min_departments=2)  # fmt: skip
    pairs = [["p0", "p1"], ["p2", "p3"], ["p4", "p5"]]
    data = scenario_data(people, [coffee], everyone_yes(people, "coffee"),
                         history={"pairs": pairs})  # fmt: skip
    s = plan(data)
    groups = [x for x in s.sessions if x.activity == "coffee"]
    assert len(groups) == 3 and all(len(g.attendees) == 2 for g in groups)
    assert all(g.id.startswith("coffee#g") for g in groups)
    met = {tuple(sorted(g.attendees)) for g in groups}
    assert met.isdisjoint({tuple(p) for p in pairs})
    # Five people in pairs: someone stays out rather than alone.
    data = scenario_data(people[:5], [coffee], everyone_yes(people[:5], "coffee"))
    s = plan(data)
    assert all(len(g.attendees) == 2 for g in s.sessions)
    assert sum(len(g.attendees) for g in s.sessions) == 4


def test_published_session_stays() -> None:
    people = [person(f"p{i}", ("Support", "Billing")[i % 2]) for i in range(4)]
    data = scenario_data(people, [activity("a")], everyone_yes(people, "a"))
    first = plan(data)
    published = first.sessions[0].model_copy(update={"id": "a#7"})
    # Nothing changed: the published session comes back unchanged under its id.
    again = solve(planning_input(data, published=[published]))
    assert again.sessions[0].id == "a#7"
    assert again.sessions[0].start == published.start
    # Published at another (valid) time: it stays there rather than moving.
    wednesday = datetime.fromisoformat("2027-03-03T10:00:00+01:00")
    moved = published.model_copy(update={"start": wednesday,
                                         "end": wednesday + timedelta(hours=1)})  # fmt: skip
    again = solve(planning_input(data, published=[moved]))
    assert again.sessions[0].id == "a#7" and again.sessions[0].start == moved.start


def _published(aid: str, sid: str, at: str, attendees: list[str], venue: str | None = None) -> Any:
    from planner.domain.schedule import PlannedSession

    start = datetime.fromisoformat(at)
    end = start + timedelta(hours=1)
    return PlannedSession(
        id=sid, activity=aid, start=start, end=end, attendees=attendees, venue=venue
    )


def _venue_case() -> tuple[dict[str, Any], list[Any]]:
    venues = [
        {"id": "small", "name": "Small", "capacity": 2},
        {"id": "big", "name": "Big", "capacity": 3},
    ]
    people = [person("a"), person("b", "Billing"), person("c", "Sales")]
    prefs = {"a": {"m": "yes"}, "b": {"m": "yes"}, "c": {"m": "maybe"}}
    data = scenario_data(people, [activity("m", venues=["small", "big"])], prefs, venues=venues)
    return data, [_published("m", "m#1", "2027-03-02T10:00:00+01:00", ["a", "b"], "small")]


def _two_published_case() -> tuple[dict[str, Any], list[Any]]:
    """One session, two published ones: a+b on Tuesday, c (off Tuesday) on Wednesday."""
    people = [
        person("a"),
        person("b", "Billing"),
        person("c", "Sales", time_off=[{"start": "2027-03-02", "end": "2027-03-02"}]),
    ]
    prefs = {"a": {"m": "yes"}, "b": {"m": "yes"}, "c": {"m": "maybe"}}
    data = scenario_data(people, [activity("m")], prefs)
    return data, [
        _published("m", "m#1", "2027-03-02T10:00:00+01:00", ["a", "b"]),
        _published("m", "m#2", "2027-03-03T10:00:00+01:00", ["c"]),
    ]


def _gone_attendee_case() -> tuple[dict[str, Any], list[Any]]:
    """x, published with a, now says no to the activity."""
    people = [person("a"), person("x", "Billing"), person("c", "Sales")]
    prefs = {"a": {"m": "yes"}, "c": {"m": "yes"}, "x": {"m": "no"}}
    data = scenario_data(people, [activity("m")], prefs)
    return data, [_published("m", "m#1", "2027-03-02T10:00:00+01:00", ["a", "x"])]


def _two_at_once_case() -> tuple[dict[str, Any], list[Any]]:
    """Two sessions published at one time; one session is left to keep them."""
    people = [person("a"), person("b", "Billing"), person("c", "Sales")]
    data = scenario_data(people, [activity("m")], everyone_yes(people, "m"))
    at = "2027-03-02T10:00:00+01:00"
    return data, [_published("m", "m#1", at, ["a", "b"]), _published("m", "m#2", at, ["c"])]


def _repeat_pair_case() -> tuple[dict[str, Any], list[Any]]:
    people = [person("a"), person("b", "Billing")]
    coffee = activity("coffee", kind="pairing", duration_minutes=30, max_participants=2)
    data = scenario_data(
        people, [coffee], everyone_yes(people, "coffee"), history={"pairs": [["a", "b"]]}
    )
    return data, []


def test_a_published_session_is_kept_only_in_its_venue() -> None:
    """Stability counts a session as kept at its start *and venue*: moving to the bigger
    room would seat one more ``maybe`` (the satisfaction level), which keeping outranks."""
    data, published = _venue_case()
    got = solve(planning_input(data, published=published))
    assert [(s.id, s.start, s.venue, s.attendees) for s in got.sessions] == [
        ("m#1", published[0].start, "small", ["a", "b"])
    ]


def test_published_attendees_count_only_where_their_session_is_kept() -> None:
    """Of two published sessions only one can be kept (one session left): the one whose
    two people stay outranks the one with one, although moving would seat a ``maybe``."""
    data, published = _two_published_case()
    got = solve(planning_input(data, published=published))
    assert [(s.id, s.start, s.attendees) for s in got.sessions] == [
        ("m#1", published[0].start, ["a", "b"])
    ]


@pytest.mark.parametrize(
    ("case", "at", "venue", "people", "level"),
    [
        # in the other venue: not kept, so no stability at all
        (_venue_case, "2027-03-02T10:00:00+01:00", "big", ["a", "b", "c"], 4),
        # kept without b: b's stay counts nothing
        (_venue_case, "2027-03-02T10:00:00+01:00", "small", ["a", "c"], 4),
        # at another time: nothing is kept
        (_gone_attendee_case, "2027-03-03T10:00:00+01:00", None, ["a", "c"], 4),
        # one session keeps one published session, not both
        (_two_at_once_case, "2027-03-02T10:00:00+01:00", None, ["a", "b", "c"], 4),
        # kept on Wednesday: a and b are "still in" nothing that is kept
        (_two_published_case, "2027-03-03T10:00:00+01:00", None, ["a", "b", "c"], 4),
        # kept: x is not in it (x cannot attend at all)
        (_gone_attendee_case, "2027-03-02T10:00:00+01:00", None, ["a", "c"], 4),
        # a repeated pair costs its units
        (_repeat_pair_case, "2027-03-02T10:00:00+01:00", None, ["a", "b"], 3),
    ],
    ids=[
        "venue",
        "left-out",
        "moved",
        "two-at-once",
        "stays-where-kept",
        "gone-attendee",
        "repeat-pair",
    ],
)
def test_the_model_never_values_a_plan_above_what_it_is_worth(
    case: Any, at: str, venue: str | None, people: list[str], level: int
) -> None:
    """With one plan's decisions fixed, the most the model's objective terms of ``level``
    can reach is the plan's value as :meth:`PlanSolver.evaluate` computes it from the plan
    itself: an objective literal left free by a missing link would overstate it (the
    search may still stumble on the right plan, so only this asks the model alone)."""
    from ortools.sat.python import cp_model

    from planner.solve.engine import Placement

    data, published = case()
    solver = PlanSolver(planning_input(data, published=published), SolveOptions(workers=1))
    solver.prepare()
    model = solver.build()
    instance, vars = solver.instance, solver.vars
    assert instance is not None and vars is not None
    a = instance.activities[0]
    s = a.sessions[0]
    t = instance.grid.slot_at(datetime.fromisoformat(at))
    k = next(i for i, c in enumerate(a.candidates) if int(c) == t)
    who = sorted(instance.person_index[p] for p in people)
    v = instance.venue_index[venue] if venue is not None else None
    day = int(instance.grid.day[a.candidates[k]])
    for other, lit in vars.held.items():
        model.add(lit == int(other == s))
    for i, y in enumerate(vars.y[s]):
        model.add(y == int(i == k))
    for u, lit in vars.venue.get(s, {}).items():
        model.add(lit == int(u == v))
    for (p, sx), days in vars.x.items():
        for d, lit in days.items():
            model.add(lit == int(sx == s and p in who and d == day))
    model.maximize(solver.level_exprs[level])
    cp = cp_model.CpSolver()
    cp.parameters.num_workers = 1
    cp.parameters.random_seed = 0
    assert cp.solve(model) == cp_model.OPTIMAL
    values, _kept = solver.evaluate([Placement(s, k, v, who)])
    assert round(cp.objective_value) == values[level]


def _two_published_groups() -> tuple[datetime, list[Any]]:
    """Two pairing groups published at the same time (Tue 10:00): p0+p1 and p2+p3."""
    from planner.domain.schedule import PlannedSession

    at = datetime.fromisoformat("2027-03-02T10:00:00+01:00")
    end = at + timedelta(minutes=30)
    return at, [
        PlannedSession(
            id="coffee#g1", activity="coffee", start=at, end=end, attendees=["p0", "p1"]
        ),
        PlannedSession(
            id="coffee#g2", activity="coffee", start=at, end=end, attendees=["p2", "p3"]
        ),
    ]


def _coffee() -> dict[str, Any]:
    return activity(
        "coffee",
        kind="pairing",
        duration_minutes=30,
        sessions=2,
        min_participants=2,
        max_participants=2,
    )


def test_kept_ids_follow_the_people_not_the_session_order() -> None:
    from planner.solve.engine import Placement

    people = [person(f"p{i}", ("Support", "Billing")[i % 2]) for i in range(4)]
    week = {"horizon": {"start": "2027-03-01", "end": "2027-03-05"}}
    data = scenario_data(people, [_coffee()], everyone_yes(people, "coffee"), team=week)
    at, published = _two_published_groups()
    solver = PlanSolver(planning_input(data, published=published), SolveOptions(workers=1))
    solver.prepare()
    solver.build()
    instance = solver.instance
    assert instance is not None
    a = instance.activities[0]
    k = next(i for i, t in enumerate(a.candidates) if int(t) == instance.grid.slot_at(at))
    first, second = a.sessions
    ix = instance.person_index
    for s01, s23 in ((first, second), (second, first)):  # either session order
        plan_ = [
            Placement(s01, k, None, [ix["p0"], ix["p1"]]),
            Placement(s23, k, None, [ix["p2"], ix["p3"]]),
        ]
        values, kept = solver.evaluate(plan_[::-1])  # the p2+p3 group listed first
        assert kept == {s01: "coffee#g1", s23: "coffee#g2"}
        assert values[4] == 2 * (5 + 2)  # both kept, with all their people


def test_one_session_keeps_one_published_session() -> None:
    """Two groups published at one time are kept by two sessions at that time, never by one
    counted twice (which once made a worse plan "optimal")."""
    people = [person(f"p{i}", ("Support", "Billing")[i % 2]) for i in range(6)]
    b = activity(
        "b",
        duration_minutes=30,
        min_participants=2,
        windows=[{"days": ["tue"], "time": "10:00-10:30"}],
    )
    prefs = {
        "p0": {"coffee": "yes"},
        "p1": {"coffee": "yes"},
        "p2": {"b": "yes"},
        "p3": {"b": "yes"},
        "p4": {"coffee": "yes", "b": "yes"},
        "p5": {"coffee": "yes", "b": "yes"},
    }
    data = scenario_data(
        people,
        [_coffee(), b],
        prefs,
        team={"horizon": {"start": "2027-03-01", "end": "2027-03-05"}},
        policy={"max_events_per_day": 3, "max_events_per_week": 5},
    )
    at, published = _two_published_groups()
    problem = planning_input(data, published=published)
    result = PlanSolver(problem, SolveOptions(time_limit=10, workers=1, seed=0)).solve()
    checked(problem, result.schedule)
    assert result.schedule.status is PlanStatus.optimal
    # The best plan keeps both groups' time: p0+p1 and p4+p5 at 10:00, p2+p3 at b.
    coffee = [s for s in result.schedule.sessions if s.activity == "coffee"]
    assert sorted(s.id for s in coffee) == ["coffee#g1", "coffee#g2"]
    assert all(s.start == at for s in coffee)


def test_deterministic_with_one_worker() -> None:
    people = [person(f"p{i}", ("Support", "Billing", "Sales")[i % 3]) for i in range(12)]
    acts = [activity("a", sessions=2, max_participants=4), activity("b"), activity("c")]
    prefs = everyone_yes(people, "a", "b", "c")
    data = scenario_data(people, acts, prefs)
    opts = SolveOptions(time_limit=10, workers=1, seed=3)
    runs = [plan(data, opts) for _ in range(2)]
    assert runs[0].sessions == runs[1].sessions
    assert runs[0].objective == runs[1].objective
    # Two workers may pick a different plan of the same quality.
    other = plan(data, SolveOptions(time_limit=10, workers=2, seed=3))
    assert other.objective.value == runs[0].objective.value


def test_progress_and_stop() -> None:
    people = [person(f"p{i}", ("Support", "Billing", "Sales")[i % 3]) for i in range(30)]
    acts = [activity(f"a{i}", sessions=3, max_participants=5) for i in range(6)]
    problem = planning_input(
        scenario_data(people, acts, everyone_yes(people, *[a["id"] for a in acts]))
    )
    solver = PlanSolver(problem, SolveOptions(time_limit=30))
    seen: list[SolveProgress] = []
    timer = threading.Timer(2.0, solver.stop)
    timer.start()
    result = solver.solve(seen.append)
    timer.cancel()
    assert result.schedule.solve_seconds < 10
    assert result.schedule.status in (PlanStatus.feasible, PlanStatus.optimal)
    checked(problem, result.schedule)
    if result.stopped:
        assert result.schedule.status is PlanStatus.feasible
    for p in seen:
        assert p.bound >= p.objective and 0 <= p.gap <= 1


def test_stop_before_solve_returns_unknown() -> None:
    people = [person(f"p{i}") for i in range(3)]
    problem = planning_input(scenario_data(people, [activity("a")], everyone_yes(people, "a")))
    solver = PlanSolver(problem, SolveOptions(time_limit=5))
    solver.stop()
    result = solver.solve()
    assert result.stopped and result.schedule.status is PlanStatus.unknown
    assert result.schedule.sessions == []


def _mixed_problem() -> PlanningInput:
    """Small, proven optimal in well under a second, and the greedy plan is below the
    optimum on every level (so CP-SAT's phases and bounds are what the tests see)."""
    people = [
        person(
            f"p{i}",
            ("Support", "Billing", "Sales")[i % 3],
            **({"max_events_per_week": 1} if i % 3 == 0 else {}),
        )
        for i in range(14)
    ]
    acts = [
        activity("a", sessions=2, max_participants=4, min_departments=2),
        activity("b", max_participants=5),
        activity("c", max_participants=3, min_departments=3),
    ]
    prefs = everyone_yes(people, "a", "b", "c")
    for i, p in enumerate(people):
        if i % 4 == 0:
            prefs[p["id"]]["b"] = "maybe"
        if i % 5 == 0:
            prefs[p["id"]]["c"] = "no"
        if i % 3 == 1:
            prefs[p["id"]]["a"] = "no"
    return planning_input(scenario_data(people, acts, prefs))


def test_reported_bounds_hold_for_the_real_problem(monkeypatch: Any) -> None:
    """Every bound reported on the way (greedy plan, restricted model) is >= the optimum."""
    from planner.solve import neighbourhood, objective

    problem = _mixed_problem()
    best = PlanSolver(problem, SolveOptions(time_limit=20, workers=2, seed=1))
    optimum = best.solve().schedule
    assert optimum.status is PlanStatus.optimal and optimum.objective.gap == 0
    values = best.evaluate(best.placements)[0]
    assert all(values[lv] <= best.level_upper[lv] for lv in objective.LEVEL_ORDER)
    assert best.evaluate(best.hint)[0][1] < values[1]  # the greedy plan is not the optimum
    # Stopped at the greedy plan: the bound is the combinatorial one.
    early = PlanSolver(problem, SolveOptions(time_limit=20, workers=2, seed=1))
    seen: list[SolveProgress] = []

    def halt(p: SolveProgress) -> None:
        seen.append(p)
        early.stop()

    result = early.solve(halt)
    assert seen and result.first_solution_seconds is not None
    assert result.first_solution_seconds <= result.build_seconds
    assert result.schedule.status is PlanStatus.feasible
    assert result.schedule.objective.bound >= optimum.objective.value
    assert all(p.bound >= optimum.objective.value for p in seen)
    # Neighbourhoods on a small model: CP-SAT's bound is not used, the result stays honest.
    monkeypatch.setattr(neighbourhood, "LINK_LIMIT", 0)
    monkeypatch.setattr(neighbourhood, "LINK_FACTOR", 1)
    small = PlanSolver(problem, SolveOptions(time_limit=5, workers=2, seed=1))
    restricted = small.solve().schedule
    assert small.restricted
    checked(problem, restricted)
    assert restricted.objective.bound >= optimum.objective.value
    assert restricted.objective.value <= optimum.objective.value


def test_phases_keep_the_lexicographic_order() -> None:
    """Level 1 (people with a yes placed) is never traded for satisfaction or mixing."""
    problem = _mixed_problem()
    solver = PlanSolver(problem, SolveOptions(time_limit=20, workers=2, seed=1))
    s = solver.solve().schedule
    checked(problem, s)
    values = solver.evaluate(solver.placements)[0]
    assert s.status is PlanStatus.optimal
    assert values[1] == solver.level_upper[1]  # the most people with a yes any plan can have
    greedy_values = solver.evaluate(solver.hint)[0]
    assert all(greedy_values[lv] < values[lv] for lv in (1, 2, 3))  # every phase had work


def test_bench_plan_stays_under_the_combinatorial_bounds() -> None:
    """On a generated organisation every level of the plan is within its bound, and the
    people-with-a-yes bound the bench prints holds for the engine's plan."""
    from planner.bench.baseline import yes_placed
    from planner.bench.orgs import generate
    from planner.solve.objective import LEVEL_ORDER, yes_people_bound

    problem = generate("S")
    solver = PlanSolver(problem, SolveOptions(time_limit=3, workers=2, seed=0))
    result = solver.solve()
    checked(problem, result.schedule)
    values = solver.evaluate(solver.placements)[0]
    assert all(values[lv] <= solver.level_upper[lv] for lv in LEVEL_ORDER)
    assert solver.instance is not None
    assert yes_placed(problem, result.schedule) <= yes_people_bound(solver.instance)
    assert result.schedule.objective.bound >= result.schedule.objective.value
    # The greedy plan is reported before the model is built (no wall-clock threshold).
    assert result.first_solution_seconds is not None
    assert result.first_solution_seconds <= result.build_seconds


def test_probe_proves_only_what_no_plan_beats() -> None:
    """A probe's "proven" must mean that no plan reaches the target (it ends phases)."""
    import time

    from ortools.sat.python import cp_model

    from planner.solve.engine import _Probed

    people = [person(f"p{i}", ("Support", "Billing", "Sales")[i % 3]) for i in range(9)]
    acts = [activity("a", sessions=2, max_participants=3), activity("b", max_participants=4)]
    problem = planning_input(scenario_data(people, acts, everyone_yes(people, "a", "b")))
    solver = PlanSolver(problem, SolveOptions(time_limit=10, workers=2, seed=0))
    solver.prepare()
    model = solver.build()
    level = solver.level_exprs[2]
    model.maximize(level)
    direct = cp_model.CpSolver()
    direct.parameters.num_workers = 1
    assert direct.solve(model) == cp_model.OPTIMAL
    best = int(direct.objective_value)
    assert best > 0
    model.clear_objective()
    end = time.monotonic() + 10
    assert solver._probe(model, (2,), best + 1, None, end, 0) == "proven"
    found = solver._probe(model, (2,), best, None, end, 0)
    assert isinstance(found, _Probed) and found.reached == best and found.placements
    # From the top: ceilings above the best are refuted one by one, then the plan at the
    # best is found, and that proves it.
    proven, last, ceiling = solver._probe_down(model, (2,), 0, 0, best + 2, None, end, 10)
    assert proven and ceiling == best
    assert last is not None and last.reached == best


def test_now_after_the_horizon_plans_nothing_and_reports_progress() -> None:
    people = [person(f"p{i}") for i in range(4)]
    data = scenario_data(people, [activity("a")], everyone_yes(people, "a"))
    problem = planning_input(data, now=datetime(2030, 1, 1, tzinfo=UTC))
    seen: list[SolveProgress] = []
    result = PlanSolver(problem, SolveOptions(time_limit=5, workers=2)).solve(seen.append)
    assert seen
    assert result.schedule.sessions == [] and result.schedule.not_held
    checked(problem, result.schedule)
