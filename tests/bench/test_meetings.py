"""Meeting-scheduling benchmark: reader, exact scorer, solver and writer.

The scorer cases are tiny hand-built instances; every expected number is worked out by hand
from the definitions in issue 6 (see the comment above each case).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from planner.bench.meetings import meetings_table, run_meetings
from planner.bench.meetings.instance import load_instance, parse_instance
from planner.bench.meetings.score import score_assignment
from planner.bench.meetings.writer import dumps, solved_document
from planner.domain.errors import InputError

BENCH = Path(__file__).resolve().parents[1] / "data" / "meeting-benchmarks"
FILES = sorted(BENCH.glob("*meetings-*timegrains-*rooms.json"))
"""The two smallest public instances (Apache-2.0, see LICENSE and SOURCES.txt beside them)."""


def tiny_doc(
    meetings: list[tuple[int, list[int], list[int]]],
    *,
    capacities: tuple[int, ...] = (10, 4, 4),
    grains_per_day: tuple[int, ...] = (4, 4),
    people: int = 5,
) -> dict[str, Any]:
    """A Jackson-style document: objects in full in their lists, referenced by ``@id`` elsewhere.

    ``meetings`` holds (duration, required person ids, preferred person ids).
    """
    grains = []
    for day, count in enumerate(grains_per_day):
        for k in range(count):
            g = len(grains)
            grains.append(
                {
                    "@id": f"TimeGrain#{g}",
                    "id": g,
                    "grainIndex": g,
                    "day": f"Day#{day}",
                    "startingMinuteOfDay": 480 + 15 * k,
                }
            )
    meeting_list = []
    for i, (duration, required, preferred) in enumerate(meetings):
        meeting_list.append(
            {
                "@id": f"Meeting#{i}",
                "id": i,
                "topic": f"topic {i}",
                "durationInGrains": duration,
                "requiredAttendanceList": [
                    {"@type": "required", "@id": f"R#{i}_{p}", "person": f"Person#{p}"}
                    for p in required
                ],
                "preferredAttendanceList": [
                    {"@type": "preferred", "@id": f"P#{i}_{p}", "person": f"Person#{p}"}
                    for p in preferred
                ],
            }
        )
    return {
        "id": 0,
        "meetingList": meeting_list,
        "dayList": [
            {"@id": f"Day#{d}", "id": d, "dayOfYear": d + 1} for d in range(len(grains_per_day))
        ],
        "timeGrainList": grains,
        "roomList": [
            {"@id": f"Room#{r}", "id": r, "name": f"R {r}", "capacity": c}
            for r, c in enumerate(capacities)
        ],
        "personList": [{"@id": f"Person#{p}", "id": p, "fullName": f"P{p}"} for p in range(people)],
        "attendanceList": [],
        "meetingAssignmentList": [
            {"@id": f"MA#{i}", "id": i, "meeting": f"Meeting#{i}", "pinned": False}
            for i in range(len(meetings))
        ],
        "score": None,
    }


def score_of(
    meetings: list[tuple[int, list[int], list[int]]],
    placement: dict[int, tuple[int, int]],
    **kw: Any,
) -> tuple[int, int, int]:
    instance = parse_instance(json.dumps(tiny_doc(meetings)), source="tiny.json", name="tiny")
    s = score_assignment(instance, placement, **kw)
    return s.hard, s.medium, s.soft


# Rooms: R0 cap 10, R1 cap 4, R2 cap 4. "Larger rooms first": R0 costs 0, R1 and R2 cost 10-4 = 6.
# Days: grains 0-3 are day 0, grains 4-7 day 1.


def test_single_meeting_costs_only_its_last_grain() -> None:
    # asap: last grain 1; nothing else.
    assert score_of([(2, [0], [])], {0: (0, 0)}) == (0, 0, -1)


def test_room_conflict_and_overlapping_meetings() -> None:
    # Both in R0, [0,2) and [1,3): room overlap 1 (hard). Soft: asap 1+2, overlap 10*1.
    assert score_of([(2, [0], []), (2, [1], [])], {0: (0, 0), 1: (1, 0)}) == (-1, 0, -13)


def test_required_attendee_conflict_and_room_stability_variants() -> None:
    # Person 0 required in [0,2)@R0 and [1,4)@R1: overlap 1 (hard).
    # Soft: asap 1+3, overlap 10, R1 costs 6. Stability: the second starts before the first
    # ends, so not counted by our definition; Timefold's variant counts it (+1).
    meetings = [(2, [0], []), (3, [0], [])]
    placement = {0: (0, 0), 1: (1, 1)}
    assert score_of(meetings, placement) == (-1, 0, -20)
    assert score_of(meetings, placement, timefold_room_stability=True) == (-1, 0, -21)


def test_room_too_small() -> None:
    # Five attendees in R1 (capacity 4): shortfall 1. Soft: asap 0, R1 costs 6.
    assert score_of([(1, [0, 1, 2, 3], [4])], {0: (0, 1)}) == (-1, 0, -6)


def test_crossing_a_day_and_running_past_the_end() -> None:
    # [3,5) starts on day 0 and ends on day 1: 1 hard. [7,9) runs past grain 7: Timefold's weight,
    # the last grain index 8, and no day-change charge. Soft: asap 4 + 8.
    assert score_of([(2, [0], []), (2, [1], [])], {0: (3, 0), 1: (7, 0)}) == (-9, 0, -12)


def test_medium_required_preferred_and_preferred_preferred() -> None:
    # M0 [0,3)@R0 req{0} pref{1}; M1 [1,3)@R1 pref{0}; M2 [2,4)@R2 pref{1}.
    # Person 0: required M0 vs preferred M1 overlap 2. Person 1: preferred M0 vs M2 overlap 1.
    # Soft: asap 2+2+3 = 7; overlaps M0/M1 2, M0/M2 1, M1/M2 1 -> 40; rooms 6+6 = 12.
    # Stability: both pairs overlap, so 0 (Timefold's variant: 2).
    meetings = [(3, [0], [1]), (2, [], [0]), (2, [], [1])]
    placement = {0: (0, 0), 1: (1, 1), 2: (2, 2)}
    assert score_of(meetings, placement) == (0, -3, -59)
    assert score_of(meetings, placement, timefold_room_stability=True) == (0, -3, -61)


def test_break_and_room_stability() -> None:
    # Person 0: [0,1)@R0, [1,2)@R1, [4,5)@R0. Break: M1 starts as M0 ends (100).
    # Stability: M0->M1 gap 0 rooms differ (1); M1->M2 gap 2 rooms differ (1); M0->M2 gap 3.
    # Soft: asap 0+1+4, R1 costs 6: total 5 + 100 + 6 + 2.
    meetings = [(1, [0], []), (1, [0], []), (1, [0], [])]
    assert score_of(meetings, {0: (0, 0), 1: (1, 1), 2: (4, 0)}) == (0, 0, -113)


def test_unassigned_meetings_are_reported_separately() -> None:
    instance = parse_instance(
        json.dumps(tiny_doc([(1, [0], []), (1, [1], [])])), source="t.json", name="t"
    )
    score = score_assignment(instance, {0: (0, 0)})
    assert (score.hard, score.unassigned, score.feasible) == (0, 1, False)
    assert str(score) == "0hard/0medium/0soft (1 unassigned)"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name.split("-")[0])
def test_benchmark_instances_import(path: Path) -> None:
    match = re.match(r"(\d+)meetings-(\d+)timegrains-(\d+)rooms", path.name)
    assert match is not None
    instance = load_instance(path)
    assert len(instance.meetings) == int(match.group(1))
    assert instance.horizon == int(match.group(2))
    assert len(instance.rooms) == int(match.group(3))
    assert instance.current_assignment() == {}
    assert all(m.required for m in instance.meetings)


def test_solver_reaches_zero_hard_and_solution_round_trips(tmp_path: Path) -> None:
    source = next(p for p in FILES if p.name.startswith("50meetings"))
    out = tmp_path / "SOLVED.json"
    lines: list[str] = []
    result = run_meetings(source, out, time_limit=8.0, workers=2, seed=0, progress=lines.append)
    assert (result.hard, result.unassigned) == (0, 0)
    assert result.seconds_to_feasible is not None and result.seconds_to_feasible < 8.0
    assert lines and "hard/" in lines[-1]
    solved = load_instance(out)
    placement = solved.current_assignment()
    assert len(placement) == 50
    again = score_assignment(solved, placement)
    assert (again.hard, again.medium, again.soft) == (result.hard, result.medium, result.soft)
    doc = json.loads(out.read_text())
    first = doc["meetingAssignmentList"][0]
    assert re.fullmatch(r"TimeGrain#\d+", first["startingTimeGrain"])
    assert re.fullmatch(r"Room#\d+", first["room"])
    assert doc["score"] == f"0hard/{result.medium}medium/{result.soft}soft"
    assert result.instance in result.summary_line()
    assert meetings_table([result]).row_count == 1


def test_writer_keeps_structure_of_tiny_instance() -> None:
    doc = tiny_doc([(1, [0], []), (2, [1], [2])])
    instance = parse_instance(json.dumps(doc), source="t.json", name="t")
    written = solved_document(instance, {0: (4, 1)})
    assert written.keys() == doc.keys()
    assert written["meetingAssignmentList"][0]["startingTimeGrain"] == "TimeGrain#4"
    assert written["meetingAssignmentList"][0]["room"] == "Room#1"
    assert written["meetingAssignmentList"][1]["startingTimeGrain"] is None
    back = parse_instance(dumps(written), source="t.json", name="t")
    assert back.current_assignment() == {0: (4, 1)}


@pytest.mark.parametrize(
    ("mutate", "location"),
    [
        (lambda text: text[: len(text) // 2], "line"),
        (lambda text: text.replace('"roomList"', '"roomz"'), "missing key 'roomList'"),
        (lambda text: text.replace('"Person#1"', '"Person#99"', 1), "Person#99"),
        (lambda text: text.replace('"capacity": 10', '"capacity": "big"'), "roomList.0.capacity"),
    ],
    ids=["not-json", "missing-key", "dangling-reference", "wrong-type"],
)
def test_bad_input_names_the_file(tmp_path: Path, mutate: Any, location: str) -> None:
    bad = tmp_path / "broken-instance.json"
    bad.write_text(mutate(json.dumps(tiny_doc([(1, [0], [1])]))))
    with pytest.raises(InputError) as info:
        load_instance(bad)
    message = str(info.value)
    assert str(bad) in message
    assert location in message
