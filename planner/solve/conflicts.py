"""Why a plan is impossible: a small set of contradicting rules, found with assumptions.

Only ``must_hold`` activities can make the planning model infeasible (everything else may
simply not be held or not placed), so the diagnosis builds a separate model of just the
``must_hold`` sessions over *every* start of the horizon, in which each rule is switched
on by its own named literal — per activity × rule (``min_notice``, ``protected_window``,
``activity_window``, ``venue_conflict``, ``capacity``, ``venue_capacity``,
``department_mix``, ``one_session_per_activity``), per required person (``required_attendee``)
and per person × rule (``time_off``, ``busy``, ``working_hours``, ``coverage_floor``,
``opted_out``, ``needs_unmet``, ``daily_cap``, ``weekly_events_cap``,
``weekly_minutes_cap``). Solving under all of them as assumptions gives a core
(``sufficient_assumptions_for_infeasibility``); dropping members that are not needed
(deletion filter) makes it minimal. Further cores are found with the first one relaxed.

Privacy: a person's ``time_off``, ``busy`` and ``opted_out`` are all reported as
``unavailable``, even for people who chose ``share_reasons``: ``opted_out`` can never be
named (no output reveals a ``no``), so naming the other two for anyone would tell a "no"
apart as the one "unavailable" left. ``planner explain`` still names them for those people.
To stay small at scale, at most :data:`MAX_OPTIONAL_PEOPLE` opted-in, non-required people
per activity take part (those available most often).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from planner.domain.models import Answer, Kind
from planner.domain.schedule import Conflict
from planner.solve.instance import Instance, run_all, window_intervals
from planner.solve.ledger import HIDDEN_RULES, UNAVAILABLE

MAX_OPTIONAL_PEOPLE = 60
PRIVATE_RULES = HIDDEN_RULES
"""A person's rules worded ``unavailable`` in conflicts (see the module notes)."""


@dataclass(frozen=True)
class _Rule:
    rule: str
    activity: str | None
    person: str | None


