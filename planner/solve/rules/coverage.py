"""``coverage_floor``: staffed queues keep ``min_on_duty`` working members off events.

Per queue, ``limit[t]`` members may be away at slot ``t`` (working members minus the
floor; 0 where fewer than the floor work, and those slots were already removed from every
member's availability). The rule is a cumulative constraint: each session is an interval
whose demand is the number of queue members attending it, against a constant capacity
``len(members)`` from which fixed "reserved" intervals of height ``len(members) - limit[t]``
are taken. That is exact, needs no per-slot variables, and CP-SAT propagates it with its
scheduling machinery. Members attending after hours are counted even when they are not
working then, which can only make the rule stricter, never break it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from ortools.sat.python import cp_model

from planner.domain.models import Scenario
from planner.solve.instance import Grid, Instance, PersonData, QueueData, working_intervals
from planner.solve.variables import Term, Vars, session_activity

RULES = ("coverage_floor",)
"""The rule ids this module enforces (see :mod:`planner.solve.ledger`)."""


def queue_tables(
    grid: Grid, people: list[PersonData], scenario: Scenario, first: date, last: date
) -> list[QueueData]:
    """Per queue, how many members may be away at each slot; and the static ban: a slot in
    service hours where fewer than the floor are working bans every member
    (``PersonData.queue_ban``, set here)."""
    queues: list[QueueData] = []
    # Members by queue in one pass over the people (a pass a queue was 0.6 s at 10,000 × 80).
    by_queue: dict[str, list[int]] = {}
    for p in people:
        for qid in dict.fromkeys(p.person.queues):
            by_queue.setdefault(qid, []).append(p.index)
    for q in scenario.queues:
        members = by_queue.get(q.id, [])
        if q.service_hours is not None:
            service = grid.mask_inside(working_intervals(q.service_hours, grid.tz, first, last))
        else:
            service = np.zeros(grid.size, dtype=bool)
            for m in members:
                service |= people[m].work
        if members:
            working = np.sum(
                [people[m].work & ~people[m].off & ~people[m].busy for m in members], axis=0
            )
        else:
            working = np.zeros(grid.size, dtype=np.int64)
        short = service & (working < q.min_on_duty)
        limit = np.where(service, np.maximum(working - q.min_on_duty, 0), len(members))
        limit = np.where(short, 0, limit).astype(np.int64)
        for m in members:
            people[m].queue_ban |= short
        queues.append(QueueData(q.id, members, limit))
    return queues


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    if not instance.enforces("coverage_floor"):
        return []
    # A session seats at most its maximum only while ``capacity`` holds (switched off in
    # the conflict diagnosis, every queue member who may come may come).
    seated = instance.enforces("capacity")
    for q in instance.queues:
        members = set(q.members)
        cap = len(members)
        if not cap:
            continue
        intervals: list[cp_model.IntervalVar] = []
        demands: list[cp_model.LinearExprT] = []
        lo, hi = instance.grid.size, 0
        total = 0
        # Activity by activity: in a component's view (:mod:`planner.solve.components`)
        # the other activities have no sessions, and their sessions no variables.
        for s in (s for a in instance.activities for s in a.sessions):
            who = [p for p in vars.attendees(s) if p in members]
            if not who:
                continue
            a = session_activity(instance, s)
            most = min(len(who), a.max_size) if seated else len(who)
            total += most
            lo = min(lo, int(a.candidates.min()))
            hi = max(hi, int(a.candidates.max()) + a.duration)
            m = model.new_int_var(0, most, f"away[q{q.id},s{s}]")
            model.add(m == sum(vars.attend(p, s) for p in who))
            intervals.append(
                model.new_optional_fixed_size_interval_var(
                    vars.start[s], a.duration, vars.held[s], f"iv[q{q.id},s{s}]"
                )
            )
            demands.append(m)
        if not intervals:
            continue
        limit = q.limit
        if int(limit[lo:hi].min()) >= total:
            continue  # even everyone who could be away at once leaves the floor covered
        t = lo
        while t < hi:
            reserved = cap - int(limit[t])
            u = t + 1
            while u < hi and int(limit[u]) == int(limit[t]):
                u += 1
            if reserved > 0:
                intervals.append(model.new_fixed_size_interval_var(t, u - t, f"res[q{q.id},t{t}]"))
                demands.append(reserved)
            t = u
        model.add_cumulative(intervals, demands, cap)
    return []
