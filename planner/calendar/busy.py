"""A person's own calendar files become busy blocks — and nothing else (SPEC §2, invariant 1).

The pipeline is: size check -> decode -> line-structure check (nesting depth too) ->
parse (icalendar) -> **scrub** (every event keeps only the properties that place it in
time; titles, descriptions, locations, attendees, alarms are deleted before anything else
looks at them) -> resolve time zones per file (an IANA or Windows name first; a file's own
VTIMEZONE only around the horizon) -> X-WR-TIMEZONE -> bound recurrence rules to the
horizon (a start long ago moved forward by whole periods, rules finer than the planning
grid or that no day can match settled at once, an UNTIL at the horizon's end) -> expand
(recurring-ical-events) -> convert to UTC -> merge and clip.

Bounds: every step is bounded by the horizon, and the whole is bounded by CPU time (see
:class:`_StepGuard`): a small file costs about a second at most, whatever it holds.

Privacy rule for errors: a message names the file, a line number or "event N" and a
reason written here. Library exception texts are never passed on, because icalendar
quotes the offending input in them; exceptions are also raised outside the ``except``
block so no library exception hangs on as ``__context__`` for a logger to print.
"""

from __future__ import annotations

import ctypes
import itertools
import re
import threading
import time
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import dateutil.rrule
import dateutil.tz
import icalendar
import recurring_ical_events
import x_wr_timezone
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from planner.calendar.windows_zones import iana_for
from planner.domain.errors import InputError
from planner.domain.io import decode_text, read_bytes
from planner.domain.timeutil import local_instant

__all__ = [
    "MAX_OCCURRENCES",
    "MAX_RULE_STEPS",
    "BusyBlock",
    "parse_busy_blocks",
    "read_busy_blocks",
]

MAX_OCCURRENCES = 20_000
"""Occurrences inside the horizon above which a file is refused (a runaway RRULE): 55 a day
for a year, far beyond any person's calendar; each costs ~0.1 ms to expand."""

MAX_RULE_STEPS = 200_000
"""Recurrence steps from DTSTART to the horizon's end above which a rule is refused.

dateutil walks every step from DTSTART, also the ones before the horizon: a minutely rule
started years ago would take minutes. 200,000 steps take well under a second; a daily rule
from 1601 or a weekly one from year 1 stays below.
"""

MIN_RULE_STEP = timedelta(minutes=15)
"""The finest repetition accepted: the finest planning grid (``slot_minutes`` 15). No
calendar application offers anything finer; a rule every minute blocks the whole day."""

MAX_ZONE_TRANSITIONS = 20_000
"""Offset changes of one VTIMEZONE (from its first DTSTART to a year past the horizon)
above which it is refused; a yearly rule from 1601 has about 850."""

ZONE_WINDOW = timedelta(days=366)
"""A file's own VTIMEZONE is turned into offsets only this far around the horizon."""

CPU_BUDGET = 1.0
"""CPU seconds reading one file may take beyond what its size and its occurrences pay for.
Whatever the cause (a rule that never matches, a time zone that never stops changing), a
small file costs about a second at most. CPU time of the reading thread, not the clock, so
that a busy machine does not refuse a file an idle one accepts."""

CPU_PER_BYTE = 10.0 / 1_000_000
"""Allowance per byte of the file: the largest real file seen (1.6 MB, 7,000 events) needs
about 3.5 s over a 50-year span."""

CPU_PER_OCCURRENCE = 500e-6
"""Allowance per occurrence found (at most :data:`MAX_OCCURRENCES`)."""

_MARGIN = timedelta(days=2)
"""Expansion reaches this far beyond the horizon, so that floating and all-day times (read
in the person's zone after expansion) are not cut off; the exact clip comes last."""

_KEEP = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "SEQUENCE",
        "TRANSP",
        "STATUS",
        "X-MICROSOFT-CDO-BUSYSTATUS",
    }
)
"""The only event properties that survive parsing: what places an event in time, what
tells whether it blocks time, and UID/SEQUENCE, which tie overrides to their series."""

_DATE_PROPS = ("DTSTART", "DTEND", "RECURRENCE-ID", "RDATE", "EXDATE")
_CHECKED_PROPS = frozenset({*_DATE_PROPS, "DURATION", "RRULE"})
_BUSY_FBTYPES = frozenset({"BUSY", "BUSY-UNAVAILABLE", "BUSY-TENTATIVE"})
_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86_400,
    "WEEKLY": 7 * 86_400,
    "MONTHLY": 28 * 86_400,
    "YEARLY": 365 * 86_400,
}
_MAX_DEPTH = 8
"""Deepest component nesting accepted; real files nest three deep (VCALENDAR, VEVENT,
VALARM) and icalendar's recursive walk would fail on thousands."""
_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_NOT_UTF8_HINT = " (iCalendar files must be UTF-8); re-export or convert the file"
"""UTF-8 is the only charset RFC 5545 §3.1.4 knows for a bare file; UTF-16 with a
byte-order mark (some Windows tools write it) is accepted too (see ``decode_text``)."""

# Exceptions the parsing and expansion libraries raise for malformed input. They are
# caught only around calls into those libraries, never around our own logic.
_LIBRARY_ERRORS: tuple[type[Exception], ...] = (
    ValueError,  # includes icalendar.InvalidCalendar, recurring_ical_events.InvalidCalendar
    TypeError,  # mixed date / date-time values, broken property types
    KeyError,  # includes ZoneInfoNotFoundError
    IndexError,
    AttributeError,  # a property of the wrong value type (e.g. vBroken) reached a library
    OverflowError,  # dates beyond year 9999
)


