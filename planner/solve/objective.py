"""The objective: SPEC's four terms in order of importance, as exact integer weights.

Levels (1 = most important) and their units:

1. people with a ``yes`` placed in at least one of their ``yes`` activities: 2 units each,
   3 for people in ``history.missed_out`` ("they come first");
2. preference satisfaction: 2 units per ``yes`` placement, 1 per ``maybe`` placement;
3. mixing and new pairings: 1 unit per department present in a session of an activity that
   asks for mixing, -2 units per pairing group that repeats a ``history`` pair;
4. stability: 5 units per published session kept at its start and venue, 1 unit per
   published attendee still in it.

Weights are lexicographic and computed from the instance: with ``R_l`` the largest
possible absolute total of level ``l`` (terms in one group count once),
``W3 = 1``, ``W2 = R3 + 1``, ``W4 = R2*W2 + R3 + 1``, ``W1 = R4*W4 + R2*W2 + R3 + 1``. So one
more person with a ``yes`` beats anything below it; keeping published sessions beats any
gain in satisfaction or mixing — moving a published session is only worth it to place
more people with a ``yes`` (the brief's order, stability costing a lot); satisfaction beats
mixing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from planner.domain.models import Answer
from planner.solve.instance import Instance
from planner.solve.variables import Term, Vars

YES_UNITS = 2
MAYBE_UNITS = 1
PERSON_UNITS = 2
MISSED_OUT_UNITS = 3
LEVEL_ORDER = (1, 4, 2, 3)
"""Levels from most to least important."""


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    """Terms of levels 1 and 2 (the others come from their rule modules)."""
    terms: list[Term] = []
    for pd in instance.people:
        p = pd.index
        yes_sessions: list[int] = []
        for s in vars.sessions_of(p):
            a = instance.activities[instance.sessions[s].activity]
            answer = a.answers.get(p, Answer.no)
            if answer is Answer.no:
                continue
            units = YES_UNITS if answer is Answer.yes else MAYBE_UNITS
            if answer is Answer.yes:
                yes_sessions.append(s)
            for lit in vars.attend_vars(p, s):
                terms.append(Term(lit, units, 2, f"placed:{pd.person.id}:s{s}", ("pa", p, a.index)))
        if yes_sessions:
            got = model.new_bool_var(f"got_yes[p{p}]")
            model.add_bool_or(
                [v for s in yes_sessions for v in vars.attend_vars(p, s)]
            ).only_enforce_if(got)
            vars.got[p] = got
            units = MISSED_OUT_UNITS if p in instance.missed_out else PERSON_UNITS
            terms.append(Term(got, units, 1, f"got_yes:{pd.person.id}"))
    return terms


@dataclass(frozen=True)
class Weights:
    by_level: dict[int, int]
    ranges: dict[int, int]


def weights(terms: list[Term]) -> Weights:
    """Lexicographic weights from the largest possible total of each level."""
    ranges: dict[int, int] = defaultdict(int)
    grouped: dict[tuple[int, object], int] = {}
    for t in terms:
        if t.group is None:
            ranges[t.level] += abs(t.units)
        else:
            key = (t.level, t.group)
            grouped[key] = max(grouped.get(key, 0), abs(t.units))
    for (level, _), u in grouped.items():
        ranges[level] += u
    by_level: dict[int, int] = {}
    below = 0
    for level in reversed(LEVEL_ORDER):
        by_level[level] = below + 1
        below += ranges.get(level, 0) * by_level[level]
    return Weights(by_level, dict(ranges))


def objective_expr(terms: list[Term], w: Weights) -> cp_model.LinearExprT:
    coeffs: dict[int, int] = defaultdict(int)
    lits: dict[int, cp_model.IntVar] = {}
    for t in terms:
        var = t.expr
        assert isinstance(var, cp_model.IntVar)
        coeffs[var.index] += t.units * w.by_level[t.level]
        lits[var.index] = var
    keep = [i for i, c in coeffs.items() if c]
    return cp_model.LinearExpr.weighted_sum([lits[i] for i in keep], [coeffs[i] for i in keep])
