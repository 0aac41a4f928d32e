"""The checker's when sessions may start: ``min_notice``, ``protected_window``, ``activity_window``, ``horizon``.

Independent of the solver (see :mod:`planner.solve.verify`); mirrors ``planner.solve.rules.timing``.
"""

from __future__ import annotations

from collections.abc import Iterator

from planner.solve.verify.core import (
    Facts,
    Focus,
    PlanView,
    Violation,
    _checked_sessions,
    _when,
)


def rule_min_notice(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        if s.start < facts.notice_from:
            yield Violation(
                "min_notice",
                f"{s.id} starts {_when(facts, s.start)}, before the notice period ends "
                f"({_when(facts, facts.notice_from)})",
                s.id,
            )


def rule_protected_window(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        for w in facts.scenario.policy.protected:
            spans = facts.window_intervals(w, s.start) + facts.window_intervals(w, s.end)
            if any(ws < s.end and s.start < we for ws, we in spans):
                yield Violation(
                    "protected_window", f"{s.id} overlaps the protected window {w.time}", s.id
                )
                break


def rule_activity_window(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        a = facts.activities[s.activity]
        if not a.windows:
            continue
        spans = [iv for w in a.windows for iv in facts.window_intervals(w, s.start)]
        if not any(ws <= s.start and s.end <= we for ws, we in spans):
            yield Violation(
                "activity_window", f"{s.id} is not inside any of {a.id}'s windows", s.id
            )


def rule_horizon(facts: Facts, plan: PlanView, focus: Focus | None = None) -> Iterator[Violation]:
    h0, h1 = facts.horizon
    for s in _checked_sessions(facts, plan, focus):
        if s.start < h0 or s.end > h1:
            yield Violation("horizon", f"{s.id} lies outside the planning horizon", s.id)
