"""Precomputed tables the model is built from: the slot grid, masks, candidates, eligibility.

Everything that does not depend on a decision is settled here, with numpy, once: which
slots a person can attend an activity in (own working hours, time off, busy blocks, queue
floors that cannot be met at all), which starts fit an activity's static rules (horizon,
notice, protected windows, activity windows, venue busy, required people, enough opted-in
people), and who is eligible at all (opt-in, needs, caps above zero). The model then only
holds variables for combinations that can happen (STYLE point 12).

The rule families own their static bans as named masks (``rules.timing.start_bans``,
``rules.venues.free_starts``, ``rules.coverage.queue_tables``, ``rules.caps.paused``; a
person's time off, busy and queue bans by rule id in :attr:`PersonData.free`); this module
combines them, leaving out the rules :attr:`Instance.disabled` switches off.

Times are integer *slot indices* into one grid over the horizon. The grid is built per
team-zone day from local midnight in steps of ``slot_minutes`` of absolute time, so a
23- or 25-hour day simply has fewer or more slots and 09:00 stays at 09:00 across a
daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import partial
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from planner.domain.models import Activity, Answer, Kind, Person, Scenario, TimeRange, Window
from planner.domain.planning import PlanningInput
from planner.domain.timeutil import WEEKDAYS, daterange, iso_week, local_instant, zone

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _minutes(instant: datetime) -> int:
    """Minutes since the epoch of an aware instant: the unit of every interval below."""
    return int(instant.timestamp()) // 60


def _range_minutes(tr: TimeRange, tz: ZoneInfo) -> tuple[int, int]:
    """A scenario time range as epoch minutes; whole days are read in ``tz``."""
    if isinstance(tr.start, datetime) and isinstance(tr.end, datetime):
        start = tr.start if tr.start.tzinfo else tr.start.replace(tzinfo=tz)
        end = tr.end if tr.end.tzinfo else tr.end.replace(tzinfo=tz)
        return _minutes(start), _minutes(end)
    assert isinstance(tr.start, date) and isinstance(tr.end, date)
    return (
        _minutes(local_instant(tr.start, 0, tz)),
        _minutes(local_instant(tr.end + timedelta(days=1), 0, tz)),
    )


def _person_range_minutes(tr: TimeRange, person_tz: ZoneInfo, team_tz: ZoneInfo) -> tuple[int, int]:
    """A person's time-off or busy range: whole days in their own zone, times in the team's."""
    return _range_minutes(tr, person_tz if tr.all_day else team_tz)


def run_all(mask: BoolArray, length: int) -> BoolArray:
    """``out[..., t]`` is true when ``mask[..., t : t + length]`` is all true (false near the end)."""
    n = mask.shape[-1]
    out = np.zeros(mask.shape, dtype=bool)
    if length > n:
        return out
    c = np.concatenate(
        [
            np.zeros((*mask.shape[:-1], 1), dtype=np.int32),
            np.cumsum(mask, axis=-1, dtype=np.int32),
        ],
        axis=-1,
    )
    out[..., : n - length + 1] = (c[..., length:] - c[..., : n - length + 1]) == length
    return out


@dataclass
class Grid:
    """The slot grid: slot ``t`` is ``[start[t], end[t])`` in epoch minutes."""

    tz: ZoneInfo
    slot_minutes: int
    days: list[date]
    start: IntArray
    end: IntArray
    day: IntArray
    """Team-zone day index of each slot."""
    week: IntArray
    """Index of the ISO week (team zone) of each slot."""
    weeks: list[tuple[int, int]]

    @property
    def size(self) -> int:
        return len(self.start)

    def instant(self, t: int) -> datetime:
        return datetime.fromtimestamp(int(self.start[t]) * 60, UTC).astimezone(self.tz)

    def slot_at(self, instant: datetime) -> int | None:
        """The slot starting exactly at ``instant``, if any."""
        m = _minutes(instant)
        t = int(np.searchsorted(self.start, m))
        return t if t < self.size and int(self.start[t]) == m else None

    def mask_overlapping(self, intervals: Iterable[tuple[int, int]]) -> BoolArray:
        """Slots that intersect any of the half-open minute intervals."""
        out = np.zeros(self.size, dtype=bool)
        for a, b in intervals:
            lo = int(np.searchsorted(self.end, a, side="right"))
            hi = int(np.searchsorted(self.start, b, side="left"))
            if hi > lo:
                out[lo:hi] = True
        return out

    def mask_inside(self, intervals: Iterable[tuple[int, int]]) -> BoolArray:
        """Slots that lie wholly inside one of the half-open minute intervals."""
        out = np.zeros(self.size, dtype=bool)
        for a, b in intervals:
            lo = int(np.searchsorted(self.start, a, side="left"))
            hi = int(np.searchsorted(self.end, b, side="right"))
            if hi > lo:
                out[lo:hi] = True
        return out


def build_grid(scenario: Scenario, pad_days: int = 0) -> Grid:
    """The slot grid of the horizon (``pad_days`` more on each side only when the
    ``horizon`` rule is switched off, see :func:`build_instance`)."""
    tz = zone(scenario.team.timezone)
    step = scenario.team.slot_minutes
    pad = timedelta(days=pad_days)
    days = list(daterange(scenario.team.horizon.start - pad, scenario.team.horizon.end + pad))
    starts: list[int] = []
    day_idx: list[int] = []
    week_idx: list[int] = []
    weeks: list[tuple[int, int]] = []
    for i, d in enumerate(days):
        w = iso_week(d)
        if not weeks or weeks[-1] != w:
            weeks.append(w)
        a = _minutes(local_instant(d, 0, tz))
        b = _minutes(local_instant(d + timedelta(days=1), 0, tz))
        for m in range(a, b - step + 1, step):
            starts.append(m)
            day_idx.append(i)
            week_idx.append(len(weeks) - 1)
    start = np.array(starts, dtype=np.int64)
    return Grid(
        tz=tz,
        slot_minutes=step,
        days=days,
        start=start,
        end=start + step,
        day=np.array(day_idx, dtype=np.int64),
        week=np.array(week_idx, dtype=np.int64),
        weeks=weeks,
    )


def working_intervals(
    hours: dict[str, list[str]] | dict, tz: ZoneInfo, first: date, last: date
) -> list[tuple[int, int]]:
    """Working hours as epoch-minute intervals, read per calendar day in ``tz``."""
    from planner.domain.timeutil import parse_clock_range

    out: list[tuple[int, int]] = []
    for d in daterange(first - timedelta(days=1), last + timedelta(days=1)):
        for text in hours.get(WEEKDAYS[d.weekday()], []):
            s, e = parse_clock_range(text)
            out.append((_minutes(local_instant(d, s, tz)), _minutes(local_instant(d, e, tz))))
    return out


def window_intervals(
    windows: Sequence[Window], tz: ZoneInfo, days: Sequence[date]
) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for d in days:
        for w in windows:
            if w.applies_to(d):
                s, e = w.minutes
                out.append((_minutes(local_instant(d, s, tz)), _minutes(local_instant(d, e, tz))))
    return out


@dataclass
class PersonData:
    """One person's static facts on the grid."""

    index: int
    person: Person
    work: BoolArray
    """Inside own working hours."""
    off: BoolArray
    """On time off."""
    busy: BoolArray
    """Busy (scenario busy blocks and calendars)."""
    queue_ban: BoolArray
    """A queue of theirs is below its floor even with nobody away: no event may take them."""
    daily_cap: int
    weekly_cap: int
    minutes_cap: int | None
    enforced: frozenset[str] = frozenset({"time_off", "busy", "coverage_floor"})
    """Which of the person's static bans apply (all of them outside the tests' mutation gate)."""

    @property
    def free(self) -> BoolArray:
        """Slots none of the person's static bans (time off, busy, queue floor) blocks."""
        out = np.ones(len(self.off), dtype=bool)
        for rule, mask in (
            ("time_off", self.off),
            ("busy", self.busy),
            ("coverage_floor", self.queue_ban),
        ):
            if rule in self.enforced:
                out &= ~mask
        return out


