"""The engine: precompute, hint with a greedy plan, build the CP-SAT model, solve, read back.

``PlanSolver`` is the one model class (STYLE point 8): it owns the instance tables, the
variable containers and the rule modules' objective terms, and turns the solver's answer
into a :class:`~planner.domain.schedule.Schedule`. Only hard-rule-satisfying plans leave
this module: a plan is read from CP-SAT's solution (which satisfies every constraint) or
there is no plan (status ``unknown``/``infeasible``).

Solve flow: build (instance tables, greedy plan, neighbourhood restriction at scale, rule
modules, weights, hint) -> phase 0 (the greedy plan checked by CP-SAT with every decision
fixed: the first plan, and the fallback if the search is stopped) -> the search.

Determinism: with ``workers=1`` and a fixed ``seed``, a search that ends by itself (optimal
or infeasible) returns the same plan every run (tested). With a wall-clock time limit, or
with several workers, CP-SAT's result depends on timing and may differ between runs with
the same quality only when it is proven optimal.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from ortools.sat.python import cp_model

from planner.domain.models import Answer
from planner.domain.planning import PlanningInput
from planner.domain.schedule import (
    Conflict,
    NotHeld,
    Objective,
    PlannedSession,
    PlanStatus,
    Schedule,
)
from planner.solve import objective as objective_mod
from planner.solve.instance import ActivityData, Instance, build_instance, run_all
from planner.solve.rules import MODULES
from planner.solve.variables import Term, Vars


@dataclass(frozen=True)
class SolveOptions:
    """Search limits. With ``workers=1`` and a fixed ``seed`` a search that ends (optimal or
    infeasible) returns the same plan every time; see the module notes on determinism."""

    time_limit: float = 30.0
    workers: int = 2
    seed: int = 0


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
    """From the call of ``solve()`` to the first plan CP-SAT reported."""
    stopped: bool
    """True if :meth:`PlanSolver.stop` ended the search."""


def gap_of(value: float, bound: float) -> float:
    return max(0.0, (bound - value) / max(1.0, abs(bound)))


# --------------------------------------------------------------------------- greedy


@dataclass
class Placement:
    """One session of a plan in model indices."""

    session: int
    position: int
    """Index into the activity's candidate starts."""
    venue: int | None
    people: list[int]


@dataclass
class _State:
    occ: np.ndarray
    day_count: np.ndarray
    week_count: np.ndarray
    week_minutes: np.ndarray
    venue_occ: np.ndarray
    away: np.ndarray
    got: np.ndarray
    placements: list[Placement] = field(default_factory=list)


def greedy_plan(instance: Instance) -> list[Placement]:
    """One session at a time at the start most still-unplaced ``yes`` people can make.

    Fast (vectorised over people × candidate starts) and feasible by construction; it is the
    CP-SAT hint, so the first solution arrives at once, and the baseline to beat.
    """
    grid = instance.grid
    n_people = len(instance.people)
    st = _State(
        occ=np.zeros((n_people, grid.size), dtype=bool),
        day_count=np.zeros((n_people, len(grid.days)), dtype=np.int64),
        week_count=np.zeros((n_people, len(grid.weeks)), dtype=np.int64),
        week_minutes=np.zeros((n_people, len(grid.weeks)), dtype=np.int64),
        venue_occ=np.array([v[3].copy() for v in instance.venues])
        if instance.venues
        else np.zeros((0, grid.size), dtype=bool),
        away=np.zeros((len(instance.queues), grid.size), dtype=np.int64),
        got=np.zeros(n_people, dtype=bool),
    )
    daily = np.array([p.daily_cap for p in instance.people], dtype=np.int64)
    weekly = np.array([p.weekly_cap for p in instance.people], dtype=np.int64)
    minutes = np.array(
        [p.minutes_cap if p.minutes_cap is not None else 10**9 for p in instance.people],
        dtype=np.int64,
    )
    queues_of: dict[int, list[int]] = defaultdict(list)
    for qi, q in enumerate(instance.queues):
        for m in q.members:
            queues_of[m].append(qi)
    pairs = set(instance.history_pairs)
    order = sorted(
        instance.activities,
        key=lambda a: (not a.activity.must_hold, a.is_pairing, len(a.candidates)),
    )
    for a in order:
        if not a.sessions or not len(a.candidates) or not a.eligible:
            continue
        placed_here: set[int] = set()
        for s in a.sessions:
            got = _place_session(
                instance, a, s, st, daily, weekly, minutes, queues_of, pairs, placed_here
            )
            if got is None:
                break
            st.placements.append(got)
            placed_here.update(got.people)
    # Sessions of an activity are kept in start order (the model's symmetry breaking).
    by_act: dict[int, list[Placement]] = defaultdict(list)
    for pl in st.placements:
        by_act[instance.sessions[pl.session].activity].append(pl)
    out: list[Placement] = []
    for ai, pls in by_act.items():
        pls.sort(key=lambda pl: int(instance.activities[ai].candidates[pl.position]))
        for s, pl in zip(instance.activities[ai].sessions, pls, strict=False):
            out.append(Placement(s, pl.position, pl.venue, pl.people))
    return out


