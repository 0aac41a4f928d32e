"""When sessions start: one candidate start per held session; ``must_hold``; symmetry.

Static rules (``horizon``, ``min_notice``, ``protected_window``, ``activity_window``, venue
busy blocks, required people's availability) were applied when the candidates were
computed, so a start can only be a candidate. Sessions of one activity are interchangeable:
the held ones come first and start in non-decreasing order, which removes the permutations.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from planner.domain.models import Kind
from planner.solve.instance import Instance
from planner.solve.variables import Term, Vars

RULES = ("min_notice", "protected_window", "activity_window", "horizon")
"""The rule ids this module's bans enforce (see :mod:`planner.solve.ledger`)."""


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    for a in instance.activities:
        cands = [int(t) for t in a.candidates]
        prev: int | None = None
        for s in a.sessions:
            held = model.new_bool_var(f"held[s{s}]")
            vars.held[s] = held
            ys = [model.new_bool_var(f"y[s{s},t{t}]") for t in cands]
            vars.y[s] = ys
            start = model.new_int_var_from_domain(
                cp_model.Domain.from_values(sorted({0, *cands})), f"start[s{s}]"
            )
            vars.start[s] = start
            model.add(sum(ys) == held)
            model.add(start == sum(t * y for t, y in zip(cands, ys, strict=True)))
            if not cands:
                model.add(held == 0)
            if a.activity.must_hold and a.activity.kind is Kind.event:
                model.add(held == 1)
            if prev is not None:
                model.add_implication(held, vars.held[prev])
                model.add(vars.start[prev] <= start).only_enforce_if(held)
            prev = s
    return []
