"""The checker's per-person limits: ``weekly_events_cap``, ``weekly_minutes_cap``, ``daily_cap``, ``overlap``.

Independent of the solver (see :mod:`planner.solve.verify`); mirrors ``planner.solve.rules.caps``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from planner.domain.schedule import PlannedSession
from planner.domain.timeutil import iso_week
from planner.solve.verify.core import (
    Facts,
    Focus,
    Joining,
    PlanView,
    Violation,
    _known_sessions,
    _people_in_focus,
)


def _caps(facts: Facts, plan: PlanView, focus: Focus | None, rule: str) -> Iterator[Violation]:
    for pid in _people_in_focus(facts, plan, focus):
        p = facts.people[pid]
        sessions = _known_sessions(facts, plan.sessions_of(pid))
        groups: dict[object, list[PlannedSession]] = defaultdict(list)
        for s in sessions:
            day = facts.local_date(s.start)
            groups[day if rule == "daily_cap" else iso_week(day)].append(s)
        for key, group in sorted(groups.items(), key=lambda kv: str(kv[0])):
            if focus is not None and focus.session not in {s.id for s in group}:
                continue
            ids = ", ".join(s.id for s in group)
            if rule == "daily_cap":
                cap = facts.scenario.daily_events_cap(p)
                if len(group) > cap:
                    yield Violation(
                        rule,
                        f"{pid} has {len(group)} events on {key} (cap {cap}): {ids}",
                        group[-1].id,
                        pid,
                    )
            elif rule == "weekly_events_cap":
                cap = facts.scenario.weekly_events_cap(p)
                if len(group) > cap:
                    yield Violation(
                        rule,
                        f"{pid} has {len(group)} events in week {_week(key)} (cap {cap}): {ids}",
                        group[-1].id,
                        pid,
                    )
            else:
                mcap = facts.scenario.weekly_minutes_cap(p)
                minutes = sum(int((s.end - s.start).total_seconds() // 60) for s in group)
                if mcap is not None and minutes > mcap:
                    yield Violation(
                        rule,
                        f"{pid} has {minutes} event minutes in week {_week(key)} (cap {mcap})",
                        group[-1].id,
                        pid,
                    )


def _week(key: object) -> str:
    assert isinstance(key, tuple)
    return f"{key[0]}-W{key[1]:02d}"


def rule_weekly_events_cap(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    """Sessions per ISO week (of the team-zone start date) within the stricter cap."""
    return _caps(facts, plan, focus, "weekly_events_cap")


def rule_weekly_minutes_cap(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    return _caps(facts, plan, focus, "weekly_minutes_cap")


def rule_daily_cap(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    return _caps(facts, plan, focus, "daily_cap")


def rule_overlap(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    """One person, two sessions at once (half-open: back-to-back is fine)."""
    for pid in _people_in_focus(facts, plan, focus):
        sessions = sorted(plan.sessions_of(pid), key=lambda s: (s.start, s.id))
        for i, s in enumerate(sessions):
            for t in sessions[i + 1 :]:
                if t.start >= s.end:
                    break
                if focus is not None and focus.session not in (s.id, t.id):
                    continue
                yield Violation("overlap", f"{pid} is in {s.id} and {t.id} at once", t.id, pid)


def may_break(j: Joining) -> set[str]:
    """The per-person limits that may fire when ``j.person`` joins ``j.session`` (each the
    rule's own condition above on the person's load, or a looser one)."""
    s, load = j.session, j.load
    out: set[str] = set()
    if any(o.start < s.end and s.start < o.end for o in load.sessions):
        out.add("overlap")
    if load.per_day[j.day] + 1 > load.daily_cap:
        out.add("daily_cap")
    if load.per_week[j.week] + 1 > load.weekly_cap:
        out.add("weekly_events_cap")
    if load.minutes_cap is not None and load.minutes[j.week] + j.minutes > load.minutes_cap:
        out.add("weekly_minutes_cap")
    return out
