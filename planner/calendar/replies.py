"""RSVP replies in: ``planner import REPLY.ics --workspace DB`` (iTIP METHOD:REPLY).

RFC 5546 §3.2.3 and SPEC §6. Clients differ in what they send back, so the reader is
tolerant where it is harmless and strict where a mistake would change a plan:

* tolerant: ``mailto:`` in any letter case, a missing METHOD (a reply saved from a calendar
  rather than a mail: there other attendees may be echoed back, unanswered), several
  VEVENTs in one file, a ``urn:uuid:`` attendee whose ``EMAIL`` parameter names the address
  (Apple), ``X-MICROSOFT-CDO-APPT-SEQUENCE`` standing in for a missing SEQUENCE (Outlook);
* refused (exit 2, the whole file, nothing recorded): a VEVENT of a METHOD:REPLY naming
  more than one ATTENDEE, or any VEVENT answering for more than one (nobody answers for
  somebody else); a UID this workspace never published; an address that is nobody in the
  workspace or somebody never invited to that session; a SEQUENCE above the one sent to
  that attendee; a DTSTAMP more than a day in the future; a missing UID or DTSTAMP, and any
  malformed SEQUENCE or DTSTAMP (a date-time outside the years the planner handles too);
* ignored with a message (the rest of the file counts): a reply to a session that was
  cancelled, or from an attendee who was taken off it (sent a CANCEL) — they may have
  answered before the cancellation reached them;
* among valid replies the highest (SEQUENCE, DTSTAMP) wins: an older one never overwrites
  a newer one already recorded (checked inside the write transaction).

A DECLINED reply frees the seat: :meth:`Workspace.declined` keeps that person out of that
activity in the next solve, and it is never held against them.

Error messages name the file, ``event N`` and a reason written here; they never quote a
library exception (which would echo file content) and quote an attendee address only when
the UID is one of ours — a personal calendar imported by mistake is not echoed back — and
then with control characters escaped (:func:`shown`), so a hostile address cannot drive
the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar

from planner.domain.errors import InputError, Problem
from planner.domain.io import read_text
from planner.domain.models import YEARS
from planner.domain.text import escape_controls, visible
from planner.store import Workspace
from planner.store.invites import ReplyRecord, invitation, record_replies

__all__ = [
    "ANSWERS",
    "FUTURE_SLACK",
    "MAX_REPLY_BYTES",
    "ParsedAnswer",
    "clock",
    "import_reply",
    "parse_reply",
    "shown",
]

MAX_REPLY_BYTES = 2 * 1024 * 1024
"""A reply is a few kilobytes; anything far larger is not one."""

ANSWERS = frozenset({"ACCEPTED", "TENTATIVE", "DECLINED"})

FUTURE_SLACK = timedelta(days=1)
"""How far ahead of now a DTSTAMP may be (a client's clock may be off, not by more)."""

MAX_SEQUENCE = 2**31 - 1
"""RFC 5545 INTEGER is 32-bit; SEQUENCE is never negative."""


def clock() -> datetime:
    """Now, for the DTSTAMP check (tests replace it to match their fixtures' dates)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ParsedAnswer:
    """The one attendee's answer in one VEVENT, as the file states it (not yet matched)."""

    event: int
    """1-based number of the VEVENT in the file (for messages)."""
    uid: str
    email: str
    partstat: str
    sequence: int
    dtstamp: datetime
    """Aware, UTC."""


# ------------------------------------------------------------------------------ parsing


def parse_reply(text: str, source: str, *, now: datetime | None = None) -> list[ParsedAnswer]:
    """The answer of every VEVENT in a reply file; any fault refuses the whole file."""
    answers, problems = _read(text, source, now or clock())
    if problems:
        raise InputError(problems)
    return answers


def _read(text: str, source: str, now: datetime) -> tuple[list[ParsedAnswer], list[Problem]]:
    calendars = _parse(text, source)
    problems: list[Problem] = []
    answers: list[ParsedAnswer] = []
    number = 0
    for cal in calendars:
        method = str(cal.get("METHOD", "")).strip().upper()
        if method and method != "REPLY":
            kind = {"REQUEST": "an invitation", "CANCEL": "a cancellation"}.get(
                method, f"a METHOD:{shown(method, 20)} message"
            )
            raise InputError.single(source, f"this is {kind}, not a reply (METHOD:REPLY)")
        for event in cal.subcomponents:
            if event.name != "VEVENT":
                continue
            number += 1
            found = _answer(event, number, strict=method == "REPLY", now=now)
            if isinstance(found, str):
                problems.append(Problem(source, f"event {number}", found))
            else:
                answers.append(found)
    if number == 0:
        problems.append(Problem(source, "", "holds no VEVENT to reply to"))
    return answers, problems


def _answer(event: Any, number: int, *, strict: bool, now: datetime) -> ParsedAnswer | str:
    """One VEVENT's answer, or the reason it is refused."""
    for name in ("UID", "SEQUENCE", "DTSTAMP", "X-MICROSOFT-CDO-APPT-SEQUENCE"):
        if isinstance(event.get(name), list):
            return f"has more than one {name}"
    uid = str(event.get("UID", "")).strip()
    if not uid:
        return "has no UID"
    attendees = _list(event.get("ATTENDEE"))
    answering = [a for a in attendees if _partstat(a) in ANSWERS]
    if strict and len(attendees) > 1:
        return (
            f"names {len(attendees)} attendees; a reply names exactly one, "
            "the one answering (RFC 5546 §3.2.3)"
        )
    if len(answering) > 1:
        return f"answers for {len(answering)} attendees; a reply answers for exactly one"
    if not answering:
        return "no attendee answered (PARTSTAT ACCEPTED, TENTATIVE or DECLINED)"
    email = _email(answering[0])
    if email is None:
        return "the attendee has no email address"
    sequence = _event_sequence(event)
    if isinstance(sequence, str):
        return sequence
    stamp = _stamp(event.get("DTSTAMP"), now)
    if isinstance(stamp, str):
        return stamp
    return ParsedAnswer(number, uid, email, _partstat(answering[0]), sequence, stamp)


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


def _partstat(address: Any) -> str:
    return str(getattr(address, "params", {}).get("PARTSTAT", "")).strip().upper()


def _email(address: Any) -> str | None:
    """The address of an ATTENDEE: the mailto: URI in any case, else the EMAIL parameter
    (``urn:uuid:...`` values)."""
    text = str(address).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :].strip()
    elif "@" not in text or ":" in text:
        text = str(getattr(address, "params", {}).get("EMAIL", "")).strip()
        if text.lower().startswith("mailto:"):
            text = text[len("mailto:") :].strip()
    return text.lower() if "@" in text else None


