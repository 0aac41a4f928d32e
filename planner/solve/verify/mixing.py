"""The checker's ``department_mix``.

Independent of the solver (see :mod:`planner.solve.verify`); mirrors ``planner.solve.rules.mixing``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from planner.solve.verify.core import (
    Facts,
    Focus,
    PlanView,
    Violation,
    _checked_sessions,
)


def rule_department_mix(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    for s in _checked_sessions(facts, plan, focus):
        a = facts.activities[s.activity]
        people = [facts.people[p] for p in dict.fromkeys(s.attendees) if p in facts.people]
        depts = Counter(p.department for p in people)
        if len(depts) < a.min_departments:
            yield Violation(
                "department_mix",
                f"{s.id} mixes {len(depts)} departments; at least {a.min_departments} needed",
                s.id,
            )
        limit = int(a.max_department_share * len(people) + 1e-9)
        for dept, count in sorted(depts.items()):
            if count > limit:
                yield Violation(
                    "department_mix",
                    f"{s.id} has {count} of {len(people)} attendees from {dept} "
                    f"(at most {limit} at share {a.max_department_share:g})",
                    s.id,
                )
