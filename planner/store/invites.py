"""SQL for what went out and what came back: published sessions, sent invites, RSVP replies.

The calendar package decides *what* to send; this module only remembers it, so that SQL
stays inside ``planner.store``. A publication is written in one transaction (sessions and
per-person rows together): a crash leaves either the old state or the new one, never a
half-recorded re-plan that would make the next diff send the wrong updates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, insert, select, update

from planner.domain.schedule import PlannedSession
from planner.store import schema as t
from planner.store.workspace import Workspace

__all__ = [
    "Invitation",
    "PublishedRow",
    "ReplyRecord",
    "ReplyRow",
    "SentRow",
    "invitation",
    "list_replies",
    "published_rows",
    "record_publication",
    "record_replies",
    "sent_rows",
]


def _naive_utc(value: datetime) -> datetime:
    """The store's DateTime columns hold naive UTC (as the workspace does elsewhere)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PublishedRow:
    """One session as last published: its UID, SEQUENCE and the plan's view of it."""

    session_id: str
    uid: str
    sequence: int
    cancelled: bool
    session: PlannedSession


@dataclass(frozen=True)
class SentRow:
    """What one person last received for one session."""

    person_id: str
    session_id: str
    sequence: int
    method: str
    digest: str
    sent_at: datetime | None = None


@dataclass(frozen=True)
class ReplyRecord:
    """One RSVP to store (the newest per UID and person wins)."""

    uid: str
    person_id: str
    partstat: str
    sequence: int
    dtstamp: datetime | None


@dataclass(frozen=True)
class ReplyRow:
    """One recorded RSVP, joined with the session it answers (for the TUI and the CLI)."""

    uid: str
    session_id: str | None
    activity: str | None
    start: datetime | None
    person_id: str
    partstat: str
    sequence: int
    dtstamp: datetime | None
    received_at: datetime


# ------------------------------------------------------------------------------ reading


def published_rows(ws: Workspace, *, include_cancelled: bool = True) -> dict[str, PublishedRow]:
    """Every session ever published, by session id (cancelled ones too, by default)."""
    with ws.read() as conn:
        return _published(conn, include_cancelled)


def _published(conn: Connection, include_cancelled: bool) -> dict[str, PublishedRow]:
    query = select(
        t.published_sessions.c.session_id,
        t.published_sessions.c.uid,
        t.published_sessions.c.sequence,
        t.published_sessions.c.cancelled,
        t.published_sessions.c.data,
    )
    if not include_cancelled:
        query = query.where(t.published_sessions.c.cancelled.is_(False))
    return {
        sid: PublishedRow(sid, uid, int(seq), bool(cancelled), PlannedSession.model_validate(data))
        for sid, uid, seq, cancelled, data in conn.execute(query)
    }


def sent_rows(ws: Workspace) -> dict[tuple[str, str], SentRow]:
    """What each person last received, by (person id, session id)."""
    with ws.read() as conn:
        rows = conn.execute(
            select(
                t.sent_invites.c.person_id,
                t.sent_invites.c.session_id,
                t.sent_invites.c.sequence,
                t.sent_invites.c.method,
                t.sent_invites.c.digest,
                t.sent_invites.c.sent_at,
            )
        )
        return {
            (pid, sid): SentRow(pid, sid, int(seq), method, dig, _aware(at))
            for pid, sid, seq, method, dig, at in rows
        }


InvitationState = Literal["invited", "uninvited", "cancelled", "never"]


@dataclass(frozen=True)
class Invitation:
    """Where one person stands with one published session: what an RSVP is checked against.

    ``state`` is ``invited`` (their latest message for it is a REQUEST and the session is
    live), ``uninvited`` (their latest message is a CANCEL naming them, the session goes on
    without them), ``cancelled`` (the whole session was cancelled) or ``never`` (nothing
    for that session ever went to them).
    """

    session_id: str
    person_id: str | None
    state: InvitationState
    sequence: int
    """The highest SEQUENCE this workspace may have sent them for the session: a reply
    naming a higher one answers an invite that never went out."""


def invitation(ws: Workspace, uid: str, person_id: str | None) -> Invitation | None:
    """The invite state of ``person_id`` for the session published under ``uid``.

    None when no session was ever published under that UID. ``person_id`` None (an address
    that is nobody in the workspace) gives state ``never``. Inside an open write transaction
    this reads through it (``Workspace.read``), so an import checks what it will write to.
    """
    with ws.read() as conn:
        row = conn.execute(
            select(
                t.published_sessions.c.session_id,
                t.published_sessions.c.sequence,
                t.published_sessions.c.cancelled,
                t.published_sessions.c.data,
            ).where(t.published_sessions.c.uid == uid)
        ).first()
        if row is None:
            return None
        session_id, session_sequence, cancelled, data = row
        sent = None
        if person_id is not None:
            sent = conn.execute(
                select(t.sent_invites.c.sequence, t.sent_invites.c.method).where(
                    t.sent_invites.c.person_id == person_id,
                    t.sent_invites.c.session_id == session_id,
                )
            ).first()
    session_sequence = int(session_sequence)
    attendee = person_id is not None and person_id in data.get("attendees", [])
    state: InvitationState
    if sent is None:
        # Nothing recorded for them: only a current attendee (a workspace published before
        # per-person rows were kept) was sent anything, at the session's SEQUENCE.
        state = ("cancelled" if cancelled else "invited") if attendee else "never"
        return Invitation(session_id, person_id, state, session_sequence)
    sequence, method = int(sent[0]), str(sent[1])
    if cancelled:
        state = "cancelled"
    elif method == "CANCEL":
        state = "uninvited"
    else:
        state = "invited"
        # ``export invites`` re-sends every current invite at the session's SEQUENCE
        # without a new per-person row: a current attendee may hold that one.
        sequence = max(sequence, session_sequence)
    return Invitation(session_id, person_id, state, sequence)


