"""Workspaces as earlier planners left them: schema version ``n`` (``meta.schema_version``),
no Alembic stamp — the tables of that version, built by its revision, nothing newer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from planner.store import migrate
from planner.store import schema as t


def old_workspace(target: str | Path, version: int) -> None:
    """Create the workspace ``target`` (a SQLite path or a database URL) at ``version``."""
    url = str(target) if "://" in str(target) else f"sqlite:///{target}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), t.REVISIONS[version - 1])
        conn.exec_driver_sql(f"DROP TABLE {migrate.VERSION_TABLE}")
        conn.execute(
            t.meta.insert(),
            [
                {"key": "workspace_id", "value": str(uuid.uuid4())},
                {"key": "created_at", "value": datetime.now(UTC).isoformat()},
                {"key": "schema_version", "value": str(version)},
            ],
        )
    engine.dispose()
