"""The checker's ``venue_conflict`` and ``venue_capacity``.

Independent of the solver (see :mod:`planner.solve.verify`); mirrors ``planner.solve.rules.venues``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from planner.domain.schedule import PlannedSession
from planner.solve.verify.core import (
    Facts,
    Focus,
    PlanView,
    Ranges,
    Violation,
    _checked_sessions,
)


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
