"""What a limit costs: the gain of relaxing each negotiable limit by one step (issue 19).

``planner price`` answers "why is the plan as small as it is?" in terms an organiser can act
on. For every *negotiable* limit of a scenario — a queue's floor in one service window
(weekday × hour band), the team caps, each protected window, each activity's capacity,
windows and mixing rule, each venue's capacity, each required facilitator — it reports how
many more people get one of their ``yes`` activities, and how many more ``yes`` answers are
placed, when that one limit is relaxed by one step and every other rule is kept.

Personal boundaries (time off, busy blocks, working hours, a person's own caps, answers,
needs) are never offered and never named: a relaxation edits team-level records only, and
its label names only the team's own records (queues, activities, venues, the policy, a
required facilitator by name), never what a person's calendar or answers hold (privacy
invariant 4).

How:

1. plan the scenario as it is (the *current plan*);
2. a :class:`Relaxation` returns an edited copy of the SCENARIO, so its plan is checked by
   the ordinary :func:`~planner.solve.verify.verify` against the relaxed scenario, and
   against the original for every rule it did not relax;
3. screen: bounds of the relaxed scenario in the two measures themselves
   (:func:`measure_bounds`) that do not exceed the current plan on either prove the limit
   not binding without a search. (The objective's level bounds cannot: level 1 weighs a
   missed-out person 3 and level 2 counts a ``maybe``, so a plan at level 2's bound may
   still gain ``yes`` answers; at bench M the plan sits at level 2's bound with 506 of at
   most 509 ``yes`` answers.) A queue's per-window floors are screened together by
   relaxing the queue's floor everywhere: no gain there proves no single window gains;
4. solve the rest under one shared time budget, most promising first, each search
   warm-started from the current plan (which every relaxation keeps valid). A gain is
   exact when the relaxed plan reaches the relaxed bounds, or when the search proved
   levels 1 and 2 and those levels count exactly the two measures (:func:`_proves_measures`:
   no maybes, no missed-out people, nothing published); otherwise it is a lower bound
   ("≥ N in the time given"), and a search without a gain proves nothing ("no gain found
   in the time given", never "not binding"). The searches stop at half the time left;
5. seat more people in the final current plan, for capacities, floors and caps
   (:func:`insert_more`): a lower bound from a few runs of the checker where a search
   costs a model (at bench L the searches settle 3-5 limits in 30 s, the seating 20-30).

Gains are counted over the current plan: when it is not proven optimal, a relaxed search
may also gain by finding what the current search missed (the report says whether it was
proven).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

import numpy as np

from planner.domain.models import Answer, Scenario
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Objective, PlanStatus, Schedule
from planner.domain.timeutil import WEEKDAYS, local_instant, parse_clock_range
from planner.solve import decode
from planner.solve import objective as objective_mod
from planner.solve.engine import MIN_SEARCH_SECONDS, PlanSolver, SolveOptions
from planner.solve.greedy import Placement
from planner.solve.instance import Instance, build_instance
from planner.solve.rules import caps as caps_rule
from planner.solve.verify import verify

Status = Literal["gain", "not_binding", "unknown"]

BASE_SHARE = 0.3
"""Share of the time budget the current plan may use; the relaxed searches share the rest."""
MIN_SEARCH = 0.2
"""Seconds below which a relaxed search is not started (reported as not examined)."""
SEARCH_MARGIN = 1.5
"""Head room over the time the current plan's model took to build (the relaxed scenario is
built and validated too, on a busy machine)."""
MIN_PHASES = 2
"""A relaxed search gets at least the engine's least search time per phase it needs
(people, then yes answers)."""
RELAXED_FIRST_PHASE_SHARE = 0.5
"""Share of a search's time for level 1 (people) when level 2 (yes answers) follows."""
INSERT_TRIES = 6
"""Most seatings :func:`insert_more` tries per limit (each one a run of the checker)."""
INSERT_SHARE = 0.5
SEATS = frozenset({"capacity", "venue_capacity"})
TEAM_CAPS = frozenset({"weekly_events_cap", "weekly_minutes_cap", "daily_cap"})
INSERTABLE = frozenset(
    {
        "capacity",
        "venue_capacity",
        "coverage_floor",
        "weekly_events_cap",
        "weekly_minutes_cap",
        "daily_cap",
    }
)
"""Rules whose relaxation changes no start and nobody's availability (see
:func:`insert_more`). ``capacity`` includes the fewest participants, which only a search can
use (it seats nobody more in a session already held): those are left to the searches."""
"""Share of the time after the current plan kept for seating (:func:`insert_more`), which
runs after the searches, in the final current plan."""
END_SLACK = 0.05
"""Share of the budget kept free at the end for the last search's overrun."""


@dataclass(frozen=True)
class Relaxation:
    """One negotiable limit relaxed by one step."""

    id: str
    """Stable id, e.g. ``queue-floor:phone:tue:12:00``."""
    rule: str
    """The hard rule (SPEC §2) whose limit is relaxed; the relaxed plan keeps every other."""
    label: str
    """What an organiser reads, e.g. ``Phone line floor, Tue 12:00–13:00: 2 → 1``."""
    relax: Callable[[Scenario], Scenario]
    """The relaxed copy of a scenario (the argument is not changed)."""
    group: str | None = None
    """Relaxations screened together by :attr:`group`'s whole-queue relaxation."""
    band: tuple[str, str, int, int] | None = None
    """A queue floor's window: (queue id, weekday, start, end minute of the team-zone day)."""
    family: str | None = None
    """Set on a family's search (several limits relaxed together), never on a limit."""


