"""``department_mix``: ``min_departments`` per held session and ``max_department_share``.

Also the mixing part of objective term 3: one unit per department present in a session
of an activity that asks for mixing.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from planner.solve.instance import Instance
from planner.solve.variables import Term, Vars

RULES = ("department_mix",)
"""The rule ids this module enforces (see :mod:`planner.solve.ledger`)."""


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    terms: list[Term] = []
    enforced = instance.enforces("department_mix")
    # A department no bigger than its share of the minimum can never exceed its share,
    # but only while ``capacity`` keeps sessions at their minimum or above.
    seated = instance.enforces("capacity")
    for a in instance.activities:
        act = a.activity
        asks = act.min_departments > 1 or a.share < 1
        if not asks:
            continue
        for s in a.sessions:
            groups: dict[int, list[int]] = defaultdict(list)
            for p in vars.attendees(s):
                groups[instance.dept_of[p]].append(p)
            present = []
            for dep, members in groups.items():
                count = sum(vars.attend(p, s) for p in members)
                lit = model.new_bool_var(f"dept[s{s},d{dep}]")
                # Present only if someone of the department attends (never overstated).
                model.add_bool_or(
                    [v for p in members for v in vars.attend_vars(p, s)]
                ).only_enforce_if(lit)
                present.append(lit)
                terms.append(Term(lit, 1, 3))
                if (
                    enforced
                    and a.share < 1
                    and len(members) > a.share * (a.min_size if seated else 0)
                ):
                    num, den = a.share.numerator, a.share.denominator
                    model.add(den * count <= num * vars.size(s))
            if enforced and act.min_departments > 1:
                model.add(sum(present) >= act.min_departments * vars.held[s])
    return terms