def _place_session(
    instance: Instance,
    a: ActivityData,
    s: int,
    st: _State,
    daily: np.ndarray,
    weekly: np.ndarray,
    minutes: np.ndarray,
    queues_of: dict[int, list[int]],
    pairs: set[tuple[int, int]],
    placed_here: set[int],
) -> Placement | None:
    grid = instance.grid
    d = a.duration
    cands = a.candidates
    req = set(a.required)
    people = [p for p in a.eligible if p not in placed_here or p in req]
    if len(people) < a.min_size:
        return None
    idx = np.array(people)
    ok = np.zeros((len(people), len(cands)), dtype=bool)
    for r, p in enumerate(people):
        ok[r, a.avail[p]] = True
    cday = grid.day[cands]
    cweek = grid.week[cands]
    ok &= st.day_count[idx][:, cday] < daily[idx][:, None]
    ok &= st.week_count[idx][:, cweek] < weekly[idx][:, None]
    ok &= st.week_minutes[idx][:, cweek] + a.activity.duration_minutes <= minutes[idx][:, None]
    busy_run = ~run_all(~st.occ[idx], d)
    ok &= ~busy_run[:, cands]
    valid = np.ones(len(cands), dtype=bool)
    for r, p in enumerate(people):
        if p in req:
            valid &= ok[r]
    if a.venues:
        free_v = np.zeros(len(cands), dtype=bool)
        for v in a.venues:
            free_v |= run_all(~st.venue_occ[v], d)[cands]
        valid &= free_v
    if not valid.any():
        return None
    answers = [a.answers[p] for p in people]
    needy = np.array(
        [ans is Answer.yes and not st.got[p] for p, ans in zip(people, answers, strict=True)]
    )
    weight = np.array(
        [
            (1000 + (500 if p in instance.missed_out else 0))
            if n
            else (2 if ans is Answer.yes else 1)
            for p, ans, n in zip(people, answers, needy, strict=True)
        ],
        dtype=np.int64,
    )
    score = np.minimum((ok & needy[:, None]).sum(axis=0), a.max_size) * 1000 + ok.sum(axis=0)
    score = np.where(valid, score, -1)
    for k in np.argsort(-score, kind="stable")[:8]:
        if score[k] < 0:
            break
        pl = _fill(instance, a, s, int(k), ok[:, k], people, weight, st, queues_of, pairs)
        if pl is not None:
            _commit(instance, a, pl, st)
            return pl
    return None


