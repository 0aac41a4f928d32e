"""Decoding: CP-SAT's solution as placements, and placements as a :class:`Schedule`."""

from __future__ import annotations

from datetime import timedelta

from ortools.sat.python import cp_model

from planner.domain.schedule import NotHeld, Objective, PlannedSession, PlanStatus, Schedule
from planner.solve.greedy import Placement
from planner.solve.instance import Instance
from planner.solve.variables import Vars


def placements(vars: Vars, solver: cp_model.CpSolver) -> list[Placement]:
    """The plan of CP-SAT's solution in model indices."""
    out: list[Placement] = []
    for s, lit in vars.held.items():
        if not solver.boolean_value(lit):
            continue
        k = next(i for i, y in enumerate(vars.y[s]) if solver.boolean_value(y))
        venue = next(
            (v for v, lit2 in vars.venue.get(s, {}).items() if solver.boolean_value(lit2)),
            None,
        )
        people = sorted(
            p
            for p in vars.attendees(s)
            if any(solver.boolean_value(x) for x in vars.attend_vars(p, s))
        )
        out.append(Placement(s, k, venue, people))
    return out


def schedule(
    instance: Instance,
    plan: list[Placement],
    kept_ids: dict[int, str],
    status: PlanStatus,
    objective: Objective,
) -> Schedule:
    """The plan as a :class:`Schedule`: a kept published session keeps its id; the rest
    are numbered in start order."""
    grid = instance.grid
    held = {pl.session: pl for pl in plan}
    ids = dict(kept_ids)
    sessions: list[PlannedSession] = []
    not_held: list[NotHeld] = []
    for a in instance.activities:
        act = a.activity
        prefix = f"{act.id}#g" if a.is_pairing else f"{act.id}#"
        mine = sorted(
            (s for s in a.sessions if s in held),
            key=lambda s: (int(a.candidates[held[s].position]), s),
        )
        used = {ids[s] for s in mine if s in ids}
        n = 1
        for s in mine:
            if s not in ids:
                while f"{prefix}{n}" in used:
                    n += 1
                ids[s] = f"{prefix}{n}"
                used.add(ids[s])
            pl = held[s]
            t = int(a.candidates[pl.position])
            start = grid.instant(t)
            end = start + timedelta(minutes=act.duration_minutes)
            venue_id = instance.venues[pl.venue].id if pl.venue is not None else None
            location = (
                instance.venues[pl.venue].name if pl.venue is not None else act.location or act.url
            )
            sessions.append(
                PlannedSession(
                    id=ids[s],
                    activity=act.id,
                    start=start,
                    end=end.astimezone(grid.tz),
                    attendees=sorted(instance.people[p].person.id for p in pl.people),
                    venue=venue_id,
                    location=location,
                )
            )
        if not a.is_pairing:
            numbers = set()
            for s in mine:
                tail = ids[s].rsplit("#", 1)[-1]
                if tail.isdigit():
                    numbers.add(int(tail))
            free = [k for k in range(1, act.sessions + 1) if k not in numbers]
            for k in free[: act.sessions - len(mine)]:
                not_held.append(NotHeld(activity=act.id, session=k))
    sessions.sort(key=lambda ps: (ps.start, ps.id))
    return Schedule(status=status, objective=objective, sessions=sessions, not_held=not_held)