class _Diagnosis:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.model = cp_model.CpModel()
        self.lits: dict[_Rule, cp_model.IntVar] = {}

    def lit(
        self, rule: str, activity: str | None = None, person: str | None = None
    ) -> cp_model.IntVar:
        key = _Rule(rule, activity, person)
        if key not in self.lits:
            self.lits[key] = self.model.new_bool_var(f"{rule}:{activity}:{person}")
        return self.lits[key]

    def build(self) -> bool:
        inst = self.instance
        grid = inst.grid
        s = inst.scenario
        m = self.model
        acts = [
            a for a in inst.activities if a.activity.must_hold and a.activity.kind is Kind.event
        ]
        if not acts:
            return False
        # person -> list of (session key, x literal, y literals by start, duration, activity)
        per_person: dict[
            int, list[tuple[str, cp_model.IntVar, dict[int, cp_model.IntVar], str]]
        ] = defaultdict(list)
        for a in acts:
            act = a.activity
            d = a.duration
            n = grid.size - d + 1
            fits = np.zeros(grid.size, dtype=bool)
            if n > 0:
                fits[:n] = grid.day[:n] == grid.day[d - 1 :]
            starts = np.flatnonzero(fits)
            bans: dict[str, np.ndarray] = {
                "min_notice": ~inst.notice_ok,
                "protected_window": ~run_all(~inst.protected, d),
            }
            if act.windows:
                inside = grid.mask_inside(window_intervals(act.windows, grid.tz, grid.days))
                bans["activity_window"] = ~run_all(inside, d)
            if a.venues:
                free = np.zeros(grid.size, dtype=bool)
                for v in a.venues:
                    free |= run_all(~inst.venues[v][3], d)
                bans["venue_conflict"] = ~free
            # Candidate people: required, plus the opted-in available most often.
            optional = []
            for pd in inst.people:
                if pd.index in a.required:
                    continue
                ans = s.answer(pd.person.id, act.id)
                if ans is Answer.no or (pd.person.id, act.id) in inst.problem.declined:
                    continue
                optional.append(pd.index)
            optional.sort(key=lambda p: -int((inst.people[p].free & inst.people[p].work).sum()))
            people = list(dict.fromkeys([*a.required, *optional[:MAX_OPTIONAL_PEOPLE]]))
            session_keys = []
            prev_start = None
            for k in range(act.sessions):
                key = f"{act.id}#{k + 1}"
                session_keys.append(key)
                ys = {int(t): m.new_bool_var(f"y[{key},{t}]") for t in starts}
                m.add_exactly_one(ys.values())
                start = m.new_int_var(0, grid.size, f"start[{key}]")
                m.add(start == sum(t * y for t, y in ys.items()))
                for rule, ban in bans.items():
                    lit = self.lit(rule, act.id)
                    for t, y in ys.items():
                        if ban[t]:
                            m.add_bool_or([~lit, ~y])
                if prev_start is not None and len(a.venues) == 1:
                    lit = self.lit("venue_conflict", act.id)
                    b = m.new_bool_var("")
                    m.add(prev_start + d <= start).only_enforce_if(lit, b)
                    m.add(start + d <= prev_start).only_enforce_if(lit, ~b)
                prev_start = start
                xs = {}
                for p in people:
                    pd = inst.people[p]
                    pid = pd.person.id
                    x = m.new_bool_var(f"x[{pid},{key}]")
                    xs[p] = x
                    per_person[p].append((key, x, ys, act.id))
                    loose = pd.person.after_hours and act.after_hours
                    masks = {
                        "time_off": pd.off,
                        "busy": pd.busy,
                        "coverage_floor": pd.queue_ban,
                    }
                    if not loose:
                        masks["working_hours"] = ~pd.work
                    for rule, mask in masks.items():
                        bad = ~run_all(~mask, d)
                        if not bad[starts].any():
                            continue
                        lit = self.lit(rule, act.id if rule == "coverage_floor" else None, pid)
                        for t, y in ys.items():
                            if bad[t]:
                                m.add_bool_or([~lit, ~x, ~y])
                    explicit = s.preferences.get(pid, {}).get(act.id)
                    if explicit is Answer.no or (pid, act.id) in inst.problem.declined:
                        m.add_bool_or([~self.lit("opted_out", act.id, pid), ~x])
                    missing = set(pd.person.needs) - set(act.provides)
                    if missing and not any(missing <= set(s.venues[v].provides) for v in a.venues):
                        m.add_bool_or([~self.lit("needs_unmet", act.id, pid), ~x])
                    if pd.weekly_cap == 0:
                        m.add_bool_or([~self.lit("weekly_events_cap", None, pid), ~x])
                    if pd.daily_cap == 0:
                        m.add_bool_or([~self.lit("daily_cap", None, pid), ~x])
                    if pd.minutes_cap is not None and pd.minutes_cap < act.duration_minutes:
                        m.add_bool_or([~self.lit("weekly_minutes_cap", None, pid), ~x])
                    if p in a.required:
                        m.add_implication(self.lit("required_attendee", act.id, pid), x)
                size = sum(xs.values())
                m.add(size >= a.activity.min_participants).only_enforce_if(
                    self.lit("capacity", act.id)
                )
                m.add(size <= a.activity.max_participants).only_enforce_if(
                    self.lit("capacity", act.id)
                )
                if a.venues:
                    m.add(size <= max(inst.venues[v][2] for v in a.venues)).only_enforce_if(
                        self.lit("venue_capacity", act.id)
                    )
                if act.min_departments > 1:
                    present = []
                    by_dep: dict[int, list[cp_model.IntVar]] = defaultdict(list)
                    for p, x in xs.items():
                        by_dep[inst.dept_of[p]].append(x)
                    for xl in by_dep.values():
                        lit = m.new_bool_var("")
                        m.add_bool_or(xl).only_enforce_if(lit)
                        present.append(lit)
                    m.add(sum(present) >= act.min_departments).only_enforce_if(
                        self.lit("department_mix", act.id)
                    )
            for p in people:
                if p in a.required:
                    continue
                xl = [x for key, x, _, aid in per_person[p] if aid == act.id]
                if len(xl) > 1:
                    m.add(sum(xl) <= 1).only_enforce_if(
                        self.lit("one_session_per_activity", act.id)
                    )
        self._caps(per_person)
        return True

    def _caps(self, per_person: dict) -> None:
        """Daily and weekly caps of people who may attend several diagnosed sessions."""
        inst, m, grid = self.instance, self.model, self.instance.grid
        for p, items in per_person.items():
            if len(items) < 2:
                continue
            pd = inst.people[p]
            pid = pd.person.id
            for unit, of, cap, rule in (
                ("day", grid.day, pd.daily_cap, "daily_cap"),
                ("week", grid.week, pd.weekly_cap, "weekly_events_cap"),
            ):
                if len(items) <= cap:
                    continue
                groups: dict[int, list[cp_model.IntVar]] = defaultdict(list)
                for key, x, ys, _ in items:
                    by_unit: dict[int, list[cp_model.IntVar]] = defaultdict(list)
                    for t, y in ys.items():
                        by_unit[int(of[t])].append(y)
                    for u, yl in by_unit.items():
                        z = m.new_bool_var(f"{unit}[{pid},{key},{u}]")
                        m.add_bool_or([~x, *[~y for y in yl], z])
                        m.add(sum(yl) + x - 1 <= z)
                        groups[u].append(z)
                for zl in groups.values():
                    if len(zl) > cap:
                        m.add(sum(zl) <= cap).only_enforce_if(self.lit(rule, None, pid))

    def solve(
        self, assumptions: list[cp_model.IntVar], seconds: float
    ) -> tuple[cp_model.CpSolverStatus, list[int]]:
        m = self.model
        m.clear_assumptions()
        m.add_assumptions(assumptions)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, seconds)
        solver.parameters.num_workers = 1
        solver.parameters.catch_sigint_signal = False  # the caller owns Ctrl+C
        status = solver.solve(m)
        core = (
            list(solver.sufficient_assumptions_for_infeasibility())
            if status == cp_model.INFEASIBLE
            else []
        )
        return status, core


