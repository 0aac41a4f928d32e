"""``planner workspace upgrade DB`` and ``planner workspace copy SRC DST``.

A copy carries every row of every table — the workspace's id (so invites keep their UIDs),
its poll key, rounds, responses, RSVPs, the undo log — from a SQLite file to a PostgreSQL
database or back, in one write transaction on the destination. The destination must be
new: a file that does not exist yet or an empty database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Integer, inspect, select
from sqlalchemy.exc import DatabaseError

from planner.store import migrate
from planner.store import schema as t
from planner.store.workspace import (
    Workspace,
    WorkspaceError,
    _parse_url,
    _shown,
    _sqlite_file,
    _url_engine,
)


def upgrade(target: str) -> tuple[str | None, str]:
    """Upgrade the workspace in place; returns its revision before and after."""
    before = peek_revision(target)
    with Workspace.open(target, create=False):
        pass
    return before, t.HEAD


def peek_revision(target: str) -> str | None:
    """The workspace's revision, read without changing anything (None: nothing there)."""
    if "://" not in target or _sqlite_file(_parse_url(target)):
        path = Path(str(_parse_url(target).database) if "://" in target else target).expanduser()
        if not path.exists():
            raise WorkspaceError(f"{path}: no such workspace")
        if path.stat().st_size == 0:
            return None
    probe = _probe(target)
    try:
        with probe.engine.connect() as conn:
            return migrate.current_revision(conn)
    except migrate.NotAWorkspace:
        raise WorkspaceError(
            f"{probe.location}: this database is not a planner workspace"
        ) from None
    except migrate.NewerSchema as exc:
        raise WorkspaceError(f"{probe.location}: {exc}") from None
    except DatabaseError as exc:
        probe._raise_if_unusable(exc)
        raise
    finally:
        probe.engine.dispose()


def _probe(target: str) -> Workspace:
    """A Workspace object on ``target`` that has not migrated or created anything."""
    from planner.store.workspace import _sqlite_engine

    if "://" in target and not _sqlite_file(_parse_url(target)):
        engine, shown = _url_engine(_parse_url(target))
        return Workspace(engine, shown, [])
    path = Path(str(_parse_url(target).database) if "://" in target else target).expanduser()
    return Workspace(_sqlite_engine(path), str(path), [])


def _refuse_unless_empty(target: str) -> None:
    if "://" not in target or _sqlite_file(_parse_url(target)):
        path = Path(str(_parse_url(target).database) if "://" in target else target).expanduser()
        if path.exists():
            raise WorkspaceError(
                f"{path}: already exists; copy into a new file (nothing was changed)"
            )
        return
    probe = _probe(target)
    try:
        with probe.engine.connect() as conn:
            names = inspect(conn).get_table_names()
    except DatabaseError as exc:
        probe._raise_if_unusable(exc)
        raise
    finally:
        probe.engine.dispose()
    if names:
        raise WorkspaceError(
            f"{probe.location}: not empty ({len(names)} tables); copy into an empty database "
            "(nothing was changed)"
        )


def copy(source: str, destination: str) -> dict[str, int]:
    """Copy the workspace ``source`` into the new ``destination``; returns rows per table."""
    counts: dict[str, int] = {}
    with Workspace.open(source, create=False) as src:
        _refuse_unless_empty(destination)
        with Workspace.open(destination) as dst, src.read() as rconn, dst.write() as wconn:
            for table in t.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in rconn.execute(select(table))]
                wconn.execute(table.delete())
                if rows:
                    wconn.execute(table.insert(), rows)
                counts[table.name] = len(rows)
                if wconn.dialect.name == "postgresql":
                    for column in table.primary_key.columns:
                        if isinstance(column.type, Integer) and column.autoincrement is True:
                            _reset_sequence(wconn, table.name, column.name)
    return counts


def _reset_sequence(conn: Connection, table: str, column: str) -> None:
    """After rows with their own ids went in, the next id PostgreSQL hands out follows them."""
    conn.exec_driver_sql(
        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
        f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)'
    )


def shown(target: str) -> str:
    """``target`` as messages show it (a URL without its password)."""
    if "://" not in target:
        return str(Path(target).expanduser())
    parsed = _parse_url(target)
    return str(parsed.database) if _sqlite_file(parsed) else _shown(parsed)