@dataclass(frozen=True)
class VenueData:
    """A venue on the grid."""

    id: str
    name: str
    capacity: int
    busy: BoolArray
    """Slots in which the venue is busy."""


@dataclass
class QueueData:
    """A staffed queue: members and, per slot, how many of them may be at events."""

    id: str
    members: list[int]
    limit: IntArray
    """Members allowed away at each slot (``len(members)`` outside service hours)."""


@dataclass
class SessionData:
    """One session (event) or group (pairing) of an activity."""

    index: int
    activity: int
    number: int
    """1-based number within the activity."""


@dataclass
class ActivityData:
    index: int
    activity: Activity
    duration: int
    """In slots."""
    min_size: int
    max_size: int
    candidates: IntArray
    """Slot indices where a session may start (every static rule holds)."""
    eligible: list[int]
    """Person indices who opted in (yes/maybe), not declined, needs met, caps above zero."""
    answers: dict[int, Answer]
    avail: dict[int, IntArray]
    """Per eligible person: positions into ``candidates`` they can attend."""
    venues: list[int]
    venue_ok: dict[int, BoolArray]
    """Per venue: which candidates leave it free for the whole session."""
    person_venues: dict[int, list[int]]
    """People whose needs only some venues meet: those venues."""
    required: list[int]
    required_blocked: list[tuple[int, str]]
    """Required people who can never attend (person, rule id)."""
    sessions: list[int] = field(default_factory=list)
    share: Fraction = Fraction(1)
    links: dict[int, list[int]] | None = None
    """At scale: the sessions each linked person may join, and none for a person it leaves
    out (``None``: every eligible person may join every session)."""

    @property
    def is_pairing(self) -> bool:
        return self.activity.kind is Kind.pairing


