"""The greedy plan: the first plan of every solve, and the hint CP-SAT starts from.

Sessions are placed one by one (``must_hold`` first, then by fewest candidate starts) at the
start that seats the most people who still lack a ``yes``, respecting every hard rule on the
instance's tables; a start where a required person cannot come is skipped.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from planner.domain.models import Answer
from planner.solve.instance import ActivityData, Instance


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
    placed: np.ndarray
    """Per person: placed in some session already (only they can clash in time)."""
    missed: np.ndarray
    """Per person: in the history's ``missed_out`` list."""
    sessions: np.ndarray
    """Per person: how many sessions they are placed in (so :func:`_uncommit` can undo)."""
    yes_sessions: np.ndarray
    """Per person: how many of those are of an activity they said ``yes`` to."""
    placements: list[Placement] = field(default_factory=list)
    tables: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict
    )


def greedy_plan(instance: Instance, deadline: float | None = None) -> list[Placement]:
    """One session at a time at the start most still-unplaced ``yes`` people can make.

    Fast (vectorised over people × candidate starts) and feasible by construction; it is the
    CP-SAT hint, so the first solution arrives at once, and the baseline to beat.

    ``deadline`` (``time.monotonic()`` seconds): once it has passed, no further activity is
    started, except ``must_hold`` ones (placed first, so a plan cut short is still a plan:
    every session placed keeps every rule, and the rest are simply not held).
    """
    st = _new_state(instance)
    lim = _Limits.of(instance)
    order = sorted(
        instance.activities,
        key=lambda a: (not a.activity.must_hold, a.is_pairing, len(a.candidates)),
    )
    for a in order:
        if not a.sessions or not len(a.candidates) or not a.eligible:
            continue
        if deadline is not None and not a.activity.must_hold and time.monotonic() > deadline:
            break
        placed_here: set[int] = set()
        for s in a.sessions:
            got = _place_session(instance, a, s, st, lim, placed_here)
            if got is None:
                break
            st.placements.append(got)
            placed_here.update(got.people)
    return _in_start_order(instance, st.placements)


def _in_start_order(instance: Instance, placements: list[Placement]) -> list[Placement]:
    """The sessions of each activity numbered in start order (the model's symmetry
    breaking)."""
    by_act: dict[int, list[Placement]] = defaultdict(list)
    for pl in placements:
        by_act[instance.sessions[pl.session].activity].append(pl)
    out: list[Placement] = []
    for ai, pls in by_act.items():
        pls.sort(key=lambda pl: int(instance.activities[ai].candidates[pl.position]))
        for s, pl in zip(instance.activities[ai].sessions, pls, strict=False):
            out.append(Placement(s, pl.position, pl.venue, pl.people))
    return out


def _new_state(instance: Instance) -> _State:
    """Nothing placed yet."""
    grid = instance.grid
    n_people = len(instance.people)
    return _State(
        occ=np.zeros((n_people, grid.size), dtype=bool),
        day_count=np.zeros((n_people, len(grid.days)), dtype=np.int64),
        week_count=np.zeros((n_people, len(grid.weeks)), dtype=np.int64),
        week_minutes=np.zeros((n_people, len(grid.weeks)), dtype=np.int64),
        venue_occ=np.array([v.busy.copy() for v in instance.venues])
        if instance.venues
        else np.zeros((0, grid.size), dtype=bool),
        away=np.zeros((len(instance.queues), grid.size), dtype=np.int64),
        got=np.zeros(n_people, dtype=bool),
        placed=np.zeros(n_people, dtype=bool),
        missed=np.isin(np.arange(n_people), np.fromiter(instance.missed_out, dtype=np.int64)),
        sessions=np.zeros(n_people, dtype=np.int64),
        yes_sessions=np.zeros(n_people, dtype=np.int64),
    )


@dataclass(frozen=True)
class _Limits:
    """Per person the caps, per person the queues, and the history's pairs."""

    daily: np.ndarray
    weekly: np.ndarray
    minutes: np.ndarray
    queues_of: dict[int, list[int]]
    pairs: set[tuple[int, int]]

    @classmethod
    def of(cls, instance: Instance) -> _Limits:
        queues_of: dict[int, list[int]] = defaultdict(list)
        for qi, q in enumerate(instance.queues):
            for m in q.members:
                queues_of[m].append(qi)
        return cls(
            daily=np.array([p.daily_cap for p in instance.people], dtype=np.int64),
            weekly=np.array([p.weekly_cap for p in instance.people], dtype=np.int64),
            minutes=np.array(
                [p.minutes_cap if p.minutes_cap is not None else 10**9 for p in instance.people],
                dtype=np.int64,
            ),
            queues_of=queues_of,
            pairs=set(instance.history_pairs),
        )


