"""Reader for the public Timefold/OptaPlanner meeting-scheduling instances.

The files are written by Jackson with ``@JsonIdentityInfo``: an object appears in full (with an
``"@id"``) the first time it is serialised and afterwards only as its ``"@id"`` string. Jackson
also accepts forward references, so we first index every full object anywhere in the document and
only then resolve references. The result is a set of plain frozen dataclasses indexed by position,
which is what the scorer and the CP-SAT model want (dense integer indices, no string look-ups in
hot loops).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.domain.errors import InputError

JsonObj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Day:
    """A working day; ``index`` is its position in ``dayList``."""

    index: int
    key: str
    day_of_year: int


@dataclass(frozen=True, slots=True)
class TimeGrain:
    """A 15-minute slot; ``index`` is the global ``grainIndex`` (0..n-1, contiguous)."""

    index: int
    key: str
    day: int
    starting_minute: int


@dataclass(frozen=True, slots=True)
class Room:
    """A room; ``index`` is its position in ``roomList``."""

    index: int
    key: str
    id: int
    name: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Person:
    """An attendee; ``index`` is its position in ``personList``."""

    index: int
    key: str
    id: int
    full_name: str


@dataclass(frozen=True, slots=True)
class Meeting:
    """A meeting to place; attendees are person indices."""

    index: int
    key: str
    id: int
    topic: str
    duration: int
    required: tuple[int, ...]
    preferred: tuple[int, ...]
    entity_group: str | None = None

    @property
    def size(self) -> int:
        """Seats needed: Timefold's ``getRequiredCapacity`` (required + preferred)."""
        return len(self.required) + len(self.preferred)


@dataclass(frozen=True, slots=True)
class AssignmentSlot:
    """One ``meetingAssignmentList`` entry: which meeting, and its current placement if any."""

    index: int
    key: str
    meeting: int
    pinned: bool
    start: int | None
    room: int | None


@dataclass(frozen=True)
class MeetingInstance:
    """A fully resolved instance. ``raw`` keeps the parsed JSON so the writer can mirror it."""

    name: str
    source: str
    meetings: tuple[Meeting, ...]
    days: tuple[Day, ...]
    grains: tuple[TimeGrain, ...]
    rooms: tuple[Room, ...]
    people: tuple[Person, ...]
    slots: tuple[AssignmentSlot, ...]
    raw: JsonObj = field(compare=False, repr=False)

    @property
    def horizon(self) -> int:
        """Number of time grains; valid grain indices are ``0..horizon-1``."""
        return len(self.grains)

    def current_assignment(self) -> dict[int, tuple[int, int]]:
        """Placements already in the file (meeting index -> (start grain, room index))."""
        return {
            s.meeting: (s.start, s.room)
            for s in self.slots
            if s.start is not None and s.room is not None
        }


class _Reader:
    """Resolves one document; every error names the file and the JSON path."""

    def __init__(self, source: str, doc: JsonObj) -> None:
        self.source = source
        self.doc = doc
        self.by_id: dict[str, JsonObj] = {}
        for _loc, obj in _walk(doc, ""):
            ident = obj.get("@id")
            if isinstance(ident, str) and len(obj) > 1:
                self.by_id.setdefault(ident, obj)

    def fail(self, message: str, location: str) -> InputError:
        return InputError.single(self.source, message, location)

    def get(self, obj: Mapping[str, Any], key: str, loc: str, kind: type | tuple[type, ...]) -> Any:
        """Fetch a required key of the expected JSON type."""
        if key not in obj:
            raise self.fail(f"missing key {key!r}", loc)
        value = obj[key]
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise self.fail(f"expected {_kind_name(kind)}", _join(loc, key))
        return value

    def resolve(self, ref: Any, loc: str) -> JsonObj:
        """Turn a full object or an ``@id`` string into the full object."""
        if isinstance(ref, dict):
            ident = ref.get("@id")
            if isinstance(ident, str) and ident in self.by_id:
                return self.by_id[ident]
            if isinstance(ident, str):
                return ref
            raise self.fail("object without '@id'", loc)
        if isinstance(ref, str):
            if ref not in self.by_id:
                raise self.fail(f"dangling reference {ref!r}", loc)
            return self.by_id[ref]
        raise self.fail("expected an object or an '@id' reference", loc)

    def key_of(self, ref: Any, loc: str, index: Mapping[str, int]) -> int:
        """Position of the referenced object in its list."""
        obj = self.resolve(ref, loc)
        ident = obj["@id"]
        if ident not in index:
            raise self.fail(f"reference {ident!r} is not in the expected list", loc)
        return index[ident]

    def list_of(self, key: str) -> list[tuple[str, JsonObj]]:
        """A top-level list, each element resolved, with its location."""
        items = self.get(self.doc, key, "", list)
        return [(f"{key}.{i}", self.resolve(item, f"{key}.{i}")) for i, item in enumerate(items)]


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "an integer",
        bool: "a boolean",
    }
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _join(loc: str, key: str | int) -> str:
    return f"{loc}.{key}" if loc else str(key)