def _describe(rules: list[_Rule]) -> Conflict:
    names: list[str] = []
    parts: list[str] = []
    must: set[str] = set()
    for r in rules:
        rule, activity = r.rule, r.activity
        if r.person is not None and rule in PRIVATE_RULES:
            # Worded alike whatever the reason; only ``opted_out`` names an activity, so
            # the activity is dropped too.
            rule, activity = UNAVAILABLE, None
        names.append(rule)
        if activity:
            must.add(activity)
        who = ", ".join(x for x in (activity, r.person) if x)
        parts.append(f"{rule} ({who})" if who else rule)
    detail = "; ".join(dict.fromkeys(parts))
    if must:
        detail = f"must_hold activities {', '.join(sorted(must))} cannot be held: {detail}"
    return Conflict(rules=sorted(set(names)), detail=detail)


def diagnose(instance: Instance, time_limit: float = 10.0) -> list[Conflict]:
    """Minimal sets of contradicting rules behind an infeasible plan (at most five)."""
    deadline = time.monotonic() + time_limit
    diag = _Diagnosis(instance)
    if not diag.build():
        return [Conflict(rules=[], detail="the hard rules contradict each other")]
    by_index = {v.index: (k, v) for k, v in diag.lits.items()}
    active = [v for v in diag.lits.values()]
    conflicts: list[Conflict] = []
    while len(conflicts) < 5 and time.monotonic() < deadline:
        status, core_idx = diag.solve(active, deadline - time.monotonic())
        if status != cp_model.INFEASIBLE or not core_idx:
            break
        core = [by_index[i][1] for i in core_idx if i in by_index]
        # Deletion filter: drop every member whose removal keeps the set infeasible.
        rest = [v for v in active if v.index not in {c.index for c in core}]
        i = 0
        while i < len(core) and time.monotonic() < deadline:
            trial = core[:i] + core[i + 1 :]
            st, _ = diag.solve(trial, min(2.0, deadline - time.monotonic()))
            if st == cp_model.INFEASIBLE:
                core = trial
            else:
                i += 1
        conflicts.append(_describe([by_index[v.index][0] for v in core]))
        active = rest
        if not active:
            break
    if not conflicts:
        conflicts.append(
            Conflict(
                rules=["coverage_floor", "overlap", "venue_conflict"],
                detail="the must_hold activities cannot all be held together",
            )
        )
    return conflicts
