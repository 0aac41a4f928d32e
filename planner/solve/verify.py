"""The independent checker: every hard rule of ``docs/rules.md``, in plain Python.

Why a second implementation: the CP-SAT engine discretises time and encodes each rule as
constraints; a bug there would silently produce plans that break a boundary somebody relies
on (time off, a staffed queue). This module re-derives every rule from the domain model with
``datetime`` arithmetic in continuous time and shares no code with the solver modules, so the
two can only agree by both being right. It runs on every solver output in the tests, on
hypothesis-generated instances, behind ``planner verify``, and ``explain`` reuses the rule
functions to say why someone was not placed.

Each rule is one small generator ``rule_<id>(facts, plan, focus)`` yielding
:class:`Violation`. ``focus`` restricts a rule to what changes when one person joins one
session (used by ``explain``); ``verify`` passes ``None`` and checks everything.

Details are meant for the organiser. They never quote calendar content (the model holds
none) and never state someone's ``no`` answer: attending without opting in is reported as
"attends ... without opting in", which is what the organiser must fix.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from planner.domain.errors import InputError
from planner.domain.io import parse_document, read_text, validation_problems
from planner.domain.models import Activity, Answer, Person, Scenario, TimeRange, Venue, Window
from planner.domain.planning import Interval, PlanningInput
from planner.domain.schedule import PlannedSession, Schedule
from planner.domain.timeutil import WEEKDAYS, iso_week, local_instant, parse_clock_range, to_aware
from planner.domain.timeutil import zone as tz_zone
from planner.solve.ledger import HARD_RULES


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, a readable detail, and where (session and/or person)."""

    rule: str
    detail: str
    session: str | None = None
    person: str | None = None

    def render(self) -> str:
        where = " ".join(
            x for x in (self.session or "", f"({self.person})" if self.person else "") if x
        )
        return f"{self.rule}: {where}: {self.detail}" if where else f"{self.rule}: {self.detail}"


@dataclass(frozen=True)
class Focus:
    """Restrict rules to the consequences of ``person`` attending ``session``."""

    person: str
    session: str