@dataclass
class Instance:
    """The whole precomputed problem."""

    problem: PlanningInput
    grid: Grid
    people: list[PersonData]
    person_index: dict[str, int]
    departments: list[str]
    dept_of: list[int]
    activities: list[ActivityData]
    sessions: list[SessionData]
    venues: list[VenueData]
    venue_index: dict[str, int]
    queues: list[QueueData]
    protected: BoolArray
    notice_ok: BoolArray
    history_pairs: list[tuple[int, int]]
    missed_out: set[int]
    disabled: frozenset[str] = frozenset()
    """Hard rules switched off: empty when planning; set through :func:`build_instance` by
    the conflict diagnosis of an infeasible plan (:mod:`planner.solve.conflicts`) and by
    the tests' mutation gate (``tests/solve/test_rule_cases.py``)."""

    @property
    def scenario(self) -> Scenario:
        return self.problem.scenario

    def enforces(self, rule: str, person: int | None = None) -> bool:
        """Whether the model holds hard rule ``rule`` (for ``person``, if given).

        :attr:`disabled` holds rule ids (off for everyone) and ``"<rule>:<person id>"``
        (off for one person: how the conflict diagnosis finds whom a rule binds).
        """
        if not self.disabled:
            return True
        if rule in self.disabled:
            return False
        return person is None or f"{rule}:{self.people[person].person.id}" not in self.disabled


_ANSWER_CODES = {Answer.yes: 0, Answer.maybe: 1, Answer.no: 2}
_CODE_ANSWERS = (Answer.yes, Answer.maybe, Answer.no, Answer.no)
"""Answer by code; code 3 (no explicit answer: a required seat) reads as ``no``."""
_NO, _UNANSWERED = 2, 3


