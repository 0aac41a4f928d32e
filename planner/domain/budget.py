"""The memory budget of a plan: refuse a scenario whose model would not fit, before building it.

The solver's tables hold, for every person and activity, a row over every slot of the
horizon (where each person may be, which starts fit), and CP-SAT holds variables for every
person and session that can happen. Their size is estimated from the scenario alone, in
microseconds, so that ``validate`` and ``solve`` (CLI and TUI) refuse a scenario that would
need more than :data:`MEMORY_BUDGET` — with the numbers that make it so and what to change —
instead of swapping for minutes and being killed.

The formula (peak resident memory of ``planner solve``, measured with ``/usr/bin/time -v`` on
generated organisations of 200 to 2,000 people, 10 to 40 activities, two weeks to a year,
15- and 30-minute slots; at a year of 15-minute slots it overestimates by up to a fifth)::

    bytes = 250 MB
          + 2 B   x people x activities x slots        (the per-slot tables)
          + 600 B x seats                              (variables per person and session)

``slots`` counts every slot of the horizon (days x 24 h / slot_minutes); ``seats`` counts,
for each activity, the people who did not say no times its sessions (for a pairing, the
most groups it may form). Bench L (2,000 people, 40 activities, two weeks of 30-minute
slots) comes to about 0.5 GB; 10,000 people with 80 activities over the same grid to about
3.3 GB; 3,000 people with 40 activities over a year of 15-minute slots to about 9 GB (it
took 7.4 GB and 258 s), which is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.domain.errors import InputError
from planner.domain.models import Scenario

MEMORY_BUDGET = 4 * 1024**3
"""Bytes a plan's model may need at most (4 GiB)."""

BASE_BYTES = 250 * 1000**2
BYTES_PER_CELL = 2
"""Per person, activity and slot of the horizon."""
BYTES_PER_SEAT = 600
"""Per person who may attend an activity, and session of it (or pairing group)."""


@dataclass(frozen=True)
class Estimate:
    people: int
    activities: int
    sessions: int
    seats: int
    slots: int
    days: int
    slot_minutes: int

    @property
    def cells(self) -> int:
        return self.people * self.activities * self.slots

    @property
    def bytes(self) -> int:
        return int(BASE_BYTES + BYTES_PER_CELL * self.cells + BYTES_PER_SEAT * self.seats)


def estimate(scenario: Scenario) -> Estimate:
    """The model's size from the scenario's counts (no instance is built)."""
    team = scenario.team
    days = (team.horizon.end - team.horizon.start).days + 1
    slot_minutes = team.slot_minutes
    willing: dict[str, int] = {}
    for answers in scenario.preferences.values():
        for activity_id, answer in answers.items():
            if answer != "no":
                willing[activity_id] = willing.get(activity_id, 0) + 1
    sessions = sum(a.sessions for a in scenario.activities)  # a pairing's: its most groups
    seats = sum(willing.get(a.id, 0) * a.sessions for a in scenario.activities)
    return Estimate(
        people=len(scenario.people),
        activities=len(scenario.activities),
        sessions=sessions,
        seats=seats,
        slots=max(0, days) * (24 * 60 // slot_minutes),
        days=max(0, days),
        slot_minutes=slot_minutes,
    )


def check_memory(scenario: Scenario, source: str) -> Estimate:
    """Raise :class:`InputError` (exit 2) when the plan's model would exceed the budget."""
    found = estimate(scenario)
    if found.bytes <= MEMORY_BUDGET:
        return found
    gib = found.bytes / 1024**3
    message = (
        f"too large to plan: {found.people:,} people x {found.activities:,} activities x "
        f"{found.slots:,} slots ({found.days:,} days of {found.slot_minutes}-minute slots) "
        f"with {found.sessions:,} sessions need about {gib:.1f} GiB, over the "
        f"{MEMORY_BUDGET / 1024**3:g} GiB budget; shorten the horizon, use coarser "
        "slot_minutes, plan fewer activities, or split the round into several"
    )
    raise InputError.single(source, message, "team.horizon")
