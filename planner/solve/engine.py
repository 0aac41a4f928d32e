"""The engine: precompute, greedy first plan, build the CP-SAT model, solve in phases.

``PlanSolver`` is the one model class (STYLE point 8): it owns the instance tables, the
variable containers and the rule modules' objective terms, and turns the solver's answer
into a :class:`~planner.domain.schedule.Schedule`. Only hard-rule-satisfying plans leave
this module: the greedy plan (:mod:`planner.solve.greedy`; feasible by construction,
every rule tracked while it is built, and checked for its required people before it is
offered) or a CP-SAT solution (which satisfies every constraint).

Solve flow:

1. build the instance tables (numpy, once), the greedy plan and the real problem's
   per-level bounds (:func:`~planner.solve.objective.level_bounds`);
2. report the greedy plan as the first plan (before any model exists: at 2,000 people
   that is about two seconds in);
3. build the model — at scale with each session linked to a neighbourhood of people only
   (:func:`planner.solve.neighbourhood.restrict_links`) — and complete the greedy hint with one propagation-only
   CP-SAT call (phase 0: every hinted decision fixed);
4. lexicographic phases (see :class:`PlanSolver`), each hinted with the previous solution
   (at scale in CP-SAT calls of at most :data:`SEGMENT_SECONDS`, each from the last plan);
5. at scale (neighbourhoods), the last :data:`RESEAT_SHARE` of the time re-seats each
   session of the best plan over every person and start
   (:func:`~planner.solve.greedy.reseat`: ruin and recreate by the greedy rule, kept when
   lexicographically better), which finds the people and starts the neighbourhoods hid.

A round of independent components (no shared person, venue or queue:
:mod:`planner.solve.components`) runs steps 3-4 part by part after step 2, each part with
its own solver on its view of the instance, and merges the plans
(:meth:`PlanSolver._solve_parts`); a round of one component (every bench size) takes the
path above unchanged.

Determinism: with ``workers=1`` and a fixed ``seed``, a search whose phases end by
themselves (optimal or infeasible) returns the same plan every run (tested); the probes
that prove small models (see :class:`PlanSolver`) need two workers and are not used with
one. With a wall-clock time limit, or with several workers, CP-SAT's result depends on
timing and may differ between runs with the same quality only when it is proven optimal.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Literal

from ortools.sat.python import cp_model

from planner.domain.models import Answer
from planner.domain.planning import PlanningInput
from planner.domain.schedule import (
    Conflict,
    Objective,
    PlanStatus,
    Schedule,
)
from planner.solve import decode
from planner.solve import objective as objective_mod
from planner.solve.components import components, restrict
from planner.solve.components import size as component_size
from planner.solve.greedy import Placement, greedy_plan, reseat
from planner.solve.instance import Instance, build_instance
from planner.solve.neighbourhood import restrict_links, restricted
from planner.solve.rules import MODULES
from planner.solve.rules import pairing as pairing_rule
from planner.solve.rules import stability as stability_rule
from planner.solve.rules.stability import Keepable, keepable
from planner.solve.variables import Term, Vars


@dataclass(frozen=True)
class SolveOptions:
    """Search limits. With ``workers=1`` and a fixed ``seed`` a search that ends (optimal or
    infeasible) returns the same plan every time; see the module notes on determinism."""

    time_limit: float = 30.0
    workers: int = 2
    seed: int = 0
    reserve_checks: bool = False
    """Keep :func:`check_seconds` of the time limit for the caller's explanations and
    independent check, so that solving *and* checking end within ``time_limit`` (the CLI's
    ``solve`` and :class:`~planner.solve.process.ProcessSolver` set it)."""
    started: float | None = None
    """``time.monotonic()`` when the time limit began (the CLI: when the command started,
    so reading the scenario counts); ``None``: when :meth:`PlanSolver.solve` is called."""


@dataclass(frozen=True)
class SolveProgress:
    """A snapshot of the search, passed to ``on_progress`` at most once per second."""

    objective: float
    bound: float
    gap: float
    elapsed: float
    solutions: int


@dataclass
class SolveResult:
    schedule: Schedule
    build_seconds: float
    """Precomputation, greedy hint and model construction."""
    first_solution_seconds: float | None
    """From the call of ``solve()`` to the first plan (the greedy plan, or CP-SAT's first)."""
    stopped: bool
    """True if :meth:`PlanSolver.stop` ended the search."""


CHECK_SECONDS_PER_OPT_IN_CELL = 6e-6
"""Seconds the listing part of :func:`~planner.solve.explain.annotate`,
:func:`~planner.solve.verify.verify` and writing ``schedule.json`` take per person ×
activity (measured on a quiet 2-core machine at XL = 10,000 × 80, 441,000 opt-ins unplaced:
listing 2.0-2.4 s, verify 0.7-0.8 s, schedule.json 0.7-0.8 s; 4.8e-6 s a cell, kept with a
quarter more for a loaded machine)."""
CHECK_SECONDS_PER_INVITE = 1.3e-3
"""Seconds writing one invitation file takes (measured on a quiet 2-core machine before the
files were written from wire forms: at L 1,420 files in 1.3-1.5 s, at XL 3,305 in 3.0-5.6 s,
the disk's flush the spread; since then XL takes 1.2-2.5 s, and the rest is kept for a slow
disk or a loaded machine)."""
INVITES_MARGIN = 1.1
"""Once a plan is in hand, the invitations are estimated as its people and a tenth more:
the search's plans place a few per cent more than the greedy one (L 1,375 -> 1,428, XL
3,228 -> 3,304); until then every person counts."""
CHECK_SECONDS_FLOOR = 0.5
BUILD_PER_PREPARE = 1.0
"""The model takes at most about as long to build as the instance, the greedy plan and the
bounds took together (measured: 3.5 s after 4.4 s at L, 14 s after 45 s at XL); with less
time left than that (plus :data:`MIN_SEARCH_SECONDS`) the greedy plan is the answer."""
MIN_SEARCH_SECONDS = 1.0
RESEAT_SHARE = 0.15
"""Share of the search time kept at the end, when the model links sessions to neighbourhoods
only, for re-seating each session of the search's best plan over every person and start
(:func:`~planner.solve.greedy.reseat`). Measured at L (2,000 people) after a 60 s search:
8 more people with a ``yes`` placed (1,412 -> 1,420) in 8 s; the search itself gained 2-4
in its last 10 s."""
EARLY_RESEAT_SHARE = 0.05
"""Share of the time left that re-seating the greedy plan may take before the model is built,
so that a good plan is in hand early (the model still starts from the greedy plan: searched
from the re-seated one, its neighbourhoods found nothing more at L). Measured on the greedy
plans: L 1,375 -> 1,420 people with a ``yes`` placed, nearly all of it in the first 0.5 s;
XL 3,228 -> 3,304 in the first 0.4 s."""
GREEDY_RESEAT_SECONDS = 1.0
"""When the greedy plan is the answer (no time for a model), how long it may be re-seated
past the search's deadline, within the promise's slack: the gains come in the first half
second (L: 1,375 -> 1,420 people with a ``yes`` placed; XL: 3,228 -> 3,304)."""
SEGMENT_SECONDS = 30.0
"""At scale (neighbourhoods), one CP-SAT call searches a phase for at most this long; the
next starts afresh from its plan. CP-SAT's memory grows with the length of a call (at L
from 540 MiB to over 1 GiB in 90 s of one call), and a fresh call starts from its base."""
PART_FLOOR_SECONDS = 2 * MIN_SEARCH_SECONDS
"""Least time a component gets (of the time left) when a round is solved part by part: its
share by size would leave a tiny part (a handful of people, often proven in milliseconds)
too little to build its model and search it, and so its greedy plan, unproven."""


def promised_seconds(time_limit: float) -> float:
    """How long ``solve --time-limit T`` may take at most, all included: T + 10 % + 5 s."""
    return time_limit * 1.1 + 5.0


def check_seconds(problem: PlanningInput, placed: int | None = None) -> float:
    """The time to keep, within a time limit, for checking, explaining and writing the plan:
    with ``placed``, the number of people a plan in hand places (see
    :data:`INVITES_MARGIN`); without, as if every person got an invitation."""
    sc = problem.scenario
    cells = len(sc.people) * max(1, len(sc.activities))
    invites = len(sc.people) if placed is None else math.ceil(placed * INVITES_MARGIN)
    return (
        CHECK_SECONDS_FLOOR
        + CHECK_SECONDS_PER_OPT_IN_CELL * cells
        + CHECK_SECONDS_PER_INVITE * min(len(sc.people), invites)
    )


def placed_people(plan: list[Placement]) -> int:
    """How many people ``plan`` places (each gets one invitation file)."""
    return len({p for placement in plan for p in placement.people})


def gap_of(value: float, bound: float) -> float:
    return max(0.0, (bound - value) / max(1.0, abs(bound)))


# --------------------------------------------------------------------------- the solver

LARGE_MODEL = 20_000
"""Above this many attendance pairs (or with neighbourhoods) a model counts as large."""
FIRST_PHASE_SHARE = 0.9
"""Share of the remaining time the level-1 phase may use when lower levels follow; a phase
that proves its level optimal early leaves the rest to the next ones. Level 1 dominates the
gap, and at 2,000 people it is still improving late (measured: 0.9 ends about 0.3 points
lower than 0.75 at 60 s)."""
STALL_SECONDS = 1.0
"""Small models: a maximisation hands over to a probe when it has not improved for this
long, and for as long as its best took to find."""
PROBE_SECONDS = 1.0
"""Small models: time of a phase's first probe; each probe left unanswered doubles it."""
PROBE_SUBSOLVERS = ("max_lp", "quick_restart")
"""Workers of a probe: ``max_lp`` (the full linear relaxation with cuts) refutes "a plan
worth this much" on small models in about a second where the plain maximisation takes tens
of seconds to close the same gap (measured on bench S, level 3: 1 s vs 22-108 s);
``quick_restart`` finds the plan when there is one."""


class _Progress(cp_model.CpSolverSolutionCallback):
    """Counts solutions of one phase and reports the weighted objective at most once a second.

    The reported value is the weighted sum of the levels as the model currently sets them
    (auxiliary literals may sit below the plan's true value, never above), or the best plan
    already held if that is more, so a snapshot never overstates a plan.
    """

    def __init__(self, owner: PlanSolver, phase: int, *, has_objective: bool = True) -> None:
        super().__init__()
        self.owner = owner
        self.phase = phase
        self.has_objective = has_objective
        """False for a probe or a plain feasibility search: no objective, so no bound."""
        self.improved: float | None = None
        """When the objective last improved (monotonic seconds)."""
        self._best_seen = -math.inf
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        now = time.monotonic()
        owner = self.owner
        owner._solutions += 1
        if self.first is None:
            self.first = now
        if self.objective_value > self._best_seen:
            self._best_seen = self.objective_value
            self.improved = now
        if owner._stop.is_set():
            self.stop_search()
            return
        if owner._on_progress is None or now - owner._last_report < 1.0:
            return
        values = {level: int(self.value(expr)) for level, expr in owner.level_exprs.items()}
        bound = (self.phase, self.best_objective_bound) if self.has_objective else None
        owner._report(values, phase_bound=bound, now=now)


def _stop_when_stalled(
    solver: cp_model.CpSolver,
    progress: _Progress,
    stall: tuple[float, float],
    done: threading.Event,
) -> None:
    """Watchdog of :meth:`PlanSolver._run`: stop a search whose objective stopped moving.

    ``stall = (since, least)``: stalled means no improvement for as long as the best took
    to find (counted from ``since``), and for at least ``least`` seconds.
    """
    since, least = stall
    while not done.wait(0.05):
        last = progress.improved
        if last is not None and time.monotonic() - last > max(least, last - since):
            solver.stop_search()
            return


def _set_hint(model: cp_model.CpModel, solution: list[int] | None) -> None:
    """Hint every variable with its value in ``solution`` (a complete earlier answer)."""
    if solution is None:
        return
    model.clear_hints()
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(solution)))
    hint.values.extend(solution)


