"""Time arithmetic shared by every layer: zones, weekdays, clock ranges, slot grids.

All instants inside planner are timezone-aware. Wall-clock values from scenario files are
interpreted in a named zone (the team's, or a person's) *per calendar day*, so that a
09:00 start stays at 09:00 local across daylight-saving changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys as used in scenario files, index = ``date.weekday()``."""

_CLOCK_RANGE = re.compile(r" *([0-9]{1,2}):([0-9]{2}) *- *([0-9]{1,2}):([0-9]{2}) *")
"""Used with ``fullmatch``: ASCII digits and spaces only (``\\d`` and ``\\s`` also match
Arabic-Indic digits and U+2028, and ``$`` a trailing newline)."""


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise ``ValueError`` with a readable message."""
    if name not in _zone_names() and name != "UTC":
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as 'Europe/Stockholm')"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - defensive
        raise ValueError(f"unknown time zone {name!r}") from exc


def parse_clock_range(text: str) -> tuple[int, int]:
    """Parse ``"HH:MM-HH:MM"`` into minutes since midnight ``(start, end)``.

    ``24:00`` is allowed as an end. The range must be ordered (no overnight ranges:
    split them over two days instead).
    """
    m = _CLOCK_RANGE.fullmatch(text)
    if not m:
        raise ValueError(f"{text!r} is not a time range like '09:00-17:00'")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    for h, mi, end in ((h1, m1, False), (h2, m2, True)):
        if mi > 59 or h > 24 or (h == 24 and (mi != 0 or not end)):
            raise ValueError(f"{text!r} has an impossible clock time")
    start, stop = h1 * 60 + m1, h2 * 60 + m2
    if start >= stop:
        raise ValueError(f"{text!r} ends before it starts (split overnight ranges over two days)")
    return start, stop


def format_clock_range(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The instant at ``minute`` minutes after local midnight of ``day`` in ``tz``.

    Wall-clock arithmetic: 09:00 is 09:00 on a DST-change day too. A wall time that does
    not exist (inside a spring-forward gap) resolves forward, as ``zoneinfo`` does with
    ``fold=0``; ``24:00`` is the next day's midnight.
    """
    extra, minute = divmod(minute, 24 * 60)
    d = day + timedelta(days=extra)
    naive = datetime.combine(d, time(minute // 60, minute % 60))
    local = naive.replace(tzinfo=tz)
    # Normalise non-existent wall times (spring-forward gap) through UTC.
    return local.astimezone(UTC).astimezone(tz)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end instants of the calendar ``day`` in ``tz`` (23, 24 or 25 hours long)."""
    return local_instant(day, 0, tz), local_instant(day + timedelta(days=1), 0, tz)


def to_aware(value: datetime, tz: ZoneInfo) -> datetime:
    """Attach ``tz`` to a naive wall-clock datetime; keep aware ones as they are."""
    if value.tzinfo is None:
        return value.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return value


def daterange(start: date, end: date) -> Iterator[date]:
    """Every date from ``start`` to ``end`` inclusive."""
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def iso_week(day: date) -> tuple[int, int]:
    """ISO (year, week) of ``day``: the unit of the weekly caps."""
    y, w, _ = day.isocalendar()
    return y, w
