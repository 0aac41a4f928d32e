"""What an organiser should know about the round at a glance: counts, totals and warnings.

Core module (no Textual): the TUI's Overview and Answers tabs show these, the CLI or a
report may too. Every function is a pure query over a validated :class:`Scenario`.
Warnings name problems the organiser can fix *before* solving (missing answers, queues
whose floor leaves nobody free, activities without enough takers) — they never reveal a
person's ``no`` (counts only, and only to the organiser).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from planner.domain.models import Answer, Scenario
from planner.domain.schedule import Schedule


@dataclass(frozen=True)
class AnswerTotals:
    """How many said yes / maybe / no to one activity, and how many gave no answer."""

    yes: int = 0
    maybe: int = 0
    no: int = 0
    blank: int = 0

    @property
    def opted_in(self) -> int:
        return self.yes + self.maybe


@dataclass(frozen=True)
class Overview:
    team: str
    timezone: str
    horizon_start: date
    horizon_end: date
    slot_minutes: int
    people: int
    departments: int
    activities: int
    venues: int
    queues: int
    answered: int
    warnings: list[str] = field(default_factory=list)
    plan_status: str | None = None
    plan_summary: str | None = None


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def not_answered(scenario: Scenario) -> list[str]:
    """Ids of people who have given no answer to any activity (absent means ``no``)."""
    return [p.id for p in scenario.people if not scenario.preferences.get(p.id)]


def answer_totals(
    scenario: Scenario, activity_ids: Sequence[str] | None = None
) -> dict[str, AnswerTotals]:
    """activity id -> totals over everyone (blank: no recorded answer); all activities, or
    only ``activity_ids``."""
    out: dict[str, AnswerTotals] = {}
    people = [p.id for p in scenario.people]
    wanted = set(activity_ids) if activity_ids is not None else None
    for a in scenario.activities:
        if wanted is not None and a.id not in wanted:
            continue
        counts: Counter[str] = Counter()
        for pid in people:
            ans = scenario.preferences.get(pid, {}).get(a.id)
            counts[ans.value if ans is not None else "blank"] += 1
        out[a.id] = AnswerTotals(counts["yes"], counts["maybe"], counts["no"], counts["blank"])
    return out


def queue_warnings(scenario: Scenario) -> list[str]:
    """Queues whose floor is at least their membership: no member can ever attend anything
    during the queue's service hours."""
    members: Counter[str] = Counter(q for p in scenario.people for q in p.queues)
    out: list[str] = []
    for q in scenario.queues:
        n = members[q.id]
        if q.min_on_duty > 0 and n <= q.min_on_duty:
            out.append(
                f"queue {q.name} has {_plural(n, 'member', 'members')} and a floor of "
                f"{q.min_on_duty}: its members cannot attend during its service hours"
            )
    return out


def activity_warnings(scenario: Scenario) -> list[str]:
    """Activities with fewer opt-ins (yes or maybe) than their minimum."""
    totals = answer_totals(scenario)
    out: list[str] = []
    for a in scenario.activities:
        t = totals[a.id]
        # A required person who also said yes is one taker, not two.
        takers = t.opted_in + sum(
            1
            for r in set(a.required)
            if scenario.preferences.get(r, {}).get(a.id) not in (Answer.yes, Answer.maybe)
        )
        if takers < a.min_participants:
            out.append(
                f"activity {a.name} has {_plural(t.opted_in, 'opt-in', 'opt-ins')} "
                f"and needs {a.min_participants}"
            )
    return out


def warnings(scenario: Scenario) -> list[str]:
    out: list[str] = []
    missing = not_answered(scenario)
    if missing:
        out.append(f"{_plural(len(missing), 'person has', 'people have')} not answered")
    out.extend(queue_warnings(scenario))
    out.extend(activity_warnings(scenario))
    return out


def plan_summary(schedule: Schedule) -> str:
    placed = schedule.placed()
    return (
        f"{schedule.status.value}: {_plural(len(schedule.sessions), 'session', 'sessions')}, "
        f"{_plural(len(placed), 'person', 'people')} placed, "
        f"{len(schedule.unplaced)} opt-ins unplaced, {len(schedule.not_held)} not held"
    )


def build_overview(scenario: Scenario, plan: Schedule | None = None) -> Overview:
    team = scenario.team
    return Overview(
        team=team.name,
        timezone=team.timezone,
        horizon_start=team.horizon.start,
        horizon_end=team.horizon.end,
        slot_minutes=team.slot_minutes,
        people=len(scenario.people),
        departments=len({p.department for p in scenario.people}),
        activities=len(scenario.activities),
        venues=len(scenario.venues),
        queues=len(scenario.queues),
        answered=len(scenario.people) - len(not_answered(scenario)),
        warnings=warnings(scenario),
        plan_status=plan.status.value if plan else None,
        plan_summary=plan_summary(plan) if plan else None,
    )


def cycle_answer(current: Answer | None) -> Answer | None:
    """The Answers matrix key: yes -> maybe -> no -> blank -> yes."""
    order: list[Answer | None] = [Answer.yes, Answer.maybe, Answer.no, None]
    return order[(order.index(current) + 1) % len(order)]