@dataclass
class _PersonFacts:
    """Per-person facts the eligibility test reads, as arrays over person indices."""

    weekly_cap: IntArray
    daily_cap: IntArray
    minutes_cap: IntArray
    """``None`` (no cap) as a value larger than any session."""
    needs: dict[int, frozenset[str]]
    """Only the people with needs."""
    venue_provides: list[frozenset[str]]
    declined: dict[str, list[int]]
    """Per activity id: who declined it by RSVP."""

    @classmethod
    def of(
        cls, people: list[PersonData], person_index: dict[str, int], problem: PlanningInput
    ) -> _PersonFacts:
        s = problem.scenario
        declined: dict[str, list[int]] = {}
        for pid, aid in problem.declined:
            if pid in person_index:
                declined.setdefault(aid, []).append(person_index[pid])
        return cls(
            weekly_cap=np.array([p.weekly_cap for p in people], dtype=np.int64),
            daily_cap=np.array([p.daily_cap for p in people], dtype=np.int64),
            minutes_cap=np.array(
                [p.minutes_cap if p.minutes_cap is not None else 2**62 for p in people],
                dtype=np.int64,
            ),
            needs={p.index: frozenset(p.person.needs) for p in people if p.person.needs},
            venue_provides=[frozenset(v.provides) for v in s.venues],
            declined=declined,
        )


@dataclass
class _Eligibility:
    eligible: list[int]
    answers: dict[int, Answer]
    person_venues: dict[int, list[int]]
    required_blocked: list[tuple[int, str]]


def _eligible_all(
    a: Activity,
    venue_ids: list[int],
    listed: list[int],
    answered: tuple[list[int], list[int]],
    facts: _PersonFacts,
) -> _Eligibility:
    """Who may attend ``a`` with every rule on: the rules of :func:`_eligible_each`, over
    arrays of the people who answered or hold a required seat (issue 17: that loop took
    most of the build at 10,000 people × 80 activities)."""
    who = np.array(answered[0], dtype=np.int64)
    seats = np.array(sorted(set(listed)), dtype=np.int64)
    people = np.union1d(who, seats)
    code = np.full(len(people), _UNANSWERED, dtype=np.int64)
    code[np.searchsorted(people, who)] = answered[1]
    is_req = np.isin(people, seats)
    blocked: list[tuple[int, str]] = []
    out = (code == _NO) | np.isin(people, np.array(facts.declined.get(a.id, []), np.int64))
    blocked += [(int(p), "opted_out") for p in people[out & is_req]]
    # ``caps.paused`` on arrays, in its order of rules.
    minutes = a.duration_minutes
    paused = (
        ("weekly_events_cap", facts.weekly_cap[people] == 0),
        ("daily_cap", facts.daily_cap[people] == 0),
        ("weekly_minutes_cap", facts.minutes_cap[people] < minutes),
    )
    for rule, mask in paused:
        hit = mask & ~out
        blocked += [(int(p), rule) for p in people[hit & is_req]]
        out |= hit
    keep = ~out
    person_venues: dict[int, list[int]] = {}
    provides = set(a.provides)
    for k in np.flatnonzero(keep):
        needs = facts.needs.get(int(people[k]))
        missing = needs - provides if needs else None
        if not missing:
            continue
        ok_v = [v for v in venue_ids if missing <= facts.venue_provides[v]]
        if not ok_v:
            keep[k] = False
            if is_req[k]:
                blocked.append((int(people[k]), "needs_unmet"))
        elif len(ok_v) < len(venue_ids):
            person_venues[int(people[k])] = ok_v
    eligible = people[keep].tolist()
    answers = dict(zip(eligible, [_CODE_ANSWERS[c] for c in code[keep].tolist()], strict=True))
    blocked.sort()
    return _Eligibility(eligible, answers, person_venues, blocked)


