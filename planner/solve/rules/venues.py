"""``venue_conflict`` and ``venue_capacity``: one listed venue per held session, never two
sessions in one venue at once, never a venue while it is busy, attendees fit the venue.

People whose needs only some venues meet may only attend when one of those is chosen
(``needs_unmet`` through the venue's tags).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model

from planner.solve.instance import BoolArray, Instance, run_all
from planner.solve.variables import Term, Vars

RULES = ("venue_conflict", "venue_capacity")
"""The rule ids this module enforces (see :mod:`planner.solve.ledger`)."""


def free_starts(busy: BoolArray, duration: int, enforced: bool = True) -> BoolArray:
    """Starts at which a venue with ``busy`` slots is free for the whole session
    (``venue_conflict``'s static part; every start when the rule is off)."""
    return run_all(~busy if enforced else np.ones(len(busy), dtype=bool), duration)


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    intervals: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    conflict, capacity = instance.enforces("venue_conflict"), instance.enforces("venue_capacity")
    for a in instance.activities:
        if not a.venues:
            continue
        for s in a.sessions:
            if len(a.venues) == 1:
                chosen = {a.venues[0]: vars.held[s]}
            else:
                chosen = {v: model.new_bool_var(f"venue[s{s},v{v}]") for v in a.venues}
                model.add(sum(chosen.values()) == vars.held[s])
            vars.venue[s] = chosen
            if capacity:
                model.add(
                    vars.size(s)
                    <= sum(instance.venues[v].capacity * lit for v, lit in chosen.items())
                )
            for v, lit in chosen.items():
                ok = a.venue_ok[v]
                for k, y in enumerate(vars.y[s]):
                    if not ok[k]:
                        model.add_bool_or([~lit, ~y])
                intervals[v].append(
                    model.new_optional_fixed_size_interval_var(
                        vars.start[s], a.duration, lit, f"use[s{s},v{v}]"
                    )
                )
            for p, allowed in a.person_venues.items():
                for x in vars.attend_vars(p, s):
                    model.add_bool_or([~x, *(chosen[v] for v in allowed)])
    for ivs in intervals.values():
        if len(ivs) > 1 and conflict:
            model.add_no_overlap(ivs)
    return []