# --------------------------------------------------------------------------- intervals


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union of half-open intervals; touching ones join (09-12 + 12-17 = 09-17)."""
    out: list[list[datetime]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _subtract(base: list[Interval], holes: list[Interval]) -> list[Interval]:
    """``base`` minus ``holes`` (both sorted and disjoint)."""
    out: list[Interval] = []
    j = 0
    for s, e in base:
        cur = s
        while j < len(holes) and holes[j][1] <= cur:
            j += 1
        i = j
        while i < len(holes) and holes[i][0] < e:
            hs, he = holes[i]
            if hs > cur:
                out.append((cur, hs))
            cur = max(cur, he)
            i += 1
        if cur < e:
            out.append((cur, e))
    return out


class Ranges:
    """Disjoint sorted intervals with O(log n) overlap and containment queries."""

    __slots__ = ("ends", "starts")

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged = merge(intervals)
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        i = bisect_left(self.starts, end) - 1  # last range starting before ``end``
        return i >= 0 and self.ends[i] > start

    def contains(self, start: datetime, end: datetime) -> bool:
        i = bisect_right(self.starts, start) - 1  # last range starting at or before ``start``
        return i >= 0 and self.ends[i] >= end

    def at(self, t: datetime) -> bool:
        return self.contains(t, t + timedelta(microseconds=1))

    def boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        lo = bisect_left(self.ends, start)
        hi = bisect_left(self.starts, end)
        out: list[datetime] = []
        for i in range(lo, hi):
            out.extend((self.starts[i], self.ends[i]))
        return [t for t in out if start < t < end]


# --------------------------------------------------------------------------- facts


class Facts:
    """Everything the rules need from a :class:`PlanningInput`, derived once and cached.

    Person time ranges (working hours, time off, busy) are built per local calendar day in
    the person's own zone with ``local_instant``, so DST changes keep wall-clock meaning.
    """

    def __init__(self, problem: PlanningInput) -> None:
        self.problem = problem
        self.scenario: Scenario = problem.scenario
        self.tz: ZoneInfo = tz_zone(self.scenario.team.timezone)
        h = self.scenario.team.horizon
        self.horizon: Interval = (
            local_instant(h.start, 0, self.tz),
            local_instant(h.end + timedelta(days=1), 0, self.tz),
        )
        self.slot = timedelta(minutes=self.scenario.team.slot_minutes)
        self.people: dict[str, Person] = {p.id: p for p in self.scenario.people}
        self.activities: dict[str, Activity] = {a.id: a for a in self.scenario.activities}
        self.venues: dict[str, Venue] = {v.id: v for v in self.scenario.venues}
        self.notice_from = problem.now + timedelta(hours=self.scenario.policy.min_notice_hours)
        self.queue_members: dict[str, list[str]] = defaultdict(list)
        for p in self.scenario.people:
            for q in p.queues:
                self.queue_members[q].append(p.id)
        self._working: dict[str, Ranges] = {}
        self._time_off: dict[str, Ranges] = {}
        self._busy: dict[str, Ranges] = {}
        self._service: dict[str, Ranges] = {}
        self._on_duty: dict[str, Ranges] = {}
        self._steps: dict[str, tuple[list[datetime], list[int]]] = {}
        self._days = [h.start + timedelta(days=i) for i in range(-2, (h.end - h.start).days + 3)]

    # -- time helpers -------------------------------------------------------------------

    def local_date(self, t: datetime) -> date:
        """The team-zone calendar date of an instant (the unit of daily caps)."""
        return t.astimezone(self.tz).date()

    def aware(self, value: datetime) -> datetime:
        return to_aware(value, self.tz)

    def range_instants(self, r: TimeRange, day_zone: ZoneInfo) -> Interval:
        """A scenario range as instants: whole days in ``day_zone``, naive times in team zone."""
        if r.all_day:
            return (
                local_instant(r.start, 0, day_zone),
                local_instant(r.end + timedelta(days=1), 0, day_zone),
            )
        assert isinstance(r.start, datetime) and isinstance(r.end, datetime)
        return self.aware(r.start), self.aware(r.end)

    def person_zone(self, p: Person) -> ZoneInfo:
        return tz_zone(self.scenario.person_zone_name(p))

    def window_intervals(self, w: Window, around: datetime) -> list[Interval]:
        """Instances of a team-zone window on the days around ``around`` (day before to after)."""
        d0 = self.local_date(around)
        ws, we = w.minutes
        out = []
        for d in (d0 - timedelta(days=1), d0, d0 + timedelta(days=1)):
            if w.applies_to(d):
                out.append((local_instant(d, ws, self.tz), local_instant(d, we, self.tz)))
        return out

    # -- per-person ranges ----------------------------------------------------------------

    def working(self, pid: str) -> Ranges:
        if pid not in self._working:
            p = self.people[pid]
            ptz = self.person_zone(p)
            hours = self.scenario.person_hours(p)
            spans = []
            for d in self._days:
                for text in hours.get(WEEKDAYS[d.weekday()], []):  # type: ignore[call-overload]
                    s, e = parse_clock_range(text)
                    spans.append((local_instant(d, s, ptz), local_instant(d, e, ptz)))
            self._working[pid] = Ranges(spans)
        return self._working[pid]

    def time_off(self, pid: str) -> Ranges:
        if pid not in self._time_off:
            p = self.people[pid]
            ptz = self.person_zone(p)
            self._time_off[pid] = Ranges(self.range_instants(r, ptz) for r in p.time_off)
        return self._time_off[pid]

    def busy(self, pid: str) -> Ranges:
        if pid not in self._busy:
            p = self.people[pid]
            ptz = self.person_zone(p)
            spans = [self.range_instants(r, ptz) for r in p.busy]
            spans.extend((self.aware(s), self.aware(e)) for s, e in self.problem.busy.get(pid, ()))
            self._busy[pid] = Ranges(spans)
        return self._busy[pid]

    def service_hours(self, qid: str) -> Ranges:
        """A queue's service hours: its own (team zone), else the union of members' hours."""
        if qid not in self._service:
            queue = next(q for q in self.scenario.queues if q.id == qid)
            if queue.service_hours is not None:
                spans = []
                for d in self._days:
                    for text in queue.service_hours.get(WEEKDAYS[d.weekday()], []):  # type: ignore[call-overload]
                        s, e = parse_clock_range(text)
                        spans.append((local_instant(d, s, self.tz), local_instant(d, e, self.tz)))
                self._service[qid] = Ranges(spans)
            else:
                members = self.queue_members.get(qid, [])
                spans = []
                for m in members:
                    w = self.working(m)
                    spans.extend(zip(w.starts, w.ends, strict=True))
                self._service[qid] = Ranges(spans)
        return self._service[qid]

    def on_duty(self, pid: str) -> Ranges:
        """When the person is working: own hours minus time off and busy (the queue's W)."""
        if pid not in self._on_duty:
            away = merge(
                [
                    *zip(self.time_off(pid).starts, self.time_off(pid).ends, strict=True),
                    *zip(self.busy(pid).starts, self.busy(pid).ends, strict=True),
                ]
            )
            w = self.working(pid)
            self._on_duty[pid] = Ranges(_subtract(list(zip(w.starts, w.ends, strict=True)), away))
        return self._on_duty[pid]

    def on_duty_steps(self, qid: str) -> tuple[list[datetime], list[int]]:
        """|W| of a queue as a step function: ``counts[i]`` holds from ``times[i]`` on."""
        if qid not in self._steps:
            delta: Counter[datetime] = Counter()
            for m in self.queue_members.get(qid, []):
                r = self.on_duty(m)
                for s, e in zip(r.starts, r.ends, strict=True):
                    delta[s] += 1
                    delta[e] -= 1
            times, counts, n = [], [], 0
            for t in sorted(delta):
                n += delta[t]
                times.append(t)
                counts.append(n)
            self._steps[qid] = (times, counts)
        return self._steps[qid]

    def may_attend(self, pid: str, aid: str) -> bool:
        """Opt-in: a yes or maybe that was not declined by RSVP (required people: no 'no')."""
        activity = self.activities[aid]
        if (pid, aid) in self.problem.declined:
            return False
        if pid in activity.required:
            return self.scenario.preferences.get(pid, {}).get(aid) is not Answer.no
        return self.scenario.answer(pid, aid) in (Answer.yes, Answer.maybe)


# --------------------------------------------------------------------------- the plan


class PlanView:
    """Sessions indexed by id and by person; ``explain`` overlays one added attendee."""

    def __init__(self, sessions: Sequence[PlannedSession]) -> None:
        self._sessions = list(sessions)
        self._by_id: dict[str, PlannedSession] = {}
        by_person: dict[str, list[PlannedSession]] = defaultdict(list)
        for s in self._sessions:
            self._by_id.setdefault(s.id, s)
            for pid in dict.fromkeys(s.attendees):
                by_person[pid].append(s)
        self._by_person = dict(by_person)

    @property
    def sessions(self) -> list[PlannedSession]:
        return self._sessions

    def session(self, sid: str) -> PlannedSession | None:
        return self._by_id.get(sid)

    def sessions_of(self, pid: str) -> list[PlannedSession]:
        return self._by_person.get(pid, [])

    def with_attendee(self, sid: str, pid: str) -> PlanView:
        """This plan with ``pid`` added to session ``sid`` (cheap: shares everything else)."""
        return _WithAttendee(self, sid, pid)


class _WithAttendee(PlanView):
    def __init__(self, base: PlanView, sid: str, pid: str) -> None:
        old = base.session(sid)
        assert old is not None
        self._base = base
        self._new = old.model_copy(update={"attendees": sorted([*old.attendees, pid])})
        self._old = old
        self._pid = pid

    @property
    def sessions(self) -> list[PlannedSession]:
        return [self._new if s is self._old else s for s in self._base.sessions]

    def session(self, sid: str) -> PlannedSession | None:
        return self._new if sid == self._old.id else self._base.session(sid)

    def sessions_of(self, pid: str) -> list[PlannedSession]:
        own = self._base.sessions_of(pid)
        if pid == self._pid:
            return sorted([*own, self._new], key=lambda s: (s.start, s.id))
        return [self._new if s is self._old else s for s in own]


# --------------------------------------------------------------------------- iteration helpers


def _checked_sessions(facts: Facts, plan: PlanView, focus: Focus | None) -> list[PlannedSession]:
    """Sessions of a known activity, restricted to the focus session if any."""
    if focus is not None:
        s = plan.session(focus.session)
        return [s] if s is not None and s.activity in facts.activities else []
    return [s for s in plan.sessions if s.activity in facts.activities]


def _attendances(
    facts: Facts, plan: PlanView, focus: Focus | None
) -> Iterator[tuple[PlannedSession, Activity, Person]]:
    """(session, activity, person) for every known attendee; the focus pair only if focused."""
    for s in _checked_sessions(facts, plan, focus):
        activity = facts.activities[s.activity]
        for pid in dict.fromkeys(s.attendees):
            if focus is not None and pid != focus.person:
                continue
            if pid in facts.people:
                yield s, activity, facts.people[pid]


def _people_in_focus(facts: Facts, plan: PlanView, focus: Focus | None) -> Iterable[str]:
    if focus is not None:
        return [focus.person] if focus.person in facts.people else []
    return [p for p in facts.people if plan.sessions_of(p)]


def _known_sessions(facts: Facts, sessions: Iterable[PlannedSession]) -> list[PlannedSession]:
    return [s for s in sessions if s.activity in facts.activities]


def _when(facts: Facts, t: datetime) -> str:
    return t.astimezone(facts.tz).strftime("%a %Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- attendance rules

RuleFn = Callable[[Facts, PlanView, "Focus | None"], Iterator[Violation]]


def rule_opted_out(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    """Only yes/maybe opt-ins (not declined) attend; required people unless they said no."""
    for s, a, p in _attendances(facts, plan, focus):
        if not facts.may_attend(p.id, a.id):
            yield Violation("opted_out", f"{p.id} attends {a.id} without opting in", s.id, p.id)


def rule_time_off(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    for s, _a, p in _attendances(facts, plan, focus):
        if facts.time_off(p.id).overlaps(s.start, s.end):
            yield Violation("time_off", f"{p.id} is on time off during {s.id}", s.id, p.id)


def rule_busy(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    for s, _a, p in _attendances(facts, plan, focus):
        if facts.busy(p.id).overlaps(s.start, s.end):
            yield Violation("busy", f"{p.id} is busy during {s.id}", s.id, p.id)


def rule_working_hours(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    """Inside one joined working range, unless both person and activity allow after hours."""
    for s, a, p in _attendances(facts, plan, focus):
        if p.after_hours and a.after_hours:
            continue
        if not facts.working(p.id).contains(s.start, s.end):
            yield Violation(
                "working_hours", f"{s.id} is outside {p.id}'s working hours", s.id, p.id
            )


def rule_needs_unmet(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s, a, p in _attendances(facts, plan, focus):
        offered = set(a.provides)
        if s.venue in facts.venues:
            offered |= set(facts.venues[s.venue].provides)
        missing = sorted(set(p.needs) - offered)
        if missing:
            yield Violation(
                "needs_unmet", f"{s.id} does not provide {', '.join(missing)}", s.id, p.id
            )


# --------------------------------------------------------------------------- per-person rules


def _caps(facts: Facts, plan: PlanView, focus: Focus | None, rule: str) -> Iterator[Violation]:
    for pid in _people_in_focus(facts, plan, focus):
        p = facts.people[pid]
        sessions = _known_sessions(facts, plan.sessions_of(pid))
        groups: dict[object, list[PlannedSession]] = defaultdict(list)
        for s in sessions:
            day = facts.local_date(s.start)
            groups[day if rule == "daily_cap" else iso_week(day)].append(s)
        for key, group in sorted(groups.items(), key=lambda kv: str(kv[0])):
            if focus is not None and focus.session not in {s.id for s in group}:
                continue
            ids = ", ".join(s.id for s in group)
            if rule == "daily_cap":
                cap = facts.scenario.daily_events_cap(p)
                if len(group) > cap:
                    yield Violation(
                        rule,
                        f"{pid} has {len(group)} events on {key} (cap {cap}): {ids}",
                        group[-1].id,
                        pid,
                    )
            elif rule == "weekly_events_cap":
                cap = facts.scenario.weekly_events_cap(p)
                if len(group) > cap:
                    yield Violation(
                        rule,
                        f"{pid} has {len(group)} events in week {_week(key)} (cap {cap}): {ids}",
                        group[-1].id,
                        pid,
                    )
            else:
                mcap = facts.scenario.weekly_minutes_cap(p)
                minutes = sum(int((s.end - s.start).total_seconds() // 60) for s in group)
                if mcap is not None and minutes > mcap:
                    yield Violation(
                        rule,
                        f"{pid} has {minutes} event minutes in week {_week(key)} (cap {mcap})",
                        group[-1].id,
                        pid,
                    )


def _week(key: object) -> str:
    assert isinstance(key, tuple)
    return f"{key[0]}-W{key[1]:02d}"


def rule_weekly_events_cap(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    """Sessions per ISO week (of the team-zone start date) within the stricter cap."""
    return _caps(facts, plan, focus, "weekly_events_cap")


def rule_weekly_minutes_cap(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    return _caps(facts, plan, focus, "weekly_minutes_cap")


def rule_daily_cap(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    return _caps(facts, plan, focus, "daily_cap")


def rule_overlap(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    """One person, two sessions at once (half-open: back-to-back is fine)."""
    for pid in _people_in_focus(facts, plan, focus):
        sessions = sorted(plan.sessions_of(pid), key=lambda s: (s.start, s.id))
        for i, s in enumerate(sessions):
            for t in sessions[i + 1 :]:
                if t.start >= s.end:
                    break
                if focus is not None and focus.session not in (s.id, t.id):
                    continue
                yield Violation("overlap", f"{pid} is in {s.id} and {t.id} at once", t.id, pid)


def rule_one_session_per_activity(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for pid in _people_in_focus(facts, plan, focus):
        by_activity: dict[str, list[str]] = defaultdict(list)
        for s in plan.sessions_of(pid):
            by_activity[s.activity].append(s.id)
        for aid, ids in by_activity.items():
            if aid not in facts.activities or pid in facts.activities[aid].required:
                continue
            if focus is not None and focus.session not in ids:
                continue
            if len(ids) > 1:
                yield Violation(
                    "one_session_per_activity",
                    f"{pid} attends {len(ids)} sessions of {aid}: {', '.join(ids)}",
                    ids[-1],
                    pid,
                )


# --------------------------------------------------------------------------- per-session rules


def rule_capacity(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    """A held session has min..max participants (required people included)."""
    for s in _checked_sessions(facts, plan, focus):
        a = facts.activities[s.activity]
        n = len(set(s.attendees))
        if n < a.min_participants:
            yield Violation(
                "capacity", f"{s.id} has {n} attendees; at least {a.min_participants} needed", s.id
            )
        elif n > a.max_participants:
            yield Violation(
                "capacity", f"{s.id} has {n} attendees; at most {a.max_participants} allowed", s.id
            )


def rule_department_mix(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        a = facts.activities[s.activity]
        people = [facts.people[p] for p in dict.fromkeys(s.attendees) if p in facts.people]
        depts = Counter(p.department for p in people)
        if len(depts) < a.min_departments:
            yield Violation(
                "department_mix",
                f"{s.id} mixes {len(depts)} departments; at least {a.min_departments} needed",
                s.id,
            )
        limit = int(a.max_department_share * len(people) + 1e-9)
        for dept, count in sorted(depts.items()):
            if count > limit:
                yield Violation(
                    "department_mix",
                    f"{s.id} has {count} of {len(people)} attendees from {dept} "
                    f"(at most {limit} at share {a.max_department_share:g})",
                    s.id,
                )


def rule_required_attendee(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        a = facts.activities[s.activity]
        missing = [r for r in a.required if r not in s.attendees]
        if missing:
            yield Violation("required_attendee", f"{s.id} is missing {', '.join(missing)}", s.id)


def rule_venue_capacity(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        v = facts.venues.get(s.venue or "")
        if v is not None and len(set(s.attendees)) > v.capacity:
            yield Violation(
                "venue_capacity",
                f"{s.id} has {len(set(s.attendees))} attendees; {v.id} holds {v.capacity}",
                s.id,
            )


def rule_venue_conflict(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    """Exactly one listed venue per session, never double-booked, never while it is busy."""
    sessions = _checked_sessions(facts, plan, focus)
    for s in sessions:
        a = facts.activities[s.activity]
        if a.venues and s.venue is None:
            yield Violation("venue_conflict", f"{s.id} has no venue (one of {a.venues})", s.id)
        elif s.venue is not None and s.venue not in a.venues:
            yield Violation(
                "venue_conflict", f"{s.id} uses {s.venue}, which {a.id} does not list", s.id
            )
        v = facts.venues.get(s.venue or "")
        if v is not None:
            busy = Ranges(facts.range_instants(r, facts.tz) for r in v.busy)
            if busy.overlaps(s.start, s.end):
                yield Violation("venue_conflict", f"{s.id} uses {v.id} while it is busy", s.id)
    by_venue: dict[str, list[PlannedSession]] = defaultdict(list)
    for s in plan.sessions:
        if s.venue is not None:
            by_venue[s.venue].append(s)
    for group in by_venue.values():
        group.sort(key=lambda s: (s.start, s.id))
        for i, s in enumerate(group):
            for t in group[i + 1 :]:
                if t.start >= s.end:
                    break
                if focus is not None and focus.session not in (s.id, t.id):
                    continue
                yield Violation("venue_conflict", f"{s.id} and {t.id} use {s.venue} at once", t.id)


def rule_min_notice(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        if s.start < facts.notice_from:
            yield Violation(
                "min_notice",
                f"{s.id} starts {_when(facts, s.start)}, before the notice period ends "
                f"({_when(facts, facts.notice_from)})",
                s.id,
            )


def rule_protected_window(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        for w in facts.scenario.policy.protected:
            spans = facts.window_intervals(w, s.start) + facts.window_intervals(w, s.end)
            if any(ws < s.end and s.start < we for ws, we in spans):
                yield Violation(
                    "protected_window", f"{s.id} overlaps the protected window {w.time}", s.id
                )
                break


def rule_activity_window(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        a = facts.activities[s.activity]
        if not a.windows:
            continue
        spans = [iv for w in a.windows for iv in facts.window_intervals(w, s.start)]
        if not any(ws <= s.start and s.end <= we for ws, we in spans):
            yield Violation(
                "activity_window", f"{s.id} is not inside any of {a.id}'s windows", s.id
            )


def rule_horizon(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    h0, h1 = facts.horizon
    for s in _checked_sessions(facts, plan, focus):
        if s.start < h0 or s.end > h1:
            yield Violation("horizon", f"{s.id} lies outside the planning horizon", s.id)


# --------------------------------------------------------------------------- coverage


def rule_coverage_floor(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    """Continuous-time queue cover, checked at every breakpoint inside service hours.

    Between two consecutive breakpoints (starts/ends of members' working ranges, time off,
    busy blocks, sessions and service hours) the sets W (working) and A (at an event) are
    constant, so evaluating each elementary interval at its start is exact. Only moments
    where some member is at a session can fail, so only those intervals are examined.
    """
    for queue in facts.scenario.queues:
        k = queue.min_on_duty
        members = facts.queue_members.get(queue.id, [])
        if k <= 0 or not members:
            continue
        if focus is not None:
            if focus.person not in members:
                continue
            fs = plan.session(focus.session)
            if fs is None:
                continue
            windows = [(fs.start, fs.end)]
        else:
            windows = merge((s.start, s.end) for m in members for s in plan.sessions_of(m))
        if not windows:
            continue
        service = facts.service_hours(queue.id)
        steps, counts = facts.on_duty_steps(queue.id)
        bad: list[tuple[datetime, datetime, int, int]] = []
        for ws, we in windows:
            # Members at a session during this window; everyone else only counts through W.
            at_event = {
                m: Ranges(iv)
                for m in members
                if (
                    iv := [
                        (s.start, s.end) for s in plan.sessions_of(m) if s.start < we and ws < s.end
                    ]
                )
            }
            if not at_event:
                continue
            points = {ws, we}
            points.update(service.boundaries(ws, we))
            points.update(t for t in steps[bisect_right(steps, ws) : bisect_left(steps, we)])
            for m, ranges in at_event.items():
                points.update(ranges.boundaries(ws, we))
                points.update(facts.on_duty(m).boundaries(ws, we))
            for t0, t1 in pairwise(sorted(points)):
                if not service.at(t0):
                    continue
                away = [m for m, ranges in at_event.items() if ranges.at(t0)]
                if not away:
                    continue
                n_working = counts[bisect_right(steps, t0) - 1] if steps and steps[0] <= t0 else 0
                on_duty = n_working - sum(1 for m in away if facts.on_duty(m).at(t0))
                if on_duty < k:  # on_duty <= n_working, so this covers n_working < k too
                    if bad and bad[-1][1] == t0 and bad[-1][2:] == (on_duty, n_working):
                        bad[-1] = (bad[-1][0], t1, on_duty, n_working)
                    else:
                        bad.append((t0, t1, on_duty, n_working))
        for t0, t1, on_duty, n_working in bad:
            sid = next(
                (s.id for m in members for s in plan.sessions_of(m) if s.start < t1 and t0 < s.end),
                None,
            )
            if n_working >= k:
                detail = (
                    f"queue {queue.id}: {_when(facts, t0)}-{t1.astimezone(facts.tz):%H:%M} only "
                    f"{on_duty} of {n_working} working members on duty (needs {k})"
                )
            else:
                detail = (
                    f"queue {queue.id}: {_when(facts, t0)}-{t1.astimezone(facts.tz):%H:%M} only "
                    f"{n_working} members working (needs {k}), so none may be at an event"
                )
            yield Violation("coverage_floor", detail, sid)


# --------------------------------------------------------------------------- structure


def check_structure(facts: Facts, schedule: Schedule) -> Iterator[Violation]:
    """The schedule file against the scenario: ids known and unique, times on the grid."""
    seen: set[str] = set()
    counts: Counter[str] = Counter()
    origin = facts.horizon[0]
    for s in schedule.sessions:
        if s.id in seen:
            yield Violation("duplicate_session_id", f"session id {s.id} is used twice", s.id)
        seen.add(s.id)
        a = facts.activities.get(s.activity)
        if a is None:
            yield Violation("unknown_activity", f"unknown activity {s.activity!r}", s.id)
        else:
            counts[a.id] += 1
            if s.end - s.start != timedelta(minutes=a.duration_minutes):
                minutes = (s.end - s.start).total_seconds() / 60
                yield Violation(
                    "duration",
                    f"{s.id} lasts {minutes:g} minutes; {a.id} lasts {a.duration_minutes}",
                    s.id,
                )
        if (s.start - origin) % facts.slot:
            yield Violation(
                "slot_grid", f"{s.id} starts {_when(facts, s.start)}, not on the slot grid", s.id
            )
        if s.venue is not None and s.venue not in facts.venues:
            yield Violation("unknown_venue", f"unknown venue {s.venue!r}", s.id)
        for pid, n in Counter(s.attendees).items():
            if pid not in facts.people:
                yield Violation("unknown_person", f"unknown person {pid!r}", s.id, pid)
            if n > 1:
                yield Violation("duplicate_attendee", f"{pid} is listed {n} times", s.id, pid)
    for aid, n in counts.items():
        allowed = facts.activities[aid].sessions
        if n > allowed:
            yield Violation(
                "too_many_sessions", f"{aid} has {n} sessions; at most {allowed} allowed"
            )


# --------------------------------------------------------------------------- entry points

ATTENDANCE_RULES: dict[str, RuleFn] = {
    "opted_out": rule_opted_out,
    "time_off": rule_time_off,
    "busy": rule_busy,
    "working_hours": rule_working_hours,
    "needs_unmet": rule_needs_unmet,
}
"""Rules about one person in one session (no other attendee matters)."""

PERSON_RULES: dict[str, RuleFn] = {
    "weekly_events_cap": rule_weekly_events_cap,
    "weekly_minutes_cap": rule_weekly_minutes_cap,
    "daily_cap": rule_daily_cap,
    "overlap": rule_overlap,
    "one_session_per_activity": rule_one_session_per_activity,
}
"""Rules over all of one person's sessions."""

SESSION_RULES: dict[str, RuleFn] = {
    "capacity": rule_capacity,
    "department_mix": rule_department_mix,
    "required_attendee": rule_required_attendee,
    "venue_capacity": rule_venue_capacity,
    "venue_conflict": rule_venue_conflict,
    "min_notice": rule_min_notice,
    "protected_window": rule_protected_window,
    "activity_window": rule_activity_window,
    "horizon": rule_horizon,
}
"""Rules about a session as a whole (its time, venue and attendee list)."""

PLACEMENT_RULES: tuple[RuleFn, ...] = (
    rule_min_notice,
    rule_protected_window,
    rule_activity_window,
    rule_horizon,
)
"""Rules about where a session may start, whoever attends."""


def start_allowed(facts: Facts, activity: Activity, start: datetime) -> bool:
    """Whether a session of ``activity`` may start at ``start`` by its own time rules
    (notice, protected windows, activity windows, horizon), whoever attends."""
    end = start + timedelta(minutes=activity.duration_minutes)
    probe = PlannedSession(id="probe", activity=activity.id, start=start, end=end, attendees=[])
    view = PlanView([probe])
    return not any(any(True for _ in fn(facts, view, None)) for fn in PLACEMENT_RULES)


RULES: dict[str, RuleFn] = {
    **ATTENDANCE_RULES,
    **PERSON_RULES,
    **SESSION_RULES,
    "coverage_floor": rule_coverage_floor,
}
"""Every hard rule by id (SPEC §2), in the order ``verify`` reports them."""

assert set(RULES) == set(HARD_RULES)


def check(facts: Facts, plan: PlanView, focus: Focus | None = None) -> list[Violation]:
    """Run every hard rule (restricted to ``focus`` if given)."""
    return [v for fn in RULES.values() for v in fn(facts, plan, focus)]


def verify(problem: PlanningInput, schedule: Schedule) -> list[Violation]:
    """Every hard-rule and structural violation of ``schedule`` (empty: the plan is valid)."""
    facts = Facts(problem)
    return [*check_structure(facts, schedule), *check(facts, PlanView(schedule.sessions))]


def render_violations(violations: Sequence[Violation]) -> str:
    """One line per violation, for ``planner verify``."""
    return "\n".join(v.render() for v in violations)


def load_schedule(path: Path) -> Schedule:
    """Read ``schedule.json``; bad JSON or schema faults become :class:`InputError`."""
    source = str(path)
    data = parse_document(read_text(path, source), source, "json")
    try:
        return Schedule.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(source, exc)) from None


__all__ = [
    "HARD_RULES",
    "PLACEMENT_RULES",
    "RULES",
    "Facts",
    "Focus",
    "PlanView",
    "Violation",
    "check",
    "load_schedule",
    "render_violations",
    "start_allowed",
    "verify",
]