def _place_session(
    instance: Instance,
    a: ActivityData,
    s: int,
    st: _State,
    lim: _Limits,
    placed_here: set[int],
) -> Placement | None:
    """Place one session of ``a`` at the best start, or ``None``.

    Vectorised over the activity's eligible people × candidate starts (one row per person;
    the availability matrix is built once per activity and cached on ``st``).
    """
    grid = instance.grid
    daily, weekly, minutes = lim.daily, lim.weekly, lim.minutes
    d = a.duration
    cands = a.candidates
    tab = st.tables.get(a.index)
    if tab is None:
        tab = _tables(instance, a)
        st.tables[a.index] = tab
    people_all, can, yes, req_mask, n_avail = tab
    keep = req_mask.copy()
    if placed_here:
        keep |= ~np.isin(people_all, np.fromiter(placed_here, dtype=np.int64))
    else:
        keep[:] = True
    rows = np.flatnonzero(keep)
    if len(rows) < a.min_size:
        return None
    idx = people_all[rows]
    ok = can[rows]
    cday = grid.day[cands]
    cweek = grid.week[cands]
    # Caps: only people placed already, or whose caps cannot take even this one session,
    # can fail them (everyone else has counts of zero): check those rows only.
    dur = a.activity.duration_minutes
    capped = np.flatnonzero(
        st.placed[idx] | (daily[idx] < 1) | (weekly[idx] < 1) | (minutes[idx] < dur)
    )
    if len(capped):
        who = idx[capped]
        sub = ok[capped]
        sub &= st.day_count[who][:, cday] < daily[who][:, None]
        sub &= st.week_count[who][:, cweek] < weekly[who][:, None]
        sub &= st.week_minutes[who][:, cweek] + dur <= minutes[who][:, None]
        ok[capped] = sub
    taken = np.flatnonzero(st.placed[idx])
    if len(taken):
        # Only people already placed somewhere can clash.
        ok[taken] &= ~_overlaps(st.occ[idx[taken]], cands, d)
    valid = ok[req_mask[rows]].all(axis=0)
    if a.venues:
        free_v = np.zeros(len(cands), dtype=bool)
        for v in a.venues:
            free_v |= ~_overlaps(st.venue_occ[v], cands, d)
        valid &= free_v
    if not valid.any():
        return None
    needy = yes[rows] & ~st.got[idx]
    missed = st.missed[idx]
    weight = np.where(
        needy, 1000 + 500 * missed.astype(np.int64), np.where(yes[rows], 2, 1)
    ).astype(np.int64)
    # ``count_nonzero`` over a bool matrix: several times faster than ``sum`` (issue 17).
    seats = np.count_nonzero(ok & needy[:, None], axis=0)
    score = np.minimum(seats, a.max_size) * 1000 + np.count_nonzero(ok, axis=0)
    score = np.where(valid, score, -1)
    is_req = req_mask[rows]
    for k in np.argsort(-score, kind="stable")[:8]:
        if score[k] < 0:
            break
        # Who to seat first: required people, then by weight (most in need of a yes), then
        # the least available, then by index (a total order: one lexsort, no Python key).
        col = np.flatnonzero(ok[:, k])
        order = col[np.lexsort((idx[col], n_avail[rows][col], -weight[col], ~is_req[col]))]
        people: list[int] = idx[order].tolist()
        pl = _fill(instance, a, s, int(k), people, st, lim.queues_of, lim.pairs)
        if pl is not None:
            _commit(instance, a, pl, st)
            return pl
    return None


def _overlaps(occupied: np.ndarray, starts: np.ndarray, d: int) -> np.ndarray:
    """``out[..., k]``: some slot of ``[starts[k], starts[k] + d)`` is occupied.

    Only at the candidate starts (every one of which fits ``d`` slots in the grid): ``d``
    gathers instead of a running sum over the whole grid (issue 17)."""
    out = occupied[..., starts]
    for offset in range(1, d):
        out = out | occupied[..., starts + offset]
    return out


