"""The greedy baselines: what an organiser with a poll would do by hand.

Why: a benchmark number means little alone. The baseline plans one session at a time,
activities in file order, at the slot most opted-in people can make, while keeping every
hard rule. Who gets the seats comes in two flavours:

``poll``
    The issue's baseline, an organiser working from a poll: yes before maybe, then in the
    order the answers came in (the order of ``preferences``). Keen early answerers fill
    every session they can make until their caps stop them.
``balanced``
    A careful organiser with a spreadsheet of who already has a seat elsewhere: fewest
    placements first, then yes before maybe, then people who missed out last round. This
    does by hand much of what the engine's level 1 does, so it is the harder comparison.

The CP-SAT engine should place more people with a yes than either; the table shows both.

Availability is precomputed per person on the slot grid with numpy (working hours, time
off, busy blocks; a slot counts only if wholly free, which is conservative), caps and
overlaps are tracked incrementally, and the rules that depend on other people (queue
cover, department mix, capacity) are checked with the independent checker's rule
functions. Every session is checked again with those functions before it is kept, so the
plan passes :func:`planner.solve.verify.verify` by construction.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from planner.domain.models import Activity, Answer, Kind
from planner.domain.planning import PlanningInput
from planner.domain.schedule import NotHeld, Objective, PlannedSession, PlanStatus, Schedule
from planner.domain.timeutil import iso_week
from planner.solve.instance import run_all
from planner.solve.verify import (
    ATTENDANCE_RULES,
    PERSON_RULES,
    SESSION_RULES,
    Facts,
    Focus,
    PlanView,
    Ranges,
    rule_coverage_floor,
    start_allowed,
)

BoolArray = npt.NDArray[np.bool_]

Seating = Literal["poll", "balanced"]
"""Who gets a seat first (see the module docstring)."""
SEATINGS: tuple[Seating, ...] = get_args(Seating)


@dataclass
class _Grid:
    """Slot ``t`` starts at ``origin + t * slot`` (absolute time, so DST days just differ)."""

    origin: datetime
    slot: timedelta
    size: int
    day_index: npt.NDArray[np.int64]
    """Team-zone day of each slot, as an index."""
    week_index: npt.NDArray[np.int64]
    """ISO week (team zone) of each slot, as an index."""

    def at(self, t: int) -> datetime:
        return self.origin + t * self.slot

    def index(self, instant: datetime) -> float:
        return (instant - self.origin) / self.slot

    def inside(self, ranges: Ranges) -> BoolArray:
        out = np.zeros(self.size, dtype=bool)
        for s, e in zip(ranges.starts, ranges.ends, strict=True):
            lo, hi = max(0, int(np.ceil(self.index(s)))), min(self.size, int(self.index(e)))
            if hi > lo:
                out[lo:hi] = True
        return out

    def touching(self, ranges: Ranges) -> BoolArray:
        out = np.zeros(self.size, dtype=bool)
        for s, e in zip(ranges.starts, ranges.ends, strict=True):
            lo = max(0, int(np.floor(self.index(s))))
            hi = min(self.size, int(np.ceil(self.index(e))))
            if hi > lo:
                out[lo:hi] = True
        return out


def _no_cap(cap: int | None) -> int:
    return 1 << 40 if cap is None else cap


class _Greedy:
    def __init__(self, problem: PlanningInput, seating: Seating) -> None:
        self.problem = problem
        self.seating = seating
        self.facts = f = Facts(problem)
        sc = f.scenario
        size = int((f.horizon[1] - f.horizon[0]) / f.slot)
        origin = f.horizon[0]
        days = [f.local_date(origin + t * f.slot) for t in range(size)]
        day_ids = {d: i for i, d in enumerate(dict.fromkeys(days))}
        week_ids = {w: i for i, w in enumerate(dict.fromkeys(iso_week(d) for d in days))}
        self.grid = _Grid(
            origin,
            f.slot,
            size,
            np.array([day_ids[d] for d in days], dtype=np.int64),
            np.array([week_ids[iso_week(d)] for d in days], dtype=np.int64),
        )
        self.pids = [p.id for p in sc.people]
        self.row = {pid: i for i, pid in enumerate(self.pids)}
        n = len(self.pids)
        # Static availability: free = not on time off and not busy; working = inside hours.
        self.free = np.zeros((n, size), dtype=bool)
        self.working = np.zeros((n, size), dtype=bool)
        for i, pid in enumerate(self.pids):
            self.working[i] = self.grid.inside(f.working(pid))
            self.free[i] = ~(self.grid.touching(f.time_off(pid)) | self.grid.touching(f.busy(pid)))
        self.occupied = np.zeros((n, size), dtype=bool)
        self.day_count = np.zeros((n, len(day_ids)), dtype=np.int64)
        self.week_count = np.zeros((n, len(week_ids)), dtype=np.int64)
        self.week_minutes = np.zeros((n, len(week_ids)), dtype=np.int64)
        people = [f.people[pid] for pid in self.pids]
        self.day_cap = np.array([sc.daily_events_cap(p) for p in people], dtype=np.int64)
        self.week_cap = np.array([sc.weekly_events_cap(p) for p in people], dtype=np.int64)
        self.minute_cap = np.array(
            [_no_cap(sc.weekly_minutes_cap(p)) for p in people], dtype=np.int64
        )
        self.placed: Counter[str] = Counter()
        self.sessions: list[PlannedSession] = []
        self.not_held: list[NotHeld] = []
        self.missed = set(sc.history.missed_out)
        self.opted: dict[str, list[str]] = {}
        answered = list(dict.fromkeys([*sc.preferences, *self.pids]))
        self.answer_order = {pid: i for i, pid in enumerate(answered)}

    # -- slots -----------------------------------------------------------------------------

    def allowed_starts(self, a: Activity) -> BoolArray:
        """Starts where the session's own time rules hold (horizon, notice, windows)."""
        out = np.zeros(self.grid.size, dtype=bool)
        d = a.duration_minutes // self.facts.scenario.team.slot_minutes
        for t in range(self.grid.size - d + 1):
            start = self.grid.at(t)
            out[t] = start >= self.facts.notice_from and start_allowed(self.facts, a, start)
        return out

    def venue_options(self, a: Activity, t: int) -> list[str | None]:
        if not a.venues:
            return [None]
        start = self.grid.at(t)
        end = start + timedelta(minutes=a.duration_minutes)
        out: list[str | None] = []
        for vid in a.venues:
            v = self.facts.venues[vid]
            if v.capacity < a.min_participants:
                continue
            busy = Ranges(self.facts.range_instants(r, self.facts.tz) for r in v.busy)
            if busy.overlaps(start, end):
                continue
            if any(s.venue == vid and s.start < end and start < s.end for s in self.sessions):
                continue
            out.append(vid)
        return sorted(out, key=lambda v: -self.facts.venues[v].capacity if v else 0)

    # -- people ----------------------------------------------------------------------------

    def available(self, pids: list[str], a: Activity) -> BoolArray:
        """(len(pids) × slots): could start ``a`` at t by time, caps and own sessions."""
        if not pids:
            return np.zeros((0, self.grid.size), dtype=bool)
        rows = [self.row[p] for p in pids]
        d = a.duration_minutes // self.facts.scenario.team.slot_minutes
        hours = self.working[rows].copy()
        for k, pid in enumerate(pids):
            if a.after_hours and self.facts.people[pid].after_hours:
                hours[k] = True
        ok = run_all(self.free[rows] & hours & ~self.occupied[rows], d)
        slot_day, slot_week = self.grid.day_index, self.grid.week_index
        ok &= self.day_count[rows][:, slot_day] < self.day_cap[rows, None]
        ok &= self.week_count[rows][:, slot_week] < self.week_cap[rows, None]
        minutes = self.week_minutes[rows][:, slot_week] + a.duration_minutes
        ok &= minutes <= self.minute_cap[rows, None]
        return ok

    def priority(self, pid: str, a: Activity) -> tuple[int, ...]:
        yes = 0 if self.facts.scenario.answer(pid, a.id) is Answer.yes else 1
        if self.seating == "poll":
            return (yes, self.answer_order[pid])
        missed = 0 if pid in self.missed else 1
        return (self.placed[pid], yes, missed, self.answer_order[pid])

    def needs_met(self, pid: str, a: Activity, venue: str | None) -> bool:
        offered = set(a.provides) | set(self.facts.venues[venue].provides if venue else ())
        return set(self.facts.people[pid].needs) <= offered

    # -- one session -------------------------------------------------------------------------

    def try_session(self, a: Activity, allowed: BoolArray, number: int) -> bool:
        """Place one session of ``a``; return whether it was held."""
        taken = {p for s in self.sessions if s.activity == a.id for p in s.attendees}
        if a.id not in self.opted:
            self.opted[a.id] = [
                p for p in self.pids if p not in a.required and self.facts.may_attend(p, a.id)
            ]
        opted = [p for p in self.opted[a.id] if p not in taken]
        if len(opted) + len(a.required) < a.min_participants:
            return False
        avail = self.available(opted, a)
        starts = allowed.copy()
        if a.required:
            starts &= self.available(list(a.required), a).all(axis=0)
        counts = np.where(starts, avail.sum(axis=0), -1)
        # Try the most popular slots first; a few fall-backs if queue cover or mixing fail.
        for t in np.argsort(-counts, kind="stable")[:8]:
            if counts[t] + len(a.required) < a.min_participants:
                break
            for venue in self.venue_options(a, int(t)):
                chosen = self.fill(
                    a, int(t), venue, [p for k, p in enumerate(opted) if avail[k, t]]
                )
                if chosen is not None:
                    self.commit(a, int(t), venue, chosen, number)
                    return True
        return False

    def fill(
        self, a: Activity, t: int, venue: str | None, candidates: list[str]
    ) -> list[str] | None:
        """Seat people in priority order while every rule holds; None if it cannot be held."""
        start = self.grid.at(t)
        cap = a.max_participants
        if venue is not None:
            cap = min(cap, self.facts.venues[venue].capacity)
        sid = f"{a.id}#new"
        current = PlannedSession(
            id=sid,
            activity=a.id,
            start=start,
            end=start + timedelta(minutes=a.duration_minutes),
            attendees=[],
            venue=venue,
        )
        people = list(a.required) + sorted(
            (p for p in candidates if self.needs_met(p, a, venue)),
            key=lambda p: self.priority(p, a),
        )
        target = min(cap, len(people))
        limit = int(a.max_department_share * target + 1e-9)
        depts: Counter[str] = Counter()
        attendees: list[str] = []
        view: PlanView | None = None  # the plan with the seats taken so far (built lazily)
        for pid in people:
            if len(attendees) >= cap:
                break
            dept = self.facts.people[pid].department
            if pid not in a.required and depts[dept] + 1 > max(1, limit):
                continue
            if self.facts.people[pid].queues:
                if view is None:
                    seated = current.model_copy(update={"attendees": sorted(attendees)})
                    view = PlanView([*self.sessions, seated])
                trial = view.with_attendee(sid, pid)
                if any(True for _ in rule_coverage_floor(self.facts, trial, Focus(pid, sid))):
                    if pid in a.required:
                        return None
                    continue
                view = None
            attendees.append(pid)
            depts[dept] += 1
        final = current.model_copy(update={"attendees": sorted(attendees)})
        check = PlanView([*self.sessions, final])
        for fn in SESSION_RULES.values():
            if any(True for _ in fn(self.facts, check, Focus("", sid))):
                return None
        for pid in attendees:
            focus = Focus(pid, sid)
            for fn in (*ATTENDANCE_RULES.values(), *PERSON_RULES.values(), rule_coverage_floor):
                if any(True for _ in fn(self.facts, check, focus)):
                    return None
        return attendees

    def commit(self, a: Activity, t: int, venue: str | None, attendees: list[str], n: int) -> None:
        start = self.grid.at(t)
        d = a.duration_minutes // self.facts.scenario.team.slot_minutes
        location = self.facts.venues[venue].name if venue else (a.location or a.url)
        self.sessions.append(
            PlannedSession(
                id=f"{a.id}#new{n}",
                activity=a.id,
                start=start,
                end=start + timedelta(minutes=a.duration_minutes),
                attendees=sorted(attendees),
                venue=venue,
                location=location,
            )
        )
        day, week = self.grid.day_index[t], self.grid.week_index[t]
        for pid in attendees:
            r = self.row[pid]
            self.occupied[r, t : t + d] = True
            self.day_count[r, day] += 1
            self.week_count[r, week] += 1
            self.week_minutes[r, week] += a.duration_minutes
            if self.facts.scenario.answer(pid, a.id) is Answer.yes:
                self.placed[pid] += 1

    # -- the plan ----------------------------------------------------------------------------

    def run(self) -> list[PlannedSession]:
        cache: dict[tuple[object, ...], BoolArray] = {}
        for a in self.facts.scenario.activities:
            key = (a.duration_minutes, tuple(w.model_dump_json() for w in a.windows))
            if key not in cache:
                cache[key] = self.allowed_starts(a)
            allowed = cache[key]
            held = 0
            for n in range(1, a.sessions + 1):
                if self.try_session(a, allowed, n):
                    held += 1
                elif a.kind is Kind.pairing:
                    break
                else:
                    self.not_held.append(NotHeld(activity=a.id, session=n))
            if a.kind is Kind.pairing and held == 0:
                self.not_held.append(NotHeld(activity=a.id, session=1))
        return _numbered(self.sessions, self.facts)