def _fill(
    instance: Instance,
    a: ActivityData,
    s: int,
    k: int,
    ok: np.ndarray,
    people: list[int],
    weight: np.ndarray,
    st: _State,
    queues_of: dict[int, list[int]],
    pairs: set[tuple[int, int]],
) -> Placement | None:
    t = int(a.candidates[k])
    d = a.duration
    venue = None
    cap = a.max_size
    if a.venues:
        free = [v for v in a.venues if a.venue_ok[v][k] and not st.venue_occ[v, t : t + d].any()]
        if not free:
            return None
        venue = max(free, key=lambda v: instance.venues[v][2])
        cap = min(cap, instance.venues[venue][2])
    req = set(a.required)
    order = sorted(
        (r for r in range(len(people)) if ok[r]),
        key=lambda r: (people[r] not in req, -int(weight[r]), len(a.avail[people[r]]), people[r]),
    )
    away = st.away[:, t : t + d].copy()
    chosen: list[int] = []
    for r in order:
        p = people[r]
        if len(chosen) >= cap:
            break
        if p in a.person_venues and venue not in a.person_venues[p]:
            if p in req:
                return None
            continue
        qs = queues_of.get(p, [])
        if any((away[q] + 1 > instance.queues[q].limit[t : t + d]).any() for q in qs):
            if p in req:
                return None
            continue
        if a.is_pairing and any((min(p, c), max(p, c)) in pairs for c in chosen):
            continue
        for q in qs:
            away[q] += 1
        chosen.append(p)
    # Department share: drop the last-added of an over-represented department.
    if a.share < 1:
        while True:
            counts: dict[int, list[int]] = defaultdict(list)
            for p in chosen:
                counts[instance.dept_of[p]].append(p)
            over = [
                dep
                for dep, ps in counts.items()
                if len(ps) * a.share.denominator > a.share.numerator * len(chosen)
            ]
            if not over:
                break
            drop = [p for p in counts[over[0]] if p not in req]
            if not drop:
                return None
            chosen.remove(drop[-1])
    if len({instance.dept_of[p] for p in chosen}) < a.activity.min_departments:
        return None
    if len(chosen) < a.min_size:
        return None
    if a.is_pairing and len(chosen) > a.max_size:
        chosen = chosen[: a.max_size]
    return Placement(s, k, venue, sorted(chosen))


def _commit(instance: Instance, a: ActivityData, pl: Placement, st: _State) -> None:
    grid = instance.grid
    t = int(a.candidates[pl.position])
    d = a.duration
    day, week = int(grid.day[t]), int(grid.week[t])
    for p in pl.people:
        st.occ[p, t : t + d] = True
        st.day_count[p, day] += 1
        st.week_count[p, week] += 1
        st.week_minutes[p, week] += a.activity.duration_minutes
        if a.answers.get(p) is Answer.yes:
            st.got[p] = True
    if pl.venue is not None:
        st.venue_occ[pl.venue, t : t + d] = True
    members = set(pl.people)
    for qi, q in enumerate(instance.queues):
        n = len(members.intersection(q.members))
        if n:
            st.away[qi, t : t + d] += n


# --------------------------------------------------------------------------- neighbourhoods

LINK_LIMIT = 6_000
"""Above this many person × session combinations the model links each session to a
neighbourhood of people only (see :func:`restrict_links`)."""
LINK_FACTOR = 2
"""A session's neighbourhood holds about this many times its capacity."""


