"""The plan as written to ``schedule.json`` (SPEC §3) and read back by ``verify``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from planner.domain.models import Instant, NumbersAreNumbers


class PlanStatus(StrEnum):
    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"
    unknown = "unknown"


class _Out(NumbersAreNumbers):
    model_config = ConfigDict(extra="forbid")


class _Words(BaseModel):
    """An output model with no number field, so without :class:`NumbersAreNumbers`'
    per-field check: it could find nothing here, and on the 441,000 ``unplaced`` entries
    of a 10,000-person plan its Python call per field was most of their cost (issue 17).
    A test keeps number fields out of these models."""

    model_config = ConfigDict(extra="forbid")


class Objective(_Out):
    value: float = Field(description="Objective of the plan (higher is better).")
    bound: float = Field(description="Best proven upper bound on the objective.")
    gap: float = Field(description="Relative gap (bound - value) / max(1, |bound|).")


class PlannedSession(_Out):
    id: str = Field(description="Stable session id '<activity>#<n>' (pairing: '<activity>#g<n>').")
    activity: str = Field(description="Activity id.")
    start: Instant = Field(description="Start, with UTC offset (team zone).")
    end: Instant = Field(description="End, with UTC offset (team zone).")
    attendees: list[str] = Field(description="Person ids, sorted.")
    venue: str | None = Field(default=None, description="Venue id, if any.")
    location: str | None = Field(default=None, description="Venue name, location or link.")


class Reason(_Words):
    rule: str = Field(description="Stable rule id (SPEC §2), or 'unavailable'.")
    detail: str = Field(default="", description="Human-readable detail.")


class Unplaced(_Words):
    person: str = Field(description="Person id.")
    activity: str = Field(description="Activity id the person opted into (yes or maybe).")
    reasons: list[Reason] = Field(default_factory=list, description="Why no session took them.")


class NotHeld(_Out):
    activity: str = Field(description="Activity id.")
    session: int = Field(description="1-based session number that could not be held.")
    reasons: list[Reason] = Field(default_factory=list, description="Why it could not be held.")


class Conflict(_Out):
    rules: list[str] = Field(description="Rule ids that contradict each other.")
    detail: str = Field(default="", description="Who and what is involved.")


class Schedule(_Out):
    status: PlanStatus = Field(description="optimal, feasible or infeasible.")
    objective: Objective = Field(description="Objective value, bound and gap.")
    solve_seconds: float = Field(default=0.0, description="Wall time of the search.")
    sessions: list[PlannedSession] = Field(default_factory=list, description="Held sessions.")
    unplaced: list[Unplaced] = Field(default_factory=list, description="Opt-ins not placed.")
    not_held: list[NotHeld] = Field(default_factory=list, description="Sessions not held.")
    conflicts: list[Conflict] = Field(default_factory=list, description="Infeasibility causes.")
    generated_at: datetime | None = Field(default=None, description="When the plan was made.")

    def placed(self) -> set[str]:
        """The people the plan seats in at least one session (each gets one invitation)."""
        return {p for s in self.sessions for p in s.attendees}

    @property
    def publishable(self) -> bool:
        """A plan that may go out as invites: optimal or feasible, even with no sessions
        (then it cancels what was sent before)."""
        return self.status in (PlanStatus.optimal, PlanStatus.feasible)
