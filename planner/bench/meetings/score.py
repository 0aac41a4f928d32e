"""The hard/medium/soft score we are judged by on the meeting-scheduling benchmark.

Implemented from the project's definitions (issue 6), which follow Timefold's
``MeetingSchedulingConstraintProvider`` except where noted on :func:`score_assignment`. The scorer
is independent of the CP-SAT model on purpose: the model uses surrogates for some terms, and the
numbers we publish must come from this one place.

An *assignment* maps a meeting index to ``(start grain index, room index)``. Meetings missing from
it are *unassigned*: they are counted in :attr:`MeetingScore.unassigned` (a hard violation reported
on its own, as Timefold reports uninitialised entities) and take no part in any other term.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from planner.bench.meetings.instance import MeetingInstance

Assignment = Mapping[int, tuple[int, int]]
"""meeting index -> (starting grain index, room index)."""

BREAK_WEIGHT = 100
OVERLAP_WEIGHT = 10
STABILITY_GAP = 2


@dataclass(frozen=True)
class MeetingScore:
    """Penalties as non-positive numbers, like Timefold's ``HardMediumSoftScore``."""

    hard: int
    medium: int
    soft: int
    unassigned: int = 0
    breakdown: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def feasible(self) -> bool:
        """No hard violation and every meeting placed."""
        return self.hard == 0 and self.unassigned == 0

    def key(self) -> tuple[int, int, int, int]:
        """Sort key: larger is better (lexicographic hard, medium, soft)."""
        return (-self.unassigned, self.hard, self.medium, self.soft)

    def __str__(self) -> str:
        text = f"{self.hard}hard/{self.medium}medium/{self.soft}soft"
        return f"{text} ({self.unassigned} unassigned)" if self.unassigned else text


def overlap(s1: int, e1: int, s2: int, e2: int) -> int:
    """Grains shared by the half-open intervals ``[s1, e1)`` and ``[s2, e2)``."""
    return max(0, min(e1, e2) - max(s1, s2))


@dataclass(frozen=True, slots=True)
class _Placed:
    meeting: int
    start: int
    end: int
    room: int


def _overlapping_pairs(items: Iterable[_Placed]) -> Iterable[tuple[_Placed, _Placed, int]]:
    """Every overlapping pair once, via a start-sorted sweep (no quadratic scan over far pairs)."""
    ordered = sorted(items, key=lambda p: (p.start, p.meeting))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.start >= a.end:
                break
            yield a, b, overlap(a.start, a.end, b.start, b.end)


def score_assignment(
    instance: MeetingInstance, assignment: Assignment, *, timefold_room_stability: bool = False
) -> MeetingScore:
    """Score an assignment exactly.

    Differences from Timefold's constraint provider (the project's definitions win):

    * room stability counts a pair only when the second meeting starts 0..2 grains *after* the
      first ends; Timefold also counts pairs that overlap (it only requires the second to start
      later and ``gap <= 2``). Pass ``timefold_room_stability=True`` for Timefold's variant.
    * "running past the last grain" has no weight in our definitions; we use Timefold's
      (the meeting's last grain index). Such a meeting is not also charged for changing day,
      as in Timefold (its last grain does not exist).
    """
    placed = _place(instance, assignment)
    parts: Counter[str] = Counter()
    _hard_terms(instance, placed, parts)
    _attendee_terms(instance, placed, parts, timefold_room_stability)
    _soft_terms(instance, placed, parts)
    hard = parts["room_conflict"] + parts["overtime"] + parts["required_conflict"]
    hard += parts["room_capacity"] + parts["same_day"]
    medium = parts["required_preferred_conflict"] + parts["preferred_conflict"]
    soft = parts["as_soon_as_possible"] + parts["break_between"] + parts["overlapping"]
    soft += parts["larger_rooms"] + parts["room_stability"]
    unassigned = len(instance.meetings) - len(placed)
    return MeetingScore(-hard, -medium, -soft, unassigned, dict(parts))


def _place(instance: MeetingInstance, assignment: Assignment) -> list[_Placed]:
    out = []
    for m, (start, room) in sorted(assignment.items()):
        if not 0 <= m < len(instance.meetings):
            raise ValueError(f"no meeting with index {m}")
        if not 0 <= start < instance.horizon or not 0 <= room < len(instance.rooms):
            raise ValueError(f"meeting {m}: start grain or room out of range")
        out.append(_Placed(m, start, start + instance.meetings[m].duration, room))
    return out


def _hard_terms(instance: MeetingInstance, placed: list[_Placed], parts: Counter[str]) -> None:
    horizon = instance.horizon
    for r in range(len(instance.rooms)):
        for _a, _b, ov in _overlapping_pairs(p for p in placed if p.room == r):
            parts["room_conflict"] += ov
    for p in placed:
        last = p.end - 1
        if last >= horizon:
            parts["overtime"] += last
        elif instance.grains[p.start].day != instance.grains[last].day:
            parts["same_day"] += 1
        shortfall = instance.meetings[p.meeting].size - instance.rooms[p.room].capacity
        parts["room_capacity"] += max(0, shortfall)


def _attendee_terms(
    instance: MeetingInstance, placed: list[_Placed], parts: Counter[str], timefold: bool
) -> None:
    """Per-person terms: required/preferred conflicts and room stability."""
    by_person: dict[int, list[tuple[_Placed, bool]]] = {}
    for p in placed:
        meeting = instance.meetings[p.meeting]
        for person in meeting.required:
            by_person.setdefault(person, []).append((p, True))
        for person in meeting.preferred:
            by_person.setdefault(person, []).append((p, False))
    for items in by_person.values():
        required = {id(p): req for p, req in items}
        for a, b, ov in _overlapping_pairs(p for p, _ in items):
            ra, rb = required[id(a)], required[id(b)]
            if ra and rb:
                parts["required_conflict"] += ov
            elif ra or rb:
                parts["required_preferred_conflict"] += ov
            else:
                parts["preferred_conflict"] += ov
        parts["room_stability"] += _room_stability([p for p, _ in items], timefold)


def _room_stability(items: list[_Placed], timefold: bool) -> int:
    """Pairs of one person's meetings in different rooms, the second starting soon after."""
    ordered = sorted(items, key=lambda p: p.start)
    count = 0
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            gap = b.start - a.end
            if gap > STABILITY_GAP:
                break
            later = b.start > a.start if timefold else gap >= 0
            if later and a.room != b.room:
                count += 1
    return count


def _soft_terms(instance: MeetingInstance, placed: list[_Placed], parts: Counter[str]) -> None:
    capacities = [room.capacity for room in instance.rooms]
    starts = Counter(p.start for p in placed)
    for p in placed:
        parts["as_soon_as_possible"] += p.end - 1
        parts["break_between"] += BREAK_WEIGHT * starts[p.end]
        cap = capacities[p.room]
        parts["larger_rooms"] += sum(c - cap for c in capacities if c > cap)
    for _a, _b, ov in _overlapping_pairs(placed):
        parts["overlapping"] += OVERLAP_WEIGHT * ov
