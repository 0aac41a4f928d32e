"""Roster CSV in: ``planner import roster.csv --workspace DB``.

HR systems and spreadsheets export people lists in many shapes; this accepts the common
ones and refuses the rest with a row-precise message:

* columns (header row, any letter case and order): ``name``, ``email``, ``department``,
  ``queues`` (queue ids separated by ``;`` or ``|``; may be blank), optional ``timezone``
  (blank: the team zone) and optional ``id`` (default: a slug of the email's local part,
  made unique);
* ``,``-, ``;``- (Excel in many European locales) or tab-separated; UTF-8 with or without
  BOM, or UTF-16 with BOM (Excel's "Unicode text"); CRLF or LF line ends. Other encodings
  are refused with a hint instead of being guessed (a wrong guess garbles names silently).

Every row is validated with the domain model (``roster.csv: row 3: email: not an email
address``); rows are spreadsheet rows, the header being row 1. Nothing is imported unless
every row is valid and the merged scenario validates as a whole. People are merged by id,
else by email: new people are added, known ones get the roster's name, department, queues
and time zone; everything else about them (answers, limits, calendars, busy blocks) stays.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.domain.errors import InputError, Problem
from planner.domain.io import (
    decode_text,
    read_bytes,
    validate_scenario,
    validation_problems,
)
from planner.domain.models import Person, Scenario
from planner.store import Workspace

__all__ = ["COLUMNS", "RosterRow", "import_roster", "merge_roster", "read_roster"]

REQUIRED = ("name", "email", "department", "queues")
OPTIONAL = ("timezone", "id")
COLUMNS = (*REQUIRED, *OPTIONAL)


class RosterRow:
    """One valid roster row: the spreadsheet row number and its values."""

    __slots__ = ("department", "email", "id", "name", "queues", "row", "timezone")

    def __init__(
        self,
        row: int,
        *,
        name: str,
        email: str,
        department: str,
        queues: list[str],
        timezone: str | None,
        id: str | None,
    ) -> None:
        self.row = row
        self.name = name
        self.email = email
        self.department = department
        self.queues = queues
        self.timezone = timezone
        self.id = id


# ------------------------------------------------------------------------------ reading


_NOT_UTF8_HINT = "; save the file as 'CSV UTF-8' (Excel) or convert it to UTF-8"


def _decode(data: bytes, source: str) -> str:
    return decode_text(data, source, utf16=True, hint=_NOT_UTF8_HINT)


def _delimiter(header: str) -> str:
    """The separator the header uses most (outside quotes): ',', ';' or a tab."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_roster(data: bytes, source: str) -> tuple[list[RosterRow], set[str]]:
    """Parse and check every row (shape and per-person validity); all problems at once.

    Also the header's columns (a missing ``timezone`` column keeps people's zones)."""
    text = _decode(data, source)
    header_line = text.lstrip("\r\n").splitlines()[0]
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line)))
    except csv.Error as exc:
        raise InputError.single(source, f"not a readable CSV file ({exc})") from None
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
    if not records:
        raise InputError.single(source, "the file has no header row")
    header = [cell.strip().lower() for cell in records[0]]
    problems: list[Problem] = []
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        problems.append(
            Problem(
                source,
                "row 1",
                f"unknown column(s) {', '.join(map(repr, unknown))} "
                f"(expected {', '.join(COLUMNS)})",
            )
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(Problem(source, "row 1", f"missing column(s) {', '.join(missing)}"))
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        problems.append(Problem(source, "row 1", f"column(s) {', '.join(duplicated)} twice"))
    if problems:
        raise InputError(problems)
    index = {h: i for i, h in enumerate(header) if h}
    rows: list[RosterRow] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        extra = [c for i, c in enumerate(record) if i >= len(header) and c.strip()]
        if extra:
            problems.append(Problem(source, f"row {number}", "more cells than header columns"))
            continue

        def cell(column: str, record: list[str] = record) -> str:
            i = index.get(column)
            return record[i].strip() if i is not None and i < len(record) else ""

        row, row_problems = _row(source, number, cell)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)
    if not rows and not problems:
        problems.append(Problem(source, "", "no people in the file (only a header)"))
    if problems:
        raise InputError(problems)
    return rows, set(index)


def _row(
    source: str, number: int, cell: Callable[[str], str]
) -> tuple[RosterRow | None, list[Problem]]:
    where = f"row {number}"
    queues = [q.strip() for q in re.split(r"[;|]", cell("queues")) if q.strip()]
    data: dict[str, Any] = {
        "id": cell("id") or "placeholder",
        "name": cell("name"),
        "email": cell("email"),
        "department": cell("department"),
        "queues": queues,
        "timezone": cell("timezone") or None,
    }
    problems: list[Problem] = []
    for column in ("name", "email", "department"):
        if not data[column]:
            problems.append(Problem(source, f"{where}: {column}", "missing"))
    if problems:
        return None, problems
    try:
        person = Person.model_validate(data)
    except ValidationError as exc:
        return None, [
            Problem(source, f"{where}: {p.location}" if p.location else where, p.message)
            for p in validation_problems(source, exc)
        ]
    return (
        RosterRow(
            number,
            name=person.name,
            email=person.email,
            department=person.department,
            queues=person.queues,
            timezone=person.timezone,
            id=cell("id") or None,
        ),
        [],
    )