class _Exhausted(BaseException):
    """Raised in the reading thread by its watchdog; a BaseException, so no library
    ``except Exception`` swallows it on its way out."""


class _StepGuard:
    """Stop reading a file when it has taken more CPU time than it may.

    dateutil, icalendar and recurring-ical-events have loops no argument can bound (a rule
    no day matches is searched until year 9999), so the bound is put around them: a
    watchdog thread reads the reading thread's CPU clock every few hundredths of a second
    and, past the allowance, raises :class:`_Exhausted` in it (``PyThreadState_SetAsyncExc``:
    delivered between two bytecodes, costing the reading itself nothing). The allowance
    grows with the file's size and with every occurrence found, so only searching without
    finding runs out. ``where`` names the event or time zone being worked on.
    """

    def __init__(self, size: int) -> None:
        self.seconds = CPU_BUDGET + CPU_PER_BYTE * size
        self.where = ""
        self._deadline = 0.0
        self._lock = threading.Lock()
        self._active = False
        self._fired = False
        self._done = threading.Event()
        self._ident = 0
        self._clock: Callable[[], float] = time.monotonic

    def paid(self, occurrences: int) -> None:
        self._deadline += CPU_PER_OCCURRENCE * occurrences

    def __enter__(self) -> _StepGuard:
        self._ident = threading.get_ident()
        try:
            clock_id = time.pthread_getcpuclockid(self._ident)
            self._clock = lambda: time.clock_gettime(clock_id)
        except (AttributeError, OSError):  # no per-thread CPU clock here: the wall clock
            self._clock = time.monotonic
        self._deadline = self._clock() + self.seconds
        self._active = True
        threading.Thread(target=self._watch, name="planner-ics-guard", daemon=True).start()
        return self

    def _watch(self) -> None:
        while not self._done.wait(_GUARD_POLL):
            if self._clock() <= self._deadline:
                continue
            with self._lock:
                if self._active:
                    self._fired = True
                    _async_raise(self._ident, _Exhausted)
            return

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._active = False
            if self._fired:
                _async_raise(self._ident, None)  # withdraw it if not yet delivered
        self._done.set()
        if self._fired and not isinstance(exc[1], _Exhausted):
            raise _Exhausted  # delivered in no place that could report it: report it here


_GUARD_POLL = 0.02


def _async_raise(ident: int, kind: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(kind) if kind is not None else None
    )


_LOCAL = threading.local()
"""``guard``: the guard of the file this thread is reading, if any."""


def _guard() -> _StepGuard | None:
    return getattr(_LOCAL, "guard", None)


def _at(where: str) -> None:
    guard = _guard()
    if guard is not None:
        guard.where = where


@dataclass(frozen=True, slots=True)
class BusyBlock:
    """A time a person is busy: start and end only, both aware UTC, ``end > start``."""

    start: datetime
    end: datetime


def read_busy_blocks(
    path: Path,
    *,
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
    source: str | None = None,
    max_bytes: int = 10 * 1024 * 1024,
) -> list[BusyBlock]:
    """Read the calendar file ``path`` and return its busy blocks within ``[start, end)``.

    The size is checked before reading, so a huge file costs nothing; ``source`` names
    the file in error messages (default: ``path`` as given).
    """
    name = str(path) if source is None else source
    data = read_bytes(path, name, max_bytes)
    return parse_busy_blocks(data, zone=zone, start=start, end=end, source=name)


def parse_busy_blocks(
    data: bytes, *, zone: ZoneInfo, start: datetime, end: datetime, source: str
) -> list[BusyBlock]:
    """Turn iCalendar ``data`` into sorted, merged busy blocks clipped to ``[start, end)``.

    ``zone`` is the person's zone: floating times and all-day events are read in it.
    Raises :class:`InputError` for anything wrong with the data.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        return []
    guard = _StepGuard(len(data))
    exhausted = False
    blocks: list[BusyBlock] | None = None
    _LOCAL.guard = guard
    try:
        with guard:
            blocks = _blocks(data, zone, start, end, source)
    except _Exhausted:
        exhausted = True
    except RecursionError:  # components nested thousands deep
        blocks = None
    finally:
        _LOCAL.guard = None
    if exhausted:
        where = guard.where
        raise InputError.single(
            source,
            "reading this calendar takes too long (a recurrence rule that never or rarely "
            "matches, or a time zone with endless changes); refused",
            where,
        )
    if blocks is None:
        raise InputError.single(source, "components are nested too deeply (refused)")
    return _merge_and_clip(blocks, start, end)


def _blocks(
    data: bytes, zone: ZoneInfo, start: datetime, end: datetime, source: str
) -> list[BusyBlock]:
    text = decode_text(data, source, hint=_NOT_UTF8_HINT)
    suspect = _check_lines(text, source)
    calendars = _parse(text, source, suspect)
    blocks: list[BusyBlock] = []
    first_event = 1
    for calendar in calendars:
        events = calendar.walk("VEVENT")
        _scrub(calendar)
        blocks.extend(_calendar_blocks(calendar, events, first_event, zone, start, end, source))
        first_event += len(events)
    return blocks


def _check_lines(text: str, source: str) -> int | None:
    """Check the line structure ourselves, to report faults with a line number.

    Only names and the BEGIN/END nesting are looked at — never a property's value, so a
    message can never quote event content. A malformed line inside a component is left to
    icalendar (it drops such lines in events, e.g. a badly folded DESCRIPTION); its number
    is returned so that, should icalendar refuse the file, the message can point at it.
    """
    suspect: int | None = None
    stack: list[str] = []
    seen_calendar = False
    physical = 0
    for number, line in _logical_lines(text):
        physical = number
        if not line.strip():
            continue
        name, sep, value = _split_line(line)
        if not sep or not _NAME.match(name):
            if not seen_calendar:
                raise InputError.single(source, "not an iCalendar file (no BEGIN:VCALENDAR)")
            if stack:
                suspect = suspect or number
                continue
            raise InputError.single(source, "not a valid iCalendar content line", f"line {number}")
        upper = name.upper()
        if upper == "BEGIN":
            component = value.strip().upper()
            if not stack and component != "VCALENDAR":
                raise InputError.single(
                    source, "not an iCalendar file (no BEGIN:VCALENDAR)", f"line {number}"
                )
            seen_calendar = True
            stack.append(component)
            if len(stack) > _MAX_DEPTH:
                raise InputError.single(
                    source,
                    f"components nested more than {_MAX_DEPTH} deep (refused)",
                    f"line {number}",
                )
        elif upper == "END":
            component = value.strip().upper()
            if not stack or stack[-1] != component:
                expected = f"END:{_known(stack[-1])}" if stack else "nothing"
                raise InputError.single(
                    source,
                    f"END:{_known(component)} does not close the open component "
                    f"(expected {expected})",
                    f"line {number}",
                )
            stack.pop()
        elif not stack and upper != "X-COMMENT":  # icalendar accepts X-COMMENT after the end
            raise InputError.single(
                source,
                "property outside of BEGIN:VCALENDAR ... END:VCALENDAR"
                if seen_calendar
                else "not an iCalendar file (no BEGIN:VCALENDAR)",
                f"line {number}",
            )
    if not seen_calendar:
        raise InputError.single(source, "not an iCalendar file (no BEGIN:VCALENDAR)")
    if stack:
        raise InputError.single(
            source,
            f"file ends inside {_known(stack[-1])} (missing END:{_known(stack[-1])})",
            f"line {physical}",
        )
    return suspect


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Unfold RFC 5545 continuation lines; yield (first physical line number, line)."""
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and current:
            current.append(raw[1:])
            continue
        if current:
            yield start, "".join(current)
        current, start = [raw], number
    if current:
        yield start, "".join(current)


