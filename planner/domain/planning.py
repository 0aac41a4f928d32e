"""What the engine plans from: a scenario plus the state around it.

The store assembles a :class:`PlanningInput` from the workspace (or the CLI from a scenario
file and its calendars); the engine, ``verify`` and the benchmark read only this.

The exact semantics of every hard rule and of the objective are in ``docs/rules.md``
(binding for the engine and for the independent checker alike).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from planner.domain.models import Scenario
from planner.domain.schedule import PlannedSession

Interval = tuple[datetime, datetime]
"""A half-open ``[start, end)`` range of aware instants."""


@dataclass(frozen=True)
class PlanningInput:
    scenario: Scenario
    now: datetime
    """Aware; ``policy.min_notice_hours`` counts from here."""
    busy: Mapping[str, Sequence[Interval]] = field(default_factory=dict)
    """Busy blocks per person id beyond the scenario's own ``busy`` (calendars, responses)."""
    published: Sequence[PlannedSession] = ()
    """Sessions whose invites went out: the stability term keeps them where it can."""
    declined: frozenset[tuple[str, str]] = frozenset()
    """(person id, activity id) pairs declined by RSVP: never placed there again this round."""

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("PlanningInput.now must be timezone-aware")