def restrict_links(instance: Instance, hint: list[Placement]) -> bool:
    """Decomposition for large rounds: each session may only take a neighbourhood of people.

    Sessions are tiny next to the number of opted-in people (a 2,000-person round has more
    opt-ins than seats by an order of magnitude), so a full person × session model is
    mostly variables that stay 0. Each session keeps its greedy attendees plus about
    ``LINK_FACTOR`` × capacity others: people with a ``yes`` the greedy plan left out
    first (spread round-robin over the activity's sessions), then people who can make the
    greedy start. The search optimises inside these neighbourhoods; the bound it reports is
    the bound of this restricted model (see the engine notes). Returns whether it applied.
    """
    total = sum(len(a.eligible) * len(a.sessions) for a in instance.activities)
    if total <= LINK_LIMIT:
        return False
    by_session = {pl.session: pl for pl in hint}
    placed_yes: set[int] = set()
    for pl in hint:
        a = instance.activities[instance.sessions[pl.session].activity]
        placed_yes.update(p for p in pl.people if a.answers.get(p) is Answer.yes)
    for a in instance.activities:
        quota = LINK_FACTOR * a.max_size
        if len(a.eligible) <= quota or not a.sessions:
            continue
        req = set(a.required)

        def rank(p: int, a: ActivityData = a) -> tuple[int, int, int]:
            ans = a.answers.get(p)
            tier = (
                0
                if (ans is Answer.yes and p not in placed_yes)
                else (1 if ans is Answer.yes else 2)
            )
            return (tier, len(a.avail[p]), p)

        pool = sorted((p for p in a.eligible if p not in req), key=rank)
        can = np.zeros((len(instance.people), len(a.candidates)), dtype=bool)
        for p in pool:
            can[p, a.avail[p]] = True
        n = len(a.sessions)
        links: dict[int, list[int]] = defaultdict(list)
        for k, s in enumerate(a.sessions):
            pl_s = by_session.get(s)
            chosen = list(dict.fromkeys([*req, *(pl_s.people if pl_s else [])]))
            seen = set(chosen)
            here = [p for p in pool if can[p, pl_s.position]] if pl_s is not None else pool
            spread = [p for j, p in enumerate(pool) if j % n == k]
            for p in [*spread, *here, *pool]:
                if len(chosen) >= quota:
                    break
                if p not in seen:
                    chosen.append(p)
                    seen.add(p)
            for p in chosen:
                links[p].append(s)
        a.links = {p: links.get(p, []) for p in a.eligible}
    return True


# --------------------------------------------------------------------------- the solver


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, owner: PlanSolver, on_progress: Callable[[SolveProgress], None] | None):
        super().__init__()
        self.owner = owner
        self.on_progress = on_progress
        self.solutions = 0
        self.first: float | None = None
        self.last_report = -1e9

    def on_solution_callback(self) -> None:
        now = time.monotonic()
        self.solutions += 1
        if self.first is None:
            self.first = now
        if self.owner._stop.is_set():
            self.stop_search()
            return
        if self.on_progress is not None and now - self.last_report >= 1.0:
            self.last_report = now
            value, bound = self.objective_value, self.best_objective_bound
            self.on_progress(
                SolveProgress(
                    objective=value,
                    bound=bound,
                    gap=gap_of(value, bound),
                    elapsed=now - self.owner._t0,
                    solutions=self.solutions,
                )
            )


