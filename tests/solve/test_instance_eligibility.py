"""The array path of :func:`build_instance`'s eligibility (every rule on) decides exactly
as the per-person path (rules switched off), on a round with every case in it: declined
RSVPs, required seats with a ``no``, with no answer and paused, zero caps, unmet needs."""

from __future__ import annotations

from planner.bench.orgs import NOW, scenario
from planner.domain.models import Answer
from planner.domain.planning import PlanningInput
from planner.solve.instance import Instance, build_instance


def _tricky() -> PlanningInput:
    sc = scenario("M")
    people = list(sc.people)
    prefs = {pid: dict(per) for pid, per in sc.preferences.items()}
    acts = list(sc.activities)
    # Zero caps of each kind on a few people who answered something.
    answered = [p for p in people if prefs.get(p.id)]
    for k, field in enumerate(
        ("max_events_per_week", "max_events_per_day", "max_minutes_per_week")
    ):
        i = people.index(answered[k])
        people[i] = people[i].model_copy(update={field: 0})
    # Needs no venue meets, and needs only some venues meet.
    needy = answered[3:6]
    for p, needs in zip(needy, (["stairs-free"], ["quiet"], []), strict=True):
        i = people.index(p)
        people[i] = people[i].model_copy(update={"needs": needs})
    # Required seats: one who said no, one with no answer, two paused, one plain yes.
    a0 = acts[0]
    said_no = answered[6].id
    prefs[said_no][a0.id] = Answer.no
    silent = next(p.id for p in people if a0.id not in prefs.get(p.id, {}))
    yes = next(p.id for p in answered[7:] if prefs[p.id].get(a0.id) is Answer.yes)
    acts[0] = a0.model_copy(
        update={"required": [said_no, silent, answered[0].id, answered[1].id, yes]}
    )
    declined = frozenset(
        (p.id, a.id) for p, a in zip(answered[10:40], acts * 3, strict=False) if a.id in prefs[p.id]
    )
    return PlanningInput(
        scenario=sc.model_copy(update={"people": people, "preferences": prefs, "activities": acts}),
        now=NOW,
        declined=declined,
    )


def _tables(inst: Instance) -> list[tuple[object, ...]]:
    return [
        (
            a.eligible,
            a.answers,
            {p: v.tolist() for p, v in a.avail.items()},
            a.person_venues,
            a.required,
            a.required_blocked,
            a.candidates.tolist(),
            a.sessions,
        )
        for a in inst.activities
    ]


def test_array_eligibility_decides_as_the_per_person_one() -> None:
    problem = _tricky()
    fast = build_instance(problem)
    # A rule switched off for nobody: the per-person path, with every rule in force.
    slow = build_instance(problem, frozenset({"opted_out:nobody-has-this-id"}))
    assert _tables(fast) == _tables(slow)
    first = fast.activities[0]
    rules = {rule for _, rule in first.required_blocked}
    assert rules >= {"opted_out", "weekly_events_cap", "daily_cap"}
    assert sum(len(a.eligible) for a in fast.activities) > 1000