# ------------------------------------------------------------------------------ writing


def record_publication(
    ws: Workspace,
    sessions: Sequence[PublishedRow],
    sent: Sequence[SentRow],
    *,
    at: datetime | None = None,
) -> None:
    """Upsert published sessions and per-person sent rows in one transaction."""
    stamp = _naive_utc(at or datetime.now(UTC))
    with ws.write() as conn:
        existing = {r[0] for r in conn.execute(select(t.published_sessions.c.session_id))}
        for row in sessions:
            values: dict[str, Any] = {
                "uid": row.uid,
                "sequence": row.sequence,
                "cancelled": row.cancelled,
                "data": json.loads(row.session.model_dump_json()),
                "updated_at": stamp,
            }
            if row.session_id in existing:
                conn.execute(
                    update(t.published_sessions)
                    .where(t.published_sessions.c.session_id == row.session_id)
                    .values(**values)
                )
            else:
                conn.execute(
                    insert(t.published_sessions).values(session_id=row.session_id, **values)
                )
        sent_keys = {
            (pid, sid)
            for pid, sid in conn.execute(
                select(t.sent_invites.c.person_id, t.sent_invites.c.session_id)
            )
        }
        for s in sent:
            values = {
                "sequence": s.sequence,
                "method": s.method,
                "digest": s.digest,
                "sent_at": stamp,
            }
            if (s.person_id, s.session_id) in sent_keys:
                conn.execute(
                    update(t.sent_invites)
                    .where(
                        t.sent_invites.c.person_id == s.person_id,
                        t.sent_invites.c.session_id == s.session_id,
                    )
                    .values(**values)
                )
            else:
                conn.execute(
                    insert(t.sent_invites).values(
                        person_id=s.person_id, session_id=s.session_id, **values
                    )
                )


def record_replies(
    ws: Workspace, replies: Sequence[ReplyRecord], *, received_at: datetime | None = None
) -> tuple[int, int]:
    """Store replies unless an equal-or-newer one is already recorded.

    Returns (recorded, ignored as older). The comparison runs inside the write transaction,
    so two imports racing on one workspace cannot let an older reply win. Older means a
    lower SEQUENCE, or the same SEQUENCE and an earlier DTSTAMP (a reply without DTSTAMP
    does not replace one that has it: it cannot be shown to be newer).
    """
    stamp = _naive_utc(received_at or datetime.now(UTC))
    recorded = ignored = 0
    with ws.write() as conn:
        for r in replies:
            current = conn.execute(
                select(t.replies.c.sequence, t.replies.c.dtstamp).where(
                    t.replies.c.uid == r.uid, t.replies.c.person_id == r.person_id
                )
            ).first()
            new_stamp = None if r.dtstamp is None else _naive_utc(r.dtstamp)
            values = {
                "partstat": r.partstat,
                "sequence": r.sequence,
                "dtstamp": new_stamp,
                "received_at": stamp,
            }
            if current is None:
                conn.execute(insert(t.replies).values(uid=r.uid, person_id=r.person_id, **values))
                recorded += 1
                continue
            if _older(r.sequence, new_stamp, int(current[0]), current[1]):
                ignored += 1
                continue
            conn.execute(
                update(t.replies)
                .where(t.replies.c.uid == r.uid, t.replies.c.person_id == r.person_id)
                .values(**values)
            )
            recorded += 1
    return recorded, ignored


def _older(
    sequence: int, stamp: datetime | None, old_sequence: int, old_stamp: datetime | None
) -> bool:
    if sequence != old_sequence:
        return sequence < old_sequence
    if old_stamp is None:
        return False
    if stamp is None:
        return True
    return stamp < old_stamp


def list_replies(ws: Workspace) -> list[ReplyRow]:
    """Every recorded RSVP with its session, ordered by session start, then person."""
    with ws.read() as conn:
        rows = conn.execute(
            select(
                t.replies.c.uid,
                t.published_sessions.c.session_id,
                t.published_sessions.c.data,
                t.replies.c.person_id,
                t.replies.c.partstat,
                t.replies.c.sequence,
                t.replies.c.dtstamp,
                t.replies.c.received_at,
            ).outerjoin(t.published_sessions, t.published_sessions.c.uid == t.replies.c.uid)
        ).all()
    out: list[ReplyRow] = []
    for uid, sid, data, pid, partstat, seq, dtstamp, received in rows:
        session = PlannedSession.model_validate(data) if data is not None else None
        out.append(
            ReplyRow(
                uid=uid,
                session_id=sid,
                activity=session.activity if session else None,
                start=session.start if session else None,
                person_id=pid,
                partstat=partstat,
                sequence=int(seq),
                dtstamp=_aware(dtstamp),
                received_at=_aware(received) or datetime.now(UTC),
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    out.sort(key=lambda r: (r.start or far, r.session_id or r.uid, r.person_id))
    return out
