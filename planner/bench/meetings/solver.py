"""CP-SAT formulation of the meeting-scheduling benchmark.

Model (all hard rules are constraints, so every CP-SAT solution has hard = 0):

* one start variable per meeting whose domain holds only the grains where the meeting ends on
  the day it starts (covers "overtime" and "same day");
* one literal per meeting and big-enough room (covers "room capacity"), an optional interval per
  (meeting, room) and one ``no_overlap`` per room (covers "room conflict"), plus a redundant
  ``cumulative`` of capacity = number of rooms;
* per person one ``no_overlap`` over the meetings they must attend (covers "required conflict").

The medium term counts, per person, the pairwise overlap of meetings they attend when at least one
attendance is preferred. Up to ``pair_limit`` (8,000) such meeting pairs it is modelled exactly:
``overlap >= min(ends) - max(starts)`` per pair, weighted by the number of people concerned (the
50- and 100-meeting instances). Beyond that, pairwise variables would explode (320k pairs on 800
meetings), so each *preferred* attendance gets an optional, shrinkable "attended part" interval
inside its meeting, joined to the person's ``no_overlap``; the surrogate medium is the grains of
preferred meetings not attended (exact for two meetings, an over-estimate when a preferred meeting
straddles a required one, an under-estimate when three overlap at once). Linear in attendances.

Priorities are lexicographic in two phases: first minimise medium (with the greedy hint), then
bound medium by the value found, re-hint with the full solution and minimise the modelled soft
terms (earliness and room size, both exact and linear). Break and overlap terms are not modelled
(the greedy hint optimises them meeting by meeting); room stability is only scored. The result
is the best of greedy / phase 1 / phase 2 by the exact score of :mod:`score`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.bench.meetings.greedy import (
    allowed_rooms,
    greedy_assignment,
    room_penalties,
    valid_starts,
)
from planner.bench.meetings.instance import MeetingInstance
from planner.bench.meetings.score import MeetingScore, score_assignment

Progress = Callable[[str], None]

MEDIUM_SHARE = 0.7
"""Share of the CP-SAT time spent on the medium phase; the rest polishes soft."""


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """Search settings. Defaults suit a 2-core machine."""

    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0
    log_search: bool = False


@dataclass
class SolveOutcome:
    """Best assignment found and how we got there."""

    assignment: dict[int, tuple[int, int]]
    score: MeetingScore
    status: str
    seconds: float
    first_feasible_seconds: float | None
    source: str
    """Which stage produced the returned assignment: ``greedy`` or ``cp-sat``."""
    trace: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class _Attendance:
    """A preferred attendance's shrinkable part: [start, start + length) inside the meeting."""

    meeting: int
    person: int
    start: cp_model.IntVar
    length: cp_model.IntVar
    end: cp_model.IntVar
    present: cp_model.IntVar


@dataclass
class _PairOverlap:
    """Auxiliaries of one medium pair: min of ends, max of starts, overlap."""

    first: int
    second: int
    first_end: cp_model.IntVar
    last_start: cp_model.IntVar
    shared: cp_model.IntVar


@dataclass
class _Model:
    model: cp_model.CpModel
    starts: list[cp_model.IntVar]
    rooms: list[dict[int, cp_model.IntVar]]
    attendances: list[_Attendance]
    overlaps: list[_PairOverlap]
    medium: cp_model.LinearExprT
    soft: cp_model.LinearExprT


