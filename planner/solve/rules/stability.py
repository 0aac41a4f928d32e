"""Objective term 4, stability: a published session stays at its start (and venue) with
its attendees.

Ids are not tied to session numbers (sessions of an activity are interchangeable and kept
in start order); a published session counts as kept when *some* session of its activity
is held at the same start and venue, and the plan then reuses its id. Kept sessions score
:data:`KEEP_UNITS`, each published attendee still in it one unit.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from ortools.graph.python import linear_sum_assignment
from ortools.sat.python import cp_model

from planner.domain.schedule import PlannedSession
from planner.solve.instance import ActivityData, Instance
from planner.solve.variables import Term, Vars

KEEP_UNITS = 5


class Keepable(NamedTuple):
    """A published session the plan could keep."""

    published: PlannedSession
    activity: ActivityData
    position: int
    """Candidate index of its start in ``activity.candidates``."""
    venue: int | None
    """Its venue's index, or None when the activity has no venues."""


class HeldSession(NamedTuple):
    """A session of a plan, as :func:`match_kept` compares it with the published ones."""

    session: int
    activity: int
    """Activity index."""
    position: int
    """Candidate index of its start."""
    venue: int | None
    """The chosen venue's index, or None when the activity has no venues."""
    people: set[int]


def keepable(instance: Instance) -> list[Keepable]:
    """Published sessions that could be kept: the activity still runs, its start is still a
    candidate and its venue still allowed."""
    by_id = {a.activity.id: a for a in instance.activities}
    out: list[Keepable] = []
    for pub in instance.problem.published:
        a = by_id.get(pub.activity)
        if a is None or not a.sessions:
            continue
        t0 = instance.grid.slot_at(pub.start)
        if t0 is None:
            continue
        where = [k for k, t in enumerate(a.candidates) if int(t) == t0]
        if not where:
            continue
        venue = instance.venue_index.get(pub.venue) if pub.venue else None
        if a.venues and venue not in a.venues:
            continue
        out.append(Keepable(pub, a, where[0], venue if a.venues else None))
    return out


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    terms: list[Term] = []
    held_by: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for pub, a, k, venue in keepable(instance):
        holders = []
        for s in a.sessions:
            h = model.new_bool_var(f"keeps[{pub.id},s{s}]")
            model.add_implication(h, vars.y[s][k])
            if venue is not None:
                model.add_implication(h, vars.venue[s][venue])
            holders.append((s, h))
            held_by[s].append(h)
        kept = model.new_bool_var(f"kept[{pub.id}]")
        model.add(kept == sum(h for _, h in holders))
        terms.append(Term(kept, KEEP_UNITS, 4))
        for pid in pub.attendees:
            p = instance.person_index.get(pid)
            if p is None:
                continue
            stays = model.new_bool_var(f"stays[{pub.id},{pid}]")
            model.add_implication(stays, kept)
            for s, h in holders:
                if (p, s) in vars.x:
                    model.add(stays + h - vars.attend(p, s) <= 1)
                else:
                    model.add_bool_or([~stays, ~h])
            terms.append(Term(stays, 1, 4))
    # One session keeps one published session (two pairing groups published at the same
    # time are two sessions, not one counted twice).
    for hs in held_by.values():
        if len(hs) > 1:
            model.add_at_most_one(hs)
    return terms


def match_kept(
    instance: Instance,
    published: list[Keepable],
    held: list[HeldSession],
) -> dict[int, int]:
    """Which published session each held session keeps: plan session -> index into
    ``published``.

    ``held`` are the plan's sessions. A published session is kept by a session of its activity at its start and
    venue; among several such pairs (pairing groups published at one time), the matching
    that keeps the most published attendees together, so ids follow people, not the
    solver's session order.
    """
    groups: dict[tuple[int, int, int | None], tuple[list[int], list[int]]] = defaultdict(
        lambda: ([], [])
    )
    for i, pub in enumerate(published):
        groups[pub.activity.index, pub.position, pub.venue][0].append(i)
    for j, h in enumerate(held):
        if (h.activity, h.position, h.venue) in groups:
            groups[h.activity, h.position, h.venue][1].append(j)
    kept: dict[int, int] = {}
    for pubs, plans in groups.values():
        if not plans:
            continue
        n = max(len(pubs), len(plans))
        assignment = linear_sum_assignment.SimpleLinearSumAssignment()
        for i in range(n):
            for j in range(n):
                weight = 0
                if i < len(pubs) and j < len(plans):
                    people = held[plans[j]].people
                    weight = KEEP_UNITS + sum(
                        1
                        for pid in published[pubs[i]].published.attendees
                        if instance.person_index.get(pid) in people
                    )
                assignment.add_arc_with_cost(i, j, -weight)
        assignment.solve()
        for i in range(len(pubs)):
            j = assignment.right_mate(i)
            if j < len(plans):
                kept[held[plans[j]].session] = pubs[i]
    return kept
