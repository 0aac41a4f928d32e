"""Warnings for ``planner validate``: a scenario that is valid but cannot do what it says.

Each is a :class:`~planner.domain.errors.Problem` (file, place, message) shown on stderr;
``validate`` still exits 0. Found:

* an activity that can never be held: fewer people with a yes or maybe, plus its required
  people, than ``min_participants``; or no start in the horizon that its windows, the
  protected windows and the grid allow;
* a queue whose ``min_on_duty`` is at least its member count: then no member may ever be at
  an event during its service hours.

A count of people never names anyone, so no answer and nobody's private time shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from planner.domain.errors import Problem
from planner.domain.models import Activity, Answer, Scenario
from planner.domain.planning import PlanningInput
from planner.solve.verify import Facts, start_allowed


def _can_start(facts: Facts, activity: Activity) -> bool:
    """Some grid start in the horizon passes the activity's own time rules."""
    h0, h1 = facts.horizon
    length = timedelta(minutes=activity.duration_minutes)
    t = h0
    while t + length <= h1:
        if start_allowed(facts, activity, t):
            return True
        t += facts.slot
    return False


def scenario_warnings(scenario: Scenario, source: str) -> list[Problem]:
    """What makes part of ``scenario`` impossible, as warnings (see the module)."""
    # The notice period counts from when a plan is made, not known here: start long before.
    facts = Facts(PlanningInput(scenario=scenario, now=datetime(1970, 1, 1).astimezone()))
    out: list[Problem] = []
    for i, a in enumerate(scenario.activities):
        where = f"activities.{i} ({a.id})"  # as every error place names a record
        could = {p.id for p in scenario.people if scenario.answer(p.id, a.id) != Answer.no}
        could |= set(a.required)
        if len(could) < a.min_participants:
            out.append(
                Problem(
                    source,
                    where,
                    f"{a.name} can never be held: only {len(could)} people opted in or are "
                    f"required, min_participants is {a.min_participants}",
                )
            )
        elif not _can_start(facts, a):
            out.append(
                Problem(
                    source,
                    where,
                    f"{a.name} can never be held: no start in the horizon fits its windows "
                    f"and the protected windows ({a.duration_minutes} minutes long)",
                )
            )
    members = {q.id: 0 for q in scenario.queues}
    for p in scenario.people:
        for qid in p.queues:
            if qid in members:
                members[qid] += 1
    for i, q in enumerate(scenario.queues):
        if q.min_on_duty and q.min_on_duty >= members[q.id]:
            out.append(
                Problem(
                    source,
                    f"queues.{i} ({q.id})",
                    f"min_on_duty {q.min_on_duty} is not below its {members[q.id]} members: "
                    "no member can ever attend an event during its service hours",
                )
            )
    return out


__all__ = ["scenario_warnings"]