def build_model(instance: MeetingInstance, *, pair_limit: int = 8000) -> _Model:
    """Build the CP-SAT model described in the module docstring."""
    model = cp_model.CpModel()
    horizon = instance.horizon
    penalties = room_penalties(instance)
    starts: list[cp_model.IntVar] = []
    rooms: list[dict[int, cp_model.IntVar]] = []
    intervals: list[cp_model.IntervalVar] = []
    per_room: list[list[cp_model.IntervalVar]] = [[] for _ in instance.rooms]
    soft_terms: list[cp_model.LinearExprT] = []
    soft_bound = 0
    for m in instance.meetings:
        domain = valid_starts(instance, m) or [0]
        start = model.new_int_var_from_domain(cp_model.Domain.from_values(domain), f"s{m.index}")
        starts.append(start)
        intervals.append(model.new_fixed_size_interval_var(start, m.duration, f"i{m.index}"))
        lits = {r: model.new_bool_var(f"x{m.index}_{r}") for r in allowed_rooms(instance, m)}
        model.add_exactly_one(lits.values())
        rooms.append(lits)
        for r, lit in lits.items():
            per_room[r].append(
                model.new_optional_fixed_size_interval_var(
                    start, m.duration, lit, f"i{m.index}_{r}"
                )
            )
            soft_terms.append(penalties[r] * lit)
        soft_terms.append(start + (m.duration - 1))
        soft_bound += horizon + max(penalties)
    for room_intervals in per_room:
        model.add_no_overlap(room_intervals)
    model.add_cumulative(intervals, [1] * len(intervals), len(instance.rooms))
    pairs = medium_pairs(instance)
    overlaps: list[_PairOverlap] = []
    if len(pairs) <= pair_limit:
        _add_required_people(model, instance, intervals)
        attendances: list[_Attendance] = []
        medium = _add_pair_overlaps(model, instance, starts, pairs, overlaps)
    else:
        attendances = _add_people(model, instance, starts, intervals)
        medium = [_attendance_loss(instance, a) for a in attendances]
    return _Model(model, starts, rooms, attendances, overlaps, sum(medium), sum(soft_terms))


def medium_pairs(instance: MeetingInstance) -> dict[tuple[int, int], int]:
    """Meeting pairs (i < j) that cost medium when overlapping, with the cost per grain.

    Pairs sharing a required attendee are left out: they may not overlap at all (hard).
    """
    required: dict[int, set[int]] = {}
    attending: dict[int, set[int]] = {}
    for m in instance.meetings:
        for p in m.required:
            required.setdefault(p, set()).add(m.index)
            attending.setdefault(p, set()).add(m.index)
        for p in m.preferred:
            attending.setdefault(p, set()).add(m.index)
    weights: dict[tuple[int, int], int] = {}
    hard: set[tuple[int, int]] = set()
    for p, meetings in attending.items():
        ordered = sorted(meetings)
        req = required.get(p, set())
        for k, i in enumerate(ordered):
            for j in ordered[k + 1 :]:
                if i in req and j in req:
                    hard.add((i, j))
                else:
                    weights[(i, j)] = weights.get((i, j), 0) + 1
    return {pair: w for pair, w in weights.items() if pair not in hard}


def _add_required_people(
    model: cp_model.CpModel, instance: MeetingInstance, intervals: list[cp_model.IntervalVar]
) -> None:
    """Per-person no-overlap over the meetings they must attend."""
    per_person: list[list[cp_model.IntervalVar]] = [[] for _ in instance.people]
    for m in instance.meetings:
        for p in m.required:
            per_person[p].append(intervals[m.index])
    for person_intervals in per_person:
        if len(person_intervals) > 1:
            model.add_no_overlap(person_intervals)


def _add_pair_overlaps(
    model: cp_model.CpModel,
    instance: MeetingInstance,
    starts: list[cp_model.IntVar],
    pairs: dict[tuple[int, int], int],
    overlaps: list[_PairOverlap],
) -> list[cp_model.LinearExprT]:
    """Exact weighted overlap ``max(0, min(ends) - max(starts))`` of every medium pair."""
    horizon = instance.horizon
    terms: list[cp_model.LinearExprT] = []
    for (i, j), weight in pairs.items():
        di, dj = instance.meetings[i].duration, instance.meetings[j].duration
        first_end = model.new_int_var(0, horizon, f"me{i}_{j}")
        model.add_min_equality(first_end, [starts[i] + di, starts[j] + dj])
        last_start = model.new_int_var(0, horizon, f"ms{i}_{j}")
        model.add_max_equality(last_start, [starts[i], starts[j]])
        shared = model.new_int_var(0, min(di, dj), f"o{i}_{j}")
        model.add(shared >= first_end - last_start)
        terms.append(weight * shared)
        overlaps.append(_PairOverlap(i, j, first_end, last_start, shared))
    return terms