def _split_line(line: str) -> tuple[str, str, str]:
    """Split a content line into name, separator and value (parameters are skipped)."""
    match = re.match(r"[^;:]*", line)
    name = match.group(0) if match else ""
    rest = line[len(name) :]
    in_quotes = False
    for index, char in enumerate(rest):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            return name.strip(), ":", rest[index + 1 :]
    return name.strip(), "", ""


_COMPONENTS = frozenset(
    {
        "VCALENDAR",
        "VEVENT",
        "VTODO",
        "VJOURNAL",
        "VFREEBUSY",
        "VTIMEZONE",
        "STANDARD",
        "DAYLIGHT",
        "VALARM",
        "VAVAILABILITY",
        "AVAILABLE",
        "PARTICIPANT",
        "VLOCATION",
        "VRESOURCE",
    }
)


def _known(component: str) -> str:
    """A component name for a message: only standard names are echoed, never user text."""
    return component if component in _COMPONENTS else "(unknown component)"


def _parse(text: str, source: str, suspect: int | None) -> list[icalendar.Calendar]:
    """Parse with icalendar; its messages quote input, so only ours are shown."""
    payload = text.encode("utf-8")  # bytes: icalendar never mistakes them for a path
    calendars: list[icalendar.Calendar] | None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calendars = icalendar.Calendar.from_ical(payload, multiple=True)
    except _LIBRARY_ERRORS:
        calendars = None
    if calendars is None:
        if suspect is not None:
            raise InputError.single(source, "not a valid iCalendar content line", f"line {suspect}")
        raise InputError.single(source, "not a valid iCalendar file (a property cannot be read)")
    result = [c for c in calendars if isinstance(c, icalendar.Calendar)]
    if not result:
        raise InputError.single(source, "not an iCalendar file (no VCALENDAR)")
    return result


# --- privacy: drop everything but time ---------------------------------------------------


def _scrub(calendar: icalendar.Calendar) -> None:
    """Delete every event property that does not place the event in time, and its alarms.

    Runs right after parsing, before any other code sees the events. VFREEBUSY carries only
    times already; other components (VTODO, VJOURNAL, ...) are never read.
    """
    for event in calendar.walk("VEVENT"):
        for key in [k for k in event if k.upper() not in _KEEP]:
            del event[key]
        event.subcomponents = []
        event.errors = [(name, "") for name, _ in event.errors if name in _CHECKED_PROPS]
    for key in [k for k in calendar if k.upper() not in {"X-WR-TIMEZONE", "CALSCALE"}]:
        del calendar[key]


# --- one calendar ------------------------------------------------------------------------


def _calendar_blocks(
    calendar: icalendar.Calendar,
    events: list[Any],
    first_event: int,
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
    source: str,
) -> list[BusyBlock]:
    """Busy blocks of one VCALENDAR: its events, then its VFREEBUSY periods."""
    resolver = _ZoneResolver(calendar, source, start - ZONE_WINDOW, end + ZONE_WINDOW)
    numbers = []
    for number, event in enumerate(events, start=first_event):
        if _check_event(event, number, source):
            _bind_zones(event, resolver)
            numbers.append(number)
    calendar.subcomponents = [
        c for c in calendar.subcomponents if c.name != "VEVENT" or "DTSTART" in c
    ]
    calendar = _apply_x_wr_timezone(calendar, resolver, source)
    numbered = list(zip(numbers, calendar.walk("VEVENT"), strict=True))
    for number, event in numbered:
        _at(f"event {number}")
        _clamp_rules(event, number, zone, start, end, source)
    _at("")
    blocks = list(_event_blocks(calendar, numbered, zone, start, end, source))
    blocks.extend(_freebusy_blocks(calendar, resolver, zone, source))
    return blocks