def _eligible_each(
    a: Activity,
    venue_ids: list[int],
    listed: list[int],
    required: list[int],
    answered: tuple[list[int], list[int]],
    people: list[PersonData],
    facts: _PersonFacts,
    problem: PlanningInput,
    on: Callable[..., bool],
) -> _Eligibility:
    """Who may attend ``a``, person by person, honouring the rules switched off (the
    mutation gate and the conflict diagnosis; :func:`_eligible_all` is the fast path).

    Only people with an explicit answer or a required seat can attend (absent = no). A
    listed person whose ``required_attendee`` is switched off keeps the seat's permission
    (``opted_out``'s exception) and loses only the duty to attend: a rule switched off
    must relax the plan, never take people out of it.
    """
    from planner.solve.rules import caps

    explicit_of = dict(zip(answered[0], answered[1], strict=True))
    provides = set(a.provides)
    eligible: list[int] = []
    answers: dict[int, Answer] = {}
    person_venues: dict[int, list[int]] = {}
    blocked: list[tuple[int, str]] = []
    for pi in sorted(set(answered[0]) | set(listed)):
        pd = people[pi]
        pid = pd.person.id
        code = explicit_of.get(pi)
        explicit = None if code is None else _CODE_ANSWERS[code]
        is_req = pi in required
        if on("opted_out", pid) and ((pid, a.id) in problem.declined or explicit is Answer.no):
            if is_req:
                blocked.append((pi, "opted_out"))
            continue
        answer = explicit or Answer.no
        if not on("opted_out", pid) and answer is Answer.no:
            answer = Answer.maybe
        if answer is Answer.no and pi not in listed:
            continue
        cap_rule = caps.paused(pd, a.duration_minutes, partial(on, person=pid))
        if cap_rule is not None:
            if is_req:
                blocked.append((pi, cap_rule))
            continue
        missing = set(pd.person.needs) - provides if on("needs_unmet", pid) else set()
        if missing:
            ok_v = [v for v in venue_ids if missing <= facts.venue_provides[v]]
            if not ok_v:
                if is_req:
                    blocked.append((pi, "needs_unmet"))
                continue
            if len(ok_v) < len(venue_ids):
                person_venues[pi] = ok_v
        eligible.append(pi)
        answers[pi] = answer
    return _Eligibility(eligible, answers, person_venues, blocked)


