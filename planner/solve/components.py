"""Independent components of a round: groups of activities that share nothing.

A round whose activities fall into groups with no eligible person, no venue and no queue
in common (sites in different cities with their own rooms, phone queues and people) is
several independent problems, and solving each alone is exact. What links two activities
in the model, rule by rule (``planner/solve/rules/`` and ``objective.py``):

* **a person** eligible in both: ``caps`` (daily, weekly and minutes caps, overlap) and
  the level-1 term "placed in one of their ``yes`` activities" (``objective.build``) are
  per person, across activities;
* **a venue** both may use: ``venues`` (``venue_conflict``: one session per venue at a
  time) is per venue;
* **a queue** with a member eligible in each (possibly two different members):
  ``coverage`` (``coverage_floor``) is one cumulative constraint per queue over every
  session its members may attend.

Nothing else spans activities: ``timing`` (one start per session, ``must_hold``, the
symmetry order), ``attendance`` (eligibility, one session per activity, required people,
capacity), ``mixing`` (per session) and ``stability`` (a published session is kept by a
session of its own activity) are per activity or per session; ``pairing``'s history pairs
are counted inside one pairing activity's groups; the static bans (horizon, notice,
protected and activity windows, time off, busy, queue floors that can never be met) were
applied to each activity's candidates when the instance was built. The redundant
``level <= bound`` cuts of :meth:`~planner.solve.engine.PlanSolver.build` are the one
global piece: a part's solver computes its own bounds on its view
(:func:`~planner.solve.objective.level_bounds` only counts activities that have
sessions), so the cuts become per component.

The objective levels are sums over people, sessions and published sessions, so each is
the sum of the parts' values, and the lexicographic optimum of a sum of independent parts
is the combination of each part's lexicographic optimum (the first level's maximum is
reached only with every part at its maximum, and so on down the order).
"""

from __future__ import annotations

from dataclasses import replace

from planner.solve.instance import Instance


def components(instance: Instance) -> list[list[int]]:
    """Activity indices per independent component, each sorted, in order of their first
    activity. Only activities that have sessions count (the others have no decisions)."""
    active = [a.index for a in instance.activities if a.sessions]
    parent = {ai: ai for ai in active}

    def find(ai: int) -> int:
        while parent[ai] != ai:
            parent[ai] = parent[parent[ai]]  # path halving
            ai = parent[ai]
        return ai

    def link(owner: dict[int, int], key: int, ai: int) -> None:
        """Join ``ai`` with the first activity seen holding ``key`` (a person, venue or
        queue)."""
        first = owner.setdefault(key, ai)
        if first != ai:
            parent[find(first)] = find(ai)

    by_person: dict[int, int] = {}
    by_venue: dict[int, int] = {}
    by_queue: dict[int, int] = {}
    queues_of: dict[int, list[int]] = {}
    for qi, q in enumerate(instance.queues):
        for m in q.members:
            queues_of.setdefault(m, []).append(qi)
    for ai in active:
        a = instance.activities[ai]
        for p in a.eligible:
            link(by_person, p, ai)
            for qi in queues_of.get(p, ()):
                link(by_queue, qi, ai)
        for v in a.venues:
            link(by_venue, v, ai)
    groups: dict[int, list[int]] = {}
    for ai in active:
        groups.setdefault(find(ai), []).append(ai)
    return list(groups.values())


def restrict(instance: Instance, activities: list[int]) -> Instance:
    """A view of ``instance`` in which only ``activities`` have sessions.

    Indices stay global (people, sessions, activities, venues), so the placements of the
    parts' plans merge as they are; the numpy tables are shared, not copied. Every activity
    is a shallow copy, so what a part's solver sets on its activities (the neighbourhood
    ``links`` at scale) stays in its view.
    """
    keep = set(activities)
    return replace(
        instance,
        activities=[
            replace(a) if a.index in keep else replace(a, sessions=[]) for a in instance.activities
        ],
    )


def size(instance: Instance, activities: list[int]) -> int:
    """Attendance pairs (eligible person × session) of a component: its share of the time."""
    return sum(
        len(instance.activities[ai].eligible) * len(instance.activities[ai].sessions)
        for ai in activities
    )