def _check_event(event: Any, number: int, source: str) -> bool:
    """Refuse events whose times cannot be read, naming the event by its position.

    An event without DTSTART places nothing in time (RFC 5545 allows that only in
    scheduling messages): it is skipped (False) rather than refusing the whole file.
    """
    where = f"event {number}"
    for name, _ in event.errors:
        raise InputError.single(source, f"{name} cannot be read (broken date or rule)", where)
    if "DTSTART" not in event:
        return False
    rules = event.get("RRULE")
    if rules is not None and not any(rules if isinstance(rules, list) else [rules]):
        del event["RRULE"]  # "RRULE:" with nothing after it (seen in holiday feeds)
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        value = event.get(name)
        if value is not None and not _is_time(getattr(value, "dt", None)):
            raise InputError.single(source, f"{name} is not a date or date-time", where)
    if "DURATION" in event and not isinstance(getattr(event["DURATION"], "dt", None), timedelta):
        raise InputError.single(source, "DURATION is not a duration", where)
    for value in _dt_list_values(event):
        if not _is_time(value.dt) and not isinstance(value.dt, tuple):
            raise InputError.single(source, "RDATE or EXDATE is not a date or date-time", where)
    return True


def _is_time(value: object) -> bool:
    return isinstance(value, date)


def _dt_list_values(event: Any) -> Iterator[Any]:
    """Every single value of the event's RDATE and EXDATE properties."""
    for name in ("RDATE", "EXDATE"):
        prop = event.get(name)
        for item in prop if isinstance(prop, list) else [prop] if prop is not None else []:
            yield from getattr(item, "dts", [])


# --- time zones --------------------------------------------------------------------------


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


class _ZoneResolver:
    """Resolve TZIDs for one file, independently of every other file.

    icalendar keeps VTIMEZONEs it has seen in a process-wide cache keyed by TZID, so two
    files that both define "Customized Time Zone" (Outlook) would share the first one's
    offsets. We therefore re-resolve every TZID ourselves: an IANA name; a Windows name
    (icalendar's CLDR table, then ours); a "globally unique" /vendor/Area/City id; this
    file's own VTIMEZONE; else the value is floating and read in the person's zone.
    """

    def __init__(
        self, calendar: icalendar.Calendar, source: str, first: datetime, last: datetime
    ) -> None:
        self._source = source
        self._window = (first.astimezone(UTC), last.astimezone(UTC))
        self._components = {
            str(tz.get("TZID", "")).strip(): tz for tz in calendar.walk("VTIMEZONE")
        }
        self._resolved: dict[str, tzinfo | None] = {}

    def zone(self, tzid: str) -> tzinfo | None:
        if tzid not in self._resolved:
            self._resolved[tzid] = self._lookup(tzid)
        return self._resolved[tzid]

    def _lookup(self, tzid: str) -> tzinfo | None:
        name = _iana_name(tzid)
        if name is not None:
            return ZoneInfo(name)
        component: Any = self._components.get(tzid.strip())
        if component is None:
            return None
        number = list(self._components).index(tzid.strip()) + 1
        _at(f"time zone {number}")
        result: tzinfo | None = None
        message = "a VTIMEZONE cannot be read"
        try:
            result = _vtimezone_zone(component, *self._window)
        except _TooManyTransitions as exc:
            message = str(exc)  # our own text, never the file's
        except _LIBRARY_ERRORS:
            result = None
        if result is None:
            raise InputError.single(self._source, message, f"time zone {number}")
        return result


class _TooManyTransitions(Exception):
    pass


_ZONE_FREQS = frozenset({"YEARLY", "MONTHLY"})
"""What a VTIMEZONE may repeat by: offsets change a few times a year at most."""


def _vtimezone_zone(component: Any, first: datetime, last: datetime) -> tzinfo | None:
    """A tzinfo from a file's own VTIMEZONE, with its offset changes worked out only up
    to ``last`` and kept from the last change before ``first`` on.

    icalendar's own conversion (dateutil's ``tzical``) walks each rule from its DTSTART on
    every lookup and without end: a minutely rule from 1601 took minutes and gigabytes.
    """
    limit = last.replace(tzinfo=None)
    changes: list[_Change] = []
    for sub in component.subcomponents:
        if sub.name not in ("STANDARD", "DAYLIGHT"):
            continue
        begin = getattr(sub.get("DTSTART"), "dt", None)
        after = getattr(sub.get("TZOFFSETTO"), "td", None)
        before = getattr(sub.get("TZOFFSETFROM"), "td", after)
        if not isinstance(begin, date) or not isinstance(after, timedelta):
            return None
        if not isinstance(before, timedelta):
            return None
        if not isinstance(begin, datetime):
            begin = datetime(begin.year, begin.month, begin.day)
        begin = begin.replace(tzinfo=None)
        dst = after - before if sub.name == "DAYLIGHT" else timedelta(0)
        name = str(sub.get("TZNAME", "")) or sub.name
        for onset in _zone_onsets(sub, begin, before, limit):
            changes.append(_Change(onset - before, before, after, dst, name))
            if len(changes) > MAX_ZONE_TRANSITIONS:
                raise _TooManyTransitions(
                    f"VTIMEZONE changes its offset more than {MAX_ZONE_TRANSITIONS:,} times "
                    "before the planning horizon ends (refused)"
                )
    if not changes:
        return None
    changes.sort(key=lambda c: c.at)
    kept = bisect_right([c.at for c in changes], first.replace(tzinfo=None))
    if kept == 0:
        head = changes[0]
        return _WindowZone(_Change(head.at, head.before, head.before, head.dst, head.name), changes)
    return _WindowZone(changes[kept - 1], changes[kept:])


