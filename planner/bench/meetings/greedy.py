"""Fast constructive placement, used as the CP-SAT hint and as a safety net.

Meetings are placed one at a time (most constrained first) at the start/room that minimises the
exact *increase* of the score given everything placed so far: required-attendee and room clashes
are forbidden, medium penalties dominate, then earliness, the one-grain break, overlapping meetings
and room size. Window sums over per-person and per-room occupancy arrays (numpy cumulative sums)
evaluate every start of a meeting at once, so 800 meetings take well under a second.
"""

from __future__ import annotations

import random
import time

import numpy as np
import numpy.typing as npt

from planner.bench.meetings.instance import Meeting, MeetingInstance
from planner.bench.meetings.score import BREAK_WEIGHT, OVERLAP_WEIGHT, score_assignment

IntArray = npt.NDArray[np.int64]

MEDIUM_WEIGHT = 1_000_000
"""Larger than any soft increase of one meeting: keeps the greedy lexicographic."""


def valid_starts(instance: MeetingInstance, meeting: Meeting) -> list[int]:
    """Starts at which the meeting ends before the horizon and on the day it starts."""
    last_start = instance.horizon - meeting.duration
    grains = instance.grains
    return [
        s for s in range(last_start + 1) if grains[s].day == grains[s + meeting.duration - 1].day
    ]


def allowed_rooms(instance: MeetingInstance, meeting: Meeting) -> list[int]:
    """Rooms big enough for everyone; if none is, the largest ones (least shortfall)."""
    rooms = [r.index for r in instance.rooms if r.capacity >= meeting.size]
    if rooms:
        return rooms
    best = max(r.capacity for r in instance.rooms)
    return [r.index for r in instance.rooms if r.capacity == best]


def room_penalties(instance: MeetingInstance) -> list[int]:
    """Soft "larger rooms first" penalty of holding a meeting in each room."""
    caps = [r.capacity for r in instance.rooms]
    return [sum(c - cap for c in caps if c > cap) for cap in caps]


class _Occupancy:
    """Per-grain counters of what is already placed."""

    def __init__(self, instance: MeetingInstance) -> None:
        horizon = instance.horizon
        people = len(instance.people)
        self.required = np.zeros((people, horizon), dtype=np.int64)
        self.preferred = np.zeros((people, horizon), dtype=np.int64)
        self.rooms = np.zeros((len(instance.rooms), horizon), dtype=np.int64)
        self.active = np.zeros(horizon, dtype=np.int64)
        self.starts = np.zeros(horizon + 1, dtype=np.int64)
        self.ends = np.zeros(horizon + 1, dtype=np.int64)

    def add(self, meeting: Meeting, start: int, room: int, sign: int = 1) -> None:
        """Record a placement (``sign=-1`` removes it again)."""
        end = start + meeting.duration
        for p in meeting.required:
            self.required[p, start:end] += sign
        for p in meeting.preferred:
            self.preferred[p, start:end] += sign
        self.rooms[room, start:end] += sign
        self.active[start:end] += sign
        self.starts[start] += sign
        self.ends[end] += sign


def _window(counts: IntArray, duration: int, starts: IntArray) -> IntArray:
    """Sum of ``counts`` over ``[s, s + duration)`` for every ``s`` in ``starts``."""
    cs = np.concatenate(([0], np.cumsum(counts, axis=-1)))
    return cs[starts + duration] - cs[starts]


def _place_one(
    instance: MeetingInstance, occ: _Occupancy, meeting: Meeting, penalties: list[int]
) -> tuple[int, int] | None:
    """Best (start, room) for one meeting, or None if every start breaks a hard rule."""
    starts = np.asarray(valid_starts(instance, meeting), dtype=np.int64)
    d = meeting.duration
    if starts.size == 0:
        return None
    ok = np.ones(starts.size, dtype=bool)
    medium = np.zeros(starts.size, dtype=np.int64)
    for p in meeting.required:
        ok &= _window(occ.required[p], d, starts) == 0
        medium += _window(occ.preferred[p], d, starts)
    for p in meeting.preferred:
        medium += _window(occ.required[p] + occ.preferred[p], d, starts)
    room_choice = np.full(starts.size, -1, dtype=np.int64)
    room_cost = np.zeros(starts.size, dtype=np.int64)
    for r in sorted(allowed_rooms(instance, meeting), key=lambda r: penalties[r], reverse=True):
        free = _window(occ.rooms[r], d, starts) == 0
        room_choice = np.where(free, r, room_choice)
        room_cost = np.where(free, penalties[r], room_cost)
    ok &= room_choice >= 0
    if not ok.any():
        return None
    soft = (starts + d - 1) + room_cost
    soft += OVERLAP_WEIGHT * _window(occ.active, d, starts)
    soft += BREAK_WEIGHT * (occ.ends[starts] + occ.starts[starts + d])
    cost = np.where(ok, medium * MEDIUM_WEIGHT + soft, np.iinfo(np.int64).max)
    best = int(np.argmin(cost))
    return int(starts[best]), int(room_choice[best])