def _tables(
    instance: Instance, a: ActivityData
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(eligible people, can-make matrix people × candidates, said yes, is required, how
    many candidate starts each can make)."""
    people = np.array(a.eligible, dtype=np.int64)
    starts = [a.avail[p] for p in a.eligible]
    n_avail = np.array([len(x) for x in starts], dtype=np.int64)
    can = np.zeros((len(people), len(a.candidates)), dtype=bool)
    if len(people):
        can[np.repeat(np.arange(len(people)), n_avail), np.concatenate(starts)] = True
    yes = np.array([a.answers[p] is Answer.yes for p in a.eligible], dtype=bool)
    req_mask = np.isin(people, np.array(a.required, dtype=np.int64))
    return people, can, yes, req_mask, n_avail


def _fill(
    instance: Instance,
    a: ActivityData,
    s: int,
    k: int,
    order: list[int],
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
        venue = max(free, key=lambda v: instance.venues[v].capacity)
        cap = min(cap, instance.venues[venue].capacity)
    req = set(a.required)
    away = st.away[:, t : t + d].copy()
    chosen: list[int] = []
    for p in order:
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
    if not req <= set(chosen):
        return None  # a required person cannot come (or does not fit): not this start
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
        st.placed[p] = True
        st.sessions[p] += 1
        st.occ[p, t : t + d] = True
        st.day_count[p, day] += 1
        st.week_count[p, week] += 1
        st.week_minutes[p, week] += a.activity.duration_minutes
        if a.answers.get(p) is Answer.yes:
            st.got[p] = True
            st.yes_sessions[p] += 1
    if pl.venue is not None:
        st.venue_occ[pl.venue, t : t + d] = True
    members = set(pl.people)
    for qi, q in enumerate(instance.queues):
        n = len(members.intersection(q.members))
        if n:
            st.away[qi, t : t + d] += n


def _uncommit(instance: Instance, a: ActivityData, pl: Placement, st: _State) -> None:
    """Undo :func:`_commit` of ``pl``. Exact because a plan never has one person, or one
    venue, in two sessions at once (``overlap``, ``venue_conflict``), and no session in a
    venue's busy slots: clearing the session's slots clears only what it set."""
    grid = instance.grid
    t = int(a.candidates[pl.position])
    d = a.duration
    day, week = int(grid.day[t]), int(grid.week[t])
    for p in pl.people:
        st.sessions[p] -= 1
        st.placed[p] = st.sessions[p] > 0
        st.occ[p, t : t + d] = False
        st.day_count[p, day] -= 1
        st.week_count[p, week] -= 1
        st.week_minutes[p, week] -= a.activity.duration_minutes
        if a.answers.get(p) is Answer.yes:
            st.yes_sessions[p] -= 1
            st.got[p] = st.yes_sessions[p] > 0
    if pl.venue is not None:
        st.venue_occ[pl.venue, t : t + d] = False
    members = set(pl.people)
    for qi, q in enumerate(instance.queues):
        n = len(members.intersection(q.members))
        if n:
            st.away[qi, t : t + d] -= n


def reseat(
    instance: Instance,
    plan: list[Placement],
    better: Callable[[list[Placement]], bool],
    ended: Callable[[], bool],
) -> list[Placement]:
    """Ruin and recreate, one event session at a time: each session of ``plan`` is taken
    out and placed again by the greedy rule — the start, venue and people that seat the most
    people still lacking a ``yes`` — over every eligible person and every candidate start,
    the rest of the plan staying as it is; the new plan is kept when ``better(plan)`` says
    so. Passes repeat until one keeps nothing or ``ended()``.

    The neighbourhoods of a large model (:func:`~planner.solve.neighbourhood.restrict_links`)
    hide people and starts from the search; this step sees them all (issue 17: at 2,000
    people, after a 60 s search, 8 more people with a ``yes`` placed in 8 s). Sessions that
    are not full go first, then the fullest. Pairing groups are left as they are. Every
    rule holds by construction, as in :func:`greedy_plan`.
    """
    st = _new_state(instance)
    lim = _Limits.of(instance)
    by_session = {pl.session: pl for pl in plan}
    for pl in plan:
        _commit(instance, instance.activities[instance.sessions[pl.session].activity], pl, st)

    def order(pl: Placement) -> tuple[bool, int, int]:
        a = instance.activities[instance.sessions[pl.session].activity]
        return (len(pl.people) >= a.max_size, -len(pl.people), pl.session)

    kept = True
    while kept and not ended():
        kept = False
        for old in sorted(by_session.values(), key=order):
            if ended():
                break
            a = instance.activities[instance.sessions[old.session].activity]
            _uncommit(instance, a, old, st)
            here = {
                p
                for s in a.sessions
                if s != old.session and s in by_session
                for p in by_session[s].people
            }
            # ``_place_session`` commits what it places.
            new = _place_session(instance, a, old.session, st, lim, here)
            if new == old:
                continue
            if new is not None:
                trial = {**by_session, old.session: new}
                if better(list(trial.values())):
                    by_session = trial
                    kept = True
                    continue
                _uncommit(instance, a, new, st)
            _commit(instance, a, old, st)
    return _in_start_order(instance, sorted(by_session.values(), key=lambda pl: pl.session))
