"""``planner bench --price``: what a limit costs, on the generated organisations (issue 19).

Targets: at M the full price list within 30 s on 2 workers; at L the top 10 limits within
60 s. Then every claimed gain is *reproduced*: the change is applied to the scenario
(:attr:`~planner.solve.price.Relaxation.relax`, the same edit an organiser would make) and
the relaxed scenario is solved again with the same seed and time limit as the search that
claimed it (at least :data:`RESOLVE`), warm-started from the same current plan. The
re-solve's plan must keep every rule of the relaxed scenario (the independent checker).
It is *reproduced* when it reaches at least the claimed numbers (people with a ``yes``
placed, ``yes`` answers placed); *lower* when it gains too, but less than a "≥" claim (two
lower bounds found by searches that differ in timing: no contradiction, counted apart);
*plan only* when it finds no gain but the claimed plan itself keeps every rule of the
change applied afresh, with the claimed numbers (the engine's re-plan from the current
plan did not find that plan in the time: at M its model links each session to a
neighbourhood of people, which a person seated by the price's insertion may be outside);
a *mismatch* when it breaks a rule, finds no gain and the claimed plan does not hold, or
exceeds or falls short of a gain claimed exact. Mismatches are printed line by line and
must not happen.

At M the people measure is at its bound for every limit (284 of at most 284), so its gains
are ``yes`` answers only, found by seating and counted over a current plan that is not
proven (the re-solves gain more: they also find what the current plan missed). Beside M
the bench therefore prices **M + planted** (:func:`planted`): the same organisation with
three limits added that are known to bind, each on its own new people so at least its
people gain is known in advance:

* a queue floor equal to its queue during lunch: the *Front desk* (2 new people who work
  Tue 12:00-13:00 only) must keep 2 on duty Mon-Fri 12:00-13:00, and its 2 members and 2
  colleagues all want the *Desk lunch* (Tue 12:00-13:00): lowering the floor on Tue
  12:00-13:00 to 1 places one more person (+1 person, +1 yes);
* a venue too small: 4 new people (Wed 12:00-13:00 only) want *Den games*, which only the
  *Small den* (capacity 3) can hold: one more seat places the fourth (+1, +1);
* a cap of 1: the team's weekly cap goes from 2 to 1, so every limit competes with it and
  raising it back places many more ``yes`` answers (a "≥" gain, found by search).

Each size runs in a fresh ``spawn`` process, as in :mod:`planner.bench.table`.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rich.table import Table

from planner.bench.orgs import NOW, Size, generate, scenario_data
from planner.domain.io import validate_scenario
from planner.domain.planning import PlanningInput
from planner.solve.engine import SolveOptions
from planner.solve.price import PriceSolver, counts, price
from planner.solve.verify import verify

BUDGET: dict[str, float] = {"S": 10.0, "M": 30.0, "L": 60.0, "XL": 120.0}
"""The whole price list's time budget per size (the target)."""
RESOLVE: dict[str, float] = {"S": 2.0, "M": 6.0, "L": 12.0, "XL": 24.0}
"""Least time of a re-solve: a gain found by seating people in the current plan (no search)
carries the least search time only."""
TOP: dict[str, int | None] = {"S": None, "M": None, "L": 10, "XL": 10}
"""How many limits the target asks for (None: all of them)."""


@dataclass(frozen=True)
class GainLine:
    """One claimed gain and its re-solve."""

    label: str
    people_gain: int
    yes_gain: int
    proven: bool
    reproduced: bool
    """Not a mismatch (reproduced, or a lower bound re-found lower)."""
    again: tuple[int, int] | None
    """The re-solve's (people, yes), or None when it found no plan."""
    violations: int = 0
    reached: bool = True
    """The re-solve reached the claimed numbers."""
    plan_holds: bool = True
    """The claimed plan keeps every rule of the change applied afresh, with the claimed
    numbers."""

    @property
    def verdict(self) -> str:
        """``reproduced``, ``lower`` (the re-solve gains less than a "≥" claim), ``plan
        only`` (the re-solve gains nothing, the claimed plan holds: the engine's re-plan
        from the current plan did not find it in the time) or ``MISMATCH``."""
        if not self.reproduced:
            return "MISMATCH"
        if self.reached:
            return "reproduced"
        if self.again is not None and self.again > (0, 0):
            return "lower"
        return "plan only"


@dataclass(frozen=True)
class PriceRow:
    size: str
    people: int = 0
    activities: int = 0
    budget: float = 0.0
    seconds: float = 0.0
    """Wall time of the price list (the target), before the re-solves."""
    limits: int = 0
    plan: str = ""
    proven_gains: int = 0
    lower_gains: int = 0
    not_binding: int = 0
    no_gain_found: int = 0
    not_examined: int = 0
    top: int | None = None
    gains: tuple[GainLine, ...] = ()
    """The gains checked: all at M, the top ones at L."""
    reproduce_seconds: float = 0.0
    error: str | None = field(default=None)

    @property
    def mismatches(self) -> list[GainLine]:
        return [g for g in self.gains if not g.reproduced]

    @property
    def settled(self) -> int:
        """Limits with an answer: a gain, not binding, or searched without a gain."""
        return self.limits - self.not_examined