@dataclass(frozen=True)
class _Probed:
    """A plan a probe found: what :meth:`PlanSolver.solve` needs to go on from it."""

    placements: list[Placement]
    values: dict[int, int]
    """Per-level values of the plan (:meth:`PlanSolver.evaluate`)."""
    kept: dict[int, str]
    """Published ids the plan keeps (:meth:`PlanSolver.evaluate`)."""
    solution: list[int]
    reached: int


@dataclass
class _Incumbent:
    """The best plan of a solve so far: its placements, per-level values and the published
    ids it keeps (see :meth:`PlanSolver.evaluate`)."""

    plan: list[Placement] | None = None
    values: dict[int, int] = field(default_factory=dict)
    kept: dict[int, str] = field(default_factory=dict)

    def offer(self, plan: list[Placement], values: dict[int, int], kept: dict[int, str]) -> bool:
        """Keep ``plan`` if it is the first or lexicographically better; whether it was."""
        if self.plan is None or PlanSolver._better(values, self.values):
            self.plan, self.values, self.kept = plan, values, kept
            return True
        return False

    def clear(self) -> None:
        self.plan, self.values, self.kept = None, {}, {}


@dataclass
class _Search:
    """The state of one :meth:`PlanSolver.solve`, handed from phase to phase."""

    t0: float
    """When ``solve()`` was called (``time.monotonic()``)."""
    deadline: float
    """When the search must end (the time limit less the caller's checking share)."""
    slack_end: float = math.inf
    """The latest the greedy plan may run: the promise's slack less the checking share (see
    :func:`promised_seconds`), and at least the time limit itself."""
    reseat_end: float = math.inf
    """The latest re-seating the greedy plan may run when it is the answer: the promise's
    slack less the checking share, never more (an improvement, not the fallback)."""
    best: _Incumbent = field(default_factory=_Incumbent)
    first: float | None = None
    """Seconds from ``t0`` to the first plan."""
    prepared: float = 0.0
    """Seconds from ``t0`` until the instance and the greedy plan were ready."""
    build_seconds: float = 0.0
    """Seconds from ``t0`` until the model was built."""
    model: cp_model.CpModel | None = None
    phases: list[tuple[int, ...] | None] = field(default_factory=list)
    """The phases to search; ``[None]``: nothing to optimise, only whether a plan exists."""
    solution: list[int] | None = None
    """The latest complete CP-SAT solution, the hint of the next search."""
    status_any: object = None
    """The CP-SAT status of the latest search that answered (None: none did)."""
    reseat: float = 0.0
    """Seconds before the deadline kept for :meth:`PlanSolver._reseat` (at scale)."""
    found: _Incumbent = field(default_factory=_Incumbent)
    """The best plan of the model's own search (the greedy plan, then CP-SAT's): what its
    phases build on. ``best`` may be better still (re-seated, at scale)."""
    reseated: float = 0.0
    """Seconds the greedy plan's re-seating took before the model was built."""