def _attendance_loss(instance: MeetingInstance, att: _Attendance) -> cp_model.LinearExprT:
    """Grains of a preferred meeting the person misses (surrogate medium)."""
    return instance.meetings[att.meeting].duration - att.length


def _add_people(
    model: cp_model.CpModel,
    instance: MeetingInstance,
    starts: list[cp_model.IntVar],
    intervals: list[cp_model.IntervalVar],
) -> list[_Attendance]:
    """Per-person no-overlap over required meetings and the attended parts of preferred ones."""
    per_person: list[list[cp_model.IntervalVar]] = [[] for _ in instance.people]
    attendances: list[_Attendance] = []
    horizon = instance.horizon
    for m in instance.meetings:
        for p in m.required:
            per_person[p].append(intervals[m.index])
        for p in m.preferred:
            a = model.new_int_var(0, horizon, f"a{m.index}_{p}")
            length = model.new_int_var(0, m.duration, f"l{m.index}_{p}")
            end = model.new_int_var(0, horizon, f"e{m.index}_{p}")
            present = model.new_bool_var(f"p{m.index}_{p}")
            part = model.new_optional_interval_var(a, length, end, present, f"part{m.index}_{p}")
            model.add(a >= starts[m.index])
            model.add(end <= starts[m.index] + m.duration)
            model.add(length >= 1).only_enforce_if(present)
            model.add(length == 0).only_enforce_if(~present)
            per_person[p].append(part)
            attendances.append(_Attendance(m.index, p, a, length, end, present))
    for person_intervals in per_person:
        if len(person_intervals) > 1:
            model.add_no_overlap(person_intervals)
    return attendances


def _add_hint(built: _Model, instance: MeetingInstance, hint: dict[int, tuple[int, int]]) -> None:
    """Hint the greedy placement, including a consistent attended part for every preference."""
    for m, (start, room) in hint.items():
        built.model.add_hint(built.starts[m], start)
        for r, lit in built.rooms[m].items():
            built.model.add_hint(lit, r == room)
    for ov in built.overlaps:
        if ov.first in hint and ov.second in hint:
            si, sj = hint[ov.first][0], hint[ov.second][0]
            end = min(
                si + instance.meetings[ov.first].duration,
                sj + instance.meetings[ov.second].duration,
            )
            built.model.add_hint(ov.first_end, end)
            built.model.add_hint(ov.last_start, max(si, sj))
            built.model.add_hint(ov.shared, max(0, end - max(si, sj)))
    busy: dict[int, list[tuple[int, int]]] = {}
    for m, (start, _room) in hint.items():
        meeting = instance.meetings[m]
        for p in meeting.required:
            busy.setdefault(p, []).append((start, start + meeting.duration))
    ordered = sorted(
        (a for a in built.attendances if a.meeting in hint), key=lambda a: hint[a.meeting][0]
    )
    for att in ordered:
        start = hint[att.meeting][0]
        lo, hi = _largest_free(start, start + instance.meetings[att.meeting].duration, busy, att)
        built.model.add_hint(att.start, lo)
        built.model.add_hint(att.length, hi - lo)
        built.model.add_hint(att.end, hi)
        built.model.add_hint(att.present, hi > lo)
        if hi > lo:
            busy.setdefault(att.person, []).append((lo, hi))


def _largest_free(
    start: int, end: int, busy: dict[int, list[tuple[int, int]]], att: _Attendance
) -> tuple[int, int]:
    """Longest stretch of ``[start, end)`` the person has free."""
    free = [True] * (end - start)
    for lo, hi in busy.get(att.person, []):
        for t in range(max(lo, start), min(hi, end)):
            free[t - start] = False
    best = (start, start)
    run_start: int | None = None
    for offset, is_free in enumerate([*free, False]):
        t = start + offset
        if is_free and run_start is None:
            run_start = t
        elif not is_free and run_start is not None:
            if t - run_start > best[1] - best[0]:
                best = (run_start, t)
            run_start = None
    return best


