"""``planner bench --price``'s planted scenario: limits known to bind, beside bench M."""

from __future__ import annotations

from dataclasses import replace

from planner.bench.orgs import generate
from planner.bench.price import GainLine, planted
from planner.solve.instance import build_instance
from planner.solve.price import measure_bounds, relaxations


def test_planted_adds_three_binding_limits_to_m_deterministically() -> None:
    m, one, again = generate("M", 0).scenario, planted(0).scenario, planted(0).scenario
    assert one.model_dump() == again.model_dump()
    assert len(one.people) == len(m.people) + 8
    assert one.policy.max_events_per_week == 1
    desk = next(q for q in one.queues if q.id == "front-desk")
    members = [p for p in one.people if "front-desk" in p.queues]
    assert desk.min_on_duty == len(members) == 2
    den = next(v for v in one.venues if v.id == "small-den")
    wanted = sum(1 for a in one.preferences.values() if a.get("den-games") is not None)
    assert den.capacity == 3 < wanted == 4
    ids = {r.id for r in relaxations(one)}
    assert {
        "queue-floor:front-desk:tue:12:00",
        "venue:small-den:capacity",
        "team-cap:weekly-events",
    } <= ids


def test_the_planted_venue_raises_the_bound_by_its_missing_seat() -> None:
    """The Small den's fourth player is out only for want of a seat: one more seat raises
    both measures' bounds by exactly one."""
    problem = planted(0)
    by_id = {r.id: r for r in relaxations(problem.scenario)}
    before = measure_bounds(build_instance(problem))
    relaxed = by_id["venue:small-den:capacity"].relax(problem.scenario)
    after = measure_bounds(build_instance(replace(problem, scenario=relaxed)))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_a_re_solve_verdict_tells_a_wrong_claim_from_a_slow_re_plan() -> None:
    def line(again: tuple[int, int] | None, **kw: bool) -> GainLine:
        fields = {"proven": False, "reproduced": True, "reached": False, "plan_holds": True}
        fields.update(kw)
        return GainLine("limit", 1, 1, again=again, **fields)

    assert line((1, 1), reached=True).verdict == "reproduced"
    assert line((0, 1)).verdict == "lower"
    assert line((0, 0)).verdict == "plan only"
    assert line((0, 0), reproduced=False, plan_holds=False).verdict == "MISMATCH"
