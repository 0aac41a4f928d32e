"""Pairing groups: ``history.pairs`` are avoided (objective term 3, two units per repeated
pair); nobody is left alone because a group's minimum size is at least two (see
``instance``), and the group sizes, mixing and every per-person rule are the same as for
events.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from planner.solve.instance import Instance
from planner.solve.variables import Term, Vars

REPEAT_UNITS = 2
"""Penalty units of a pair that already met (a department present scores one)."""


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    terms: list[Term] = []
    for a in instance.activities:
        if not a.is_pairing or not instance.history_pairs:
            continue
        eligible = set(a.eligible)
        for p1, p2 in instance.history_pairs:
            if p1 not in eligible or p2 not in eligible:
                continue
            for s in a.sessions:
                if (p1, s) not in vars.x or (p2, s) not in vars.x:
                    continue
                met = model.new_bool_var(f"repeat[s{s},p{p1},p{p2}]")
                model.add(vars.attend(p1, s) + vars.attend(p2, s) <= 1 + met)
                terms.append(Term(met, -REPEAT_UNITS, 3))
    return terms