def build_instance(problem: PlanningInput, disabled: frozenset[str] = frozenset()) -> Instance:
    """Precompute every static table of ``problem``.

    ``disabled``: hard rules whose bans and constraints are left out. A test-only hook (the
    mutation gate: a rule's infeasible case must then yield a plan the checker rejects);
    nothing in the product passes it.
    """
    s = problem.scenario

    def on(rule: str, person: str | None = None) -> bool:
        return rule not in disabled and (person is None or f"{rule}:{person}" not in disabled)

    grid = build_grid(s, pad_days=0 if on("horizon") else 1)
    tz = grid.tz
    first, last = grid.days[0], grid.days[-1]

    people: list[PersonData] = []
    # Most people share the policy's hours and one of a few zones: one mask per pair.
    work_cache: dict[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], BoolArray] = {}
    for i, p in enumerate(s.people):
        zone_name = s.person_zone_name(p)
        ptz = zone(zone_name)
        hours = s.person_hours(p)
        key = (zone_name, tuple(sorted((str(d), tuple(r)) for d, r in hours.items())))
        work = work_cache.get(key)
        if work is None:
            work = grid.mask_inside(working_intervals(hours, ptz, first, last))
            work_cache[key] = work
        work = work.copy()
        off_iv = [_person_range_minutes(tr, ptz, tz) for tr in p.time_off]
        busy_iv = [_person_range_minutes(tr, ptz, tz) for tr in p.busy]
        busy_iv += [(_minutes(a), _minutes(b)) for a, b in problem.busy.get(p.id, ())]
        people.append(
            PersonData(
                index=i,
                person=p,
                work=work,
                off=grid.mask_overlapping(off_iv),
                busy=grid.mask_overlapping(busy_iv),
                queue_ban=np.zeros(grid.size, dtype=bool),
                daily_cap=s.daily_events_cap(p),
                weekly_cap=s.weekly_events_cap(p),
                minutes_cap=s.weekly_minutes_cap(p),
                enforced=frozenset(
                    r for r in ("time_off", "busy", "coverage_floor") if on(r, p.id)
                ),
            )
        )
    person_index = {p.person.id: p.index for p in people}
    departments = sorted({p.department for p in s.people})
    dept_pos = {d: i for i, d in enumerate(departments)}
    dept_of = [dept_pos[p.department] for p in s.people]

    # Each family owns its static bans (named masks); this module only combines them.
    from planner.solve.rules import coverage, timing
    from planner.solve.rules import venues as venue_rules

    queues = coverage.queue_tables(grid, people, s, first, last)

    team_bans = {r: m for r, m in timing.team_bans(grid, problem).items() if on(r)}
    protected = team_bans.get("protected_window", np.zeros(grid.size, dtype=bool))
    notice_ok = ~team_bans.get("min_notice", np.zeros(grid.size, dtype=bool))
    quiet = {"protected_window": protected, "min_notice": ~notice_ok}

    venues = [
        VenueData(
            v.id, v.name, v.capacity, grid.mask_overlapping(_range_minutes(b, tz) for b in v.busy)
        )
        for v in s.venues
    ]
    venue_index = {v.id: i for i, v in enumerate(venues)}

    # Per activity, who answered and how (one pass over the answers, not one per pair).
    answered: dict[str, tuple[list[int], list[int]]] = {}
    codes = _ANSWER_CODES
    for pid, per in s.preferences.items():
        if pid in person_index:
            pi = person_index[pid]
            for aid, ans in per.items():
                who, how = answered.setdefault(aid, ([], []))
                who.append(pi)
                how.append(codes[ans])
    facts = _PersonFacts.of(people, person_index, problem)
    runs_cache: dict[tuple[int, bool], BoolArray] = {}
    same_day_cache: dict[int, BoolArray] = {}
    activities: list[ActivityData] = []
    sessions: list[SessionData] = []
    free_all = np.array([p.free for p in people]) if people else np.zeros((0, grid.size), bool)
    work_all = np.array([p.work for p in people]) if people else np.zeros((0, grid.size), bool)
    for i, p in enumerate(s.people):
        if not on("working_hours", p.id):
            work_all[i] = True
    loose_all = np.array([p.person.after_hours for p in people], dtype=bool)
    for ai, a in enumerate(s.activities):
        d = a.duration_minutes // s.team.slot_minutes
        if d not in same_day_cache:
            ok = np.zeros(grid.size, dtype=bool)
            n = grid.size - d + 1
            if n > 0:
                ok[:n] = grid.day[:n] == grid.day[d - 1 :]
            same_day_cache[d] = ok
        bans = timing.start_bans(grid, a, d, quiet)
        venue_ids = [venue_index[v] for v in a.venues]
        venue_free = {
            v: venue_rules.free_starts(venues[v].busy, d, on("venue_conflict")) for v in venue_ids
        }
        if venue_ids:
            any_venue = np.zeros(grid.size, dtype=bool)
            for v in venue_ids:
                any_venue |= venue_free[v]
            bans["venue_conflict"] = ~any_venue
        run_ok = same_day_cache[d].copy()
        for rule, ban in bans.items():
            if on(rule):
                run_ok &= ~ban

        listed = [person_index[r] for r in dict.fromkeys(a.required)]
        required = [p for p in listed if on("required_attendee", people[p].person.id)]
        mine = answered.get(a.id, ([], []))
        found = (
            _eligible_each(a, venue_ids, listed, required, mine, people, facts, problem, on)
            if disabled
            else _eligible_all(a, venue_ids, listed, mine, facts)
        )
        eligible, answers = found.eligible, found.answers
        person_venues, required_blocked = found.person_venues, found.required_blocked

        min_size = a.min_participants
        if a.kind is Kind.pairing:
            min_size = max(2, min_size)
        max_size = a.max_participants
        if venue_ids and on("venue_capacity"):
            max_size = min(max_size, max(venues[v].capacity for v in venue_ids))

        if eligible:
            # Whole-session availability of everyone, once per (duration, after_hours).
            key_runs = (d, bool(a.after_hours))
            if key_runs not in runs_cache:
                if a.after_hours:
                    runs_cache[key_runs] = run_all(free_all & (work_all | loose_all[:, None]), d)
                else:
                    runs_cache[key_runs] = run_all(free_all & work_all, d)
            runs = runs_cache[key_runs][np.array(eligible)]
        else:
            runs = np.zeros((0, grid.size), dtype=bool)
        row = {p: k for k, p in enumerate(eligible)}
        if required_blocked:
            run_ok[:] = False
        for r in required:
            if r in row:
                run_ok &= runs[row[r]]
        if eligible:
            open_runs = runs[:, run_ok]
            counts = np.count_nonzero(open_runs, axis=0)
            # Departments present per start: rows grouped by department, OR-ed per group
            # (an integer matrix product did the same in 1 s at XL).
            dept = np.array([dept_of[pi] for pi in eligible], dtype=np.int64)
            by_dept = np.argsort(dept, kind="stable")
            firsts = np.flatnonzero(np.diff(dept[by_dept], prepend=-1))
            depts = np.logical_or.reduceat(open_runs[by_dept], firsts, axis=0)
            good = (counts >= (min_size if on("capacity") else 0)) & (
                depts.sum(axis=0) >= (a.min_departments if on("department_mix") else 0)
            )
            cand = np.flatnonzero(run_ok)[good]
        elif not on("capacity"):
            cand = np.flatnonzero(run_ok)  # without a minimum, a session may be held empty
        else:
            cand = np.zeros(0, dtype=np.int64)
        cand = cand.astype(np.int64)
        sub = runs[:, cand] if eligible else np.zeros((0, len(cand)), dtype=bool)
        rows, cols = np.nonzero(sub)
        cols = cols.astype(np.int64)
        bounds = np.searchsorted(rows, np.arange(len(eligible) + 1)).tolist()
        # Slicing beats ``np.split`` (which pays a swapaxes per piece: 2 s at XL).
        avail: dict[int, IntArray] = {
            p: cols[bounds[k] : bounds[k + 1]] for k, p in enumerate(eligible)
        }
        # Without a single start they could make, a person is not eligible for this activity.
        must = set(required)
        eligible = [p for p in eligible if len(avail[p]) or p in must]
        share = Fraction(a.max_department_share).limit_denominator(1000)
        ad = ActivityData(
            index=ai,
            activity=a,
            duration=d,
            min_size=min_size,
            max_size=max_size,
            candidates=cand,
            eligible=eligible,
            answers={p: answers[p] for p in eligible},
            avail={p: avail[p] for p in eligible},
            venues=venue_ids,
            venue_ok={v: venue_free[v][cand] for v in venue_ids},
            person_venues={p: v for p, v in person_venues.items() if p in avail},
            required=required,
            required_blocked=required_blocked,
            share=share,
        )
        n_sessions = a.sessions
        if a.kind is Kind.pairing:
            n_sessions = min(n_sessions, len(eligible) // max(1, min_size))
        for k in range(n_sessions):
            sd = SessionData(index=len(sessions), activity=ai, number=k + 1)
            sessions.append(sd)
            ad.sessions.append(sd.index)
        activities.append(ad)

    history_pairs = sorted(
        {
            (min(person_index[x], person_index[y]), max(person_index[x], person_index[y]))
            for x, y in s.history.pairs
        }
    )
    return Instance(
        problem=problem,
        grid=grid,
        people=people,
        person_index=person_index,
        departments=departments,
        dept_of=dept_of,
        activities=activities,
        sessions=sessions,
        venues=venues,
        venue_index=venue_index,
        queues=queues,
        protected=protected,
        notice_ok=notice_ok,
        history_pairs=history_pairs,
        missed_out={person_index[x] for x in s.history.missed_out},
        disabled=disabled,
    )