# ------------------------------------------------------------------------------ merging


def _slug(email: str) -> str:
    local = email.split("@", 1)[0].lower()
    slug = re.sub(r"[^a-z0-9_-]+", "-", local)
    slug = re.sub(r"-{2,}", "-", slug).strip("-_")[:56].strip("-_")
    return slug or "person"


def merge_roster(
    scenario: Scenario, rows: list[RosterRow], source: str, *, has_timezone: bool = True
) -> tuple[Scenario, list[str], list[str]]:
    """The scenario with the roster merged in, validated; plus (added ids, updated ids)."""
    people: list[dict[str, Any]] = [p.model_dump(mode="json") for p in scenario.people]
    by_id = {p["id"]: p for p in people}
    by_email = {p["email"].lower(): p for p in people}
    queue_ids = {q.id for q in scenario.queues}
    taken = set(by_id)
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    added: list[str] = []
    updated: list[str] = []
    for r in rows:
        where = f"row {r.row}"
        email = r.email.lower()
        if email in seen_emails:
            problems.append(Problem(source, f"{where}: email", f"also in row {seen_emails[email]}"))
            continue
        seen_emails[email] = r.row
        for j, q in enumerate(r.queues):
            if q not in queue_ids:
                problems.append(Problem(source, f"{where}: queues.{j}", f"unknown queue {q!r}"))
        target = by_id.get(r.id) if r.id else by_email.get(email)
        if r.id and target is not None:
            other = by_email.get(email)
            if other is not None and other is not target:
                problems.append(
                    Problem(
                        source,
                        f"{where}: email",
                        f"{r.email} belongs to person {other['id']!r}, not {r.id!r}",
                    )
                )
                continue
        pid = target["id"] if target is not None else (r.id or _unique(_slug(email), taken))
        if pid in seen_ids:
            problems.append(Problem(source, f"{where}: id", f"also in row {seen_ids[pid]}"))
            continue
        seen_ids[pid] = r.row
        taken.add(pid)
        values: dict[str, Any] = {
            "name": r.name,
            "email": r.email,
            "department": r.department,
            "queues": r.queues,
        }
        if has_timezone:
            values["timezone"] = r.timezone
        if target is None:
            record = {"id": pid, **values}
            people.append(record)
            by_id[pid] = record
            by_email[email] = record
            added.append(pid)
        else:
            target.update(values)
            updated.append(pid)
    if problems:
        raise InputError(problems)
    data = scenario.model_dump(mode="json")
    data["people"] = people
    data["activities"] = [a.model_dump(mode="json", exclude_none=True) for a in scenario.activities]
    try:
        merged = validate_scenario(data, source)
    except InputError as exc:
        raise InputError([_row_location(p, people, rows) for p in exc.problems]) from None
    return merged, added, updated


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _row_location(problem: Problem, people: list[dict[str, Any]], rows: list[RosterRow]) -> Problem:
    """Turn ``people.7.email`` into ``row 4: email`` when person 7 came from the roster."""
    m = re.match(r"^people\.(\d+)(?:\.(.*))?$", problem.location)
    if not m:
        return problem
    person = people[int(m.group(1))] if int(m.group(1)) < len(people) else None
    by_email = {r.email.lower(): r.row for r in rows}
    row = by_email.get(str(person["email"]).lower()) if person else None
    if row is None:
        return problem
    rest = m.group(2)
    return Problem(problem.source, f"row {row}: {rest}" if rest else f"row {row}", problem.message)


# ------------------------------------------------------------------------------ importing


def import_roster(ws: Workspace, path: Path) -> Callable[[], str]:
    """Validate the roster against the workspace's scenario; return the apply step."""
    source = str(path)
    data = read_bytes(path, source)
    rows, columns = read_roster(data, source)
    has_timezone = "timezone" in columns
    merge_roster(ws.load_scenario(), rows, source, has_timezone=has_timezone)

    def apply() -> str:
        # Merge again against the scenario as it is now: a scenario imported earlier in
        # the same command must not be overwritten by a merge computed before it. The read
        # and the write are one transaction (joining the import's, when there is one), so
        # another writer cannot slip in between and lose its update.
        with ws.write():
            merged, added, updated = merge_roster(
                ws.load_scenario(), rows, source, has_timezone=has_timezone
            )
            ws.save_scenario(merged, calendar_busy=None, label=f"import roster {path.name}")
        return f"{source}: {len(added)} people added, {len(updated)} updated"

    return apply


IMPORTERS = {"roster": import_roster}
"""What this module imports for ``planner import`` (read by :mod:`planner.service`)."""
