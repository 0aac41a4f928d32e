"""RSVP replies in: ``planner import REPLY.ics --workspace DB`` (iTIP METHOD:REPLY).

Clients differ in what they send back, so the reader is tolerant where it is harmless and
strict where a mistake would change a plan:

* tolerant: ``mailto:`` in any letter case, a missing METHOD (a reply saved from a calendar
  rather than a mail), several VEVENTs in one file, an ``EMAIL`` parameter when the address
  is not a mailto: URI (Apple), other attendees echoed back with PARTSTAT=NEEDS-ACTION;
* strict: the UID must be one this workspace published, and every attendee who answers
  (ACCEPTED, TENTATIVE, DECLINED) must be a person invited to that session — otherwise the
  whole file is refused (exit 2) and nothing is recorded;
* an older reply (lower SEQUENCE, or same SEQUENCE and earlier DTSTAMP) never overwrites a
  newer one already recorded (checked inside the write transaction).

A DECLINED reply frees the seat: :meth:`Workspace.declined` keeps that person out of that
activity in the next solve.

Error messages name the file, ``event N`` and a reason written here; they never quote a
library exception (which would echo file content) and quote an attendee address only when
the UID is one of ours — a personal calendar imported by mistake is not echoed back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar

from planner.domain.errors import InputError, Problem
from planner.domain.io import read_text
from planner.service import IMPORTERS
from planner.store import Workspace
from planner.store.invites import ReplyRecord, published_rows, record_replies, sent_rows

__all__ = ["ANSWERS", "MAX_REPLY_BYTES", "ParsedAnswer", "import_reply", "parse_reply"]

MAX_REPLY_BYTES = 2 * 1024 * 1024
"""A reply is a few kilobytes; anything far larger is not one."""

ANSWERS = frozenset({"ACCEPTED", "TENTATIVE", "DECLINED"})


@dataclass(frozen=True)
class ParsedAnswer:
    """One attendee's answer to one event, as the file states it (not yet matched)."""

    event: int
    """1-based number of the VEVENT in the file (for messages)."""
    uid: str
    email: str
    partstat: str
    sequence: int
    dtstamp: datetime | None


def parse_reply(text: str, source: str) -> list[ParsedAnswer]:
    """Every answering attendee of every VEVENT in a reply file."""
    calendars = _parse(text, source)
    problems: list[Problem] = []
    answers: list[ParsedAnswer] = []
    number = 0
    for cal in calendars:
        method = str(cal.get("METHOD", "")).strip().upper()
        if method and method != "REPLY":
            kind = {"REQUEST": "an invitation", "CANCEL": "a cancellation"}.get(
                method, f"a METHOD:{method} message"
            )
            raise InputError.single(source, f"this is {kind}, not a reply (METHOD:REPLY)")
        for event in cal.subcomponents:
            if event.name != "VEVENT":
                continue
            number += 1
            where = f"event {number}"
            uid = str(event.get("UID", "")).strip()
            if not uid:
                problems.append(Problem(source, where, "has no UID"))
                continue
            sequence = _sequence(event.get("SEQUENCE"))
            if sequence is None:
                problems.append(Problem(source, where, "SEQUENCE is not a whole number"))
                continue
            stamp = _stamp(event.get("DTSTAMP"))
            found = False
            for address in _list(event.get("ATTENDEE")):
                partstat = str(getattr(address, "params", {}).get("PARTSTAT", "")).upper()
                if partstat not in ANSWERS:
                    continue
                email = _email(address)
                if email is None:
                    problems.append(Problem(source, where, "an attendee has no email address"))
                    continue
                found = True
                answers.append(ParsedAnswer(number, uid, email, partstat, sequence, stamp))
            if not found and not any(p.location == where for p in problems):
                problems.append(
                    Problem(
                        source,
                        where,
                        "no attendee answered (PARTSTAT ACCEPTED, TENTATIVE or DECLINED)",
                    )
                )
    if number == 0:
        problems.append(Problem(source, "", "holds no VEVENT to reply to"))
    if problems:
        raise InputError(problems)
    return answers


def _parse(text: str, source: str) -> list[Any]:
    error = False
    calendars: list[Any] = []
    try:
        calendars = list(icalendar.Calendar.from_ical(text, multiple=True))
    except Exception:
        error = True
    if error or not calendars or any(c.name != "VCALENDAR" for c in calendars):
        # Raised outside the except block: the library's message quotes the input.
        raise InputError.single(source, "not an iCalendar file (BEGIN:VCALENDAR ... END:VCALENDAR)")
    return calendars


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _email(address: Any) -> str | None:
    """The address of an ATTENDEE: the mailto: URI in any case, else the EMAIL parameter."""
    text = str(address).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :].strip()
    elif "@" not in text or ":" in text:
        text = str(getattr(address, "params", {}).get("EMAIL", "")).strip()
    return text.lower() if "@" in text else None


def _sequence(value: Any) -> int | None:
    if value is None:
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def _stamp(value: Any) -> datetime | None:
    moment = getattr(value, "dt", None)
    if isinstance(moment, datetime):
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return None


# ------------------------------------------------------------------------------ importing


def import_reply(ws: Workspace, path: Path) -> Callable[[], str]:
    """Validate a reply completely against the workspace, then return its apply step."""
    source = str(path)
    # Like a calendar file: UTF-8, or UTF-16 with a byte-order mark (Windows clients).
    text = read_text(path, source, max_bytes=MAX_REPLY_BYTES, utf16=True)
    answers = parse_reply(text, source)
    published = {row.uid: row for row in published_rows(ws).values()}
    sent = sent_rows(ws)
    people = {p.email.lower(): p for p in ws.load_scenario().people}
    problems: list[Problem] = []
    records: list[ReplyRecord] = []
    labels: list[str] = []
    for a in answers:
        where = f"event {a.event}"
        row = published.get(a.uid)
        if row is None:
            problems.append(Problem(source, where, "its UID is not an invite from this workspace"))
            continue
        person = people.get(a.email)
        if person is None:
            problems.append(Problem(source, where, f"{a.email} is not a person in this workspace"))
            continue
        invited = (person.id, row.session_id) in sent or person.id in row.session.attendees
        if not invited:
            problems.append(
                Problem(
                    source,
                    where,
                    f"{a.email} ({person.id}) was never invited to session {row.session_id}",
                )
            )
            continue
        records.append(ReplyRecord(a.uid, person.id, a.partstat, a.sequence, a.dtstamp))
        labels.append(f"{person.id} {a.partstat.lower()} {row.session_id}")
    if problems:
        raise InputError(problems)

    def apply() -> str:
        recorded, ignored = record_replies(ws, records)
        text = f"{source}: recorded {recorded} repl{'y' if recorded == 1 else 'ies'}"
        if labels and not ignored:
            text += f" ({', '.join(labels)})"
        if ignored:
            text += f"; ignored {ignored} older than the one already recorded"
        return text

    return apply


IMPORTERS["reply"] = import_reply