@dataclass(frozen=True, slots=True)
class _Change:
    """One offset change of a VTIMEZONE: the UTC instant (naive) and the offsets around it."""

    at: datetime
    before: timedelta
    after: timedelta
    dst: timedelta
    name: str


def _zone_onsets(
    sub: Any, begin: datetime, before: timedelta, limit: datetime
) -> Iterator[datetime]:
    """Local onsets (wall time before the change) of one STANDARD or DAYLIGHT, up to
    ``limit`` (UTC, naive)."""
    yield begin
    rules = sub.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq not in _ZONE_FREQS:
            raise _TooManyTransitions(
                f"VTIMEZONE {sub.name} repeats {freq.lower() or 'without a FREQ'}; a time zone "
                "changes its offset yearly or monthly at most (refused)"
            )
        if not _can_match(rule, begin.date(), limit.date()):
            continue  # no day matches (BYMONTH=2;BYMONTHDAY=31): dateutil would seek to 9999
        start = begin.replace(tzinfo=dateutil.tz.tzoffset(None, before))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            recurrence = dateutil.rrule.rrulestr(rule.to_ical().decode("utf-8"), dtstart=start)
        for onset in recurrence:
            local = onset.replace(tzinfo=None)
            if local - before > limit:
                break
            yield local
    dates = sub.get("RDATE")
    for item in dates if isinstance(dates, list) else [dates] if dates is not None else []:
        for value in getattr(item, "dts", []):
            moment = value.dt
            if isinstance(moment, datetime):
                yield moment.replace(tzinfo=None)
            elif isinstance(moment, date):
                yield datetime(moment.year, moment.month, moment.day)


class _WindowZone(tzinfo):
    """A zone known by its offset changes; outside them, the nearest offset holds."""

    def __init__(self, initial: _Change, changes: list[_Change]) -> None:
        """``initial`` holds before the first of ``changes`` (its ``after`` counts)."""
        self._at = [c.at for c in changes]
        self._offsets = [initial.after, *(c.after for c in changes)]
        self._dst = [initial.dst, *(c.dst for c in changes)]
        self._names = [initial.name, *(c.name for c in changes)]
        self._low, self._high = min(self._offsets), max(self._offsets)

    def _segment(self, dt: datetime) -> int:
        """The segment (0: before the first change) a wall-clock time falls in."""
        wall = dt.replace(tzinfo=None)
        try:
            low = bisect_right(self._at, wall - self._high)
            high = bisect_right(self._at, wall - self._low)
        except OverflowError:
            return 0 if wall.year < 5000 else len(self._at)
        valid = [
            k for k in range(low, high + 1) if bisect_right(self._at, wall - self._offsets[k]) == k
        ]
        if not valid:  # in a gap: the offset before it, or after it for fold=1
            return high if dt.fold else low
        return valid[-1] if dt.fold else valid[0]

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return self._offsets[self._segment(dt)] if dt is not None else self._offsets[0]

    def dst(self, dt: datetime | None) -> timedelta:
        return self._dst[self._segment(dt)] if dt is not None else timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return self._names[self._segment(dt)] if dt is not None else self._names[0]

    def fromutc(self, dt: datetime) -> datetime:
        instant = dt.replace(tzinfo=None)
        k = bisect_right(self._at, instant)
        local = (instant + self._offsets[k]).replace(tzinfo=self)
        if self._segment(local) != k:
            local = local.replace(fold=1)
        return local


def _iana_name(tzid: str) -> str | None:
    """The IANA zone a TZID names, without looking at any VTIMEZONE."""
    clean = tzid.strip().strip("/")
    if clean in _iana_names():
        return clean
    if clean.upper() in ("UTC", "Z", "GMT"):
        return "UTC"
    if clean in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[clean]
    mapped = iana_for(clean)
    if mapped is not None:
        return mapped
    if tzid.strip().startswith("/"):
        parts = clean.split("/")
        for first in range(1, len(parts)):
            candidate = "/".join(parts[first:])
            if candidate in _iana_names():
                return candidate
    return None


def _bind_zones(event: Any, resolver: _ZoneResolver) -> None:
    """Give every date-time with a TZID the zone of *this* file's reading of that TZID."""
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = event.get(name)
        if prop is not None:
            _rebind(prop, prop.params.get("TZID"), resolver)
    for name in ("RDATE", "EXDATE"):
        prop = event.get(name)
        for item in prop if isinstance(prop, list) else [prop] if prop is not None else []:
            tzid = item.params.get("TZID")
            for value in getattr(item, "dts", []):
                _rebind(value, tzid, resolver)


def _rebind(prop: Any, tzid: object, resolver: _ZoneResolver) -> None:
    value = prop.dt
    if not isinstance(tzid, str) or not tzid:
        return
    if isinstance(value, tuple):  # an RDATE period
        prop.dt = tuple(_rezone(v, tzid, resolver) for v in value)
    else:
        prop.dt = _rezone(value, tzid, resolver)


def _rezone(value: Any, tzid: str, resolver: _ZoneResolver) -> Any:
    if not isinstance(value, datetime):
        return value
    return value.replace(tzinfo=resolver.zone(tzid))


