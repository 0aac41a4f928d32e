"""Who attends: ``opted_out``, ``time_off``, ``busy``, ``working_hours``, ``needs_unmet``,
``one_session_per_activity``, ``required_attendee`` and ``capacity``.

Attendance variables exist only for eligible people (opted in, not declined, needs
satisfiable, caps above zero) and only for days on which they can make some candidate
start, so ``opted_out`` and the availability rules hold by construction. The link
"attending implies the chosen start is one the person can make" is
``x[p,s,day] <= sum(y[s,k] for k in avail(p) on day)``. People with the same available
starts on a day share one literal for that sum, which turns most links into binary
implications (cheap to build and strong in propagation).
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from planner.solve.instance import Instance
from planner.solve.variables import Term, Vars

RULES = (
    "opted_out",
    "time_off",
    "busy",
    "working_hours",
    "needs_unmet",
    "one_session_per_activity",
    "required_attendee",
    "capacity",
)
"""The rule ids this module enforces (see :mod:`planner.solve.ledger`)."""


def _starts_literal(
    model: cp_model.CpModel, vars: Vars, s: int, day: int, positions: tuple[int, ...]
) -> cp_model.IntVar:
    """A literal equal to "session ``s`` starts at one of ``positions``" (shared)."""
    if len(positions) == 1:
        return vars.y[s][positions[0]]
    key = (s, day, positions)
    lit = vars.day_start.get(key)
    if lit is None:
        lit = model.new_bool_var(f"starts[s{s},d{day},n{len(positions)}]")
        model.add(lit == cp_model.LinearExpr.sum([vars.y[s][k] for k in positions]))
        vars.day_start[key] = lit
    return lit


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    grid = instance.grid
    capacity = instance.enforces("capacity")
    for a in instance.activities:
        if not a.sessions or not len(a.candidates):
            continue
        cand_day = grid.day[a.candidates]
        links = a.links
        # At scale (``links``) most eligible people are linked to no session of ``a``.
        linked_people = a.eligible if links is None else [p for p in a.eligible if p in links]
        for p in linked_people:
            linked = a.sessions if links is None else links[p]
            pos = a.avail[p]
            days = cand_day[pos]
            # Positions grouped by day, each group in its original order (one stable sort
            # and split rather than a mask per day: 6,800 people at 10,000).
            order = np.argsort(days, kind="stable")
            day_values, first = np.unique(days[order], return_index=True)
            uniq = day_values.tolist()
            groups = np.split(pos[order], first[1:])
            per_day = {d: tuple(g.tolist()) for d, g in zip(uniq, groups, strict=True)}
            for s in linked:
                vars.add_attendance(model, p, s, uniq)
                for d, lits in vars.x[p, s].items():
                    model.add_implication(lits, _starts_literal(model, vars, s, d, per_day[d]))
        x = vars.x
        required = set(a.required)
        for p in a.eligible:
            if p in required:
                for s in a.sessions:
                    if (p, s) in x:
                        model.add(vars.attend(p, s) == vars.held[s])
                    else:
                        model.add(vars.held[s] == 0)
            elif links is None or p in links:
                # ``attend_vars`` inlined: at scale most (person, session) pairs have no
                # variables (the links are restricted), and the calls took 2-3 s at XL.
                mine = [v for s in a.sessions if (p, s) in x for v in x[p, s].values()]
                if len(mine) > 1 and instance.enforces("one_session_per_activity", p):
                    model.add_at_most_one(mine)
        # Seats per start: a session at candidate ``k`` holds at most the people linked to
        # it who can make ``k`` (and its maximum). Tighter than ``size <= max * held`` in
        # the LP, where the starts are fractional.
        for s in a.sessions if capacity else ():
            size = vars.size(s)
            model.add(size >= a.min_size * vars.held[s])
            counts = np.zeros(len(a.candidates), dtype=np.int64)
            for p in vars.attendees(s):
                counts[a.avail[p]] += 1
            seats = np.minimum(counts, a.max_size)
            if len(seats) and int(seats.min()) < a.max_size:
                model.add(
                    size <= cp_model.LinearExpr.weighted_sum(vars.y[s], [int(c) for c in seats])
                )
            else:
                model.add(size <= a.max_size * vars.held[s])
        for r in a.required:
            if r not in a.eligible:
                for s in a.sessions:
                    model.add(vars.held[s] == 0)
    return []