@dataclass
class Price:
    """The gain of one relaxation over the current plan."""

    relaxation: Relaxation
    status: Status
    people_gain: int = 0
    """More people with a ``yes`` placed in one of their ``yes`` activities."""
    yes_gain: int = 0
    """More ``yes`` answers placed."""
    proven: bool = False
    """The gain is exact (the relaxed search proved levels 1 and 2 optimal, or a bound
    proved that nothing can be gained); otherwise a lower bound."""
    how: str = ""
    """``bound``, ``queue bound``, ``queue search``, ``search`` or ``not examined``."""
    placed: tuple[int, int] = (0, 0)
    """A gain's plan: (people with a ``yes`` placed, ``yes`` answers placed)."""
    seconds: float = 0.0
    """The time limit of the search that settled it (0: none)."""
    schedule: Schedule | None = field(default=None, repr=False, compare=False)
    """A gain's plan, which keeps every rule of the relaxed scenario."""

    def gain_text(self) -> str:
        """``+2 people, +3 yes`` with ``≥`` for a lower bound; ``not binding``; ``unknown``."""
        if self.status == "not_binding":
            return "not binding"
        if self.status == "unknown":
            if self.how == "not examined":
                return "not examined: the time ran out"
            return "no gain found in the time given"
        sign = "" if self.proven else "≥ "
        return f"{sign}{self.people_gain:+d} people, {sign}{self.yes_gain:+d} yes"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.relaxation.id,
            "rule": self.relaxation.rule,
            "limit": self.relaxation.label,
            "status": self.status,
            "people_gain": self.people_gain,
            "yes_gain": self.yes_gain,
            "proven": self.proven,
            "how": self.how,
        }


@dataclass
class PriceReport:
    status: PlanStatus
    """Status of the current plan."""
    people: int = 0
    """People with a ``yes`` placed in the current plan."""
    yes: int = 0
    """``yes`` answers placed in the current plan."""
    proven: bool = False
    """The current plan is proven optimal on levels 1 and 2."""
    prices: list[Price] = field(default_factory=list)
    """Gains first (largest first), then unknown, then not binding."""
    seconds: float = 0.0
    plan: Schedule | None = field(default=None, repr=False)
    """The current plan the gains are counted over."""
    warm: tuple[Instance, list[Placement]] | None = field(default=None, repr=False)
    """The current plan as the engine's placements (a warm start for a re-solve)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": {
                "status": self.status.value,
                "people_with_yes": self.people,
                "yes_placed": self.yes,
                "proven": self.proven,
            },
            "limits": [p.as_json() for p in self.prices],
            "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- relaxations


def _edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[Scenario], Scenario]:
    """A relaxation that edits a plain copy of the scenario and validates it again."""

    def relax(scenario: Scenario) -> Scenario:
        before = scenario.model_dump(mode="python")
        data = scenario.model_dump(mode="python")
        edit(data)
        # Parts the edit left alone go back in as the validated records they were: they are
        # not validated again (300 e-mail addresses per relaxation), the scenario's own
        # cross-record checks still run.
        for key, value in before.items():
            if data.get(key) == value:
                data[key] = getattr(scenario, key)
        return Scenario.model_validate(data)

    return relax


def _minus(spans: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    a, b = cut
    rest: list[tuple[int, int]] = []
    for s, e in spans:
        if e <= a or b <= s:
            rest.append((s, e))
            continue
        if s < a:
            rest.append((s, a))
        if b < e:
            rest.append((b, e))
    return rest


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _span_text(span: tuple[int, int]) -> str:
    return f"{_clock(span[0])}-{_clock(span[1])}"


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _service_hours(scenario: Scenario, qid: str) -> dict[str, list[tuple[int, int]]] | None:
    """A queue's service hours per weekday in team-zone minutes, or ``None`` when they are
    the union of members' hours in other zones (then only the whole queue is priced)."""
    queue = next(q for q in scenario.queues if q.id == qid)
    if queue.service_hours is not None:
        return {
            d: _merge([parse_clock_range(t) for t in ranges])
            for d, ranges in queue.service_hours.items()
        }
    hours: dict[str, list[tuple[int, int]]] = {}
    for p in scenario.people:
        if qid not in p.queues:
            continue
        if p.timezone not in (None, scenario.team.timezone):
            return None
        own = p.working_hours if p.working_hours is not None else scenario.policy.working_hours
        for d, ranges in own.items():
            hours.setdefault(d, []).extend(parse_clock_range(t) for t in ranges)
    return {d: _merge(spans) for d, spans in hours.items()}


def _horizon_weekdays(scenario: Scenario) -> list[str]:
    h = scenario.team.horizon
    days = {(h.start + timedelta(days=i)).weekday() for i in range((h.end - h.start).days + 1)}
    return [WEEKDAYS[d] for d in sorted(days)]