def _walk(node: Any, loc: str) -> Iterator[tuple[str, JsonObj]]:
    """Every JSON object in the document, depth first, with its location."""
    if isinstance(node, dict):
        yield loc, node
        for k, v in node.items():
            yield from _walk(v, _join(loc, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, _join(loc, i))


def load_instance(path: Path) -> MeetingInstance:
    """Read and resolve an instance file; any fault raises :class:`InputError` naming the file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(source, f"cannot read file: {exc}") from None
    return parse_instance(text, source=source, name=path.stem)


def parse_instance(text: str, *, source: str, name: str) -> MeetingInstance:
    """Parse instance JSON text (``source`` is only used in error messages)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.single(
            source, f"not valid JSON: {exc.msg}", f"line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(doc, dict):
        raise InputError.single(source, "expected a JSON object at the top level")
    reader = _Reader(source, doc)
    days = _read_days(reader)
    rooms = _read_rooms(reader)
    people = _read_people(reader)
    grains = _read_grains(reader, {d.key: d.index for d in days})
    meetings = _read_meetings(reader, {p.key: p.index for p in people})
    slots = _read_slots(
        reader,
        {m.key: m.index for m in meetings},
        {g.key: g.index for g in grains},
        {r.key: r.index for r in rooms},
    )
    return MeetingInstance(
        name=name,
        source=source,
        meetings=meetings,
        days=days,
        grains=grains,
        rooms=rooms,
        people=people,
        slots=slots,
        raw=doc,
    )


def _read_days(r: _Reader) -> tuple[Day, ...]:
    return tuple(
        Day(index=i, key=obj["@id"], day_of_year=r.get(obj, "dayOfYear", loc, int))
        for i, (loc, obj) in enumerate(r.list_of("dayList"))
    )


def _read_rooms(r: _Reader) -> tuple[Room, ...]:
    rooms = []
    for i, (loc, obj) in enumerate(r.list_of("roomList")):
        rooms.append(
            Room(
                index=i,
                key=obj["@id"],
                id=r.get(obj, "id", loc, int),
                name=str(obj.get("name", obj["@id"])),
                capacity=r.get(obj, "capacity", loc, int),
            )
        )
    if not rooms:
        raise r.fail("no rooms", "roomList")
    return tuple(rooms)


def _read_people(r: _Reader) -> tuple[Person, ...]:
    return tuple(
        Person(
            index=i,
            key=obj["@id"],
            id=r.get(obj, "id", loc, int),
            full_name=str(obj.get("fullName", obj["@id"])),
        )
        for i, (loc, obj) in enumerate(r.list_of("personList"))
    )


def _read_grains(r: _Reader, day_index: Mapping[str, int]) -> tuple[TimeGrain, ...]:
    grains = [
        TimeGrain(
            index=r.get(obj, "grainIndex", loc, int),
            key=obj["@id"],
            day=r.key_of(r.get(obj, "day", loc, (str, dict)), _join(loc, "day"), day_index),
            starting_minute=r.get(obj, "startingMinuteOfDay", loc, int),
        )
        for loc, obj in r.list_of("timeGrainList")
    ]
    grains.sort(key=lambda g: g.index)
    if [g.index for g in grains] != list(range(len(grains))):
        raise r.fail("grainIndex values must be 0..n-1 without gaps", "timeGrainList")
    if not grains:
        raise r.fail("no time grains", "timeGrainList")
    return tuple(grains)


def _read_attendees(
    r: _Reader, m: JsonObj, loc: str, key: str, people: Mapping[str, int]
) -> tuple[int, ...]:
    out = []
    for j, att in enumerate(r.get(m, key, loc, list)):
        aloc = f"{loc}.{key}.{j}"
        obj = r.resolve(att, aloc)
        out.append(r.key_of(r.get(obj, "person", aloc, (str, dict)), _join(aloc, "person"), people))
    return tuple(out)


def _read_meetings(r: _Reader, people: Mapping[str, int]) -> tuple[Meeting, ...]:
    meetings = []
    for i, (loc, obj) in enumerate(r.list_of("meetingList")):
        duration = r.get(obj, "durationInGrains", loc, int)
        if duration < 1:
            raise r.fail("durationInGrains must be at least 1", _join(loc, "durationInGrains"))
        group = obj.get("entityGroup")
        if isinstance(group, dict):
            group = group.get("@id")
        meetings.append(
            Meeting(
                index=i,
                key=obj["@id"],
                id=r.get(obj, "id", loc, int),
                topic=str(obj.get("topic", "")),
                duration=duration,
                required=_read_attendees(r, obj, loc, "requiredAttendanceList", people),
                preferred=_read_attendees(r, obj, loc, "preferredAttendanceList", people),
                entity_group=group if isinstance(group, str) else None,
            )
        )
    return tuple(meetings)


def _read_slots(
    r: _Reader,
    meetings: Mapping[str, int],
    grains: Mapping[str, int],
    rooms: Mapping[str, int],
) -> tuple[AssignmentSlot, ...]:
    slots = []
    for i, (loc, obj) in enumerate(r.list_of("meetingAssignmentList")):
        start_ref = obj.get("startingTimeGrain")
        room_ref = obj.get("room")
        slots.append(
            AssignmentSlot(
                index=i,
                key=obj["@id"],
                meeting=r.key_of(
                    r.get(obj, "meeting", loc, (str, dict)), _join(loc, "meeting"), meetings
                ),
                pinned=bool(obj.get("pinned", False)),
                start=None
                if start_ref is None
                else r.key_of(start_ref, _join(loc, "startingTimeGrain"), grains),
                room=None if room_ref is None else r.key_of(room_ref, _join(loc, "room"), rooms),
            )
        )
    seen = [s.meeting for s in slots]
    if len(set(seen)) != len(seen) or len(seen) != len(meetings):
        raise r.fail("every meeting needs exactly one assignment", "meetingAssignmentList")
    return tuple(slots)