def _event_sequence(event: Any) -> int | str:
    """SEQUENCE, else Outlook's X-MICROSOFT-CDO-APPT-SEQUENCE, else 0 (RFC 5545 default)."""
    for name in ("SEQUENCE", "X-MICROSOFT-CDO-APPT-SEQUENCE"):
        value = event.get(name)
        if value is None:
            continue
        number = _whole(value)
        if number is None:
            return f"{name} is not a whole number from 0 to {MAX_SEQUENCE}"
        return number
    return 0


_DIGITS = re.compile(r"\+?[0-9]{1,10}")


def _whole(value: Any) -> int | None:
    if isinstance(value, icalendar.vBroken):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = int(value)
    else:
        raw = value.to_ical() if hasattr(value, "to_ical") else value
        text = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)).strip()
        if not _DIGITS.fullmatch(text):  # ASCII digits, and few: int() reads any script, any length
            return None
        number = int(text)
    return number if 0 <= number <= MAX_SEQUENCE else None


def _stamp(value: Any, now: datetime) -> datetime | str:
    """DTSTAMP as an aware UTC instant (a floating one read as UTC), or why it is refused."""
    if value is None:
        return "has no DTSTAMP (when the reply was written; RFC 5546 requires it)"
    if isinstance(value, icalendar.vBroken):
        return "DTSTAMP is not a date-time"
    moment = getattr(value, "dt", None)
    if not isinstance(moment, datetime):
        return "DTSTAMP is not a date-time"
    first, last = YEARS
    # The year is checked before any conversion: year 1 or 9999 would overflow it.
    if not first <= moment.year <= last:
        return f"DTSTAMP is outside the years {first}–{last}"
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment > now + FUTURE_SLACK:
        return (
            f"DTSTAMP {moment:%Y-%m-%dT%H:%M:%SZ} is more than a day in the future "
            f"(now is {now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ})"
        )
    return moment


