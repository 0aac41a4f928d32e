"""Schema version 3: who did what. Each undo entry names the organiser who made it; each
record (person, activity, venue, queue, answer, document) has a version, the organiser who
last changed it and when; ``meta.change_counter`` moves on every write.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("edit_log", sa.Column("organiser", sa.String(200), nullable=True))
    op.create_table(
        "record_changes",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("record_id", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("organiser", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(meta, [{"key": "change_counter", "value": "0"}])