PLANTED = "M + planted"
"""The row of :func:`planted` (priced with M's budget and target)."""


def planted(seed: int = 0) -> PlanningInput:
    """Bench M with three limits that bind (see the module notes), deterministic in ``seed``."""
    data = scenario_data("M", seed)

    def newcomer(pid: str, name: str, hours: dict[str, list[str]], **extra: Any) -> None:
        data["people"].append(
            {
                "id": pid,
                "name": name,
                "email": f"{pid}@example.com",
                "department": "Support",
                "working_hours": hours,
                **extra,
            }
        )

    tue, wed = {"tue": ["12:00-13:00"]}, {"wed": ["12:00-13:00"]}
    data["queues"].append(
        {
            "id": "front-desk",
            "name": "Front desk",
            "min_on_duty": 2,
            "service_hours": {d: ["12:00-13:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        }
    )
    desk = ["desk-1", "desk-2", "desk-3", "desk-4"]
    for n, pid in enumerate(desk, 1):
        newcomer(pid, f"Desk Colleague {n}", tue, queues=["front-desk"] if n <= 2 else [])
    data["venues"].append({"id": "small-den", "name": "Small den", "capacity": 3})
    den = ["den-1", "den-2", "den-3", "den-4"]
    for n, pid in enumerate(den, 1):
        newcomer(pid, f"Den Player {n}", wed)
    data["activities"] += [
        {
            "id": "desk-lunch",
            "name": "Desk lunch",
            "category": "social",
            "duration_minutes": 60,
            "min_participants": 2,
            "max_participants": 6,
            "location": "Canteen",
            "windows": [{"days": ["tue"], "time": "12:00-13:00"}],
        },
        {
            "id": "den-games",
            "name": "Den games",
            "category": "social",
            "duration_minutes": 60,
            "min_participants": 2,
            "max_participants": 10,
            "venues": ["small-den"],
            "windows": [{"days": ["wed"], "time": "12:00-13:00"}],
        },
    ]
    data["preferences"].update({pid: {"desk-lunch": "yes"} for pid in desk})
    data["preferences"].update({pid: {"den-games": "yes"} for pid in den})
    data["policy"]["max_events_per_week"] = 1
    return PlanningInput(scenario=validate_scenario(data, f"bench-{PLANTED}-{seed}"), now=NOW)


def bench_price_one(
    size: Size, seed: int = 0, workers: int = 2, *, plant: bool = False
) -> PriceRow:
    """Price one size (``plant``: :func:`planted`, at M's budget) in this process and
    re-solve every claimed gain."""
    problem = planted(seed) if plant else generate(size, seed)
    budget = BUDGET[size]
    options = SolveOptions(time_limit=budget, workers=workers, seed=seed)
    t0 = time.monotonic()
    report = price(problem, options)
    seconds = time.monotonic() - t0
    gains = [p for p in report.prices if p.status == "gain"]
    top = TOP[size]
    checked = gains if top is None else gains[:top]
    lines: list[GainLine] = []
    r0 = time.monotonic()
    for p in checked:
        relaxed = replace(problem, scenario=p.relaxation.relax(problem.scenario))
        resolve = max(p.seconds, RESOLVE[size])
        solver = PriceSolver(relaxed, replace(options, time_limit=resolve), report.warm)
        schedule = solver.solve().schedule
        if not schedule.publishable or solver.instance is None:
            lines.append(
                GainLine(p.relaxation.label, p.people_gain, p.yes_gain, p.proven, False, None)
            )
            continue
        broken = len(verify(relaxed, schedule))
        again = counts(solver.instance, schedule)
        want = (report.people + p.people_gain, report.yes + p.yes_gain)
        reached = again[0] >= want[0] and again[1] >= want[1]
        # The claimed plan itself, against the change applied afresh.
        plan_holds = (
            p.schedule is not None
            and not verify(relaxed, p.schedule)
            and counts(solver.instance, p.schedule) == want
        )
        if p.proven:
            ok = broken == 0 and again == want
        else:
            gained = reached or again > (report.people, report.yes)
            ok = broken == 0 and (gained or plan_holds)
        lines.append(
            GainLine(
                p.relaxation.label,
                p.people_gain,
                p.yes_gain,
                p.proven,
                ok,
                (again[0] - report.people, again[1] - report.yes),
                broken,
                reached,
                plan_holds,
            )
        )
    statuses = [(p.status, p.how) for p in report.prices]
    return PriceRow(
        size=PLANTED if plant else size,
        people=len(problem.scenario.people),
        activities=len(problem.scenario.activities),
        budget=budget,
        seconds=seconds,
        limits=len(report.prices),
        plan=f"{report.status.value}: {report.people:,} people, {report.yes:,} yes"
        + ("" if report.proven else " (not proven)"),
        proven_gains=sum(1 for p in gains if p.proven),
        lower_gains=sum(1 for p in gains if not p.proven),
        not_binding=sum(1 for s, _ in statuses if s == "not_binding"),
        no_gain_found=sum(1 for s, h in statuses if s == "unknown" and h != "not examined"),
        not_examined=sum(1 for s, h in statuses if s == "unknown" and h == "not examined"),
        top=top,
        gains=tuple(lines),
        reproduce_seconds=time.monotonic() - r0,
    )


def _safely(size: Size, seed: int, workers: int, plant: bool = False) -> PriceRow:
    try:
        return bench_price_one(size, seed, workers, plant=plant)
    except Exception:
        return PriceRow(
            size=PLANTED if plant else size,
            error=traceback.format_exc().strip().splitlines()[-1],
        )


def run_price_bench(
    sizes: Sequence[Size] = ("M", "L"),
    *,
    seed: int = 0,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
    subprocess: bool = True,
) -> list[PriceRow]:
    """Price each size, each in a fresh ``spawn`` process (``subprocess=False``: here).

    With M, :func:`planted` is priced right after it (M's budget), so the re-check runs
    on gains that are known to exist."""
    runs: list[tuple[Size, bool]] = []
    for size in sizes:
        runs.append((size, False))
        if size == "M":
            runs.append((size, True))
    rows: list[PriceRow] = []
    for size, plant in runs:
        name = PLANTED if plant else size
        if progress is not None:
            progress(
                f"{name}: pricing every limit in {BUDGET[size]:g} s, then re-solving each gain"
            )
        if subprocess:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(processes=1, maxtasksperchild=1) as pool:
                row = pool.apply(_safely, (size, seed, workers, plant))
        else:
            row = _safely(size, seed, workers, plant)
        rows.append(row)
        if progress is not None:
            progress(f"{name}: done" + (f" ({row.error})" if row.error else ""))
    return rows


def price_table(rows: Sequence[PriceRow]) -> Table:
    """The rows as a rich table: time against the target, what was settled, reproduction."""
    caption = (
        f"{PLANTED}: bench M plus three limits known to bind — the Front desk's floor is"
        " its size (2) on weekdays 12:00-13:00, when its members want the Desk lunch; the"
        " Small den seats 3 of the 4 who want Den games; the team's weekly cap is 1"
        if any(r.size == PLANTED for r in rows)
        else None
    )
    table = Table(
        title="planner bench --price: what a limit costs", caption=caption, show_lines=False
    )
    table.add_column("size")
    table.add_column("people / activities", justify="right")
    table.add_column("current plan")
    table.add_column("s (target)", justify="right")
    table.add_column("limits settled", justify="right")
    table.add_column("gains proven", justify="right")
    table.add_column("gains ≥", justify="right")
    table.add_column("not binding", justify="right")
    table.add_column("no gain found", justify="right")
    table.add_column("re-solved", justify="right")
    table.add_column("mismatches", justify="right")
    for r in rows:
        if r.error:
            table.add_row(r.size, "–", r.error, *["–"] * 8)
            continue
        within = "✓" if r.seconds <= r.budget else "✗"
        scope = "all" if r.top is None else f"top {r.top}"
        table.add_row(
            r.size,
            f"{r.people:,} / {r.activities}",
            r.plan,
            f"{r.seconds:.1f} ({r.budget:g}) {within}",
            f"{r.settled} of {r.limits}",
            str(r.proven_gains),
            str(r.lower_gains),
            str(r.not_binding),
            str(r.no_gain_found),
            f"{len(r.gains)} ({scope}, {r.reproduce_seconds:.0f} s"
            + "".join(
                f"; {n} {verdict}"
                for verdict in ("lower", "plan only")
                if (n := sum(1 for g in r.gains if g.verdict == verdict))
            )
            + ")",
            str(len(r.mismatches)),
        )
    return table


def gain_lines(rows: Sequence[PriceRow]) -> list[str]:
    """The checked gains, and every mismatch spelled out."""
    out: list[str] = []
    for r in rows:
        for g in r.gains:
            sign = "" if g.proven else "≥ "
            again = "no plan" if g.again is None else f"{g.again[0]:+d} people, {g.again[1]:+d} yes"
            mark = g.verdict
            broken = f", {g.violations} violations" if g.violations else ""
            out.append(
                f"{r.size}: {g.label}: {sign}{g.people_gain:+d} people, {sign}{g.yes_gain:+d} yes"
                f" — re-solved {again}{broken}: {mark}"
            )
    return out


__all__ = [
    "GainLine",
    "PriceRow",
    "bench_price_one",
    "gain_lines",
    "price_table",
    "run_price_bench",
]
