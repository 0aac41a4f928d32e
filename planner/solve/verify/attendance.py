"""The checker's who may attend: ``opted_out``, ``time_off``, ``busy``, ``working_hours``, ``needs_unmet``,
``capacity``, ``required_attendee``, ``one_session_per_activity``.

Independent of the solver (see :mod:`planner.solve.verify`); mirrors ``planner.solve.rules.attendance``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from planner.domain.models import Kind
from planner.solve.verify.core import (
    Facts,
    Focus,
    Joining,
    PlanView,
    Violation,
    _attendances,
    _checked_sessions,
    _people_in_focus,
)


def rule_opted_out(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    """Only yes/maybe opt-ins (not declined) attend; required people unless they said no."""
    for s, a, p in _attendances(facts, plan, focus):
        if not facts.may_attend(p.id, a.id):
            yield Violation("opted_out", f"{p.id} attends {a.id} without opting in", s.id, p.id)


def rule_time_off(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    for s, _a, p in _attendances(facts, plan, focus):
        if facts.time_off(p.id).overlaps(s.start, s.end):
            yield Violation("time_off", f"{p.id} is on time off during {s.id}", s.id, p.id)


def rule_busy(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    for s, _a, p in _attendances(facts, plan, focus):
        if facts.busy(p.id).overlaps(s.start, s.end):
            yield Violation("busy", f"{p.id} is busy during {s.id}", s.id, p.id)


def rule_working_hours(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    """Inside one joined working range, unless both person and activity allow after hours."""
    for s, a, p in _attendances(facts, plan, focus):
        if p.after_hours and a.after_hours:
            continue
        if not facts.working(p.id).contains(s.start, s.end):
            yield Violation(
                "working_hours", f"{s.id} is outside {p.id}'s working hours", s.id, p.id
            )


def rule_needs_unmet(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s, a, p in _attendances(facts, plan, focus):
        offered = set(a.provides)
        if s.venue in facts.venues:
            offered |= set(facts.venues[s.venue].provides)
        missing = sorted(set(p.needs) - offered)
        if missing:
            yield Violation(
                "needs_unmet", f"{s.id} does not provide {', '.join(missing)}", s.id, p.id
            )


def rule_capacity(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    """A held session has min..max participants (required people included); a pairing
    group never leaves one person alone (at least two, whatever its minimum)."""
    for s in _checked_sessions(facts, plan, focus):
        a = facts.activities[s.activity]
        n = len(set(s.attendees))
        least = max(2, a.min_participants) if a.kind is Kind.pairing else a.min_participants
        if n < least:
            yield Violation("capacity", f"{s.id} has {n} attendees; at least {least} needed", s.id)
        elif n > a.max_participants:
            yield Violation(
                "capacity", f"{s.id} has {n} attendees; at most {a.max_participants} allowed", s.id
            )


def rule_required_attendee(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        a = facts.activities[s.activity]
        missing = [r for r in a.required if r not in s.attendees]
        if missing:
            yield Violation("required_attendee", f"{s.id} is missing {', '.join(missing)}", s.id)


def rule_one_session_per_activity(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for pid in _people_in_focus(facts, plan, focus):
        by_activity: dict[str, list[str]] = defaultdict(list)
        for s in plan.sessions_of(pid):
            by_activity[s.activity].append(s.id)
        for aid, ids in by_activity.items():
            if aid not in facts.activities or pid in facts.activities[aid].required:
                continue
            if focus is not None and focus.session not in ids:
                continue
            if len(ids) > 1:
                yield Violation(
                    "one_session_per_activity",
                    f"{pid} attends {len(ids)} sessions of {aid}: {', '.join(ids)}",
                    ids[-1],
                    pid,
                )


def may_break(facts: Facts, j: Joining) -> set[str]:
    """The attendance rules that may fire when ``j.person`` joins ``j.session``: each test is
    the rule's own condition above (or a looser one), so a rule left out certainly holds.
    Lets ``explain`` skip the full check."""
    pid, s, person = j.person.id, j.session, j.person
    out: set[str] = set()
    if facts.time_off(pid).overlaps(s.start, s.end):
        out.add("time_off")
    if facts.busy(pid).overlaps(s.start, s.end):
        out.add("busy")
    if not (person.after_hours and j.activity.after_hours) and not facts.working(pid).contains(
        s.start, s.end
    ):
        out.add("working_hours")
    if person.needs and not set(person.needs) <= j.offered:
        out.add("needs_unmet")
    if not j.may_attend:
        out.add("opted_out")
    if any(o.activity == s.activity for o in j.load.sessions):
        out.add("one_session_per_activity")
    return out