class _Recorder(cp_model.CpSolverSolutionCallback):
    """Keeps the latest solution and reports its exact score at most once a second."""

    def __init__(
        self, built: _Model, instance: MeetingInstance, t0: float, progress: Progress | None
    ) -> None:
        super().__init__()
        self.built = built
        self.instance = instance
        self.t0 = t0
        self.progress = progress
        self.first: float | None = None
        self.last_report = float("-inf")
        self.latest: dict[int, tuple[int, int]] | None = None
        self.trace: list[tuple[float, str]] = []

    def on_solution_callback(self) -> None:
        now = time.perf_counter() - self.t0
        if self.first is None:
            self.first = now
        self.latest = extract(self, self.built)
        if self.progress is not None and now - self.last_report >= 1.0:
            self.last_report = now
            score = score_assignment(self.instance, self.latest)
            self.trace.append((now, str(score)))
            self.progress(f"{self.instance.name}: {now:6.1f}s  {score}")


def extract(
    source: cp_model.CpSolver | cp_model.CpSolverSolutionCallback, built: _Model
) -> dict[int, tuple[int, int]]:
    """Read (start, room) of every meeting from a solver or a solution callback."""
    out = {}
    for m, start in enumerate(built.starts):
        room = next(r for r, lit in built.rooms[m].items() if source.boolean_value(lit))
        out[m] = (int(source.value(start)), room)
    return out


def _run(
    built: _Model, options: SolveOptions, seconds: float, recorder: _Recorder
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """One CP-SAT run with LNS-friendly defaults; returns the solver to read values from."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.1, seconds)
    params.num_workers = options.workers
    params.random_seed = options.seed
    params.log_search_progress = options.log_search
    status = solver.solve(built.model, recorder)
    return solver, status


def _hint_all(model: cp_model.CpModel, solver: cp_model.CpSolver) -> None:
    """Replace the hints by the full solution just found (complete hint: instant restart)."""
    model.clear_hints()
    for index in range(len(model.proto.variables)):
        var = model.get_int_var_from_proto_index(index)
        model.add_hint(var, solver.value(var))


def solve(
    instance: MeetingInstance, options: SolveOptions, progress: Progress | None = None
) -> SolveOutcome:
    """Greedy placement, then CP-SAT from that hint; returns the better by the exact score."""
    t0 = time.perf_counter()
    greedy = greedy_assignment(
        instance, budget=min(2.0, 0.1 * options.time_limit), seed=options.seed
    )
    greedy_score = score_assignment(instance, greedy)
    greedy_time = time.perf_counter() - t0
    if progress is not None:
        progress(f"{instance.name}: {greedy_time:6.1f}s  {greedy_score}  (greedy)")
    built = build_model(instance)
    _add_hint(built, instance, greedy)
    recorder = _Recorder(built, instance, t0, progress)
    remaining = options.time_limit - (time.perf_counter() - t0)
    built.model.minimize(built.medium)
    solver, status = _run(built, options, MEDIUM_SHARE * remaining, recorder)
    candidates = [("greedy", greedy, greedy_score)]
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        phase1 = extract(solver, built)
        candidates.append(("cp-sat", phase1, score_assignment(instance, phase1)))
        _hint_all(built.model, solver)
        built.model.add(built.medium <= int(solver.objective_value))
        built.model.minimize(built.soft)
        remaining = options.time_limit - (time.perf_counter() - t0)
        solver2, status2 = _run(built, options, remaining, recorder)
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solver, status = solver2, status2
    if recorder.latest is not None:
        final = recorder.latest
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            final = extract(solver, built)
        candidates.append(("cp-sat", final, score_assignment(instance, final)))
    source, assignment, score = max(candidates, key=lambda c: c[2].key())
    first = greedy_time if greedy_score.feasible else recorder.first
    return SolveOutcome(
        assignment=assignment,
        score=score,
        status=solver.status_name(status),
        seconds=time.perf_counter() - t0,
        first_feasible_seconds=first,
        source=source,
        trace=recorder.trace,
    )
