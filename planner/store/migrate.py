"""Run the workspace's Alembic revisions programmatically, on the caller's connection (inside
its write transaction), on SQLite and PostgreSQL alike; no ``alembic.ini`` is needed.

A workspace from before Alembic has only ``meta.schema_version``: version *n* is revision
``REVISIONS[n - 1]``; it is stamped with that revision, then upgraded.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select

from planner.store import schema as t

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


class NotAWorkspace(Exception):
    """The database holds tables that are not a planner workspace's."""


class NewerSchema(Exception):
    """The workspace was made by a newer planner; the message says which schema."""


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def known_revisions() -> list[str]:
    """Every revision the package ships, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def current_revision(conn: Connection) -> str | None:
    """The workspace's revision (None: an empty database, nothing created yet).

    Raises :class:`NotAWorkspace` for another program's tables and :class:`NewerSchema` for
    a revision or version this planner does not know."""
    names = set(inspect(conn).get_table_names())
    if not names:
        return None
    if "meta" not in names:
        raise NotAWorkspace
    row = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).first()
    if row is None or not str(row[0]).isdigit() or int(row[0]) < 1:
        # Every workspace has its version from its first transaction on: a ``meta`` table
        # without one is another program's.
        raise NotAWorkspace
    version = int(row[0])
    if version > t.SCHEMA_VERSION:
        raise NewerSchema(
            f"made by a newer planner (schema {version}, this one reads up to {t.SCHEMA_VERSION})"
        )
    if VERSION_TABLE not in names:
        return t.REVISIONS[version - 1]  # from before Alembic: stamped when upgraded
    rows = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").all()
    if len(rows) != 1:
        raise NotAWorkspace
    revision = str(rows[0][0])
    if revision not in t.REVISIONS:
        raise NewerSchema(
            f"made by a newer planner (schema revision {revision}, this one reads up to {t.HEAD})"
        )
    return revision


def upgrade(conn: Connection, revision: str | None) -> None:
    """Bring the workspace from ``revision`` (None: empty) to the newest, on ``conn``."""
    config = _config(conn)
    names = set(inspect(conn).get_table_names())
    if revision is not None and VERSION_TABLE not in names:
        command.stamp(config, revision)  # a workspace from before Alembic
    command.upgrade(config, "head")
