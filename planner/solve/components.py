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

import numpy as np
import numpy.typing as npt

from planner.solve.instance import Instance


def components(instance: Instance) -> list[list[int]]:
    """Activity indices per independent component, each sorted, in order of their first
    activity. Only activities that have sessions count (the others have no decisions).

    Each person, venue and queue links every activity holding it to the first one that
    does: the (first, other) pairs are found with numpy over all opt-ins at once (issue 17:
    345,000 at 10,000 people), and only the few distinct pairs go through the union-find.
    """
    active = [a.index for a in instance.activities if a.sessions]
    if len(active) <= 1:
        return [active] if active else []
    # Keys: people, then venues and queues offset past them, so one table holds all three.
    n_people, n_venues = len(instance.people), len(instance.venues)
    member = np.array([m for q in instance.queues for m in q.members], dtype=np.int64)
    queue = np.repeat(np.arange(len(instance.queues)), [len(q.members) for q in instance.queues])
    keys: list[npt.NDArray[np.int64]] = []
    owners: list[npt.NDArray[np.int64]] = []
    for ai in active:
        a = instance.activities[ai]
        eligible = np.asarray(a.eligible, dtype=np.int64)
        mine = np.zeros(n_people, dtype=bool)
        mine[eligible] = True
        here = np.concatenate(
            [
                eligible,
                n_people + np.asarray(a.venues, dtype=np.int64),
                n_people + n_venues + np.unique(queue[mine[member]]),
            ]
        )
        keys.append(here)
        owners.append(np.full(len(here), ai, dtype=np.int64))
    key, owner = np.concatenate(keys), np.concatenate(owners)
    # Activities come in ascending order, so a key's first occurrence is its first holder.
    seen, at = np.unique(key, return_index=True)
    first = np.zeros(n_people + n_venues + len(instance.queues), dtype=np.int64)
    first[seen] = owner[at]
    linked = first[key] != owner
    span = len(instance.activities)
    pairs = np.unique(first[key][linked] * span + owner[linked])
    parent = {ai: ai for ai in active}

    def find(ai: int) -> int:
        while parent[ai] != ai:
            parent[ai] = parent[parent[ai]]  # path halving
            ai = parent[ai]
        return ai

    for pair in pairs.tolist():
        parent[find(pair // span)] = find(pair % span)
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
