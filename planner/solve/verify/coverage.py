"""The checker's ``coverage_floor``: staffed queues, in continuous time.

Independent of the solver (see :mod:`planner.solve.verify`); mirrors ``planner.solve.rules.coverage``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise

from planner.solve.verify.core import (
    Facts,
    Focus,
    PlanView,
    Ranges,
    Violation,
    _when,
    merge,
)


def rule_coverage_floor(
    facts: Facts, plan: PlanView, focus: Focus | None = None
) -> Iterator[Violation]:
    """Continuous-time queue cover, checked at every breakpoint inside service hours.

    Between two consecutive breakpoints (starts/ends of members' working ranges, time off,
    busy blocks, sessions and service hours) the sets W (working) and A (at an event) are
    constant, so evaluating each elementary interval at its start is exact. Only moments
    where some member is at a session can fail, so only those intervals are examined.
    """
    for queue in facts.scenario.queues:
        k = queue.min_on_duty
        members = facts.queue_members.get(queue.id, [])
        if k <= 0 or not members:
            continue
        if focus is not None:
            if focus.person not in members:
                continue
            fs = plan.session(focus.session)
            if fs is None:
                continue
            windows = [(fs.start, fs.end)]
        else:
            windows = merge((s.start, s.end) for m in members for s in plan.sessions_of(m))
        if not windows:
            continue
        service = facts.service_hours(queue.id)
        steps, counts = facts.on_duty_steps(queue.id)
        bad: list[tuple[datetime, datetime, int, int]] = []
        for ws, we in windows:
            # Members at a session during this window; everyone else only counts through W.
            at_event = {
                m: Ranges(iv)
                for m in members
                if (
                    iv := [
                        (s.start, s.end) for s in plan.sessions_of(m) if s.start < we and ws < s.end
                    ]
                )
            }
            if not at_event:
                continue
            points = {ws, we}
            points.update(service.boundaries(ws, we))
            points.update(t for t in steps[bisect_right(steps, ws) : bisect_left(steps, we)])
            for m, ranges in at_event.items():
                points.update(ranges.boundaries(ws, we))
                points.update(facts.on_duty(m).boundaries(ws, we))
            for t0, t1 in pairwise(sorted(points)):
                if not service.at(t0):
                    continue
                away = [m for m, ranges in at_event.items() if ranges.at(t0)]
                if not away:
                    continue
                n_working = counts[bisect_right(steps, t0) - 1] if steps and steps[0] <= t0 else 0
                on_duty = n_working - sum(1 for m in away if facts.on_duty(m).at(t0))
                if on_duty < k:  # on_duty <= n_working, so this covers n_working < k too
                    if bad and bad[-1][1] == t0 and bad[-1][2:] == (on_duty, n_working):
                        bad[-1] = (bad[-1][0], t1, on_duty, n_working)
                    else:
                        bad.append((t0, t1, on_duty, n_working))
        for t0, t1, on_duty, n_working in bad:
            sid = next(
                (s.id for m in members for s in plan.sessions_of(m) if s.start < t1 and t0 < s.end),
                None,
            )
            if n_working >= k:
                detail = (
                    f"queue {queue.id}: {_when(facts, t0)}-{t1.astimezone(facts.tz):%H:%M} only "
                    f"{on_duty} of {n_working} working members on duty (needs {k})"
                )
            else:
                detail = (
                    f"queue {queue.id}: {_when(facts, t0)}-{t1.astimezone(facts.tz):%H:%M} only "
                    f"{n_working} members working (needs {k}), so none may be at an event"
                )
            yield Violation("coverage_floor", detail, sid)
