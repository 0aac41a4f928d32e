"""The objective: SPEC's four terms in order of importance, solved lexicographically.

Levels (1 = most important) and their units:

1. people with a ``yes`` placed in at least one of their ``yes`` activities: 2 units each,
   3 for people in ``history.missed_out`` ("they come first");
2. preference satisfaction: 2 units per ``yes`` placement, 1 per ``maybe`` placement;
3. mixing and new pairings: 1 unit per department present in a session of an activity that
   asks for mixing, -2 units per pairing group that repeats a ``history`` pair;
4. stability: 5 units per published session kept at its start and venue, 1 unit per
   published attendee still in it.

Order of importance: 1, 4, 2, 3 (:data:`LEVEL_ORDER`): one more person with a ``yes``
beats anything below it; keeping published sessions beats any gain in satisfaction or
mixing — moving a published session is only worth it to place more people with a ``yes``
(stability "costs a lot"); satisfaction beats mixing.

Solving (see :class:`planner.solve.engine.PlanSolver`): in phases, not with one big-M
sum — maximise level 1; add ``level 1 >= best`` and maximise level 4 from that solution;
then 2; then 3. On large models the levels after the first share one phase whose
objective is their weighted sum below.

Reported value: one number, ``Σ W_l × level_l``, with weights from the real problem's
ranges ``R_l = upper_l - lower_l`` (:func:`level_bounds`, :func:`level_lower`):
``W3 = 1``, ``W2 = R3 + 1``, ``W4 = R2·W2 + R3·W3 + 1``, ``W1 = R4·W4 + R2·W2 + R3·W3 + 1``
(:func:`weights_from_bounds`), so the number orders plans exactly as the lexicographic
order does.

Reported bound (:func:`lexicographic_bound`): the levels proven optimal (a prefix of the
order) at their values, the first unproven one at ``min(combinatorial bound, CP-SAT's
bound of its phase)`` (CP-SAT's only when the model is the full problem, not the
neighbourhood-restricted one used at scale), every later level at its combinatorial
bound. Gap: ``(bound - value) / max(1, |bound|)`` on those weighted numbers; it is
therefore dominated by the most important unproven level, i.e. at scale it is essentially
the relative gap in level-1 units (people with a ``yes`` placed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from planner.domain.models import Answer
from planner.solve.instance import ActivityData, Instance
from planner.solve.rules import caps as caps_rule
from planner.solve.rules.pairing import REPEAT_UNITS
from planner.solve.rules.stability import KEEP_UNITS, keepable
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
                terms.append(Term(lit, units, 2))
        if yes_sessions:
            got = model.new_bool_var(f"got_yes[p{p}]")
            model.add_bool_or(
                [v for s in yes_sessions for v in vars.attend_vars(p, s)]
            ).only_enforce_if(got)
            vars.got[p] = got
            units = MISSED_OUT_UNITS if p in instance.missed_out else PERSON_UNITS
            terms.append(Term(got, units, 1))
    return terms


@dataclass(frozen=True)
class Weights:
    by_level: dict[int, int]


def level_expr(terms: list[Term], level: int) -> cp_model.LinearExprT:
    """The terms of one level in their units (one phase's objective)."""
    coeffs: dict[int, int] = defaultdict(int)
    lits: dict[int, cp_model.IntVar] = {}
    for t in terms:
        if t.level != level:
            continue
        var = t.expr
        assert isinstance(var, cp_model.IntVar)
        coeffs[var.index] += t.units
        lits[var.index] = var
    keep = [i for i, c in coeffs.items() if c]
    return cp_model.LinearExpr.weighted_sum([lits[i] for i in keep], [coeffs[i] for i in keep])


# --------------------------------------------------------------------------- upper bounds


def _holdable(a: ActivityData) -> bool:
    """Whether any session of ``a`` can be held at all (static facts only)."""
    return (
        bool(a.sessions)
        and len(a.candidates) > 0
        and not a.required_blocked
        and all(r in a.avail for r in a.required)
    )


def _seat_cap(a: ActivityData, who: list[int]) -> int:
    """Most of ``who`` that the sessions of ``a`` can seat together.

    Each session takes at most ``max_size`` people, and only people who can make its start:
    at most ``max_k |{p in who : k in avail(p)}|`` (sessions may share a start, so the best
    start bounds every session).
    """
    if not who or not len(a.candidates):
        return 0
    starts = np.concatenate([a.avail[p] for p in who])
    counts = np.bincount(starts, minlength=len(a.candidates))
    per_session = min(a.max_size, int(counts.max()))
    return min(len(who), len(a.sessions) * per_session)


class Arc(NamedTuple):
    """A person -> activity arc of the bounds' transportation problem."""

    person: int
    activity: int
    """Index among the holdable activities."""
    capacity: int
    """Units the person may send (their placements in the activity)."""
    weight: int
    """Objective units per placement."""


def _max_weight_flow(
    n_people: int,
    person_cap: list[int],
    arcs: list[Arc] | npt.NDArray[np.int64],
    activity_cap: list[int],
) -> int:
    """Largest total weight of a person -> activity transportation (an exact LP optimum).

    Over ``arcs``, each person sends at most
    ``person_cap`` units, each activity takes at most ``activity_cap``. A zero-weight
    bypass arc per person makes "max flow at min cost" equal to "max weight". ``arcs`` may
    be an array with one row (person, activity, capacity, weight) per arc.
    """
    n_acts = len(activity_cap)
    source, sink = 0, 1 + n_people + n_acts
    flow = min_cost_flow.SimpleMinCostFlow()
    total = 0
    for p in range(n_people):
        cap = person_cap[p]
        if cap <= 0:
            continue
        total += cap
        flow.add_arc_with_capacity_and_unit_cost(source, 1 + p, cap, 0)
        flow.add_arc_with_capacity_and_unit_cost(1 + p, sink, cap, 0)
    table = np.asarray(arcs, dtype=np.int64).reshape(-1, 4)
    if not len(table):
        return 0
    # One call for all arcs (issue 17: 600,000 arcs at XL); the optimum does not depend on
    # the order arcs are added in.
    flow.add_arcs_with_capacity_and_unit_cost(
        1 + table[:, 0], 1 + n_people + table[:, 1], table[:, 2], -table[:, 3]
    )
    for a, cap in enumerate(activity_cap):
        if cap > 0:
            flow.add_arc_with_capacity_and_unit_cost(1 + n_people + a, sink, cap, 0)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve()
    if status != flow.OPTIMAL:  # pragma: no cover - the network is always well-formed
        return int((table[:, 2] * table[:, 3]).sum())
    return -int(flow.optimal_cost())


def _yes_flow(instance: Instance, units: list[int]) -> int:
    """Level 1's transportation bound with ``units[p]`` per person (see :func:`level_bounds`)."""
    blocks: list[npt.NDArray[np.int64]] = []
    caps: list[int] = []
    unit = np.array(units, dtype=np.int64)
    for j, a in enumerate(a for a in instance.activities if _holdable(a)):
        yes = [p for p in a.eligible if a.answers.get(p) is Answer.yes and len(a.avail[p])]
        caps.append(_seat_cap(a, yes))
        who = np.array(yes, dtype=np.int64)
        ones = np.ones(len(who), dtype=np.int64)
        blocks.append(np.column_stack([who, ones * j, ones, unit[who]]))
    n = len(instance.people)
    arcs = np.concatenate(blocks) if blocks else np.zeros((0, 4), dtype=np.int64)
    return _max_weight_flow(n, [1] * n, arcs, caps)


def yes_people_bound(instance: Instance) -> int:
    """Most people with a ``yes`` any plan can place in one of their ``yes`` activities.

    Level 1's bound counted in people (1 each): what ``planner bench`` compares the engine
    and the greedy baselines against.
    """
    return _yes_flow(instance, [1] * len(instance.people))


def level_lower(instance: Instance) -> dict[int, int]:
    """The lowest value each level can take in any plan (only repeated pairs are negative:
    a pair meets at most once per pairing activity)."""
    repeats = 0
    for a in instance.activities:
        if a.is_pairing:
            eligible = set(a.eligible)
            repeats += sum(1 for p1, p2 in instance.history_pairs if {p1, p2} <= eligible)
    return {1: 0, 2: 0, 3: -REPEAT_UNITS * repeats, 4: 0}


def weights_from_bounds(upper: dict[int, int], lower: dict[int, int]) -> Weights:
    """Lexicographic weights from each level's range ``R_l = upper_l - lower_l``.

    ``W`` of the least important level is 1 and each level's weight is one more than the
    largest possible swing of all the levels below it (``Σ W_k R_k``), so one unit of a
    level outweighs everything beneath it. The ranges are the real problem's bounds
    (:func:`level_bounds`), known before the model is built.
    """
    ranges = {lv: max(0, upper.get(lv, 0) - lower.get(lv, 0)) for lv in LEVEL_ORDER}
    by_level: dict[int, int] = {}
    below = 0
    for level in reversed(LEVEL_ORDER):
        by_level[level] = below + 1
        below += ranges[level] * by_level[level]
    return Weights(by_level)


def level_bounds(instance: Instance) -> dict[int, int]:
    """An upper bound per objective level that holds for the REAL problem.

    Independent of the CP-SAT model (which may be restricted to neighbourhoods at scale),
    from static facts only:

    * level 1: a max-weight transportation problem: each person with a ``yes`` (worth 2, or
      3 if missed out) may go to one ``yes`` activity that can be held and whose candidate
      starts include one they can make; activity ``a`` seats at most
      ``sessions × min(max_size, most yes-people able to make one start)``. Every plan gives
      such an assignment (pick one ``yes`` placement per placed person), so its optimum
      bounds level 1. Time clashes, caps, queue floors and mixing are relaxed.
    * level 2: the same network with every yes/maybe opt-in as an arc (2 / 1 units, one
      session per activity, all sessions for required people), each person sending at most
      ``min(weekly cap × weeks, daily cap × days, weekly minutes / shortest duration ×
      weeks)`` placements and each activity taking at most ``sessions × max_size``.
    * level 3: per session of a mixing activity, ``min(max_size, departments among its
      eligible people)``; repeated pairs only subtract, so they add nothing.
    * level 4: every published session that can still be kept (its activity can be held,
      its start is still a candidate, its venue allowed) kept with all its attendees who
      are still in the scenario.
    """
    n = len(instance.people)
    holdable = [a for a in instance.activities if _holdable(a)]
    bounds: dict[int, int] = {}

    # Level 1.
    units = [MISSED_OUT_UNITS if p in instance.missed_out else PERSON_UNITS for p in range(n)]
    bounds[1] = _yes_flow(instance, units)

    # Level 2.
    weeks = len(instance.grid.weeks)
    blocks: list[npt.NDArray[np.int64]] = []
    caps: list[int] = []
    no_session = np.iinfo(np.int64).max
    shortest = np.full(n, no_session, dtype=np.int64)
    """Per person, the shortest activity they can attend (``no_session``: none)."""
    # Days on which each person could attend something (people × team-zone days), filled
    # per activity in one scatter rather than a set per person (issue 17: 22 M Python
    # steps at 10,000 people); the arcs as one array per activity.
    can_day = np.zeros((n, len(instance.grid.days)), dtype=bool)
    for j, a in enumerate(holdable):
        cand_day = instance.grid.day[a.candidates]
        caps.append(len(a.sessions) * a.max_size)
        elig = np.array(a.eligible, dtype=np.int64)
        starts = [a.avail[p] for p in a.eligible]
        lengths = np.array([len(x) for x in starts], dtype=np.int64)
        yes = np.array([a.answers.get(p) is Answer.yes for p in a.eligible], dtype=bool)
        maybe = np.array([a.answers.get(p) is Answer.maybe for p in a.eligible], dtype=bool)
        take = (yes | maybe) & (lengths > 0)
        if not take.any():
            continue
        who = elig[take]
        cap = np.where(np.isin(who, np.array(a.required, dtype=np.int64)), len(a.sessions), 1)
        weight = np.where(yes[take], YES_UNITS, MAYBE_UNITS)
        blocks.append(np.column_stack([who, np.full(len(who), j), cap, weight]))
        shortest[who] = np.minimum(shortest[who], a.activity.duration_minutes)
        cols = np.concatenate([x for x, t in zip(starts, take.tolist(), strict=True) if t])
        can_day[np.repeat(who, lengths[take]), cand_day[cols]] = True
    day_counts = can_day.sum(axis=1)
    person_cap = [
        0
        if shortest[pd.index] == no_session
        else caps_rule.most_placements(
            pd, weeks, int(day_counts[pd.index]), int(shortest[pd.index])
        )
        for pd in instance.people
    ]
    arcs = np.concatenate(blocks) if blocks else np.zeros((0, 4), dtype=np.int64)
    bounds[2] = _max_weight_flow(n, person_cap, arcs, caps)

    # Level 3 and 4: the positive terms, tightened per mixing session.
    level3 = 0
    for a in holdable:
        act = a.activity
        if act.min_departments > 1 or a.share < 1:
            depts = len({instance.dept_of[p] for p in a.eligible})
            level3 += len(a.sessions) * min(a.max_size, depts)
    bounds[3] = level3
    bounds[4] = sum(
        KEEP_UNITS + sum(1 for pid in k.published.attendees if pid in instance.person_index)
        for k in keepable(instance)
        if _holdable(k.activity)
    )
    return bounds


def weighted(values: dict[int, int], w: Weights) -> int:
    """The single objective value of per-level values (the documented weights)."""
    return sum(w.by_level[level] * v for level, v in values.items())


def lexicographic_bound(
    values: dict[int, int],
    proven: Collection[int],
    upper: dict[int, int],
    w: Weights,
) -> int:
    """An upper bound of the weighted objective over every plan of the real problem.

    ``values`` are the incumbent's per-level values; ``proven`` the levels proven
    lexicographically optimal (each the maximum given the ones before; always a prefix of
    :data:`LEVEL_ORDER` among the levels that have terms); ``upper`` a valid bound per
    level. The bound is every proven level at its value and every other level at its
    bound. It is valid because a plan that loses on a proven level loses at least that
    level's weight, which exceeds the whole range of every level after it (the weights
    are built that way); a plan that ties on them is bounded level by level.
    """
    return weighted(level_ceilings(values, proven, upper), w)


def level_ceilings(
    values: dict[int, int], proven: Collection[int], upper: dict[int, int]
) -> dict[int, int]:
    """Per level, the most any plan can reach given what is proven (see
    :func:`lexicographic_bound`): a proven level at its value, another at its bound."""
    return {
        lv: values.get(lv, 0) if lv in proven else max(values.get(lv, 0), upper.get(lv, 0))
        for lv in LEVEL_ORDER
    }
