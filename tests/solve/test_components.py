"""Independent components (issue 17): a round of sites that share no person, venue or queue
is solved part by part, and the plan is the one the whole model finds.

Hypothesis runs derandomised, as in ``test_properties.py``.
"""

from __future__ import annotations

import threading
import time
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from planner.bench.orgs import NOW as BENCH_NOW
from planner.bench.orgs import sites_data
from planner.domain.errors import InputError
from planner.domain.io import validate_scenario
from planner.domain.planning import PlanningInput
from planner.solve.components import components, restrict
from planner.solve.engine import PlanSolver, SolveOptions, SolveProgress, promised_seconds
from planner.solve.instance import build_instance
from planner.solve.price import price
from planner.solve.verify import verify
from tests.factories import NOW, activity, person, planning_input, scenario_data

PROPERTY = settings(
    derandomize=True,
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def two_sites(
    *, venue: bool = False, person_in_both: bool = False, queue: bool = False
) -> dict[str, Any]:
    """Site a (ann, ben, cat) and site b (dan, eve, fay), one lunch each; optionally one
    venue both lunches list, ann also answering b's lunch, or one queue with a member on
    each site."""
    people = [
        person("ann", queues=["phone"] if queue else []),
        person("ben", "Billing"),
        person("cat"),
        person("dan", queues=["phone"] if queue else []),
        person("eve", "Billing"),
        person("fay"),
    ]
    rooms = ["room-a", "room-b"]
    venues = [{"id": r, "name": r.capitalize(), "capacity": 6} for r in rooms]
    lunches = [
        activity("lunch-a", venues=["room-a"]),
        activity("lunch-b", venues=["room-a" if venue else "room-b"]),
    ]
    prefs = {p: {"lunch-a": "yes"} for p in ("ann", "ben", "cat")}
    prefs |= {p: {"lunch-b": "yes"} for p in ("dan", "eve", "fay")}
    if person_in_both:
        prefs["ann"]["lunch-b"] = "maybe"
    queues = [{"id": "phone", "name": "Phone", "min_on_duty": 0}] if queue else []
    return scenario_data(people, lunches, prefs, venues=venues, queues=queues)


def parts_of(data: dict[str, Any]) -> list[list[int]]:
    return components(build_instance(planning_input(data)))


def test_two_sites_sharing_nothing_are_two_components() -> None:
    assert parts_of(two_sites()) == [[0], [1]]


@pytest.mark.parametrize("shared", ["venue", "person_in_both", "queue"])
def test_one_shared_venue_person_or_queue_makes_one_component(shared: str) -> None:
    assert parts_of(two_sites(**{shared: True})) == [[0, 1]]


def test_a_view_keeps_global_indices_and_only_its_sessions() -> None:
    instance = build_instance(planning_input(two_sites()))
    view = restrict(instance, [1])
    assert [len(a.sessions) for a in view.activities] == [0, 1]
    assert view.activities[1].sessions == instance.activities[1].sessions
    assert view.people is instance.people and view.sessions is instance.sessions
    assert view.activities[1] is not instance.activities[1]  # its links stay in the view
    assert components(view) == [[1]]


# --------------------------------------------------------------------------- exactness

DEPARTMENTS = ("Support", "Billing", "Sales")
ZONES = (None, "Europe/London", "America/New_York")
DAYS = ("2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05")


TIGHT = {"windows": [{"date": "2027-03-02", "time": "14:00-15:00"}], "duration_minutes": 60,
         "sessions": 1, "max_participants": 4}  # fmt: skip
"""The first activity of each linked site: one possible start, the same for both, so a
shared venue, queue or person binds (a split that missed the link breaks a rule). The
first two people of a linked site can always come (no other zone, no time off)."""


@st.composite
def sites(draw: st.DrawFn) -> dict[str, Any]:
    """2-3 sites of 2-5 people and 1-3 activities, each with its own venue and queue;
    sometimes sites 1 and 2 share a venue, a queue (with a floor that lets three of its
    members away at once) or a person (with one event a week) in activities held at the
    same time, so the components must follow those links; site 0 always stands alone."""
    link = draw(st.sampled_from((None, "venue", "queue", "person")))
    n_sites = 3 if link else draw(st.integers(2, 3))
    people: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    venues: list[dict[str, Any]] = []
    queues: list[dict[str, Any]] = []
    prefs: dict[str, dict[str, str]] = {}
    pairs: list[list[str]] = []
    missed: list[str] = []
    answers = st.sampled_from(("yes", "yes", "maybe", "no", None))
    for k in range(n_sites):
        linked = link is not None and k >= 1
        queue = "phone-1" if link == "queue" and linked else f"phone-{k}"
        room = "room-1" if link == "venue" and linked else f"room-{k}"
        if room == f"room-{k}":
            venues.append({"id": room, "name": f"Room {k}", "capacity": draw(st.integers(2, 6))})
        if queue == f"phone-{k}" and (link == "queue" or draw(st.booleans())):
            queues.append({"id": queue, "name": f"Phone {k}", "min_on_duty": 1})
        has_queue = any(q["id"] == queue for q in queues)
        site_people = []
        for i in range(draw(st.integers(2, 5))):
            extra: dict[str, Any] = {}
            plain = linked and i < 2
            if (tz := draw(st.sampled_from(ZONES))) and not plain:
                extra["timezone"] = tz
            if has_queue and ((link == "queue" and linked) or draw(st.booleans())):
                extra["queues"] = [queue]
            if draw(st.integers(0, 3)) == 0 and not plain:
                day = draw(st.sampled_from(DAYS))
                extra["time_off"] = [{"start": day, "end": day}]
            if (draw(st.integers(0, 3)) == 0 and not plain) or (
                link == "person" and k == 1 and i == 0
            ):
                extra["max_events_per_week"] = 1
            if draw(st.integers(0, 4)) == 0:
                extra["after_hours"] = True
            pid = f"s{k}p{i}"
            site_people.append(person(pid, draw(st.sampled_from(DEPARTMENTS)), **extra))
        site_acts = []
        for j in range(draw(st.integers(1, 3))):
            extra = {
                "duration_minutes": draw(st.sampled_from((30, 60, 90))),
                "sessions": draw(st.integers(1, 2)),
                "min_participants": 2,
                "max_participants": draw(st.integers(2, 4)),
            }
            if linked and j == 0:
                extra.update(TIGHT, venues=[room])
            else:
                if draw(st.integers(0, 2)) == 0:
                    extra["min_departments"] = 2
                if draw(st.integers(0, 2)) == 0:
                    extra["venues"] = [room]
                if draw(st.integers(0, 3)) == 0:
                    extra["windows"] = [{"days": ["tue", "thu"], "time": "13:00-16:00"}]
                if draw(st.integers(0, 4)) == 0:
                    extra["required"] = [f"s{k}p{draw(st.integers(0, len(site_people) - 1))}"]
                if draw(st.integers(0, 4)) == 0:
                    extra.update(kind="pairing", sessions=2, max_participants=3)
                    extra.pop("venues", None)
            site_acts.append(activity(f"s{k}a{j}", **extra))
        for p in site_people:
            for j, a in enumerate(site_acts):
                ans = "yes" if linked and j == 0 else draw(answers)
                if ans is not None:
                    prefs.setdefault(p["id"], {})[a["id"]] = ans
        if len(site_people) >= 2 and draw(st.booleans()):
            pairs.append([site_people[0]["id"], site_people[1]["id"]])
        if draw(st.integers(0, 2)) == 0:
            missed.append(site_people[-1]["id"])
        people += site_people
        activities += site_acts
    if link == "person":
        prefs["s1p0"]["s2a0"] = "yes"  # one event a week, wanted at the same time twice
    if link == "queue":
        members = sum(1 for p in people if p.get("queues") == ["phone-1"])
        next(q for q in queues if q["id"] == "phone-1")["min_on_duty"] = max(1, members - 3)
    policy = {"max_events_per_day": draw(st.integers(1, 2))}
    return scenario_data(
        people,
        activities,
        prefs,
        venues=venues,
        queues=queues,
        policy=policy,
        history={"pairs": pairs, "missed_out": missed},
    )


def _solve(problem: PlanningInput, decompose: bool) -> tuple[PlanSolver, Any]:
    solver = PlanSolver(problem, SolveOptions(time_limit=5, workers=1, seed=0))
    solver.decompose = decompose
    return solver, solver.solve()


def test_decomposed_plan_scores_what_the_whole_model_scores() -> None:
    """Property: on generated rounds of independent sites, the plan found part by part
    passes ``verify`` and has the per-level values (and weighted objective) of the plan
    the whole model finds, when both are proven optimal; and most rounds are."""
    outcomes: list[bool] = []
    """Per generated round: whether it was compared (decomposed and both proven)."""

    @PROPERTY
    @given(sites())
    def check(data: dict[str, Any]) -> None:
        try:
            scenario = validate_scenario(data, "sites.toml")
        except InputError:
            assume(False)
            return
        problem = PlanningInput(scenario=scenario, now=NOW)
        parts, split = _solve(problem, decompose=True)
        whole, joint = _solve(problem, decompose=False)
        assert parts.instance is not None
        decomposed = len(components(parts.instance)) > 1
        proven = split.schedule.status.value == joint.schedule.status.value == "optimal"
        outcomes.append(decomposed and proven)
        assume(decomposed)
        assert parts.vars is None and whole.vars is not None  # part by part, not whole
        violations = verify(problem, split.schedule)
        assert violations == [], "\n".join(v.render() for v in violations)
        assume(proven)
        assert parts.evaluate(parts.placements)[0] == whole.evaluate(whole.placements)[0]
        assert split.schedule.objective.value == joint.schedule.objective.value
        assert split.schedule.objective.bound == split.schedule.objective.value

    check()
    assert sum(outcomes) >= 0.8 * len(outcomes), f"{sum(outcomes)} of {len(outcomes)} compared"


def test_an_infeasible_part_makes_the_round_infeasible_with_its_conflicts() -> None:
    data = two_sites()
    data["activities"][1].update(must_hold=True, min_participants=5)  # three people at b
    problem = planning_input(data)
    found = []
    for decompose in (True, False):
        solver = PlanSolver(problem, SolveOptions(time_limit=5, workers=1, seed=0))
        solver.decompose = decompose
        schedule = solver.solve().schedule
        assert (solver.vars is None) is decompose
        assert schedule.status.value == "infeasible" and not schedule.sessions
        found.append(schedule.conflicts)
    assert found[0] == found[1] and found[0]  # diagnosed on the whole round


def test_prices_of_a_round_with_parts_are_searched_whole() -> None:
    """The price list reads the whole model's proofs: on a round of two sites its relaxed
    searches are examined, not skipped as unsearched (a regression guard: it failed with
    the decomposition before ``_PriceSolver`` turned it off)."""
    data = two_sites()
    data["activities"][0]["max_participants"] = 2  # three say yes to lunch a
    report = price(planning_input(data), SolveOptions(time_limit=10, workers=1, seed=0))
    hows = {p.relaxation.id: (p.status, p.how) for p in report.prices}
    assert hows["activity:lunch-a:max"][0] == "gain"
    assert all(how != "not examined" for _, how in hows.values()), hows


# --------------------------------------------------------------------------- time and stop


@pytest.fixture(scope="module")
def four_sites() -> PlanningInput:
    """Bench L cut into four sites (2,000 people, 40 activities, four components)."""
    scenario = validate_scenario(sites_data("L", 4), "sites.json")
    return PlanningInput(scenario=scenario, now=BENCH_NOW)


def test_time_limit_holds_when_the_round_has_parts(four_sites: PlanningInput) -> None:
    limit = 6.0
    solver = PlanSolver(four_sites, SolveOptions(time_limit=limit, workers=2, seed=0))
    seen: list[SolveProgress] = []
    began = time.monotonic()
    result = solver.solve(seen.append)
    elapsed = time.monotonic() - began
    assert solver.instance is not None and len(components(solver.instance)) == 4
    assert solver.vars is None  # part by part
    assert result.schedule.status.value in ("feasible", "optimal")
    assert result.schedule.sessions
    assert elapsed <= promised_seconds(limit), f"{elapsed:.1f} s for a {limit} s limit"
    assert verify(four_sites, result.schedule) == []
    # The merged plan is reported as the parts improve, ending at the result's numbers.
    assert len(seen) >= 3
    assert all(a.objective <= b.objective for a, b in pairwise(seen))
    assert all(p.objective <= p.bound for p in seen)
    objective = result.schedule.objective
    assert (seen[-1].objective, seen[-1].bound) == (objective.value, objective.bound)


def test_stop_during_a_part_returns_the_merged_best_plan(four_sites: PlanningInput) -> None:
    solver = PlanSolver(four_sites, SolveOptions(time_limit=120, workers=2, seed=0))
    during: list[bool] = []

    def stop_in_a_part() -> None:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            part = getattr(solver, "_part", None)
            if part is not None and part.vars is not None:  # the part's model exists
                time.sleep(0.5)  # into its search
                break
            time.sleep(0.05)
        during.append(getattr(solver, "_part", None) is not None)
        solver.stop()

    stopper = threading.Thread(target=stop_in_a_part, daemon=True)
    began = time.monotonic()
    stopper.start()
    result = solver.solve()
    elapsed = time.monotonic() - began
    stopper.join()
    assert during == [True]
    assert result.stopped and elapsed < 60
    schedule = result.schedule
    assert schedule.status.value == "feasible"
    assert verify(four_sites, schedule) == []
    # Every site has sessions in the plan: the parts solved, the stopped one's best plan
    # and the greedy plan of the ones not reached.
    sites_held = {s.activity.split("-")[0] for s in schedule.sessions}
    assert sites_held == {"s1", "s2", "s3", "s4"}
    assert schedule.objective.value <= schedule.objective.bound
