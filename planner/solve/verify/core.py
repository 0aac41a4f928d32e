"""The checker's facts, plan view and interval arithmetic (shared by its rule families)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.domain.models import Activity, Answer, Person, Scenario, TimeRange, Venue, Window
from planner.domain.planning import Interval, PlanningInput
from planner.domain.schedule import PlannedSession
from planner.domain.timeutil import WEEKDAYS, local_instant, parse_clock_range, to_aware
from planner.domain.timeutil import zone as tz_zone


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
        self._working_by_pattern: dict[tuple[str, str], Ranges] = {}
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
            # Most people share a zone and the team's hours: their ranges are built once.
            key = (str(ptz), repr(hours))
            if key not in self._working_by_pattern:
                spans = []
                for d in self._days:
                    for text in hours.get(WEEKDAYS[d.weekday()], []):  # type: ignore[call-overload]
                        s, e = parse_clock_range(text)
                        spans.append((local_instant(d, s, ptz), local_instant(d, e, ptz)))
                self._working_by_pattern[key] = Ranges(spans)
            self._working[pid] = self._working_by_pattern[key]
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
                # Members with the same zone and hours share one Ranges: each counted once.
                shared = {id(w): w for w in (self.working(m) for m in members)}
                spans = []
                for w in shared.values():
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


RuleFn = Callable[[Facts, PlanView, "Focus | None"], Iterator[Violation]]


# --------------------------------------------------------------------------- prefilters


@dataclass
class Load:
    """One person's sessions in a plan and how they load each day and week (caps)."""

    sessions: list[PlannedSession]
    daily_cap: int
    weekly_cap: int
    minutes_cap: int | None
    per_day: Counter[date] = field(default_factory=Counter)
    per_week: Counter[tuple[int, int]] = field(default_factory=Counter)
    minutes: Counter[tuple[int, int]] = field(default_factory=Counter)


@dataclass(frozen=True)
class Joining:
    """What the explanation prefilters look at when ``person`` would join ``session``."""

    person: Person
    session: PlannedSession
    activity: Activity
    day: date
    week: tuple[int, int]
    minutes: int
    offered: set[str]
    """Tags the activity and the session's venue provide."""
    load: Load
    """The person's own sessions in the plan."""
    may_attend: bool
    """:meth:`Facts.may_attend` of the person and the activity."""
