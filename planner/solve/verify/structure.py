"""The schedule file against the scenario: ids known and unique, times on the grid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

from planner.domain.schedule import Schedule
from planner.solve.verify.core import (
    Facts,
    Violation,
    _when,
)


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
