"""Workspace tables and their forward migrations.

Records the organiser edits (people, activities, venues, queues) are stored one row each as
validated JSON, so one edit is one row and undo can restore it; answers are a table of their
own because the answers matrix changes one cell at a time. Every migration only adds: nothing
a user entered is ever dropped by an upgrade.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# team, policy and history: one JSON document each.
documents = Table(
    "documents",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("data", JSON, nullable=False),
)


def _record_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("position", Integer, nullable=False),
        Column("data", JSON, nullable=False),
    )


people = _record_table("people")
activities = _record_table("activities")
venues = _record_table("venues")
queues = _record_table("queues")

RECORD_TABLES: dict[str, Table] = {
    "people": people,
    "activities": activities,
    "venues": venues,
    "queues": queues,
}

answers = Table(
    "answers",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("activity_id", String(64), primary_key=True),
    Column("answer", String(8), nullable=False),
)

# Busy blocks parsed from a person's calendar files: start and end only (privacy invariant 1).
calendar_busy = Table(
    "calendar_busy",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("source", String(32), nullable=False),
    Column("start", String(40), nullable=False),  # ISO 8601, UTC
    Column("end", String(40), nullable=False),
)

# Every plan made on this workspace; the newest published one is what invites describe.
plans = Table(
    "plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("schedule", JSON, nullable=False),
    Column("published", Boolean, nullable=False, default=False),
)

# What went out: one row per session ever published, with its UID and SEQUENCE.
published_sessions = Table(
    "published_sessions",
    metadata,
    Column("session_id", String(160), primary_key=True),
    Column("uid", String(255), nullable=False, unique=True),
    Column("sequence", Integer, nullable=False),
    Column("cancelled", Boolean, nullable=False, default=False),
    Column("data", JSON, nullable=False),
    Column("updated_at", DateTime(), nullable=False),
)

# What each person last received for each session (so a re-plan writes only changes).
sent_invites = Table(
    "sent_invites",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("session_id", String(160), primary_key=True),
    Column("sequence", Integer, nullable=False),
    Column("method", String(16), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("sent_at", DateTime(), nullable=False),
)

replies = Table(
    "replies",
    metadata,
    Column("uid", String(255), primary_key=True),
    Column("person_id", String(64), primary_key=True),
    Column("partstat", String(16), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("dtstamp", DateTime(), nullable=True),
    Column("received_at", DateTime(), nullable=False),
)

# The response last applied per person (poll id, and in received_at the time the response
# says it was written, naive UTC): an import ignores a response written no later (a replay).
responses = Table(
    "responses",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("poll_id", String(64), nullable=False),
    Column("received_at", DateTime(), nullable=False),
)

# Undo: the record as it was before each edit (None = it did not exist).
edit_log = Table(
    "edit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(), nullable=False),
    Column("label", String(200), nullable=False),
    Column("changes", JSON, nullable=False),
    UniqueConstraint("id"),
)


V1_TABLES = [
    meta,
    documents,
    people,
    activities,
    venues,
    queues,
    answers,
    calendar_busy,
    plans,
    published_sessions,
    sent_invites,
    replies,
    responses,
    edit_log,
]


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=V1_TABLES)


# The programme over time (SPEC §5). The current round is the one with the highest number;
# its horizon is the team's. A closed round keeps its horizon and, in ``data``, what
# happened (sessions held, who attended, who was opted in, the pairs that met): see
# ``planner.rounds``. ``planner forget`` rewrites ``data`` without the person.
rounds = Table(
    "rounds",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("state", String(16), nullable=False),  # open | closed (published is derived)
    Column("horizon_start", String(10), nullable=True),
    Column("horizon_end", String(10), nullable=True),
    Column("opened_at", DateTime(), nullable=False),
    Column("closed_at", DateTime(), nullable=True),
    Column("data", JSON, nullable=True),
)


def _v2(conn: Connection) -> None:
    """Rounds: a workspace from before them is in its round 1 (open, or published if invites
    went out: that part is derived from what was published)."""
    from datetime import UTC, datetime

    metadata.create_all(conn, tables=[rounds])
    conn.execute(
        rounds.insert().values(
            number=1, state="open", opened_at=datetime.now(UTC).replace(tzinfo=None)
        )
    )


MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2]
"""Forward migrations; index i brings a workspace from version i to i + 1."""

SCHEMA_VERSION = len(MIGRATIONS)
