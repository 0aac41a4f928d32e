"""Schema version 2: rounds. A workspace from before them is in its round 1 (open, or
published if invites went out: that part is derived from what was published).

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rounds = op.create_table(
        "rounds",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("horizon_start", sa.String(10), nullable=True),
        sa.Column("horizon_end", sa.String(10), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("data", sa.JSON, nullable=True),
    )
    op.bulk_insert(
        rounds,
        [{"number": 1, "state": "open", "opened_at": datetime.now(UTC).replace(tzinfo=None)}],
    )
