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

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from planner.domain.errors import InputError
from planner.domain.io import parse_document, read_text, validation_problems
from planner.domain.models import Activity
from planner.domain.planning import PlanningInput
from planner.domain.schedule import PlannedSession, Schedule
from planner.solve.ledger import HARD_RULES
from planner.solve.verify.attendance import (
    rule_busy,
    rule_capacity,
    rule_needs_unmet,
    rule_one_session_per_activity,
    rule_opted_out,
    rule_required_attendee,
    rule_time_off,
    rule_working_hours,
)
from planner.solve.verify.caps import (
    rule_daily_cap,
    rule_overlap,
    rule_weekly_events_cap,
    rule_weekly_minutes_cap,
)
from planner.solve.verify.core import Facts, Focus, PlanView, Ranges, RuleFn, Violation, merge
from planner.solve.verify.coverage import (
    rule_coverage_floor,
)
from planner.solve.verify.mixing import (
    rule_department_mix,
)
from planner.solve.verify.structure import (
    check_structure,
)
from planner.solve.verify.timing import (
    rule_activity_window,
    rule_horizon,
    rule_min_notice,
    rule_protected_window,
)
from planner.solve.verify.venues import (
    rule_venue_capacity,
    rule_venue_conflict,
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
        raise InputError(validation_problems(source, exc, data)) from None


__all__ = [
    "ATTENDANCE_RULES",
    "HARD_RULES",
    "PERSON_RULES",
    "PLACEMENT_RULES",
    "RULES",
    "SESSION_RULES",
    "Facts",
    "Focus",
    "PlanView",
    "Ranges",
    "RuleFn",
    "Violation",
    "check",
    "check_structure",
    "load_schedule",
    "merge",
    "render_violations",
    "rule_activity_window",
    "rule_busy",
    "rule_capacity",
    "rule_coverage_floor",
    "rule_daily_cap",
    "rule_department_mix",
    "rule_horizon",
    "rule_min_notice",
    "rule_needs_unmet",
    "rule_one_session_per_activity",
    "rule_opted_out",
    "rule_overlap",
    "rule_protected_window",
    "rule_required_attendee",
    "rule_time_off",
    "rule_venue_capacity",
    "rule_venue_conflict",
    "rule_weekly_events_cap",
    "rule_weekly_minutes_cap",
    "rule_working_hours",
    "start_allowed",
    "verify",
]
