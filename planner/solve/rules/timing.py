"""When sessions start: one candidate start per held session; ``must_hold``; symmetry.

Static rules (``horizon``: the grid is the horizon; ``min_notice``, ``protected_window``,
``activity_window``: :func:`start_bans`, which ``instance`` combines with the other
families' bans) were applied when the candidates were computed, so a start can only be a
candidate. Sessions of one activity are interchangeable:
the held ones come first and start in non-decreasing order, which removes the permutations.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from planner.domain.models import Activity, Kind
from planner.domain.planning import PlanningInput
from planner.solve.instance import BoolArray, Grid, Instance, _minutes, run_all, window_intervals
from planner.solve.variables import Term, Vars

RULES = ("min_notice", "protected_window", "activity_window", "horizon")
"""The rule ids this module's bans enforce (see :mod:`planner.solve.ledger`)."""


def team_bans(grid: Grid, problem: PlanningInput) -> dict[str, BoolArray]:
    """Per rule, the slots it bans for everyone: ``protected_window`` the slots a session
    may not touch, ``min_notice`` the starts before the notice period ends."""
    s = problem.scenario
    protected = grid.mask_overlapping(window_intervals(s.policy.protected, grid.tz, grid.days))
    notice_from = _minutes(problem.now) + round(s.policy.min_notice_hours * 60)
    return {"protected_window": protected, "min_notice": grid.start < notice_from}


def start_bans(
    grid: Grid, activity: Activity, duration: int, team: dict[str, BoolArray]
) -> dict[str, BoolArray]:
    """Per rule, the starts it bans for a session of ``activity`` (``duration`` slots)."""
    bans = {
        "protected_window": ~run_all(~team["protected_window"], duration),
        "min_notice": team["min_notice"],
    }
    if activity.windows:
        inside = grid.mask_inside(window_intervals(activity.windows, grid.tz, grid.days))
        bans["activity_window"] = ~run_all(inside, duration)
    return bans


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
            # ``LinearExpr`` builders, not Python sums: one call per session instead of one
            # operator per candidate (issue 17: 100,000 candidates at 10,000 people).
            model.add(cp_model.LinearExpr.sum(ys) == held)
            model.add(start == cp_model.LinearExpr.weighted_sum(ys, cands))
            if not cands:
                model.add(held == 0)
            if a.activity.must_hold and a.activity.kind is Kind.event:
                model.add(held == 1)
            if prev is not None:
                model.add_implication(held, vars.held[prev])
                model.add(vars.start[prev] <= start).only_enforce_if(held)
            prev = s
    return []