def _queue_relaxations(scenario: Scenario) -> Iterator[Relaxation]:
    weekdays = _horizon_weekdays(scenario)
    ids = {q.id for q in scenario.queues}
    for qi, queue in enumerate(scenario.queues):
        k = queue.min_on_duty
        if k <= 0 or not any(queue.id in p.queues for p in scenario.people):
            continue

        def whole(data: dict[str, Any], qi: int = qi) -> None:
            data["queues"][qi]["min_on_duty"] -= 1

        yield Relaxation(
            f"queue-floor:{queue.id}",
            "coverage_floor",
            f"{queue.name} floor, all service hours: {k} → {k - 1}",
            _edit(whole),
        )
        hours = _service_hours(scenario, queue.id)
        if hours is None:
            continue
        twin = next(f"{queue.id}-{n}" for n in range(1, 10_000) if f"{queue.id}-{n}" not in ids)
        for day in weekdays:
            for s, e in hours.get(day, []):
                for h in range(s // 60, (e + 59) // 60):
                    band = (max(s, h * 60), min(e, (h + 1) * 60))
                    if band[0] >= band[1]:
                        continue

                    def split(
                        data: dict[str, Any],
                        qi: int = qi,
                        day: str = day,
                        band: tuple[int, int] = band,
                        hours: dict[str, list[tuple[int, int]]] = hours,
                        twin: str = twin,
                    ) -> None:
                        # The queue keeps its floor outside the band; a twin with the same
                        # members holds the floor minus one inside it.
                        q = data["queues"][qi]
                        q["service_hours"] = {
                            d: [
                                _span_text(sp)
                                for sp in (_minus(spans, band) if d == day else spans)
                            ]
                            for d, spans in hours.items()
                        }
                        data["queues"].append(
                            {
                                "id": twin,
                                "name": q["name"],
                                "min_on_duty": q["min_on_duty"] - 1,
                                "service_hours": {day: [_span_text(band)]},
                            }
                        )
                        for p in data["people"]:
                            if q["id"] in p["queues"]:
                                p["queues"].append(twin)

                    when = f"{day.capitalize()} {_clock(band[0])}–{_clock(band[1])}"
                    yield Relaxation(
                        f"queue-floor:{queue.id}:{day}:{_clock(band[0])}",
                        "coverage_floor",
                        f"{queue.name} floor, {when}: {k} → {k - 1}",
                        _edit(split),
                        group=f"queue-floor:{queue.id}",
                        band=(queue.id, day, band[0], band[1]),
                    )


def _cap_relaxations(scenario: Scenario) -> Iterator[Relaxation]:
    policy = scenario.policy

    def weekly(data: dict[str, Any]) -> None:
        data["policy"]["max_events_per_week"] += 1

    def daily(data: dict[str, Any]) -> None:
        data["policy"]["max_events_per_day"] += 1

    n = policy.max_events_per_week
    yield Relaxation(
        "team-cap:weekly-events",
        "weekly_events_cap",
        f"Team cap, events per week: {n} → {n + 1}",
        _edit(weekly),
    )
    if policy.max_minutes_per_week is not None and scenario.activities:
        step = min(a.duration_minutes for a in scenario.activities)
        m = policy.max_minutes_per_week

        def minutes(data: dict[str, Any]) -> None:
            data["policy"]["max_minutes_per_week"] = min(7 * 24 * 60, m + step)

        yield Relaxation(
            "team-cap:weekly-minutes",
            "weekly_minutes_cap",
            f"Team cap, minutes per week: {m} → {min(7 * 24 * 60, m + step)}",
            _edit(minutes),
        )
    d = policy.max_events_per_day
    yield Relaxation(
        "team-cap:daily-events",
        "daily_cap",
        f"Team cap, events per day: {d} → {d + 1}",
        _edit(daily),
    )


def _window_text(days: Sequence[str] | None, date: Any, time_: str) -> str:
    when = ", ".join(d.capitalize() for d in days) if days else str(date)
    start, end = parse_clock_range(time_)
    return f"{when} {_clock(start)}–{_clock(end)}"


def _protected_relaxations(scenario: Scenario) -> Iterator[Relaxation]:
    for i, w in enumerate(scenario.policy.protected):

        def lift(data: dict[str, Any], i: int = i) -> None:
            del data["policy"]["protected"][i]

        yield Relaxation(
            f"protected:{i + 1}",
            "protected_window",
            f"Protected window {_window_text(w.days, w.date, w.time)}: lifted",
            _edit(lift),
        )


def _activity_relaxations(scenario: Scenario) -> Iterator[Relaxation]:
    names = {p.id: p.name for p in scenario.people}
    for ai, a in enumerate(scenario.activities):

        def more(data: dict[str, Any], ai: int = ai) -> None:
            data["activities"][ai]["max_participants"] += 1

        yield Relaxation(
            f"activity:{a.id}:max",
            "capacity",
            f"{a.name}, most participants: {a.max_participants} → {a.max_participants + 1}",
            _edit(more),
        )
        if a.min_participants > 1:

            def fewer(data: dict[str, Any], ai: int = ai) -> None:
                data["activities"][ai]["min_participants"] -= 1

            yield Relaxation(
                f"activity:{a.id}:min",
                "capacity",
                f"{a.name}, fewest participants: {a.min_participants} → {a.min_participants - 1}",
                _edit(fewer),
            )
        if a.windows:

            def anywhere(data: dict[str, Any], ai: int = ai) -> None:
                data["activities"][ai]["windows"] = []

            yield Relaxation(
                f"activity:{a.id}:windows",
                "activity_window",
                f"{a.name}, windows: lifted (any time the other rules allow)",
                _edit(anywhere),
            )
        if a.min_departments > 1:

            def depts(data: dict[str, Any], ai: int = ai) -> None:
                data["activities"][ai]["min_departments"] -= 1

            yield Relaxation(
                f"activity:{a.id}:min-departments",
                "department_mix",
                f"{a.name}, departments per session: {a.min_departments} → {a.min_departments - 1}",
                _edit(depts),
            )
        if a.max_department_share < 1:

            def share(data: dict[str, Any], ai: int = ai) -> None:
                data["activities"][ai]["max_department_share"] = 1.0

            yield Relaxation(
                f"activity:{a.id}:department-share",
                "department_mix",
                f"{a.name}, share of one department: at most "
                f"{a.max_department_share:.0%} → no limit",
                _edit(share),
            )
        for pid in a.required:

            def stand_in(data: dict[str, Any], ai: int = ai, pid: str = pid) -> None:
                data["activities"][ai]["required"].remove(pid)

            yield Relaxation(
                f"activity:{a.id}:required:{pid}",
                "required_attendee",
                f"{a.name}: another facilitator in place of {names.get(pid, pid)}",
                _edit(stand_in),
            )


def _venue_relaxations(scenario: Scenario) -> Iterator[Relaxation]:
    for vi, v in enumerate(scenario.venues):

        def bigger(data: dict[str, Any], vi: int = vi) -> None:
            data["venues"][vi]["capacity"] += 1

        yield Relaxation(
            f"venue:{v.id}:capacity",
            "venue_capacity",
            f"{v.name} capacity: {v.capacity} → {v.capacity + 1}",
            _edit(bigger),
        )


def relaxations(scenario: Scenario) -> list[Relaxation]:
    """Every negotiable limit of ``scenario`` relaxed by one step (personal ones never).

    The whole-queue floor relaxations are included (they screen the per-window ones).
    """
    return [
        *_queue_relaxations(scenario),
        *_cap_relaxations(scenario),
        *_protected_relaxations(scenario),
        *_activity_relaxations(scenario),
        *_venue_relaxations(scenario),
    ]


# --------------------------------------------------------------------------- measuring


def counts(instance: Instance, schedule: Schedule) -> tuple[int, int]:
    """(people with a ``yes`` placed, ``yes`` answers placed) of ``schedule``."""
    by_id = {a.activity.id: a for a in instance.activities}
    people: set[str] = set()
    yes = 0
    for s in schedule.sessions:
        a = by_id[s.activity]
        for pid in s.attendees:
            if a.answers.get(instance.person_index[pid]) is Answer.yes:
                people.add(pid)
                yes += 1
    return len(people), yes


class _PriceSolver(PlanSolver):
    """The engine, warm-started from the current plan (which every relaxation keeps valid),
    and telling which levels it proved."""

    def __init__(
        self,
        problem: PlanningInput,
        options: SolveOptions,
        warm: tuple[Instance, list[Placement]] | None = None,
        *,
        check_warm: bool = True,
    ) -> None:
        super().__init__(problem, options)
        # Level 2 (yes answers) is half of what a price reports; with the engine's 90 %
        # for level 1, a short relaxed search at bench M spent its time failing to prove
        # level 1 and never reached level 2's gains.
        self.first_phase_share = RELAXED_FIRST_PHASE_SHARE
        # A price reads the whole model's proofs (``searched``, ``proven_levels``), which a
        # round solved part by part does not have: a relaxed search was "not examined".
        self.decompose = False
        self._warm = warm
        self._check_warm = check_warm

    prepare_seconds = 0.0
    """How long :meth:`prepare` took (the instance, the greedy plan, the bounds)."""

    @property
    def searched(self) -> bool:
        """Whether a model was built and searched (not only the greedy plan returned, as
        the engine does when its time limit leaves no room for a search)."""
        return self.vars is not None

    @property
    def proven_levels(self) -> frozenset[int]:
        """Levels proven optimal; a level without terms counts as proven. Nothing is proven
        without a search: with no model built, ``level_exprs`` is empty, and every level
        would otherwise count as one without terms."""
        if not self.searched:
            return frozenset()
        missing = set(objective_mod.LEVEL_ORDER) - set(self.level_exprs)
        return frozenset(self._proven_levels) | missing

    def prepare(self, deadline: float | None = None) -> None:
        t0 = time.monotonic()
        super().prepare(deadline)
        self.prepare_seconds = time.monotonic() - t0
        mapped = self._mapped()
        if mapped is None or (self._check_warm and not self._valid(mapped)):
            return
        if not self.hint or self._better(self.evaluate(mapped)[0], self.evaluate(self.hint)[0]):
            self.hint = mapped

    def _valid(self, plan: list[Placement]) -> bool:
        """The engine offers its hint as a plan before any search, so a warm start must
        keep every rule of this scenario: checked by the independent checker. (A
        relaxation can leave the current plan invalid: without its facilitator
        requirement, a facilitator who did not opt in may no longer attend.)"""
        assert self.instance is not None
        kept = self.evaluate(plan)[1]
        objective = Objective(value=0, bound=0, gap=0)
        schedule = decode.schedule(self.instance, plan, kept, PlanStatus.feasible, objective)
        return not verify(self.problem, schedule)

    def _mapped(self) -> list[Placement] | None:
        """The current plan in this (relaxed) instance's indices, or ``None``."""
        if self._warm is None or self.instance is None:
            return None
        old, plan = self._warm
        new = self.instance
        if len(new.people) != len(old.people) or len(new.activities) != len(old.activities):
            return None
        sessions = {(s.activity, s.number): s.index for s in new.sessions}
        mapped: list[Placement] = []
        for pl in plan:
            so = old.sessions[pl.session]
            s = sessions.get((so.activity, so.number))
            if s is None:
                return None
            slot = int(old.activities[so.activity].candidates[pl.position])
            hits = (new.activities[so.activity].candidates == slot).nonzero()[0]
            if not len(hits):
                return None
            mapped.append(Placement(s, int(hits[0]), pl.venue, list(pl.people)))
        return mapped


def _touched(r: Relaxation, scenario: Scenario, schedule: Schedule) -> set[str] | None:
    """The activities whose sessions a relaxation can seat more people in (``None``: any,
    for the team-wide limits)."""
    kind, _, rest = r.id.partition(":")
    if kind == "activity":
        return {rest.partition(":")[0]}
    if kind == "venue":
        venue = rest.partition(":")[0]
        return {s.activity for s in schedule.sessions if s.venue == venue}
    if r.family is not None and r.family.startswith("activity:"):
        return {r.family.partition(":")[2]}
    return None


def _members(scenario: Scenario, r: Relaxation) -> set[str] | None:
    """The people a queue floor's relaxation can free (its members); ``None``: anyone."""
    if r.rule != "coverage_floor":
        return None
    qid = r.band[0] if r.band is not None else r.id.partition(":")[2]
    return {p.id for p in scenario.people if qid in p.queues}


def insert_more(
    relaxed: PlanningInput,
    original: PlanningInput,
    plan: Schedule,
    activities: set[str] | None,
    instance: Instance,
    *,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    tries: int = INSERT_TRIES,
    who: set[str] | None = None,
    placed_first: bool = False,
    enough: int = 1,
) -> tuple[Schedule, list[tuple[str, str]]] | None:
    """The current plan with more ``yes`` answers seated in its sessions, keeping every rule
    of ``relaxed`` and breaking one of ``original`` (else it is no gain of the relaxation);
    with the seatings (session id, person id), or ``None``.

    The cheap search beside the CP-SAT ones: a person with a ``yes`` to an activity of
    ``activities`` (``None``: any) is added to a held session of it that has a free seat
    in the relaxed scenario and starts when they can come (people with no ``yes`` placed
    first), and the plan is kept when the independent checker accepts it. Tens of
    milliseconds a try at bench M, where building a relaxed model takes over a second.
    It only seats people in sessions the plan holds (a window, a facilitator or a lower
    minimum needs a search), and what it finds is a lower bound on the gain.
    ``instance`` is the original's: the limits this is used for (capacities, caps, floors)
    leave every start and everyone's availability as they were. ``who``: only these people
    can gain (a queue's members); ``placed_first``: people already placed go first (a cap
    holds back those who have attended). It stops after ``enough`` seatings: the limit is
    shown to bind, and more tries would cost the other limits theirs.
    """
    sc = relaxed.scenario
    by_id = {a.activity.id: a for a in instance.activities}
    venues = {v.id: v.capacity for v in sc.venues}
    before_act = {a.id: a.max_participants for a in original.scenario.activities}
    before_venue = {v.id: v.capacity for v in original.scenario.venues}
    more_seats = any(a.max_participants != before_act.get(a.id) for a in sc.activities) or any(
        v.capacity != before_venue.get(v.id) for v in sc.venues
    )
    placed_in = {(s.activity, pid) for s in plan.sessions for pid in s.attendees}
    got_yes = {
        pid
        for s in plan.sessions
        for pid in s.attendees
        if sc.preferences.get(pid, {}).get(s.activity) is Answer.yes
    }
    moves: list[tuple[bool, int, str]] = []
    seats_of: dict[int, int] = {}
    for n, session in enumerate(plan.sessions):
        a = by_id.get(session.activity)
        if a is None or (activities is not None and session.activity not in activities):
            continue
        act = next(x for x in sc.activities if x.id == session.activity)
        seats, before = act.max_participants, before_act[session.activity]
        if session.venue is not None:
            seats = min(seats, venues.get(session.venue, seats))
            before = min(before, before_venue.get(session.venue, before))
        # More seats: only the new ones can gain (a seat free before is the current
        # plan's own miss).
        if len(session.attendees) >= seats or (more_seats and len(session.attendees) < before):
            continue
        seats_of[n] = seats
        slot = instance.grid.slot_at(session.start)
        hits = (a.candidates == slot).nonzero()[0] if slot is not None else []
        if not len(hits):
            continue
        position = int(hits[0])
        for p in a.eligible:
            pid = instance.people[p].person.id
            if a.answers.get(p) is not Answer.yes or (session.activity, pid) in placed_in:
                continue
            if who is not None and pid not in who:
                continue
            if position in a.avail[p]:
                moves.append(((pid in got_yes) != placed_first, n, pid))
    moves.sort()
    current, seated = plan, 0
    seatings: list[tuple[str, str]] = []
    for tried, (_, n, pid) in enumerate(moves[:tries]):
        # One try at least: the caller's share may be smaller than a run of the checker.
        if tried and clock() > deadline:
            break
        session = current.sessions[n]
        if len(session.attendees) >= seats_of[n] or any(
            s.activity == session.activity and pid in s.attendees for s in current.sessions
        ):
            continue
        trial = _seat(current, n, pid)
        # A seating the original rules allow on their own is no gain of this relaxation
        # (the current plan had missed it): left out.
        if not verify(relaxed, trial) and verify(original, _seat(plan, n, pid)):
            current, seated = trial, seated + 1
            seatings.append((session.id, pid))
            if seated >= enough:
                break
    if not seated:
        return None
    return current, seatings


def _seat(plan: Schedule, n: int, pid: str) -> Schedule:
    """``plan`` with ``pid`` added to its ``n``-th session."""
    sessions = list(plan.sessions)
    session = sessions[n]
    sessions[n] = session.model_copy(update={"attendees": sorted([*session.attendees, pid])})
    return plan.model_copy(update={"sessions": sessions})


def measure_bounds(instance: Instance) -> tuple[int, int]:
    """(people with a ``yes`` placed, ``yes`` answers placed): upper bounds over every plan
    of the real problem, in the price's own two measures.

    The objective's level bounds are not these: level 1 weighs a missed-out person 3 and
    level 2 counts a ``maybe`` as 1, so a plan at a level's bound may still have room for
    more ``yes`` answers (a ``maybe`` placed where a ``yes`` could sit). Level 1's network
    counted in people is :func:`~planner.solve.objective.yes_people_bound`; the ``yes``
    answers come from the same transportation problem as level 2 with only the ``yes``
    opt-ins as arcs, 1 unit each: a person sends at most what the caps allow on the days
    and durations of their ``yes`` activities, a session seats at most ``max_size`` people
    who can all make one start.
    """
    weeks = len(instance.grid.weeks)
    arcs: list[objective_mod.Arc] = []
    caps: list[int] = []
    shortest: dict[int, int] = {}
    days: dict[int, set[int]] = {}
    for a in instance.activities:
        if not objective_mod._holdable(a):
            continue
        yes = [p for p in a.eligible if a.answers.get(p) is Answer.yes and len(a.avail[p])]
        if not yes:
            continue
        at_start = np.zeros(len(a.candidates), dtype=np.int64)
        for p in yes:
            at_start[a.avail[p]] += 1
        j = len(caps)
        caps.append(len(a.sessions) * min(a.max_size, int(at_start.max())))
        required = set(a.required)
        dur = a.activity.duration_minutes
        cand_day = instance.grid.day[a.candidates]
        for p in yes:
            arcs.append(objective_mod.Arc(p, j, len(a.sessions) if p in required else 1, 1))
            shortest[p] = min(shortest.get(p, dur), dur)
            days.setdefault(p, set()).update(int(d) for d in np.unique(cand_day[a.avail[p]]))
    person_cap = [
        caps_rule.most_placements(pd, weeks, len(days[pd.index]), shortest[pd.index])
        if pd.index in shortest
        else 0
        for pd in instance.people
    ]
    n = len(instance.people)
    yes_bound = objective_mod._max_weight_flow(n, person_cap, arcs, caps)
    return objective_mod.yes_people_bound(instance), yes_bound


def _band_reachable(instance: Instance, band: tuple[str, str, int, int]) -> bool:
    """Whether a queue member could be at any session overlapping the band at all.

    Read from the relaxed instance (its starts and availability already reflect the
    relaxed floor). When no member can attend any session that overlaps the window, the
    window's floor constrains nothing and relaxing it cannot change any plan.
    """
    qid, day, start, end = band
    grid = instance.grid
    windows = [
        (
            int(local_instant(d, start, grid.tz).timestamp()) // 60,
            int(local_instant(d, end, grid.tz).timestamp()) // 60,
        )
        for d in grid.days
        if WEEKDAYS[d.weekday()] == day
    ]
    if not windows:
        return False
    members = {pd.index for pd in instance.people if qid in pd.person.queues}
    for a in instance.activities:
        if not len(a.candidates):
            continue
        starts = grid.start[a.candidates]
        ends = starts + a.activity.duration_minutes
        hits = np.zeros(len(a.candidates), dtype=bool)
        for ws, we in windows:
            hits |= (starts < we) & (ws < ends)
        if not hits.any():
            continue
        if members & set(a.required):
            return True
        for p in members:
            positions = a.avail.get(p)
            if positions is not None and len(positions) and hits[positions].any():
                return True
    return False


def _at_bounds(instance: Instance, people: int, yes: int) -> bool:
    """Whether a plan with ``people`` and ``yes`` reaches both :func:`measure_bounds`
    (then nothing better exists in either measure)."""
    people_bound, yes_bound = measure_bounds(instance)
    return people_bound <= people and yes_bound <= yes


def _proves_measures(solver: _PriceSolver) -> bool:
    """Whether the search's proof of levels 1 and 2 proves its plan best in the price's two
    measures (people with a ``yes`` placed, then ``yes`` answers placed).

    Only when the levels count exactly those: no missed-out person among the people with a
    ``yes`` (level 1 weighs them 3, so more people may weigh less), no ``maybe`` an
    activity could place (level 2 counts it 1, so a plan at level 2's optimum may still
    trade maybes for more yes answers), and nothing published (stability, level 4, is
    optimised between levels 1 and 2, so level 2 is only proven best given it). Otherwise a
    search without a gain proves nothing: the limit is reported as "no gain found in the
    time given", never as not binding.
    """
    instance = solver.instance
    if instance is None or not {1, 2} <= solver.proven_levels or 4 in solver.level_exprs:
        return False
    yes_people = set()
    for a in instance.activities:
        for p in a.eligible:
            answer = a.answers.get(p)
            if answer is Answer.maybe:
                return False
            if answer is Answer.yes:
                yes_people.add(p)
    return not (yes_people & set(instance.missed_out))


Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``: after each limit is settled (``label`` names it)."""


def _hints(problem: PlanningInput, base: Schedule, candidates: Sequence[Relaxation]) -> list[int]:
    """A cheap ordering hint per relaxation, read from the current plan only (no model, no
    bound): how many ``yes`` answers of the activities a limit touches the current plan
    leaves unplaced. Team-wide limits (queue floors, caps, protected windows) touch every
    activity. It orders the searches; it proves nothing."""
    sc = problem.scenario
    placed = {(s.activity, pid) for s in base.sessions for pid in s.attendees}
    missed: dict[str, int] = {a.id: 0 for a in sc.activities}
    for pid, answers in sc.preferences.items():
        for aid, answer in answers.items():
            if answer is Answer.yes and aid in missed and (aid, pid) not in placed:
                missed[aid] += 1
    total = sum(missed.values())
    venue_users = {
        v.id: sum(missed[a.id] for a in sc.activities if _may_use(a, v)) for v in sc.venues
    }
    hints: list[int] = []
    for r in candidates:
        kind, _, rest = r.id.partition(":")
        if kind == "activity":
            hints.append(missed.get(rest.partition(":")[0], 0))
        elif kind == "venue":
            hints.append(venue_users.get(rest.partition(":")[0], 0))
        else:
            hints.append(total)
    return hints


def _may_use(activity: Any, venue: Any) -> bool:
    """Whether ``activity`` may be held in ``venue`` (its own list, or any venue)."""
    return not activity.virtual and (not activity.venues or venue.id in activity.venues)


def price(
    problem: PlanningInput,
    options: SolveOptions | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
) -> PriceReport:
    """The current plan and the gain of relaxing each negotiable limit by one step.

    ``options.time_limit`` is the whole budget: the current plan takes up to
    :data:`BASE_SHARE` of it, the relaxed searches share the rest. ``progress`` is told
    after each limit is settled; ``stop()`` returning true ends the searches early (the
    limits not reached are reported as not examined).
    """
    options = options or SolveOptions()
    t0 = clock()
    # A search may run a little past its own limit (building its model): the last one
    # starts early enough to end within the budget.
    deadline = t0 + options.time_limit * (1 - END_SLACK)
    base_solver = _PriceSolver(
        problem, replace(options, time_limit=options.time_limit * BASE_SHARE)
    )
    solved = base_solver.solve()
    base = solved.schedule
    report = PriceReport(status=base.status)
    # The shortest relaxed search worth starting: building the relaxed model takes about
    # as long as the current plan's did, and the engine returns its greedy plan without a
    # search when too little is left after that. At bench M, the 0.6-1.3 s searches of a
    # 30 s budget had all searched nothing (a model takes 1.3 s to build there).
    min_search = max(
        MIN_SEARCH, SEARCH_MARGIN * solved.build_seconds + MIN_SEARCH_SECONDS * MIN_PHASES
    )
    if not base.publishable:
        report.seconds = clock() - t0
        return report
    assert base_solver.instance is not None
    base_instance = base_solver.instance
    _check(problem, problem, base, rules=set())
    report.people, report.yes = counts(base_instance, base)
    report.proven = _proves_measures(base_solver) or _at_bounds(
        base_instance, report.people, report.yes
    )
    warm = (base_instance, list(base_solver.placements))
    report.plan, report.warm = base, warm
    # The bounds only grow when a limit is relaxed: when the current plan is below the
    # unrelaxed problem's own bound on either measure, no relaxed bound can prove a limit
    # not binding, and building 80 relaxed instances to learn that would spend the budget.
    bounds_can_prove = _at_bounds(base_instance, report.people, report.yes)
    candidates = relaxations(problem.scenario)
    total = sum(1 for c in candidates if c.group is None or c.band is not None)
    groups = {c.group for c in candidates if c.group is not None}
    hints = dict(zip((c.id for c in candidates), _hints(problem, base, candidates), strict=True))
    results: dict[str, Price] = {}

    def settle(p: Price) -> None:
        results[p.relaxation.id] = p
        if progress is not None and p.relaxation.id not in groups:
            progress(sum(1 for k in results if k not in groups), total, p.relaxation.label)

    def gain(
        r: Relaxation,
        placed: tuple[int, int],
        proven: bool,
        how: str,
        seconds: float,
        schedule: Schedule,
    ) -> Price:
        """A gain over the current plan as it stands now (a search may have improved it)."""
        people, yes = placed
        return Price(
            r,
            "gain",
            people - report.people,
            yes - report.yes,
            proven,
            how,
            placed=placed,
            seconds=seconds,
            schedule=schedule,
        )

    def stopped() -> bool:
        return stop is not None and stop()

    def adopt(solver: _PriceSolver, schedule: Schedule, people: int, yes: int) -> None:
        nonlocal warm
        assert solver.instance is not None
        report.people, report.yes, report.plan = people, yes, schedule
        warm = report.warm = (solver.instance, list(solver.placements))

    def relaxed_input(r: Relaxation) -> PlanningInput | None:
        try:
            return replace(problem, scenario=r.relax(problem.scenario))
        except ValueError:  # the step leaves the scenario's limits: nothing to relax
            return None

    def solve(r: Relaxation, share: int) -> Price:
        """Search ``r`` for ``1/share`` of the time left, warm-started from the current plan."""
        seconds = search_deadline - clock()
        if seconds < min_search or stopped():
            return Price(r, "unknown", how="not examined")
        relaxed = relaxed_input(r)
        if relaxed is None:
            return Price(r, "not_binding", proven=True, how="bound")
        if bounds_can_prove:
            people_bound, yes_bound = measure_bounds(build_instance(relaxed))
            if people_bound <= report.people and yes_bound <= report.yes:
                return Price(r, "not_binding", proven=True, how="bound")
        limit = max(min_search, (search_deadline - clock()) / max(1, share))
        rules = family_rules.get(r.id, {r.rule})
        # Relaxing keeps the current plan valid, except without a facilitator requirement
        # (a facilitator who did not opt in may no longer attend): only then is the warm
        # start checked before it is offered.
        solver = _PriceSolver(
            relaxed,
            replace(options, time_limit=limit),
            warm,
            check_warm="required_attendee" in rules,
        )
        schedule = solver.solve().schedule
        if not schedule.publishable or solver.instance is None:
            return Price(r, "unknown", how="search", seconds=limit)
        if not solver.searched:
            # The engine returned its greedy plan (no room for a model): nothing was searched.
            return Price(r, "unknown", how="not examined", seconds=limit)
        people, yes = counts(solver.instance, schedule)
        # Exact only when both plans are proven optimal in the two measures themselves.
        proven = report.proven and (
            _proves_measures(solver) or _at_bounds(solver.instance, people, yes)
        )
        if (people, yes) > (report.people, report.yes):
            # Only a plan that claims a gain is checked (a plan that gains nothing is
            # dropped): every rule of the relaxed scenario, every other rule of the original.
            _check(problem, relaxed, schedule, rules=rules)
        if (people, yes) > (report.people, report.yes) and not verify(problem, schedule):
            # The better plan keeps every rule as it is: the current search had missed it,
            # and it is no gain of this relaxation. It becomes the current plan (a warm
            # start for what follows); gains already found are counted over it at the end.
            adopt(solver, schedule, people, yes)
        if (people, yes) > (report.people, report.yes):
            return gain(r, (people, yes), proven, "search", limit, schedule)
        status: Status = "not_binding" if proven else "unknown"
        return Price(r, status, proven=proven, how="search", seconds=limit)

    def attributed(m: Relaxation, found: Price) -> bool:
        """Whether the family's better plan keeps every rule with only ``m`` relaxed: then
        it is ``m``'s gain (a lower bound) without a search of its own. At bench M a
        search costs seconds; the check, milliseconds. (A queue's floor lowered everywhere
        gains only where its members can be reached, often one window.)"""
        if found.schedule is None or stopped():
            return False
        relaxed = relaxed_input(m)
        if relaxed is None or verify(relaxed, found.schedule):
            return False
        _check(problem, relaxed, found.schedule, rules={m.rule})
        # Exact when the family's gain is: with only m relaxed nothing can beat the plan
        # with all of the family relaxed.
        settle(gain(m, found.placed, found.proven, "family plan", found.seconds, found.schedule))
        return True

    # The searches leave INSERT_SHARE of the time to the seating (3.) after them.
    search_deadline = clock() + (1 - INSERT_SHARE) * max(0.0, deadline - clock())

    # 1. Families searched together (every limit of one activity, the team caps, the
    # protected windows, the venues, a queue's floor everywhere): the current plan keeps
    # all of them, so no gain with all of a family relaxed proves (or, unproven, finds)
    # none for any one of its limits, and most families gain nothing.
    families = [(f, [m for m in ms if m.id not in results]) for f, ms in _families(candidates)]
    in_family = {m.id for _, ms in families for m in ms}
    family_rules = {f.id: {m.rule for m in ms} for f, ms in families}
    singles = [
        c for c in candidates if c.group is None and c.id not in in_family and c.id not in results
    ]
    queue_screens = {c.id: c for c in candidates if c.id in groups}
    screens: list[tuple[Relaxation, list[Relaxation]]] = [
        (queue_screens[g], [c for c in candidates if c.group == g and c.id not in results])
        for g in sorted(groups)
    ]
    screens += families
    screens = [(f, ms) for f, ms in screens if ms]
    screens.sort(key=lambda fm: -max(hints.get(m.id, 0) for m in fm[1]))
    after: list[Relaxation] = list(singles)
    for n, (screen, members) in enumerate(screens):
        # Reachability first: a window no session of the queue reaches cannot bind.
        if screen.id in groups:
            relaxed = relaxed_input(screen)
            reach = build_instance(relaxed) if relaxed is not None else None
            open_members = []
            for m in members:
                if reach is not None and m.band is not None and not _band_reachable(reach, m.band):
                    # Unreachable with the floor lowered everywhere: unreachable with it
                    # lowered in this window only (that instance's availability is a subset).
                    settle(Price(m, "not_binding", proven=True, how="no session reaches it"))
                else:
                    open_members.append(m)
            members = open_members
            if not members:
                continue
        share = len(screens) - n + len(singles) + 4
        found = solve(screen, share)
        results[screen.id] = found
        if found.status == "gain":
            after.extend(m for m in members if not attributed(m, found))
            continue
        word = "queue" if screen.id in groups else "family"
        how = "not examined" if found.how == "not examined" else f"{word} {found.how}"
        for m in members:
            settle(Price(m, found.status, proven=found.proven, how=how, seconds=found.seconds))
    # 2. One by one: the limits of families that gained, and the limits without a family,
    # most promising first.
    after.sort(key=lambda c: -hints.get(c.id, 0))
    for n, c in enumerate(after):
        settle(solve(c, len(after) - n))
    # 3. Seat more people in the current plan's sessions, for the limits that change no
    # start and nobody's availability (capacities, caps, floors): a few runs of the
    # checker each, where a relaxed search costs a model. Last, in the final current
    # plan (a search may have bettered it, and a seating is counted over the plan it was
    # made in), in the share of the time kept for it.
    insert_end = deadline
    # Capacities and floors first: only their new seats, or a queue's members, are tried;
    # a team cap may try anyone in any free seat of the plan.
    order = {"capacity": 0, "venue_capacity": 0, "coverage_floor": 1}
    insertable = sorted(
        (
            c
            for c in candidates
            if c.id not in groups and c.rule in INSERTABLE and not c.id.endswith(":min")
        ),
        key=lambda c: (order.get(c.rule, 2), -hints.get(c.id, 0)),
    )
    for i, c in enumerate(insertable):
        if clock() > insert_end or stopped():
            continue
        if c.id in results and results[c.id].status != "unknown":
            continue  # a search found its gain, or a bound proved it idle
        relaxed = relaxed_input(c)
        if relaxed is None or report.plan is None:
            continue
        # An equal share of what is left each: one limit with many seats to try must not
        # keep the others from theirs.
        until = min(insert_end, clock() + (insert_end - clock()) / (len(insertable) - i))
        touched = _touched(c, problem.scenario, report.plan)
        seated = insert_more(
            relaxed,
            problem,
            report.plan,
            touched,
            base_instance,
            deadline=until,
            clock=clock,
            tries=INSERT_TRIES if c.rule in SEATS else INSERT_TRIES // 2,
            who=_members(problem.scenario, c),
            placed_first=c.rule in TEAM_CAPS,
        )
        if seated is None:
            continue
        # Every seating was checked against the relaxed scenario, and each one alone
        # breaks the original (the check a search's plan gets).
        plan, _ = seated
        settle(gain(c, counts(base_instance, plan), False, "seated", min_search, plan))

    # Gains over the final current plan (a relaxed search may have improved it).
    for key, p in list(results.items()):
        if p.status == "gain":
            people, yes = p.placed
            if (people, yes) > (report.people, report.yes):
                results[key] = replace(
                    p, people_gain=people - report.people, yes_gain=yes - report.yes
                )
            else:
                results[key] = replace(p, status="unknown", people_gain=0, yes_gain=0)
    shown = [results[c.id] for c in candidates if c.id not in groups and c.id in results]
    report.prices = sorted(shown, key=_rank)
    report.seconds = clock() - t0
    return report


def _family_of(r: Relaxation) -> str | None:
    """Relaxations searched together first: every limit of one activity, the team caps,
    the protected windows, the venues (a queue's windows have their :attr:`~Relaxation.group`)."""
    kind, _, rest = r.id.partition(":")
    if kind == "activity":
        return f"activity:{rest.partition(':')[0]}"
    if kind in ("team-cap", "protected", "venue"):
        return kind
    return None


def _families(candidates: Sequence[Relaxation]) -> list[tuple[Relaxation, list[Relaxation]]]:
    """(every member relaxed at once, the members) per family of two or more limits."""
    members: dict[str, list[Relaxation]] = {}
    for c in candidates:
        family = _family_of(c)
        if family is not None:
            members.setdefault(family, []).append(c)
    out: list[tuple[Relaxation, list[Relaxation]]] = []
    for family, ms in members.items():
        if len(ms) == 1:
            out.append((ms[0], []))  # searched on its own below
            continue

        def together(scenario: Scenario, ms: list[Relaxation] = ms) -> Scenario:
            # Last first: a protected window's index stays right while later ones go.
            for m in reversed(ms):
                try:
                    scenario = m.relax(scenario)
                except ValueError:
                    continue
            return scenario

        out.append(
            (
                Relaxation(
                    f"family:{family}", "", f"{family}: every limit", together, family=family
                ),
                ms,
            )
        )
    return [(f, ms) for f, ms in out if ms]


PriceSolver = _PriceSolver
"""The warm-started engine the searches use (the bench re-solves a gain with it)."""


def _rank(p: Price) -> tuple[int, int, int, int]:
    kind = {"gain": 0, "unknown": 1, "not_binding": 2}[p.status]
    return (kind, -p.people_gain, -p.yes_gain, 0 if p.proven else 1)


def _check(
    original: PlanningInput, relaxed: PlanningInput, schedule: Schedule, rules: set[str]
) -> None:
    """The relaxed plan keeps every rule of the relaxed scenario, and every rule but the
    relaxed one of the original; a failure is a bug, never a user mistake."""
    from planner.domain.errors import PlannerError

    broken = [*verify(relaxed, schedule)]
    if relaxed is not original:
        broken.extend(v for v in verify(original, schedule) if v.rule not in rules)
    if broken:
        raise PlannerError(
            "a plan of a relaxed scenario failed the independent check: "
            + "; ".join(v.render() for v in broken[:3])
        )


__all__ = [
    "Price",
    "PriceReport",
    "PriceSolver",
    "Relaxation",
    "counts",
    "price",
    "relaxations",
]