@dataclass
class _Part:
    """One component of a decomposed round (see :meth:`PlanSolver._solve_parts`)."""

    solver: PlanSolver
    """Its own solver, on its view of the round."""
    size: int
    """Attendance pairs: its share of the time."""
    plan: list[Placement] | None
    """Its best plan so far: the round's greedy plan on its sessions until it is solved
    (``None``: that is no plan, e.g. a ``must_hold`` session missing)."""
    values: dict[int, int] | None
    """Per-level values of its best plan so far (``None``: no plan yet)."""
    ceilings: dict[int, int]
    """Per level, the most the part can reach given what it proved
    (:func:`~planner.solve.objective.level_ceilings`)."""
    optimal: bool = False


class PlanSolver:
    """Plans one :class:`PlanningInput`: ``solve()`` blocks, ``stop()`` ends it early.

    The objective is optimised lexicographically in phases (levels in
    :data:`~planner.solve.objective.LEVEL_ORDER`): maximise level 1; constrain it to at
    least the value found and maximise the next level, hinting the previous solution; and
    so on. Each phase has small integer coefficients, so CP-SAT's LP bound is tight where
    the single big-M objective was weak.

    Small models with two or more workers: a phase maximises until its objective stalls,
    then *probes from the top* — is there a plan worth the ceiling (the best value not yet
    ruled out)? — as a pure feasibility question with the ``max_lp`` worker. "No" lowers
    the ceiling by one and asks again; "yes" is a plan at the ceiling, hence optimal; the
    ceiling coming down to the best plan proves it. No answer in time sends the phase back
    to maximising, told the ceiling (so it stops on reaching it), with a longer probe next
    time.

    Reported objective and bound are in the documented weighted units
    (:func:`~planner.solve.objective.weights_from_bounds`): ``value = Σ W_l · level_l``;
    ``bound`` = :func:`~planner.solve.objective.lexicographic_bound`: the levels proven
    optimal at their values, the first unproven level at ``min(combinatorial bound,
    CP-SAT's bound of that phase)`` — CP-SAT's only when the model is the full problem, not
    restricted to neighbourhoods — and the remaining levels at their combinatorial bounds
    (:func:`~planner.solve.objective.level_bounds`). ``gap = (bound - value) / max(1,
    |bound|)``. The status is ``optimal`` only when every level is proven.
    """

    def __init__(self, problem: PlanningInput, options: SolveOptions = SolveOptions()) -> None:
        self.problem = problem
        self.options = options
        self._stop = threading.Event()
        self._solver: cp_model.CpSolver | None = None
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        self.instance: Instance | None = None
        self.vars: Vars | None = None
        self.hint: list[Placement] = []
        self.placements: list[Placement] = []
        """The returned plan in model indices (empty without a plan)."""
        self.restricted = False
        self.level_exprs: dict[int, cp_model.LinearExprT] = {}
        self.level_upper: dict[int, int] = {}
        self._on_progress: Callable[[SolveProgress], None] | None = None
        self._last_report = -1e9
        self._solutions = 0
        self._proven_levels: list[int] = []
        """Levels proven lexicographically optimal: always a prefix of the order."""
        self._phases: list[tuple[int, ...]] = []
        self._phase_bounds: dict[int, float] = {}
        """CP-SAT's bound of a finished, unproven phase whose earlier levels are proven."""
        self._best: dict[int, int] = {}
        self.disabled_rules: frozenset[str] = frozenset()
        """Hard rules left out of the model: a test-only hook for the mutation gate of
        ``tests/solve/test_rule_cases.py`` (no option, flag or file reaches it)."""
        self.first_phase_share = FIRST_PHASE_SHARE
        """Share of the time the level-1 phase may use when lower levels follow (the price
        list's relaxed searches give level 2 more: its gains are half of what they report)."""
        self.bound_cuts = True
        """Whether the model carries the redundant level bounds (see :meth:`build`). Only
        the tests turn them off, to see that a rule's constraints alone make its case
        infeasible (a bound that counts a cap also caps placements)."""
        self.decompose = True
        """Whether a round of independent components is solved part by part (see
        :meth:`_solve_parts`). Only the tests turn it off, to compare with the whole model."""
        self._adopted = False
        """The instance and hint were handed over (:meth:`adopt`), not built."""
        self._diagnoses = True
        """Whether an infeasible result is diagnosed (a part's is not: the whole round's is)."""
        self._part: PlanSolver | None = None
        """The solver of the component being solved, which :meth:`stop` stops too."""

    def stop(self) -> None:
        """Thread-safe (and safe from a signal handler): end the search, keep the best plan."""
        self._stop.set()
        solver = self._solver
        if solver is not None:
            solver.stop_search()
        part = self._part
        if part is not None:
            part.stop()

    # -- building ----------------------------------------------------------------------------

    def prepare(self, deadline: float | None = None) -> None:
        """Precompute the instance, the greedy plan and the real problem's level bounds.

        ``deadline``: the greedy plan stops adding activities once it has passed.
        """
        self.instance = instance = build_instance(self.problem, self.disabled_rules)
        self.hint = greedy_plan(instance, deadline)
        self._prepare_bounds()

    def adopt(self, instance: Instance, hint: list[Placement]) -> None:
        """Plan ``instance`` from ``hint`` instead of building them: one component of a
        round (a view, :func:`~planner.solve.components.restrict`, and the round's greedy
        plan restricted to its sessions). Its bounds are its own."""
        self.instance, self.hint = instance, hint
        self._prepare_bounds()
        self._adopted = True

    def _prepare_bounds(self) -> None:
        """The real problem's per-level bounds and weights, and the keepable published
        sessions, of :attr:`instance`."""
        instance = self.instance
        assert instance is not None
        self.level_upper = objective_mod.level_bounds(instance)
        self.weights = objective_mod.weights_from_bounds(
            self.level_upper, objective_mod.level_lower(instance)
        )
        # Published sessions the stability terms can keep: (session, activity, start, venue).
        self._published: list[Keepable] = keepable(instance)

    def build(self) -> cp_model.CpModel:
        """Build the model (after :meth:`prepare`; called by it if needed).

        The model carries the first level's objective; :meth:`solve` replaces it per phase.
        """
        if self.instance is None:
            self.prepare()
        instance = self.instance
        assert instance is not None
        self.restricted = restrict_links(instance, self.hint)
        model = cp_model.CpModel()
        self.vars = vars = Vars()
        terms: list[Term] = []
        for module in MODULES:
            terms.extend(module.build(instance, model, vars))
        terms.extend(objective_mod.build(instance, model, vars))
        self.level_exprs = {
            level: objective_mod.level_expr(terms, level)
            for level in objective_mod.LEVEL_ORDER
            if any(t.level == level for t in terms)
        }
        for level, expr in self.level_exprs.items():
            # Redundant (a bound of the real problem bounds every restriction of it); lets
            # CP-SAT stop a phase as soon as it reaches the combinatorial bound. Only with
            # every rule on: the bounds count caps, which a switched-off rule no longer holds.
            if self.bound_cuts and not instance.disabled:
                model.add(expr <= self.level_upper[level])
        if self.level_exprs:
            model.maximize(self.level_exprs[next(iter(self.level_exprs))])
        self._add_hint(model)
        return model

    def _add_hint(self, model: cp_model.CpModel) -> None:
        """Hint the greedy plan: every decision variable, in one write to the model (issue
        17: 1.3 M ``add_hint`` calls took 0.8 s at 10,000 people)."""
        assert self.instance is not None and self.vars is not None
        instance, vars = self.instance, self.vars
        grid = instance.grid
        by_session = {pl.session: pl for pl in self.hint}
        index: list[int] = []
        value: list[int] = []
        for s, held in vars.held.items():
            pl = by_session.get(s)
            index.append(held.index)
            value.append(pl is not None)
            a = instance.activities[instance.sessions[s].activity]
            index.extend(y.index for y in vars.y[s])
            value.extend(pl is not None and pl.position == k for k in range(len(vars.y[s])))
            index.append(vars.start[s].index)
            value.append(int(a.candidates[pl.position]) if pl else 0)
            for v, lit in vars.venue.get(s, {}).items():
                if lit.index != held.index:
                    index.append(lit.index)
                    value.append(pl is not None and pl.venue == v)
        attending = {s: set(pl.people) for s, pl in by_session.items()}
        hint_day = {
            s: int(
                grid.day[instance.activities[instance.sessions[s].activity].candidates[pl.position]]
            )
            for s, pl in by_session.items()
        }
        for (p, s), days in vars.x.items():
            day = hint_day[s] if p in attending.get(s, ()) else None
            index.extend(lit.index for lit in days.values())
            value.extend(d == day for d in days)
        got = {
            p
            for pl in self.hint
            for p in pl.people
            if instance.activities[instance.sessions[pl.session].activity].answers.get(p)
            is Answer.yes
        }
        for p, lit in vars.got.items():
            index.append(lit.index)
            value.append(p in got)
        # Only positive literals are hinted here (``add_hint`` would flip a negated one).
        assert min(index, default=0) >= 0
        hint = model.proto.solution_hint
        hint.vars.extend(index)
        hint.values.extend(int(v) for v in value)

    # -- the value of a plan -----------------------------------------------------------------

    def evaluate(self, plan: list[Placement]) -> tuple[dict[int, int], dict[int, str]]:
        """Per-level objective values of ``plan`` and the published ids it keeps.

        Computed from the plan itself (not from auxiliary model literals, which a phase
        optimising another level may leave below their true value), with the same units
        as the model's terms.
        """
        instance = self.instance
        assert instance is not None
        values = dict.fromkeys(objective_mod.LEVEL_ORDER, 0)
        got: set[int] = set()
        pairs = set(instance.history_pairs)
        for pl in plan:
            a = instance.activities[instance.sessions[pl.session].activity]
            for p in pl.people:
                ans = a.answers.get(p)
                if ans is Answer.yes:
                    values[2] += objective_mod.YES_UNITS
                    got.add(p)
                elif ans is Answer.maybe:
                    values[2] += objective_mod.MAYBE_UNITS
            if a.activity.min_departments > 1 or a.share < 1:
                values[3] += len({instance.dept_of[p] for p in pl.people})
            if a.is_pairing:
                people = sorted(pl.people)
                for i, p1 in enumerate(people):
                    for p2 in people[i + 1 :]:
                        if (p1, p2) in pairs:
                            values[3] -= pairing_rule.REPEAT_UNITS
        values[1] = sum(
            objective_mod.MISSED_OUT_UNITS
            if p in instance.missed_out
            else objective_mod.PERSON_UNITS
            for p in got
        )
        kept_ids: dict[int, str] = {}
        if self._published:
            held = [
                stability_rule.HeldSession(
                    pl.session,
                    instance.sessions[pl.session].activity,
                    pl.position,
                    pl.venue
                    if instance.activities[instance.sessions[pl.session].activity].venues
                    else None,
                    set(pl.people),
                )
                for pl in plan
            ]
            members = {pl.session: set(pl.people) for pl in plan}
            for s, i in stability_rule.match_kept(instance, self._published, held).items():
                pub = self._published[i].published
                kept_ids[s] = pub.id
                values[4] += stability_rule.KEEP_UNITS + sum(
                    1 for pid in pub.attendees if instance.person_index.get(pid) in members[s]
                )
        return values, kept_ids

    def _weighted(self, values: dict[int, int]) -> int:
        return objective_mod.weighted(values, self.weights)

    def _bound(self, values: dict[int, int], phase_bound: tuple[int, float] | None) -> int:
        """The honest bound (see the class notes) of a plan with per-level ``values``.

        Levels proven optimal (a prefix of the order) count at their values, the others at
        their combinatorial bounds; ``phase_bound`` = (phase, CP-SAT's bound of that phase's
        objective) tightens the first unproven phase when the model is the full problem.
        """
        w = self.weights.by_level
        proven = set(self._proven_levels)
        eff = objective_mod.level_ceilings(values, proven, self.level_upper)
        total = objective_mod.weighted(eff, self.weights)
        if self.restricted:
            return total
        known = dict(self._phase_bounds)
        if phase_bound is not None:
            index, b = phase_bound
            known[index] = min(b, known.get(index, b))
        for index, b in known.items():
            phase = self._phases[index]
            before = [lv for ph in self._phases[:index] for lv in ph]
            if set(phase) <= proven or not set(before) <= proven or not b < float("inf"):
                continue
            mine = sum(w[lv] * eff[lv] for lv in phase)
            # A one-level phase optimises the level in its own units, a merged one the
            # weighted sum (see ``_phase_expr``).
            cap = math.floor(b + 1e-6) * (w[phase[0]] if len(phase) == 1 else 1)
            total += min(mine, cap) - mine
        return total

    def _report(
        self,
        values: dict[int, int],
        phase_bound: tuple[int, float] | None = None,
        now: float | None = None,
        force: bool = False,
    ) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic() if now is None else now
        if not force and now - self._last_report < 1.0:
            return
        self._last_report = now
        value = max(self._weighted(values), self._weighted(self._best))
        bound = max(value, self._bound(values, phase_bound))
        self._on_progress(
            SolveProgress(
                objective=float(value),
                bound=float(bound),
                gap=gap_of(value, bound),
                elapsed=now - self._t0,
                solutions=self._solutions,
            )
        )

    # -- solving -----------------------------------------------------------------------------

    def _large(self) -> bool:
        vars = self.vars
        return self.restricted or (vars is not None and len(vars.x) > LARGE_MODEL)

    def _params(self, solver: cp_model.CpSolver, seconds: float) -> None:
        params = solver.parameters
        params.max_time_in_seconds = max(0.1, seconds)
        params.num_workers = max(1, self.options.workers)
        params.random_seed = self.options.seed
        params.log_search_progress = False
        # The caller owns Ctrl+C (the CLI turns it into stop()); CP-SAT's own SIGINT handler
        # would replace Python's and abort the process from the solver thread.
        params.catch_sigint_signal = False
        # Presolve probing spends seconds deriving binary clauses from the start/attendance
        # links on these models before any search; the search learns what it needs.
        params.cp_model_probing_level = 0
        if self._large():
            # Presolve costs seconds at 2,000 people, every phase would pay it again, and
            # these models are built tight already: the search starts sooner without it
            # (measured at M and L: better gaps at every checkpoint).
            params.cp_model_presolve = False
        else:
            # Small models: the stronger LP relaxation proves the phases much sooner.
            params.linearization_level = 2

    def _greedy_ok(self) -> bool:
        """The greedy plan is a plan: every ``must_hold`` event session is in it, with
        every required person (the fill skips a start where one cannot come; checked again
        here, since a plan that breaks a rule must never be reported)."""
        instance = self.instance
        assert instance is not None
        placed = {pl.session for pl in self.hint}
        for pl in self.hint:
            a = instance.activities[instance.sessions[pl.session].activity]
            if not set(a.required) <= set(pl.people):
                return False
        return all(
            s in placed
            for a in instance.activities
            if a.activity.must_hold and not a.is_pairing
            for s in a.sessions
        )

    def _phase_plan(self) -> list[tuple[int, ...]]:
        """Levels optimised together, most important first.

        One phase per level; on large models (where every phase pays a presolve of
        seconds) the levels after the first share one phase whose objective is their
        weighted sum — still lexicographic among them, by the weights.
        """
        levels = list(self.level_exprs)
        if not levels:
            return []
        if self._large() and len(levels) > 2:
            return [(levels[0],), tuple(levels[1:])]
        return [(lv,) for lv in levels]

    def _phase_expr(self, phase: tuple[int, ...]) -> cp_model.LinearExprT:
        if len(phase) == 1:
            return self.level_exprs[phase[0]]
        w = self.weights.by_level
        return sum(w[lv] * self.level_exprs[lv] for lv in phase)

    def _complete_hint(self, model: cp_model.CpModel, seconds: float) -> list[int] | None:
        """Phase 0: the greedy plan checked by CP-SAT with every hinted decision fixed.

        A propagation check, fast even at scale; it fills in the auxiliary variables the
        hint leaves open, so the first phase starts from a complete, feasible solution.
        """
        if not self.hint or self._stop.is_set() or seconds <= 0.05:
            return None
        solver = cp_model.CpSolver()
        self._params(solver, min(seconds, 10.0))
        solver.parameters.num_workers = 1
        solver.parameters.fix_variables_to_their_hinted_value = True
        status = self._run(solver, model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return list(solver.response_proto.solution)

    def solve(self, on_progress: Callable[[SolveProgress], None] | None = None) -> SolveResult:
        """Greedy plan first (reported at once), then the lexicographic phases."""
        search = self._begin(on_progress)
        if self._greedy_phase(search):
            # No time left to build a model and search it: the greedy plan, re-seated for
            # a moment, is the answer (feasible: nothing is proven).
            now = time.monotonic()
            until = min(max(search.deadline, now + GREEDY_RESEAT_SECONDS), search.reseat_end)
            if until > now:
                self._reseat(search.best, search.best, until)
            return self._finish(search, search.prepared, status_any=None, searched=False)
        assert self.instance is not None
        parts = components(self.instance) if self.decompose else []
        if len(parts) > 1:
            return self._solve_parts(search, parts)
        if restricted(self.instance):
            # The model will see neighbourhoods only: re-seat the greedy plan first, for a
            # good plan in hand early.
            began = time.monotonic()
            left = search.deadline - began
            self._reseat(search.best, search.best, began + EARLY_RESEAT_SHARE * max(0.0, left))
            search.reseated = time.monotonic() - began
        self._build_search(search)
        for i, phase in enumerate(search.phases):
            if self._stop.is_set() or not self._search_phase(search, i, phase):
                break
        if self.restricted:
            self._reseat(search.found, search.best, search.deadline)
        return self._finish(search, search.build_seconds, search.status_any)

    def _reseat(self, source: _Incumbent, target: _Incumbent, until: float) -> None:
        """Re-seat each session of ``source``'s plan over every person and start until
        ``until`` (:func:`~planner.solve.greedy.reseat`), and offer the result to
        ``target`` if it is lexicographically better than ``source``'s."""
        if source.plan is None or self._stop.is_set():
            return
        assert self.instance is not None
        current = dict(source.values)

        def better(plan: list[Placement]) -> bool:
            values, _ = self.evaluate(plan)
            if not self._better(values, current):
                return False
            current.clear()
            current.update(values)
            self._report(values)
            return True

        def ended() -> bool:
            return self._stop.is_set() or time.monotonic() >= until

        plan = reseat(self.instance, source.plan, better, ended)
        if self._better(current, source.values):
            self._offer(target, plan, *self.evaluate(plan))

    def _solve_parts(self, search: _Search, parts: list[list[int]]) -> SolveResult:
        """Solve independent components one after another and merge their plans (exact,
        see :mod:`planner.solve.components`).

        Each part has its own solver on its view of the round, started from the round's
        greedy plan on its sessions, and gets a share of the time left proportional to its
        size; time a part leaves unused passes to the next. The merged plan is evaluated on
        the whole round; it is optimal only when every part is proven, and its bound is the
        sum of the parts' level ceilings through the round's weights (a part that loses on
        a level it proved loses that level's weight, more than the round's range of every
        level below). An infeasible part makes the round infeasible (diagnosed whole).
        """
        instance = self.instance
        assert instance is not None
        part_of = {ai: i for i, activities in enumerate(parts) for ai in activities}
        hints: list[list[Placement]] = [[] for _ in parts]
        for pl in self.hint:
            hints[part_of[instance.sessions[pl.session].activity]].append(pl)
        states: list[_Part] = []
        for activities, hint in zip(parts, hints, strict=True):
            solver = PlanSolver(self.problem, self.options)
            solver.first_phase_share, solver.bound_cuts = self.first_phase_share, self.bound_cuts
            solver._diagnoses = False
            solver.adopt(restrict(instance, activities), hint)
            plan = hint if solver._greedy_ok() else None
            values = solver.evaluate(hint)[0] if plan is not None else None
            ceilings = objective_mod.level_ceilings(values or {}, (), solver.level_upper)
            states.append(
                _Part(solver, component_size(instance, activities), plan, values, ceilings)
            )
        build_seconds = search.prepared
        for i, part in enumerate(states):
            if self._stop.is_set():
                break
            left = search.deadline - time.monotonic()
            share = left * part.size / max(1, sum(p.size for p in states[i:]))
            share = max(share, min(left, PART_FLOOR_SECONDS))
            part.solver.options = replace(
                self.options, time_limit=max(0.0, share), started=time.monotonic(),
                reserve_checks=False,
            )  # fmt: skip
            self._part = part.solver
            if self._stop.is_set():  # stopped before ``_part`` was set: stop() missed it
                part.solver.stop()
            result = part.solver.solve(partial(self._on_part_progress, states, part))
            self._part = None
            build_seconds += result.build_seconds
            status = result.schedule.status
            if status is PlanStatus.infeasible:
                search.best.clear()
                return self._finish(search, build_seconds, cp_model.INFEASIBLE)
            if status in (PlanStatus.optimal, PlanStatus.feasible):
                part.plan = part.solver.placements
                part.optimal = status is PlanStatus.optimal
            self._take_part(part)
            if part.optimal and part.values is not None:
                part.ceilings = dict(part.values)  # every level proven, with terms or not
            if search.first is None and all(p.plan is not None for p in states):
                # The greedy plan was no plan: the first merged one is there now (at the
                # latest).
                search.first = time.monotonic() - search.t0
        search.best.clear()
        if any(p.plan is None for p in states):
            return self._finish(search, build_seconds, status_any=None)
        merged = sorted((pl for p in states for pl in p.plan or ()), key=lambda pl: pl.session)
        self._offer(search.best, merged, *self.evaluate(merged))
        self._report_parts(states, force=True)
        ceiling = objective_mod.weighted(self._summed(states, "ceilings"), self.weights)
        optimal = all(p.optimal for p in states)
        return self._finish(search, build_seconds, None, merged=(optimal, ceiling))

    @staticmethod
    def _take_part(part: _Part) -> None:
        """Refresh ``part``'s values and ceilings from its solver's best plan so far and
        the levels it proved."""
        solver = part.solver
        if solver._best:
            part.values = solver._best
        if part.values is None:
            return
        ceilings = objective_mod.level_ceilings(
            part.values, solver._proven_levels, solver.level_upper
        )
        if not solver.restricted:
            # CP-SAT's bound of a finished one-level phase whose earlier levels are proven
            # is that level's ceiling (as in :meth:`_bound`).
            for index, b in solver._phase_bounds.items():
                phase = solver._phases[index]
                if len(phase) == 1 and math.isfinite(b):
                    lv = phase[0]
                    cap = max(part.values.get(lv, 0), math.floor(b + 1e-6))
                    ceilings[lv] = min(ceilings[lv], cap)
        part.ceilings = ceilings

    @staticmethod
    def _summed(states: list[_Part], what: Literal["values", "ceilings"]) -> dict[int, int]:
        """Per level, the sum over the parts of their values or ceilings."""
        return {
            lv: sum((getattr(p, what) or {}).get(lv, 0) for p in states)
            for lv in objective_mod.LEVEL_ORDER
        }

    def _on_part_progress(self, states: list[_Part], part: _Part, _: SolveProgress) -> None:
        self._report_parts(states, part)

    def _report_parts(
        self, states: list[_Part], current: _Part | None = None, force: bool = False
    ) -> None:
        """Report the merged plan: the parts solved, the current part's best plan and the
        greedy plan of the parts to come (only once every part has a plan)."""
        if self._on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < 1.0:
            return
        if current is not None:
            self._take_part(current)
        if any(p.values is None for p in states):
            return
        self._last_report = now
        value = objective_mod.weighted(self._summed(states, "values"), self.weights)
        bound = objective_mod.weighted(self._summed(states, "ceilings"), self.weights)
        bound = max(value, bound)
        self._on_progress(
            SolveProgress(
                objective=float(value),
                bound=float(bound),
                gap=gap_of(value, bound),
                elapsed=now - self._t0,
                solutions=self._solutions + sum(p.solver._solutions for p in states),
            )
        )

    # -- the phases of a solve ---------------------------------------------------------------

    def _begin(self, on_progress: Callable[[SolveProgress], None] | None) -> _Search:
        """Start the clock and the deadline; precompute the instance and the greedy plan."""
        self._t0 = t0 = time.monotonic()
        self._on_progress = on_progress
        # The time limit covers everything: precomputation, the model, the search and (with
        # ``reserve_checks``) the caller's checking, for which its estimated cost is kept.
        began = t0 if self.options.started is None else self.options.started
        limit = self.options.time_limit
        self._proven_levels = []
        self._phases = []
        self._phase_bounds = {}
        # The greedy plan is the fallback answer: rather than be cut short to make room for
        # a search, it may use the promise's slack (see :func:`promised_seconds`), and at
        # least the limit itself: where checking is estimated above the promise (10,000
        # people, short limits) it was cut before its first activity, and no plan came out.
        # Before a plan every person counts for the checking share (at XL 18 s)...
        reserve = self._checks_share(None)
        slack_end = max(began + promised_seconds(limit) - reserve, began + limit)
        if not self._adopted:
            self.prepare(slack_end)
        # ... with the greedy plan in hand, its people (at XL 10 s for its 3,228).
        reserve = self._checks_share(placed_people(self.hint) if self.hint else None)
        return _Search(
            t0=t0,
            deadline=began + max(0.0, limit - reserve),
            slack_end=slack_end,
            reseat_end=began + promised_seconds(limit) - reserve,
        )

    def _checks_share(self, placed: int | None) -> float:
        """The time kept for the caller's checking (:func:`check_seconds`), if it asked."""
        return check_seconds(self.problem, placed) if self.options.reserve_checks else 0.0

    def _greedy_phase(self, search: _Search) -> bool:
        """Offer the greedy plan, the first plan, reported before the model is built (its
        bound is the combinatorial one: no level proven yet). Whether it is the answer:
        too little time is left to build a model and search it."""
        best = search.best
        if self.hint and self._greedy_ok() and not self._stop.is_set():
            self._offer_found(search, self.hint, *self.evaluate(self.hint))
            search.first = time.monotonic() - search.t0
            self._solutions = 1
            self._report(best.values, force=True)
        search.prepared = prepared = time.monotonic() - search.t0
        return best.plan is not None and (
            time.monotonic() + BUILD_PER_PREPARE * prepared + MIN_SEARCH_SECONDS > search.deadline
        )

    def _build_search(self, search: _Search) -> None:
        """Build the model, plan the phases and complete the greedy hint (phase 0)."""
        search.model = model = self.build()
        search.build_seconds = time.monotonic() - search.t0 - search.reseated
        self._phases = self._phase_plan()
        # ``None``: nothing to optimise (no opt-ins), only whether a plan exists.
        search.phases = list(self._phases) or [None]
        search.solution = self._complete_hint(model, search.deadline - time.monotonic())
        _set_hint(model, search.solution)
        if self.restricted:
            search.reseat = RESEAT_SHARE * max(0.0, search.deadline - time.monotonic())

    def _search_phase(self, search: _Search, i: int, phase: tuple[int, ...] | None) -> bool:
        """Optimise phase ``i`` within its share of the time left; whether the next phase
        follows."""
        # The phases build on the model's own plans (``found``); every plan also goes to
        # ``search.best``.
        model, best = search.model, search.found
        assert model is not None
        prefix_proven = len(self._proven_levels) == sum(len(ph) for ph in self._phases[:i])
        if (
            phase is not None
            and best.plan is not None
            and all(best.values.get(lv, 0) >= self.level_upper[lv] for lv in phase)
        ):
            # Already at the real problem's bound: proven without a search.
            if prefix_proven:
                self._proven_levels.extend(phase)
            self._constrain(model, phase, self._weighted_sub(best.values, phase))
            return True
        remaining = search.deadline - search.reseat - time.monotonic()
        if remaining <= 0.05:
            return False
        left = len(search.phases) - i
        budget = (
            remaining
            if left == 1
            else remaining * (self.first_phase_share if i == 0 else 1.0 / left)
        )
        phase_start = time.monotonic()
        phase_end = phase_start + budget
        probe_seconds = PROBE_SECONDS
        # Small models: maximise until the search stalls, then ask feasibility questions
        # from the ceiling down (probes), which CP-SAT often refutes in a second each
        # where the maximisation would take minutes to close the same units of its bound.
        # One worker keeps the plain maximisation: a watchdog on the wall clock would
        # make its plans depend on timing (see "Determinism" above).
        probing = phase is not None and not self._large() and self.options.workers > 1
        phase_bound = math.inf
        proven_here = got = False
        reached = 0
        # The best value this phase can still reach: the real problem's bound, lowered
        # by CP-SAT's bound and by every refuted probe.
        ceiling = self._weighted_sub(self.level_upper, phase) if phase is not None else 0
        while True:
            model.clear_objective()
            if phase is not None:
                model.maximize(self._phase_expr(phase))
            _set_hint(model, search.solution)
            solver = cp_model.CpSolver()
            seconds = phase_end - time.monotonic()
            self._params(solver, min(seconds, SEGMENT_SECONDS) if self.restricted else seconds)
            callback = _Progress(self, i, has_objective=phase is not None)
            stall = (phase_start, STALL_SECONDS) if probing else None
            status = self._run(solver, model, callback, stall=stall)
            if search.first is None and callback.first is not None:
                search.first = callback.first - search.t0
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                search.status_any = status
                got = True
                found = self._placements(solver)
                self._offer_found(search, found, *self.evaluate(found))
                search.solution = list(solver.response_proto.solution)
                if phase is None:
                    break
                reached = max(reached, int(solver.value(self._phase_expr(phase))))
                phase_bound = min(phase_bound, solver.best_objective_bound)
                at_bound = all(
                    int(solver.value(self.level_exprs[lv])) >= self.level_upper[lv] for lv in phase
                )
                proven_here = (status == cp_model.OPTIMAL and not self.restricted) or at_bound
                if (
                    self.restricted
                    and status == cp_model.FEASIBLE  # the segment's time ran out
                    and not proven_here
                    and not self._stop.is_set()
                    and phase_end - time.monotonic() > MIN_SEARCH_SECONDS
                ):
                    continue  # the next segment, from this one's plan
                if proven_here or not probing:
                    break
            elif probing and best.plan is not None and status == cp_model.UNKNOWN:
                # A maximisation after a probe can end before its first solution (the
                # phase's time ran out inside presolve); the plan in hand still stands
                # (it satisfies this phase's model), so go on from it.
                assert phase is not None
                got = True
                reached = max(reached, self._weighted_sub(best.values, phase))
            else:
                if status == cp_model.INFEASIBLE and i == 0:
                    search.status_any = status  # no plan exists at all
                    # The model holds every hard rule, so a greedy plan in hand breaks
                    # one: never report it (nor what was re-seated from it).
                    best.clear()
                    search.best.clear()
                break
            if self._stop.is_set() or phase_end - time.monotonic() <= 0.05:
                break
            if math.isfinite(phase_bound):
                ceiling = min(ceiling, math.floor(phase_bound + 1e-9))
            proven_here, last, ceiling = self._probe_down(
                model, phase, i, reached, ceiling, search.solution, phase_end, probe_seconds
            )
            phase_bound = min(phase_bound, ceiling)
            if last is not None:
                self._offer_found(search, last.placements, last.values, last.kept)
                search.solution, reached = last.solution, last.reached
            probe_seconds *= 2  # back to maximising: the next probes get longer
            if proven_here or self._stop.is_set() or phase_end - time.monotonic() <= 0.05:
                break
        if not got or phase is None:
            return False
        if prefix_proven and proven_here:
            self._proven_levels.extend(phase)
        elif prefix_proven:
            # CP-SAT's bound of this phase given the proven levels before it: valid for
            # the rest of the solve.
            self._phase_bounds[i] = phase_bound
        self._constrain(model, phase, reached)
        self._report(search.best.values)
        return True

    def _finish(
        self,
        search: _Search,
        build_seconds: float,
        status_any: object,
        searched: bool = True,
        merged: tuple[bool, int] | None = None,
    ) -> SolveResult:
        """The result of :meth:`solve` from its best plan (``searched``: the model was built
        and searched, so its proven levels count; ``merged``: the plan merges independent
        parts, (whether every part is proven, the sum of their ceilings), see
        :meth:`_solve_parts`)."""
        best, t0 = search.best, search.t0
        stopped = self._stop.is_set()
        if best.plan is not None:
            self.placements = best.plan
            value = self._weighted(best.values)
            if merged is None:
                proven_all = searched and set(self._proven_levels) >= set(self.level_exprs)
                bound = value if proven_all else max(value, self._bound(best.values, None))
            else:
                proven_all, ceiling = merged
                bound = value if proven_all else max(value, ceiling)
            schedule = self._schedule(
                best.plan,
                best.kept,
                PlanStatus.optimal if proven_all else PlanStatus.feasible,
                Objective(value=value, bound=bound, gap=gap_of(value, bound)),
            )
            if merged is None:  # a merged plan is reported by :meth:`_solve_parts`
                self._report(best.values, force=True)
        elif status_any == cp_model.INFEASIBLE:
            left = (search.deadline if searched else t0) - time.monotonic()
            schedule = self._infeasible(max(1.0, left))
        else:
            schedule = Schedule(
                status=PlanStatus.unknown,
                objective=Objective(value=0, bound=0, gap=1.0),
            )
        schedule.solve_seconds = round(time.monotonic() - t0, 3)
        schedule.generated_at = datetime.now(UTC)
        return SolveResult(schedule, build_seconds, search.first, stopped)

    def _offer_found(
        self, search: _Search, plan: list[Placement], values: dict[int, int], kept: dict[int, str]
    ) -> None:
        """A plan of the model's own search: kept in ``found`` and offered to ``best``."""
        search.found.offer(plan, values, kept)
        self._offer(search.best, plan, values, kept)

    def _offer(
        self, best: _Incumbent, plan: list[Placement], values: dict[int, int], kept: dict[int, str]
    ) -> None:
        """Keep ``plan`` in ``best`` if it is the first or lexicographically better."""
        if best.offer(plan, values, kept):
            self._best = best.values

    def _run(
        self,
        solver: cp_model.CpSolver,
        model: cp_model.CpModel,
        callback: _Progress | None = None,
        stall: tuple[float, float] | None = None,
    ) -> cp_model.CpSolverStatus:
        """One CP-SAT call that :meth:`stop` can interrupt; with ``stall``, it also ends
        when its objective stops moving (see :func:`_stop_when_stalled`)."""
        with self._lock:
            self._solver = solver
        done = threading.Event()
        watchdog = None
        if stall is not None and callback is not None:
            watchdog = threading.Thread(
                target=_stop_when_stalled, args=(solver, callback, stall, done), daemon=True
            )
            watchdog.start()
        try:
            if self._stop.is_set():
                return cp_model.UNKNOWN
            return solver.solve(model, callback)
        finally:
            done.set()
            if watchdog is not None:
                watchdog.join()
            with self._lock:
                self._solver = None

    def _probe_down(
        self,
        model: cp_model.CpModel,
        phase: tuple[int, ...],
        index: int,
        reached: int,
        ceiling: int,
        solution: list[int] | None,
        phase_end: float,
        seconds: float,
    ) -> tuple[bool, _Probed | None, int]:
        """Probe from the top: is a plan worth ``ceiling`` possible?

        A refuted probe lowers the ceiling by one and the next probe follows at once
        (refuting is what the ``max_lp`` worker does fast); a plan found at the ceiling is
        optimal, since the ceiling is a proven bound. Ends proven when the ceiling comes
        down to ``reached``, or unanswered within ``seconds`` (back to maximising, which
        then stops as soon as it reaches the ceiling: the model is told the bound).
        Returns (proven, the plan found if any, the ceiling).
        """
        last: _Probed | None = None
        while ceiling > reached:
            if self._stop.is_set() or phase_end - time.monotonic() <= 0.05:
                break
            probe_end = min(phase_end, time.monotonic() + seconds)
            outcome = self._probe(model, phase, ceiling, solution, probe_end, index)
            if outcome == "unknown":
                break
            if outcome == "proven":
                ceiling -= 1
                continue
            last = outcome
            reached, solution = outcome.reached, outcome.solution
            self._report(outcome.values)
        if ceiling <= reached:
            return True, last, ceiling
        model.add(self._phase_expr(phase) <= ceiling)
        return False, last, ceiling

    def _probe(
        self,
        model: cp_model.CpModel,
        phase: tuple[int, ...],
        target: int,
        solution: list[int] | None,
        phase_end: float,
        index: int,
    ) -> _Probed | Literal["proven", "unknown"]:
        """Is there a plan with the phase's objective at least ``target``?

        ``"proven"``: no, so the phase is optimal below it; a :class:`_Probed`: yes, here it
        is; ``"unknown"``: no answer in time.
        """
        probe = model.clone()
        probe.clear_objective()
        probe.add(self._phase_expr(phase) >= target)
        _set_hint(probe, solution)
        solver = cp_model.CpSolver()
        self._params(solver, phase_end - time.monotonic())
        solver.parameters.subsolvers.extend(PROBE_SUBSOLVERS)
        status = self._run(solver, probe, _Progress(self, index, has_objective=False))
        if status == cp_model.INFEASIBLE:
            return "proven"
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "unknown"
        placements = self._placements(solver)
        values, kept = self.evaluate(placements)
        return _Probed(
            placements=placements,
            values=values,
            kept=kept,
            solution=list(solver.response_proto.solution),
            reached=int(solver.value(self._phase_expr(phase))),
        )

    def _weighted_sub(self, values: dict[int, int], phase: tuple[int, ...]) -> int:
        if len(phase) == 1:
            return values.get(phase[0], 0)
        return sum(self.weights.by_level[lv] * values.get(lv, 0) for lv in phase)

    def _constrain(self, model: cp_model.CpModel, phase: tuple[int, ...], value: int) -> None:
        """Later phases keep this phase's objective at least at ``value`` (lexicographic)."""
        model.add(self._phase_expr(phase) >= value)

    @staticmethod
    def _better(new: dict[int, int], old: dict[int, int]) -> bool:
        order = objective_mod.LEVEL_ORDER
        return tuple(new.get(lv, 0) for lv in order) > tuple(old.get(lv, 0) for lv in order)

    def _infeasible(self, time_limit: float) -> Schedule:
        from planner.solve.conflicts import diagnose

        assert self.instance is not None
        conflicts: list[Conflict] = []
        if self._diagnoses:
            conflicts = diagnose(self.instance, time_limit=min(time_limit, 20.0))
        return Schedule(
            status=PlanStatus.infeasible,
            objective=Objective(value=0, bound=0, gap=0.0),
            conflicts=conflicts,
        )

    def _placements(self, solver: cp_model.CpSolver) -> list[Placement]:
        assert self.vars is not None
        return decode.placements(self.vars, solver)

    def _schedule(
        self,
        plan: list[Placement],
        kept_ids: dict[int, str],
        status: PlanStatus,
        objective: Objective,
    ) -> Schedule:
        assert self.instance is not None
        return decode.schedule(self.instance, plan, kept_ids, status, objective)
