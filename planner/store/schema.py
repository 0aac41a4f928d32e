"""Workspace tables (their history: the Alembic revisions in ``migrations/versions``).

Records the organiser edits (people, activities, venues, queues) are stored one row each as
validated JSON, so one edit is one row and undo can restore it; answers are a table of their
own because the answers matrix changes one cell at a time. Every migration only adds: nothing
a user entered is ever dropped by an upgrade.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
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
    Column("organiser", String(200), nullable=True),  # from schema 3 on
    UniqueConstraint("id"),
)


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


# Who last changed each record (kind: people, activities, venues, queues, answers — id
# ``person/activity`` —, documents), and its version: an edit based on a stale read is refused.
record_changes = Table(
    "record_changes",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("record_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("organiser", String(200), nullable=False),
    Column("at", DateTime(), nullable=False),
)

REVISIONS = ["0001", "0002", "0003"]
"""The Alembic revisions (planner/store/migrations/versions), oldest first: revision i + 1
is schema version i + 1, which ``meta.schema_version`` also holds (for planners from before
Alembic, which refuse a version newer than theirs)."""

SCHEMA_VERSION = len(REVISIONS)
HEAD = REVISIONS[-1]