def shown(text: str, limit: int = 120) -> str:
    """``text`` safe for a one-line message: the CLI's rule for terminal controls
    (:func:`~planner.domain.text.escape_controls`), newlines and tabs escaped too, and cut
    at ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit] + "…"
    return escape_controls(text).replace("\n", visible("\n")).replace("\t", visible("\t"))


# ------------------------------------------------------------------------------ importing


def import_reply(ws: Workspace, path: Path) -> Callable[[], str]:
    """Validate a reply completely against the workspace, then return its apply step.

    Runs inside ``import_files``' write transaction: the invite state read here is the one
    the apply step writes against.
    """
    source = str(path)
    # Like a calendar file: UTF-8, or UTF-16 with a byte-order mark (Windows clients).
    text = read_text(path, source, max_bytes=MAX_REPLY_BYTES, utf16=True)
    answers, problems = _read(text, source, clock())
    people = {p.email.lower(): p for p in ws.load_scenario().people}
    records: list[ReplyRecord] = []
    labels: list[str] = []
    skipped: list[str] = []
    for a in answers:
        where = f"event {a.event}"
        person = people.get(a.email)
        state = invitation(ws, a.uid, person.id if person else None)
        if state is None:
            late = closed_round_session(ws, a.uid)
            if late is not None:
                # Not the participant's mistake (their calendar answered an invite we sent),
                # so a warning: the rest of the file and the import go ahead.
                skipped.append(f"{source}: {where}: ignored: {late}; nothing recorded")
                continue
            problems.append(Problem(source, where, "its UID is not an invite from this workspace"))
            continue
        sid = state.session_id
        if person is None:
            problems.append(
                Problem(source, where, f"{shown(a.email)} is not a person in this workspace")
            )
            continue
        who = f"{shown(a.email)} ({person.id})"
        if state.state == "never":
            problems.append(Problem(source, where, f"{who} was never invited to session {sid}"))
            continue
        if a.sequence > state.sequence:
            problems.append(
                Problem(
                    source,
                    where,
                    f"SEQUENCE {a.sequence} is above the {state.sequence} sent to {who} "
                    f"for session {sid}: it answers no invite that went out",
                )
            )
            continue
        if state.state == "cancelled":
            skipped.append(f"{source}: {where}: ignored: session {sid} was cancelled")
            continue
        if state.state == "uninvited":
            skipped.append(
                f"{source}: {where}: ignored: {who} was taken off session {sid} "
                "(a cancellation went to them)"
            )
            continue
        records.append(ReplyRecord(a.uid, person.id, a.partstat, a.sequence, a.dtstamp))
        labels.append(f"{person.id} {a.partstat.lower()} {sid}")
    if problems:
        raise InputError(problems)

    def apply() -> str:
        recorded, ignored = record_replies(ws, records)
        text = f"{source}: recorded {recorded} repl{'y' if recorded == 1 else 'ies'}"
        if labels and not ignored:
            text += f" ({', '.join(labels)})"
        if ignored:
            text += f"; ignored {ignored} older than the one already recorded"
        return "\n".join([text, *skipped])

    return apply


def closed_round_session(ws: Workspace, uid: str) -> str | None:
    """``a reply to round 3's Team lunch Tue 23 Mar 12:00, which is closed`` when ``uid`` is
    an invite of a closed round's session (held, not held or cancelled), else None.

    Closing retires a round's invites, but their UIDs are derived from the workspace id, the
    round and the session id (:meth:`Workspace.workspace_id`), so they are recomputed here.
    """
    from planner.calendar.invites import make_uid
    from planner.domain.timeutil import zone

    base = ws.meta("workspace_id")
    if base is None or not ws.has_scenario():
        return None
    scenario = ws.load_scenario()
    names = {a.id: a.name for a in scenario.activities}
    tz = zone(scenario.team.timezone)
    for row in reversed(ws.round_rows()):
        if row.state != "closed" or row.data is None:
            continue
        key = base if row.number <= 1 else f"{base}-r{row.number}"
        sessions = [*row.data.get("sessions", []), *row.data.get("cancelled_sessions", [])]
        for s in sessions:
            if make_uid(key, str(s.get("id", ""))) != uid:
                continue
            activity = escape_controls(
                names.get(str(s.get("activity")), str(s.get("activity", "")))
            )
            when = ""
            try:
                start = datetime.fromisoformat(str(s["start"]))
                when = f" {start.astimezone(tz):%a %d %b %H:%M}"
            except (KeyError, ValueError):
                pass
            cancelled = " (cancelled)" if s in row.data.get("cancelled_sessions", []) else ""
            return f"a reply to round {row.number}'s {activity}{when}{cancelled}, which is closed"
    return None


IMPORTERS = {"reply": import_reply}
"""What this module imports for ``planner import`` (read by :mod:`planner.service`)."""
