"""Schema version 1: the scenario, answers, busy blocks, plans, invites, replies, undo.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _record_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    for name in ("people", "activities", "venues", "queues"):
        _record_table(name)
    op.create_table(
        "answers",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("activity_id", sa.String(64), primary_key=True),
        sa.Column("answer", sa.String(8), nullable=False),
    )
    op.create_table(
        "calendar_busy",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("start", sa.String(40), nullable=False),
        sa.Column("end", sa.String(40), nullable=False),
    )
    op.create_index("ix_calendar_busy_person_id", "calendar_busy", ["person_id"])
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("schedule", sa.JSON, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
    )
    op.create_table(
        "published_sessions",
        sa.Column("session_id", sa.String(160), primary_key=True),
        sa.Column("uid", sa.String(255), nullable=False, unique=True),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "sent_invites",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(160), primary_key=True),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "replies",
        sa.Column("uid", sa.String(255), primary_key=True),
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("partstat", sa.String(16), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("dtstamp", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "responses",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("poll_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "edit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.UniqueConstraint("id"),
    )