class PlanSolver:
    """Plans one :class:`PlanningInput`: ``solve()`` blocks, ``stop()`` ends it early."""

    def __init__(self, problem: PlanningInput, options: SolveOptions = SolveOptions()) -> None:
        self.problem = problem
        self.options = options
        self._stop = threading.Event()
        self._solver: cp_model.CpSolver | None = None
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        self.instance: Instance | None = None
        self.vars: Vars | None = None
        self.terms: list[Term] = []
        self.hint: list[Placement] = []
        self.restricted = False

    def stop(self) -> None:
        """Thread-safe (and safe from a signal handler): end the search, keep the best plan."""
        self._stop.set()
        solver = self._solver
        if solver is not None:
            solver.stop_search()

    # -- building ----------------------------------------------------------------------------

    def build(self) -> cp_model.CpModel:
        """Precompute the instance, run the greedy hint and build the model."""
        self.instance = instance = build_instance(self.problem)
        self.hint = greedy_plan(instance)
        self.restricted = restrict_links(instance, self.hint)
        model = cp_model.CpModel()
        self.vars = vars = Vars()
        terms: list[Term] = []
        for module in MODULES:
            terms.extend(module.build(instance, model, vars))
        terms.extend(objective_mod.build(instance, model, vars))
        self.terms = terms
        self.weights = objective_mod.weights(terms)
        self.trivial_bound = sum(max(0, t.units * self.weights.by_level[t.level]) for t in terms)
        model.maximize(objective_mod.objective_expr(terms, self.weights))
        self._add_hint(model)
        return model

    def _add_hint(self, model: cp_model.CpModel) -> None:
        assert self.instance is not None and self.vars is not None
        instance, vars = self.instance, self.vars
        grid = instance.grid
        by_session = {pl.session: pl for pl in self.hint}
        for s, held in vars.held.items():
            pl = by_session.get(s)
            model.add_hint(held, pl is not None)
            a = instance.activities[instance.sessions[s].activity]
            for k, y in enumerate(vars.y[s]):
                model.add_hint(y, pl is not None and pl.position == k)
            model.add_hint(vars.start[s], int(a.candidates[pl.position]) if pl else 0)
            for v, lit in vars.venue.get(s, {}).items():
                if lit.index != held.index:
                    model.add_hint(lit, pl is not None and pl.venue == v)
        for (p, s), days in vars.x.items():
            pl = by_session.get(s)
            day = None
            if pl is not None and p in pl.people:
                a = instance.activities[instance.sessions[s].activity]
                day = int(grid.day[a.candidates[pl.position]])
            for d, lit in days.items():
                model.add_hint(lit, d == day)
        got = {p for pl in self.hint for p in pl.people}
        for p, lit in vars.got.items():
            model.add_hint(
                lit,
                p in got
                and any(
                    instance.activities[instance.sessions[pl.session].activity].answers.get(p)
                    is Answer.yes
                    for pl in self.hint
                    if p in pl.people
                ),
            )

    # -- solving -----------------------------------------------------------------------------

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

    def _check_hint(self, model: cp_model.CpModel, seconds: float) -> Schedule | None:
        """Phase 0: the greedy plan, validated by CP-SAT against every constraint.

        With every decision fixed to its hinted value this is a propagation check, fast
        even at scale. It gives a first plan within the model-building time and a plan to
        return if the search is stopped before it finds its own.
        """
        if not self.hint or self._stop.is_set():
            return None
        solver = cp_model.CpSolver()
        self._params(solver, min(seconds, 10.0))
        solver.parameters.num_workers = 1
        solver.parameters.fix_variables_to_their_hinted_value = True
        with self._lock:
            self._solver = solver
        status = solver.solve(model)
        with self._lock:
            self._solver = None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return self._read(solver, optimal=False)

    def solve(self, on_progress: Callable[[SolveProgress], None] | None = None) -> SolveResult:
        self._t0 = t0 = time.monotonic()
        model = self.build()
        build_seconds = time.monotonic() - t0
        assert self.instance is not None
        fallback = self._check_hint(model, self.options.time_limit - build_seconds)
        first: float | None = time.monotonic() - t0 if fallback is not None else None
        solver = cp_model.CpSolver()
        self._params(solver, self.options.time_limit - (time.monotonic() - t0))
        callback = _Progress(self, on_progress)
        with self._lock:
            self._solver = solver
        status = cp_model.UNKNOWN if self._stop.is_set() else solver.solve(model, callback)
        with self._lock:
            self._solver = None
        stopped = self._stop.is_set()
        elapsed = time.monotonic() - t0
        if first is None and callback.first is not None:
            first = callback.first - t0
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            schedule = self._read(solver, status == cp_model.OPTIMAL)
            if fallback is not None and fallback.objective.value > schedule.objective.value:
                schedule = fallback  # cannot happen with the hint, kept for safety
        elif status == cp_model.INFEASIBLE:
            schedule = self._infeasible(max(1.0, self.options.time_limit - elapsed))
        elif fallback is not None:
            schedule = fallback
            # Without a solution of its own CP-SAT's bound is only used when it is a bound at
            # all; otherwise the trivial one (every positive term at its best).
            value = fallback.objective.value
            bound = solver.best_objective_bound
            if not (value <= bound < float("inf")):
                bound = float(self.trivial_bound)
            schedule.objective = Objective(
                value=fallback.objective.value,
                bound=bound,
                gap=gap_of(fallback.objective.value, bound),
            )
        else:
            schedule = Schedule(
                status=PlanStatus.unknown,
                objective=Objective(value=0, bound=0, gap=1.0),
            )
        schedule.solve_seconds = round(time.monotonic() - t0, 3)
        schedule.generated_at = datetime.now(UTC)
        return SolveResult(schedule, build_seconds, first, stopped)

    def _infeasible(self, time_limit: float) -> Schedule:
        from planner.solve.conflicts import diagnose

        assert self.instance is not None
        conflicts: list[Conflict] = diagnose(self.instance, time_limit=min(time_limit, 20.0))
        return Schedule(
            status=PlanStatus.infeasible,
            objective=Objective(value=0, bound=0, gap=0.0),
            conflicts=conflicts,
        )

    def _read(self, solver: cp_model.CpSolver, optimal: bool) -> Schedule:
        instance, vars = self.instance, self.vars
        assert instance is not None and vars is not None
        grid = instance.grid
        held: dict[int, Placement] = {}
        for s, lit in vars.held.items():
            if not solver.boolean_value(lit):
                continue
            k = next(i for i, y in enumerate(vars.y[s]) if solver.boolean_value(y))
            venue = next(
                (v for v, lit2 in vars.venue.get(s, {}).items() if solver.boolean_value(lit2)),
                None,
            )
            people = sorted(
                p
                for p in vars.attendees(s)
                if any(solver.boolean_value(x) for x in vars.attend_vars(p, s))
            )
            held[s] = Placement(s, k, venue, people)
        # Ids: a kept published session keeps its id; the rest are numbered in start order.
        ids: dict[int, str] = {}
        for pub_id, (kept, holders) in vars.kept.items():
            if solver.boolean_value(kept):
                for s, h in holders:
                    if solver.boolean_value(h):
                        ids[s] = pub_id
        sessions: list[PlannedSession] = []
        not_held: list[NotHeld] = []
        for a in instance.activities:
            act = a.activity
            prefix = f"{act.id}#g" if a.is_pairing else f"{act.id}#"
            mine = sorted(
                (s for s in a.sessions if s in held),
                key=lambda s: (int(a.candidates[held[s].position]), s),
            )
            used = {ids[s] for s in mine if s in ids}
            n = 1
            for s in mine:
                if s not in ids:
                    while f"{prefix}{n}" in used:
                        n += 1
                    ids[s] = f"{prefix}{n}"
                    used.add(ids[s])
                pl = held[s]
                t = int(a.candidates[pl.position])
                start = grid.instant(t)
                end = start + timedelta(minutes=act.duration_minutes)
                venue_id = instance.venues[pl.venue][0] if pl.venue is not None else None
                location = (
                    instance.venues[pl.venue][1]
                    if pl.venue is not None
                    else act.location or act.url
                )
                sessions.append(
                    PlannedSession(
                        id=ids[s],
                        activity=act.id,
                        start=start,
                        end=end.astimezone(grid.tz),
                        attendees=sorted(instance.people[p].person.id for p in pl.people),
                        venue=venue_id,
                        location=location,
                    )
                )
            if not a.is_pairing:
                numbers = set()
                for s in mine:
                    tail = ids[s].rsplit("#", 1)[-1]
                    if tail.isdigit():
                        numbers.add(int(tail))
                free = [k for k in range(1, act.sessions + 1) if k not in numbers]
                for k in free[: act.sessions - len(mine)]:
                    not_held.append(NotHeld(activity=act.id, session=k))
        sessions.sort(key=lambda ps: (ps.start, ps.id))
        value, bound = solver.objective_value, solver.best_objective_bound
        if optimal:
            bound = value
        return Schedule(
            status=PlanStatus.optimal if optimal else PlanStatus.feasible,
            objective=Objective(value=value, bound=bound, gap=gap_of(value, bound)),
            sessions=sessions,
            not_held=not_held,
        )