def placement_order(instance: MeetingInstance) -> list[Meeting]:
    """Most constrained first: few usable rooms, then long meetings with many attendees."""
    return sorted(
        instance.meetings,
        key=lambda m: (len(allowed_rooms(instance, m)), -m.duration * m.size, m.index),
    )


def greedy_assignment(
    instance: MeetingInstance, *, retries: int = 5, budget: float = 0.0, seed: int = 0
) -> dict[int, tuple[int, int]]:
    """Construct a placement; meetings with no hard-feasible spot are left out (unassigned).

    When some meetings find no spot, they are moved to the front of the order and the
    construction restarts (a squeaky-wheel retry). With a ``budget`` in seconds, randomly
    perturbed orders are tried too and the best by the exact score is kept: constructions are
    cheap and a better start saves CP-SAT much more time than it costs.
    """
    rng = random.Random(seed)
    deadline = time.perf_counter() + budget
    order = placement_order(instance)
    best: dict[int, tuple[int, int]] = {}
    best_key = score_assignment(instance, best).key()
    attempt = 0
    while True:
        placed = _construct(instance, order)
        key = score_assignment(instance, placed).key()
        if key > best_key:
            best, best_key = placed, key
        attempt += 1
        complete = len(placed) == len(instance.meetings)
        out_of_time = time.perf_counter() >= deadline
        if out_of_time and (len(best) == len(instance.meetings) or attempt > retries):
            break
        if not complete and attempt <= retries:
            stuck = [m for m in order if m.index not in placed]
            order = stuck + [m for m in order if m.index in placed]
        else:
            order = _perturbed(instance, rng)
    return best


def _perturbed(instance: MeetingInstance, rng: random.Random) -> list[Meeting]:
    """The default order with noise: keeps hard meetings early but varies the rest."""
    return sorted(
        instance.meetings,
        key=lambda m: (
            len(allowed_rooms(instance, m)),
            -m.duration * m.size * rng.uniform(0.5, 1.5),
        ),
    )


def _construct(
    instance: MeetingInstance, order: list[Meeting], max_evictions: int = 200
) -> dict[int, tuple[int, int]]:
    """Place meetings in order; a meeting with no free spot evicts the few that block it.

    The evicted meetings go back on the queue (an ejection chain); a cap on evictions keeps
    this bounded, and whatever is still unplaced then stays unassigned.
    """
    occ = _Occupancy(instance)
    penalties = room_penalties(instance)
    out: dict[int, tuple[int, int]] = {}
    queue = list(reversed(order))
    evictions = 0
    rng = random.Random(len(order))
    while queue:
        meeting = queue.pop()
        spot = _place_one(instance, occ, meeting, penalties)
        if spot is None and evictions < max_evictions:
            spot = _least_blocked(instance, occ, meeting, rng)
            for other in _blockers(instance, out, meeting, *spot):
                occ.add(instance.meetings[other], *out.pop(other), sign=-1)
                queue.insert(0, instance.meetings[other])
                evictions += 1
        if spot is not None:
            occ.add(meeting, *spot)
            out[meeting.index] = spot
    return out


def _least_blocked(
    instance: MeetingInstance, occ: _Occupancy, meeting: Meeting, rng: random.Random
) -> tuple[int, int]:
    """Start and room where the fewest grains clash with required attendees or the room."""
    starts = np.asarray(valid_starts(instance, meeting) or [0], dtype=np.int64)
    d = meeting.duration
    clash = np.zeros(starts.size, dtype=np.int64)
    for p in meeting.required:
        clash += _window(occ.required[p], d, starts)
    best: tuple[float, int, int] | None = None
    for r in allowed_rooms(instance, meeting):
        total = clash + _window(occ.rooms[r], d, starts)
        k = int(np.argmin(total + np.asarray([rng.random() for _ in range(starts.size)])))
        cand = (float(total[k]), int(starts[k]), r)
        if best is None or cand < best:
            best = cand
    assert best is not None
    return best[1], best[2]


def _blockers(
    instance: MeetingInstance,
    placed: dict[int, tuple[int, int]],
    meeting: Meeting,
    start: int,
    room: int,
) -> list[int]:
    """Placed meetings that share the room or a required attendee and overlap the spot."""
    end = start + meeting.duration
    required = set(meeting.required)
    out = []
    for other, (s, r) in placed.items():
        o = instance.meetings[other]
        if s < end and start < s + o.duration and (r == room or required & set(o.required)):
            out.append(other)
    return out
