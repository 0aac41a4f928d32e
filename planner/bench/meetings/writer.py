"""Write a solved instance in the input's own Jackson format.

We copy the parsed input document untouched and only fill each ``meetingAssignment``'s
``startingTimeGrain`` and ``room``. They are written as ``@id`` strings (``"TimeGrain#17"``,
``"Room#2"``), exactly as the file already refers to meetings and days: the full objects appear in
``timeGrainList`` and ``roomList``, and Jackson's identity resolver accepts references to them. The
``score`` field takes Timefold's ``HardMediumSoftScore`` text form (``0hard/-12medium/-345soft``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from planner.bench.meetings.instance import MeetingInstance, parse_instance
from planner.bench.meetings.score import Assignment, MeetingScore
from planner.files import write_private


def solved_document(
    instance: MeetingInstance, assignment: Assignment, score: MeetingScore | None = None
) -> dict[str, Any]:
    """The input document with the assignment (and score) filled in."""
    doc = copy.deepcopy(instance.raw)
    entries = doc["meetingAssignmentList"]
    by_id = _full_objects(doc)
    for slot in instance.slots:
        entry = entries[slot.index]
        if isinstance(entry, str):
            entry = by_id[entry]
        placed = assignment.get(slot.meeting)
        entry["startingTimeGrain"] = None if placed is None else instance.grains[placed[0]].key
        entry["room"] = None if placed is None else instance.rooms[placed[1]].key
    if score is not None:
        doc["score"] = f"{score.hard}hard/{score.medium}medium/{score.soft}soft"
    return doc


def _full_objects(node: Any, found: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Index every full ``@id`` object of the document (for string entries in the list)."""
    found = {} if found is None else found
    if isinstance(node, dict):
        ident = node.get("@id")
        if isinstance(ident, str) and len(node) > 1:
            found.setdefault(ident, node)
        for value in node.values():
            _full_objects(value, found)
    elif isinstance(node, list):
        for value in node:
            _full_objects(value, found)
    return found


def dumps(doc: dict[str, Any]) -> str:
    """Pretty-print close to Jackson's default printer (``"key" : value``, two-space indent)."""
    return json.dumps(doc, indent=2, separators=(",", " : "), ensure_ascii=False) + "\n"


def write_solution(
    path: Path,
    instance: MeetingInstance,
    assignment: Assignment,
    score: MeetingScore | None = None,
) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file behind, and
    never over a workspace, a device, a symlink or a directory (:mod:`planner.files`)."""
    text = dumps(solved_document(instance, assignment, score))
    parse_instance(text, source=str(path), name=path.stem)  # never write what we cannot read
    write_private(path, text)