def _apply_x_wr_timezone(
    calendar: icalendar.Calendar, resolver: _ZoneResolver, source: str
) -> icalendar.Calendar:
    """Google's X-WR-TIMEZONE: UTC and floating times mean wall time in that zone.

    Done before expansion, so that a weekly 09:00 event stays at 09:00 across DST.
    """
    name = calendar.get("X-WR-TIMEZONE")
    if name is None:
        return calendar
    zone = resolver.zone(str(name))
    if zone is None:
        raise InputError.single(source, "X-WR-TIMEZONE is not a known time zone")
    result: icalendar.Calendar | None
    try:
        result = x_wr_timezone.to_standard(calendar, timezone=zone)
    except _LIBRARY_ERRORS:
        result = None
    if result is None:
        raise InputError.single(source, "times cannot be converted to the X-WR-TIMEZONE zone")
    return result


# --- recurrence --------------------------------------------------------------------------


def _clamp_rules(
    event: Any, number: int, zone: ZoneInfo, start: datetime, end: datetime, source: str
) -> None:
    """Bound every RRULE by the horizon's end, and refuse rules too dense to walk.

    Nothing after the horizon matters, and dateutil, asked for the occurrences in a span,
    walks a rule until it passes the span — for a rule that never matches (BYMONTHDAY=30
    in February) that means up to year 9999. An UNTIL at the horizon's end (plus a margin)
    stops it there without changing any occurrence we keep.
    """
    rules = event.get("RRULE")
    if rules is None:
        return
    rule_list = rules if isinstance(rules, list) else [rules]
    if len(rule_list) == 1:
        _rebase(event, rule_list[0], zone, start - _MARGIN)
    dtstart = event["DTSTART"].dt
    limit = _limit_like(dtstart, end + _MARGIN, zone)
    first = _as_utc(dtstart, zone)
    if not any(_can_match(rule, _limit_day(dtstart), _limit_day(limit)) for rule in rule_list):
        del event["RRULE"]  # no day can match: only DTSTART itself occurs
        return
    for rule in rule_list:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq not in _FREQ_SECONDS:
            raise InputError.single(source, "RRULE has no valid FREQ", f"event {number}")
        _check_steps(rule, freq, first, _as_utc(limit, zone), number, source)
        if rule.get("COUNT"):
            continue  # COUNT bounds the rule already; RFC 5545 forbids UNTIL beside it
        until = (rule.get("UNTIL") or [None])[0]
        if until is None or not _is_time(until) or _as_utc(until, zone) > _as_utc(limit, zone):
            rule["UNTIL"] = [limit]


_FIXED_PERIODS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}


