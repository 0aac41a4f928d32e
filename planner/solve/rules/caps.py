"""Per-person limits: ``daily_cap``, ``weekly_events_cap``, ``weekly_minutes_cap``, ``overlap``.

Attendance is split by day, so each cap is one linear constraint over that person's
attendance literals of the day or week, and only where more sessions are possible than the
cap allows. Two sessions on the same day overlap only when their times intersect; that
needs a per-pair "apart" literal, created only for people who may attend more than one
event a day and only for pairs whose candidate windows intersect.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from planner.solve.instance import Instance, PersonData
from planner.solve.variables import Term, Vars, session_activity

RULES = ("weekly_events_cap", "weekly_minutes_cap", "daily_cap", "overlap")
"""The rule ids this module enforces (see :mod:`planner.solve.ledger`)."""


def _apart(
    instance: Instance, model: cp_model.CpModel, vars: Vars, cache: dict, s1: int, s2: int
) -> cp_model.IntVar | None:
    """A literal that, when true, forces sessions ``s1`` and ``s2`` not to overlap."""
    if (s1, s2) in cache:
        return cache[s1, s2]
    a1, a2 = session_activity(instance, s1), session_activity(instance, s2)
    lo1, hi1 = int(a1.candidates.min()), int(a1.candidates.max()) + a1.duration
    lo2, hi2 = int(a2.candidates.min()), int(a2.candidates.max()) + a2.duration
    lit: cp_model.IntVar | None = None
    if lo1 < hi2 and lo2 < hi1:
        lit = model.new_bool_var(f"apart[s{s1},s{s2}]")
        before = model.new_bool_var(f"before[s{s1},s{s2}]")
        model.add(vars.start[s1] + a1.duration <= vars.start[s2]).only_enforce_if(lit, before)
        model.add(vars.start[s2] + a2.duration <= vars.start[s1]).only_enforce_if(lit, ~before)
    cache[s1, s2] = lit
    return lit


def paused(pd: PersonData, minutes: int, on: Callable[[str], bool]) -> str | None:
    """The cap that keeps ``pd`` out of every session ``minutes`` long (a zero cap pauses
    the person; a weekly minutes cap below one session), if any: such people are not
    eligible at all. ``on(rule)``: whether the rule is enforced."""
    if pd.weekly_cap == 0 and on("weekly_events_cap"):
        return "weekly_events_cap"
    if pd.daily_cap == 0 and on("daily_cap"):
        return "daily_cap"
    if pd.minutes_cap is not None and pd.minutes_cap < minutes and on("weekly_minutes_cap"):
        return "weekly_minutes_cap"
    return None


def most_placements(pd: PersonData, weeks: int, days: int, shortest: int) -> int:
    """Most sessions the caps let ``pd`` attend over ``weeks`` weeks and ``days`` days with
    sessions at least ``shortest`` minutes long (the caps' share of the objective's
    level-2 bound)."""
    per_week = pd.weekly_cap
    if pd.minutes_cap is not None:
        per_week = min(per_week, pd.minutes_cap // shortest)
    return min(per_week * weeks, pd.daily_cap * days)


def build(instance: Instance, model: cp_model.CpModel, vars: Vars) -> list[Term]:
    grid = instance.grid
    week_of_day = {int(d): int(w) for d, w in zip(grid.day, grid.week, strict=True)}
    apart_cache: dict = {}
    required = {(p, a.index) for a in instance.activities for p in a.required}
    daily, weekly = instance.enforces("daily_cap"), instance.enforces("weekly_events_cap")
    minutes, overlap = instance.enforces("weekly_minutes_cap"), instance.enforces("overlap")

    def most(p: int, items: list[tuple[int, cp_model.IntVar]]) -> int:
        """How many of ``items`` can be attended together (one per activity unless required)."""
        acts = [instance.sessions[s].activity for s, _ in items]
        return sum(acts.count(a) if (p, a) in required else 1 for a in set(acts))

    for pd in instance.people:
        p = pd.index
        sessions = vars.sessions_of(p)
        if not sessions:
            continue
        if instance.disabled:
            daily = instance.enforces("daily_cap", p)
            weekly = instance.enforces("weekly_events_cap", p)
            minutes = instance.enforces("weekly_minutes_cap", p)
            overlap = instance.enforces("overlap", p)
        by_day: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for s in sessions:
            for d, lit in vars.x[p, s].items():
                by_day[d].append((s, lit))
        by_week: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for d, items in by_day.items():
            by_week[week_of_day[d]].extend(items)
            if daily and most(p, items) > pd.daily_cap:
                model.add(cp_model.LinearExpr.sum([lit for _, lit in items]) <= pd.daily_cap)
            # With a daily cap of one, two sessions of a day are never attended together,
            # so they cannot overlap either.
            if overlap and (pd.daily_cap >= 2 or not daily):
                for i, (s1, l1) in enumerate(items):
                    for s2, l2 in items[i + 1 :]:
                        a1 = instance.sessions[s1].activity
                        if a1 == instance.sessions[s2].activity and (p, a1) not in required:
                            continue
                        apart = _apart(instance, model, vars, apart_cache, s1, s2)
                        if apart is not None:
                            model.add_bool_or([~l1, ~l2, apart])
        for items in by_week.values():
            acts = {instance.sessions[s].activity for s, _ in items}
            if weekly and most(p, items) > pd.weekly_cap:
                model.add(cp_model.LinearExpr.sum([lit for _, lit in items]) <= pd.weekly_cap)
            if minutes and pd.minutes_cap is not None:
                mins = {a: instance.scenario.activities[a].duration_minutes for a in acts}
                if sum(mins[instance.sessions[s].activity] for s, _ in items) > pd.minutes_cap:
                    model.add(
                        sum(mins[instance.sessions[s].activity] * lit for s, lit in items)
                        <= pd.minutes_cap
                    )
    return []