def _numbered(sessions: list[PlannedSession], facts: Facts) -> list[PlannedSession]:
    """Final ids: ``<activity>#<n>`` (pairing ``#g<n>``) in time order."""
    out: list[PlannedSession] = []
    by_activity: dict[str, list[PlannedSession]] = defaultdict(list)
    for s in sessions:
        by_activity[s.activity].append(s)
    for aid, group in by_activity.items():
        pairing = facts.activities[aid].kind is Kind.pairing
        for i, s in enumerate(sorted(group, key=lambda s: (s.start, s.attendees)), start=1):
            out.append(s.model_copy(update={"id": f"{aid}#{'g' if pairing else ''}{i}"}))
    return sorted(out, key=lambda s: (s.start, s.id))


def yes_placed(problem: PlanningInput, schedule: Schedule) -> int:
    """People with at least one activity they said yes to (objective term 1)."""
    sc = problem.scenario
    return len(
        {
            p
            for s in schedule.sessions
            for p in s.attendees
            if sc.answer(p, s.activity) is Answer.yes
        }
    )


def greedy_plan(problem: PlanningInput, seating: Seating = "poll") -> Schedule:
    """A hand-style plan that keeps every hard rule (verify reports nothing).

    ``seating`` picks who gets the seats of a session first (see the module docstring).

    ``objective.value`` is the number of people placed in an activity they said yes to;
    the baseline proves no bound, so ``bound`` equals ``value`` and the status is
    ``feasible``.
    """
    began = time.perf_counter()
    g = _Greedy(problem, seating)
    sessions = g.run()
    schedule = Schedule(
        status=PlanStatus.feasible,
        objective=Objective(value=0, bound=0, gap=0.0),
        sessions=sessions,
        not_held=g.not_held,
        generated_at=datetime.now(UTC).replace(microsecond=0),
    )
    value = float(yes_placed(problem, schedule))
    return schedule.model_copy(
        update={
            "objective": Objective(value=value, bound=value, gap=0.0),
            "solve_seconds": round(time.perf_counter() - began, 3),
        }
    )


__all__ = ["SEATINGS", "Seating", "greedy_plan", "yes_placed"]