def _rebase(event: Any, rule: Any, zone: ZoneInfo, span_start: datetime) -> None:
    """Move the DTSTART of a rule that started long ago to just before the span.

    dateutil walks a rule from its DTSTART: a weekly meeting since year 1 costs 100,000
    steps before the first one that matters. A rule of fixed-length periods (daily, weekly,
    hourly ...) without COUNT has the same occurrences from any start a whole number of
    periods later (wall-clock arithmetic, as dateutil's), so the start is moved by whole
    periods to at least two periods and the event's length before the span: the moved
    start (an occurrence by RFC 5545 even if the rule would not produce it) ends before it.
    """
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    if freq not in _FIXED_PERIODS or rule.get("COUNT"):
        return
    try:
        interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    except (TypeError, ValueError):
        return  # _check_steps names it
    period = _FIXED_PERIODS[freq] * interval
    begin = event["DTSTART"].dt
    if not isinstance(begin, datetime) and period % timedelta(days=1):
        return
    length = timedelta(0)
    finish = getattr(event.get("DTEND"), "dt", None)
    if isinstance(finish, date) and type(finish) is type(begin):
        try:
            length = max(timedelta(0), _wall(finish) - _wall(begin))
        except TypeError:
            return
    elif isinstance(getattr(event.get("DURATION"), "dt", None), timedelta):
        length = max(timedelta(0), event["DURATION"].dt)
    lead = 2 * period + length + timedelta(days=1)  # a day for the zones' offsets
    gap = span_start.astimezone(UTC) - _as_utc(begin, zone) - lead
    if gap <= period:
        return
    shift = (gap // period) * period
    event["DTSTART"].dt = _shifted(begin, shift)
    if finish is not None and isinstance(finish, date) and type(finish) is type(begin):
        event["DTEND"].dt = _shifted(finish, shift)


def _wall(value: date) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def _shifted(value: date, shift: timedelta) -> date:
    """``value`` moved by ``shift`` of wall-clock time, keeping its kind and zone."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=None) + shift).replace(tzinfo=value.tzinfo)
    return value + timedelta(days=shift.days)


def _limit_day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _ints(rule: Any, key: str) -> set[int] | None:
    values = rule.get(key)
    if not values:
        return None
    try:
        return {int(v) for v in values}
    except (TypeError, ValueError):
        return None  # dateutil will report it


_GREGORIAN_CYCLE = timedelta(days=146_097)
"""400 years: the calendar, its weekdays and ISO weeks repeat after this."""
_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _can_match(rule: Any, first: date, last: date) -> bool:
    """Whether any day in ``[first, last]`` passes the rule's day filters.

    dateutil, asked for a rule no day can satisfy (BYMONTH=2;BYMONTHDAY=30, or
    BYWEEKNO=53;BYMONTH=6), searches until year 9999 — seconds per event — and an UNTIL
    does not stop it. The test is a superset (BYDAY ordinals are read as plain weekdays),
    so False means truly impossible; a matching rule returns within about a year of days,
    and a span longer than 400 years is cut to its last 400 (the calendar repeats).
    """
    months, monthdays = _ints(rule, "BYMONTH"), _ints(rule, "BYMONTHDAY")
    yeardays = _ints(rule, "BYYEARDAY")
    weekstart = str((rule.get("WKST") or ["MO"])[0]).upper()
    weeks = _ints(rule, "BYWEEKNO") if weekstart == "MO" else None
    weekdays = _weekdays(rule)
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    try:
        interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    except (TypeError, ValueError):
        interval = 1  # _check_steps names it
    if freq == "DAILY" and interval > 1:
        # Only every interval-th day is a candidate (every 7 days from a Monday, on
        # Tuesdays: never); the candidates repeat within 400 years' worth of them.
        if weekdays is None and monthdays is None and yeardays is None and weeks is None:
            return True
        step, day, tries = timedelta(days=interval), first, _GREGORIAN_CYCLE.days
    else:
        if monthdays is None and yeardays is None and weeks is None:
            return True
        step, day, tries = timedelta(days=1), max(first, last - _GREGORIAN_CYCLE), 10**9
    while day <= last and tries > 0:
        if _day_matches(day, months, monthdays, yeardays) and _week_matches(day, weeks, weekdays):
            return True
        day += step
        tries -= 1
    return False


def _weekdays(rule: Any) -> set[int] | None:
    values = rule.get("BYDAY")
    if not values:
        return None
    found = {
        _WEEKDAY_CODES.index(code[-2:])
        for v in values
        if (code := str(v).upper())[-2:] in _WEEKDAY_CODES
    }
    return found or None


def _day_matches(
    day: date, months: set[int] | None, monthdays: set[int] | None, yeardays: set[int] | None
) -> bool:
    if months is not None and day.month not in months:
        return False
    if monthdays is not None:
        length = ((day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
        if day.day not in monthdays and day.day - length - 1 not in monthdays:
            return False
    if yeardays is not None:
        number = day.timetuple().tm_yday
        length = 366 if date(day.year, 12, 31).timetuple().tm_yday == 366 else 365
        if number not in yeardays and number - length - 1 not in yeardays:
            return False
    return True


def _week_matches(day: date, weeks: set[int] | None, weekdays: set[int] | None) -> bool:
    if weekdays is not None and day.weekday() not in weekdays:
        return False
    if weeks is None:
        return True
    year, week, _ = day.isocalendar()
    total = date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last week
    return week in weeks or week - total - 1 in weeks


def _check_steps(
    rule: Any, freq: str, first: datetime, last: datetime, number: int, source: str
) -> None:
    try:
        interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    except (TypeError, ValueError):
        interval = 0
    if interval == 0:
        raise InputError.single(source, "RRULE has an invalid INTERVAL", f"event {number}")
    step = _FREQ_SECONDS[freq] * interval
    times = _times_per_step(rule, freq)
    per_step = max(1, len(times))
    spacing = min(
        [step - (times[-1] - times[0])] + [b - a for a, b in itertools.pairwise(times)]
        if times
        else [step]
    )
    if spacing < MIN_RULE_STEP.total_seconds():
        raise InputError.single(
            source,
            f"RRULE repeats more often than every {MIN_RULE_STEP.seconds // 60} minutes, the "
            "finest planning grid (refused)",
            f"event {number}",
        )
    steps = (last - first).total_seconds() / step * per_step
    count = (rule.get("COUNT") or [None])[0]
    filters = [k for k in rule if str(k).upper().startswith("BY")]
    if isinstance(count, int) and not filters:
        steps = min(steps, count)
    if steps > MAX_RULE_STEPS:
        raise InputError.single(
            source,
            f"RRULE repeats {freq.lower()} from long before the planning horizon; expanding "
            f"it would take over {MAX_RULE_STEPS:,} steps (refused)",
            f"event {number}",
        )


def _times_per_step(rule: Any, freq: str) -> list[int]:
    """Seconds into each period at which BYHOUR/BYMINUTE/BYSECOND place occurrences,
    sorted (empty when the rule has none finer than its FREQ)."""
    parts: list[list[int]] = []
    for key, unit in (("BYHOUR", 3600), ("BYMINUTE", 60), ("BYSECOND", 1)):
        values = _ints(rule, key)
        if _FREQ_SECONDS[freq] > unit and values:
            parts.append(sorted(v * unit for v in values))
    if not parts:
        return []
    times = [0]
    for part in parts:
        times = [t + v for t in times for v in part]
    return sorted(set(times))


def _limit_like(sample: date, instant: datetime, zone: ZoneInfo) -> date:
    """``instant`` in the same kind as ``sample``: a date, a naive or an aware date-time."""
    local = instant.astimezone(zone)
    if not isinstance(sample, datetime):
        return local.date()
    if sample.tzinfo is None:
        return local.replace(tzinfo=None)
    return instant.astimezone(UTC)


_FAR_PAST = datetime.min.replace(tzinfo=UTC)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def _as_utc(value: date, zone: ZoneInfo) -> datetime:
    """An instant for any iCalendar time: dates and floating times are read in ``zone``.

    A time at the very edge of the calendar (0001-01-01 in a zone east of UTC) has no UTC
    form; it becomes the first or last representable instant, far outside any horizon.
    """
    try:
        if not isinstance(value, datetime):
            return local_instant(value, 0, zone).astimezone(UTC)
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=zone).astimezone(UTC)
        return value.astimezone(UTC)
    except OverflowError:
        return _FAR_PAST if value.year < 5000 else _FAR_FUTURE


def _event_blocks(
    calendar: icalendar.Calendar,
    numbered: list[tuple[int, Any]],
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
    source: str,
) -> Iterator[BusyBlock]:
    """Expand the events inside the horizon (with a margin) and keep the busy ones."""
    if not numbered:
        return
    span_start, span_end = (start - _MARGIN).astimezone(zone), (end + _MARGIN).astimezone(zone)
    _neutralise_free_events(calendar)
    occurrences: list[tuple[date, date]] = []
    failed = False
    first_of = {}
    for number, event in reversed(numbered):
        first_of[str(event.get("UID", ""))] = number
    guard = _guard()
    try:
        query = recurring_ical_events.CalendarQuery(calendar, components=["VEVENT"])
        for series in query.series:
            number = first_of.get(str(getattr(series, "uid", "")))
            _at(f"event {number}" if number is not None else "")
            for occurrence in series.between(span_start, span_end):
                occurrences.append((occurrence.start, occurrence.end))
                if guard is not None:
                    guard.paid(1)
                if len(occurrences) > MAX_OCCURRENCES:
                    break
            if len(occurrences) > MAX_OCCURRENCES:
                break
    except _LIBRARY_ERRORS:
        failed = True
    if failed:
        raise _locate_expansion_error(numbered, zone, start, end, source)
    if len(occurrences) > MAX_OCCURRENCES:
        raise InputError.single(
            source,
            f"more than {MAX_OCCURRENCES:,} event occurrences in the planning horizon (refused)",
        )
    for begin, finish in occurrences:
        block = _block(begin, finish, zone)
        if block is not None:
            yield block


def _locate_expansion_error(
    numbered: list[tuple[int, Any]], zone: ZoneInfo, start: datetime, end: datetime, source: str
) -> InputError:
    """Expand event by event to name the one that fails (only on the error path)."""
    span_start, span_end = (start - _MARGIN).astimezone(zone), (end + _MARGIN).astimezone(zone)
    for number, event in numbered:
        single = icalendar.Calendar()
        single.add_component(event)
        try:
            query = recurring_ical_events.CalendarQuery(single, components=["VEVENT"])
            for series in query.series:
                for _ in series.between(span_start, span_end):
                    break
        except _LIBRARY_ERRORS:
            return InputError.single(
                source, "event times or recurrence cannot be expanded", f"event {number}"
            )
    return InputError.single(
        source, "recurring events cannot be expanded (an override does not match its series)"
    )


def _neutralise_free_events(calendar: icalendar.Calendar) -> None:
    """Make events that do not block time vanish from the expansion, cheaply.

    A free master goes (its busy overrides stand on their own). A free *override* must
    stay, because it replaces its master's occurrence (a cancelled instance of a weekly
    meeting); it becomes zero-length, and zero-length occurrences yield no block.
    """
    kept = []
    for component in calendar.subcomponents:
        if component.name == "VEVENT" and not _blocks_time(component):
            if "RECURRENCE-ID" not in component:
                continue
            component["DTEND"] = component["DTSTART"]
            component.pop("DURATION", None)
        kept.append(component)
    calendar.subcomponents = kept


def _blocks_time(component: Any) -> bool:
    """Transparent, cancelled and Outlook "free" events do not make a person busy."""
    if str(component.get("TRANSP", "")).strip().upper() == "TRANSPARENT":
        return False
    if str(component.get("STATUS", "")).strip().upper() == "CANCELLED":
        return False
    return str(component.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).strip().upper() != "FREE"


def _block(begin: date, finish: date, zone: ZoneInfo) -> BusyBlock | None:
    """A block in UTC; zero-length and inverted spans (DTSTART without DTEND) give none."""
    first, last = _as_utc(begin, zone), _as_utc(finish, zone)
    return BusyBlock(first, last) if last > first else None


# --- VFREEBUSY ---------------------------------------------------------------------------


def _freebusy_blocks(
    calendar: icalendar.Calendar, resolver: _ZoneResolver, zone: ZoneInfo, source: str
) -> Iterator[BusyBlock]:
    """FREEBUSY periods typed BUSY (the default), BUSY-UNAVAILABLE or BUSY-TENTATIVE."""
    for number, component in enumerate(calendar.walk("VFREEBUSY"), start=1):
        props = component.get("FREEBUSY")
        for prop in props if isinstance(props, list) else [props] if props is not None else []:
            fbtype = str(prop.params.get("FBTYPE", "BUSY")).strip().upper()
            if fbtype not in _BUSY_FBTYPES:
                continue
            period = _period(prop)
            if period is None:
                raise InputError.single(
                    source,
                    "FREEBUSY is not a period (start/end or start/duration)",
                    f"free/busy {number}",
                )
            tzid = prop.params.get("TZID")
            begin, finish = period
            if isinstance(tzid, str) and tzid:
                begin, finish = _rezone(begin, tzid, resolver), _rezone(finish, tzid, resolver)
            block = _block(begin, finish, zone)
            if block is not None:
                yield block


def _period(prop: Any) -> tuple[datetime, datetime] | None:
    begin, finish = getattr(prop, "start", None), getattr(prop, "end", None)
    if not isinstance(begin, datetime) or not isinstance(finish, datetime):
        return None
    return begin, finish


# --- result ------------------------------------------------------------------------------


def _merge_and_clip(blocks: Iterable[BusyBlock], start: datetime, end: datetime) -> list[BusyBlock]:
    """Sort, clip to ``[start, end)`` and join overlapping or touching blocks."""
    low, high = start.astimezone(UTC), end.astimezone(UTC)
    clipped = sorted(
        (max(b.start, low), min(b.end, high)) for b in blocks if b.end > low and b.start < high
    )
    merged: list[BusyBlock] = []
    for first, last in clipped:
        if merged and first <= merged[-1].end:
            if last > merged[-1].end:
                merged[-1] = BusyBlock(merged[-1].start, last)
        else:
            merged.append(BusyBlock(first, last))
    return merged
