"""The workspace: the organiser's durable state in one SQLite file (or a SQLAlchemy URL).

Every change is one transaction that takes the write lock up front (``BEGIN IMMEDIATE``),
so two processes writing one workspace serialise instead of losing an update; a writer that
cannot get the lock within :data:`BUSY_TIMEOUT_SECONDS` gets :class:`WorkspaceBusy`. The
file is created owner-only (0600), journaled with WAL, and carries a schema version that
forward migrations raise without losing anything.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import stat
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    JSON,
    URL,
    Connection,
    Engine,
    Integer,
    Text,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    make_url,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from planner.domain.catalogue import default_catalogue
from planner.domain.errors import InputError, PlannerError, WorkspaceBusy
from planner.domain.io import record_document, validate_scenario
from planner.domain.models import Answer, History, Policy, Scenario, Team
from planner.domain.planning import Interval, PlanningInput
from planner.domain.schedule import PlannedSession, Schedule
from planner.domain.words import record_noun
from planner.store import schema as t

BUSY_TIMEOUT_SECONDS = float(os.environ.get("PLANNER_BUSY_TIMEOUT", "10"))
"""How long a writer waits for another planner's transaction before giving up."""
UNDO_DEPTH = 100
"""Edits ``undo`` can take back; older log entries (and the data they hold) are deleted."""
RecordKind = Literal["people", "activities", "venues", "queues"]
POLL_SECRET_KEY = "poll_secret"
"""Meta key of the HMAC key that signs the polls; it never leaves the workspace."""
CHANGE_COUNTER_KEY = "change_counter"
"""Meta key of the change counter (:meth:`Workspace.change_counter`)."""
ROUND_PLANS_KEY = "round_plans_after"
"""Meta key: the newest plan id of the closed rounds (the current round's plans are newer)."""


_DAMAGED = ("malformed", "disk I/O error", "database corrupt", "integrity check")
"""What SQLite says of a file whose pages are broken (``SQLITE_CORRUPT``, ``SQLITE_IOERR``)."""


class WorkspaceError(PlannerError):
    """The workspace cannot be used (not a workspace, newer schema, unreadable)."""

    exit_code = 2
    title = "Workspace"


class _Located(WorkspaceError):
    """A workspace error whose message already starts with the workspace's location."""


class ReadOnlyWorkspace(_Located):
    """The database role may read the workspace but not change it (exit 2)."""


class UnreachableWorkspace(_Located):
    """The database server cannot be reached or refuses the login (exit 2)."""


def _sqlstate(exc: DatabaseError) -> str | None:
    """The SQLSTATE of a server's error (PostgreSQL), None for SQLite or a lost connection."""
    state = getattr(exc.orig, "sqlstate", None)
    return str(state) if state else None


def _one_line(error: BaseException | None) -> str:
    """A driver's message on one line (libpq's span several; none holds the password)."""
    text = " ".join(str(error).split())
    return text.removeprefix("connection failed: ") or type(error).__name__


COPY_ROWS = 200
"""From this many rows on, PostgreSQL gets them by ``COPY`` (one stream) instead of one
``INSERT`` each: psycopg's pipelined ``executemany`` still builds and sends every statement,
which made an import of 5,000 people (100,000 answers) three times slower than SQLite's."""


def _insert_many(conn: Connection, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts of the same keys): ``COPY`` on PostgreSQL for many, else one
    executemany. JSON columns are written as the JSON text SQLAlchemy would bind."""
    if not rows:
        return
    if conn.dialect.name != "postgresql" or len(rows) < COPY_ROWS:
        conn.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    json_columns = {n for n in names if isinstance(table.c[n].type, JSON)}
    columns = ", ".join(f'"{n}"' for n in names)
    driver = conn.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,  # type: ignore[attr-defined]
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row([json.dumps(row[n]) if n in json_columns else row[n] for n in names])


class DamagedWorkspace(_Located):
    """SQLite finds the workspace file corrupt: only a backup can help (exit 2)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _from_iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class ImportSummary:
    people: int = 0
    activities: int = 0
    venues: int = 0
    queues: int = 0
    answers: int = 0
    busy_blocks: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.people} people, {self.activities} activities, {self.venues} venues, "
            f"{self.queues} queues, {self.answers} answers, {self.busy_blocks} busy blocks"
        )


@dataclass(frozen=True)
class RoundRow:
    """One round as stored: a closed one keeps its horizon and what happened (``data``)."""

    number: int
    state: Literal["open", "closed"]
    horizon: tuple[date, date] | None  # stored from closing on; the open round's is the team's
    opened_at: datetime
    closed_at: datetime | None
    data: dict[str, Any] | None


@dataclass(frozen=True)
class RecordChange:
    """Who last changed a record and when; ``version`` counts its changes."""

    version: int
    organiser: str
    at: datetime  # aware, UTC


class StaleEdit(PlannerError):
    """An edit based on a read the record has changed since: refused, never a silent
    overwrite. Carries both values (``current``: stored now, by ``change.organiser``;
    ``mine``: the refused one) so the caller can show them and ask."""

    exit_code = 2
    title = "Changed meanwhile"

    def __init__(
        self,
        location: str,
        kind: str,
        record_id: str,
        expected: int,
        change: RecordChange | None,
        current: Any,
        mine: Any,
    ) -> None:
        self.kind, self.record_id, self.expected = kind, record_id, expected
        self.change, self.current, self.mine = change, current, mine
        self.actual = change.version if change else 0
        by = f" by {change.organiser}" if change else ""
        super().__init__(
            f"{location}: {record_noun(kind) if kind in _NOUNS else kind} {record_id} was "
            f"changed{by} since you read it (version {expected}, now {self.actual}); "
            "nothing was overwritten"
        )


_NOUNS = ("people", "activities", "venues", "queues")


def organiser() -> str:
    """Who is making changes: ``PLANNER_ORGANISER``, else the OS user."""
    name = os.environ.get("PLANNER_ORGANISER", "").strip()
    if name:
        return name[:200]
    import getpass

    try:
        return getpass.getuser()[:200]
    except (OSError, KeyError):  # no user name for this uid (a container)
        return f"uid {os.getuid()}"


class UndoBlocked(PlannerError):
    """Undo refused: another organiser changed what the edit to undo touched, after it.
    Undoing it would silently throw their change away."""

    exit_code = 2
    title = "Cannot undo"

    def __init__(self, location: str, label: str, by: str, their_label: str) -> None:
        self.label, self.by, self.their_label = label, by, their_label
        super().__init__(
            f"{location}: cannot undo {label!r}: {by} changed the same data after it "
            f"({their_label!r}); undo would overwrite their change, so nothing was undone"
        )


Touched = frozenset[tuple[str, str]] | None
"""What one undo-log entry changed: (kind, key) pairs, ``None`` for the whole scenario."""


def _touched(changes: dict[str, Any]) -> Touched:
    if "scenario" in changes:
        return None
    keys: set[tuple[str, str]] = set()
    if "record" in changes:
        keys.add((changes["record"]["kind"], changes["record"]["id"]))
    if "answer" in changes:
        a = changes["answer"]
        keys.add(("answers", f"{a['person']}/{a['activity']}"))
    if "document" in changes:
        keys.add(("documents", changes["document"]["name"]))
    if "busy" in changes:
        saved = changes["busy"]
        scopes = saved["scopes"] if "scopes" in saved else [saved["scope"] or (None, None)]
        keys.update(("busy", person or "*") for person, _source in scopes)
    if "response" in changes:
        keys.add(("response", changes["response"]["person"]))
    return frozenset(keys)


def _overlap(a: Touched, b: Touched) -> bool:
    if a is None or b is None:
        return True
    if a & b:
        return True
    wild = ("busy", "*")
    return (wild in a and any(k == "busy" for k, _ in b)) or (
        wild in b and any(k == "busy" for k, _ in a)
    )


@dataclass(frozen=True)
class ResponseRecord:
    """The response last applied for one person: a response written no later is a replay."""

    person_id: str
    poll_id: str
    written: datetime  # aware, UTC


class Workspace:
    """Open with :meth:`open`; use as a context manager or call :meth:`close`."""

    def __init__(self, engine: Engine, location: str, warnings: list[str]) -> None:
        self.engine = engine
        self.location = location
        self.warnings = warnings
        # The write transaction open in each thread (the TUI's workers share one Workspace).
        self._local = threading.local()
        self._commits = 0
        self._commits_lock = threading.Lock()

    @property
    def commits(self) -> int:
        """Write transactions this handle has committed: each moved :meth:`change_counter`
        by one, so a counter that moved further was moved by someone else."""
        return self._commits

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, target: str | Path, *, create: bool = True) -> Workspace:
        target_text = str(target)
        warnings: list[str] = []
        if "://" in target_text:
            parsed = _parse_url(target_text)
            if _sqlite_file(parsed):
                # A SQLite file named by URL gets what a path gets: owner-only creation,
                # create=False, serialised writes, WAL and secure_delete.
                target_text = str(parsed.database)
            else:
                engine, target_text = _url_engine(parsed)
        if "://" not in target_text:
            path = Path(target_text).expanduser()
            try:
                if path.is_dir():
                    raise WorkspaceError(f"{path}: is a directory, not a workspace file")
                if not path.exists():
                    if not create:
                        raise WorkspaceError(f"{path}: no such workspace")
                    _create_private_file(path)
                else:
                    warnings.extend(_permission_warnings(path))
            except OSError as exc:  # a name too long, a parent that is a file, /proc/...
                reason = exc.strerror or type(exc).__name__
                raise WorkspaceError(f"{path}: cannot open the workspace: {reason}") from None
            engine = _sqlite_engine(path)
            target_text = str(path)
        ws = cls(engine, target_text, warnings)
        ws._migrate()
        return ws

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction holding the lock from its first statement.

        Inside an open write transaction (of this thread) it joins that transaction as a
        savepoint instead of opening a second connection: a read-modify-write spread over
        several calls (an import of many files) then reads what it will replace under the
        same lock, and either all of it commits or none of it does.
        """
        outer = self._open_write()
        if outer is not None:
            with outer.begin_nested():
                yield outer
            return
        try:
            with (
                self.engine.connect().execution_options(planner_immediate=True) as conn,
                conn.begin(),
            ):
                self._local.conn = conn
                try:
                    yield conn
                    self._bump_change_counter(conn)
                finally:
                    self._local.conn = None
            with self._commits_lock:
                self._commits += 1
        except OperationalError as exc:
            if _sqlstate(exc) == "55P03" or "locked" in str(exc.orig) or "busy" in str(exc.orig):
                raise WorkspaceBusy(
                    f"{self.location}: workspace busy (another planner is writing), try again"
                ) from None
            self._raise_if_unusable(exc)
            raise
        except DatabaseError as exc:
            self._raise_if_unusable(exc)
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction; inside an open write transaction, that one (it sees its own
        uncommitted changes, which a second connection would not)."""
        outer = self._open_write()
        if outer is not None:
            yield outer
            return
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except DatabaseError as exc:
            self._raise_if_unusable(exc)
            raise

    def _raise_if_unusable(self, exc: DatabaseError) -> None:
        """A server that refuses (no connection, wrong credentials, a read-only role) or a
        damaged file: one line saying so (exit 2), never a traceback."""
        self._raise_if_damaged(exc)
        state = _sqlstate(exc)
        if state == "42501" or state == "25006":  # insufficient privilege, read-only
            raise ReadOnlyWorkspace(
                f"{self.location}: read-only for this organiser (the database role may only "
                f"read); nothing was changed"
            ) from None
        if self.engine.dialect.name == "postgresql" and (
            state is None or state[:2] in ("08", "28", "3D", "57")
        ):
            raise UnreachableWorkspace(
                f"{self.location}: cannot open the workspace: {_one_line(exc.orig)}"
            ) from None

    def _raise_if_damaged(self, exc: DatabaseError) -> None:
        """A file SQLite finds corrupt (an overwritten page, a truncated file) is reported as
        such, with what to do, instead of a traceback (exit 2)."""
        reason = str(exc.orig)
        if any(sign in reason for sign in _DAMAGED):
            raise DamagedWorkspace(
                f"{self.location}: the workspace file is damaged ({reason}); "
                "restore it from a backup"
            ) from None

    @staticmethod
    def _bump_change_counter(conn: Connection) -> None:
        """Move :meth:`change_counter` on: once per committed write transaction."""
        conn.execute(
            update(t.meta)
            .where(t.meta.c.key == CHANGE_COUNTER_KEY)
            .values(value=cast(cast(t.meta.c.value, Integer) + 1, Text))
        )

    def change_counter(self) -> int:
        """A number that moves on every write by anyone (cheap: one row); the TUI polls it
        to know when to reload."""
        return int(self.meta(CHANGE_COUNTER_KEY) or 0)

    def last_change(self, kind: str, record_id: str) -> RecordChange | None:
        """Who last changed a record, when, and its version (None: nobody since it came
        in). ``kind`` is a record kind, ``answers`` (id ``person/activity``) or
        ``documents``."""
        with self.read() as conn:
            return self._last_change(conn, kind, record_id)

    def record_changes(self) -> dict[tuple[str, str], RecordChange]:
        """Every record's last change, by (kind, id): one query, which the TUI reads with
        each snapshot (before the data, so a version is never newer than what it shows)."""
        rc = t.record_changes
        with self.read() as conn:
            return {
                (str(row.kind), str(row.record_id)): RecordChange(
                    int(row.version), str(row.organiser), row.at.replace(tzinfo=UTC)
                )
                for row in conn.execute(select(rc))
            }

    @staticmethod
    def _last_change(conn: Connection, kind: str, record_id: str) -> RecordChange | None:
        row = conn.execute(
            select(t.record_changes).where(
                t.record_changes.c.kind == kind, t.record_changes.c.record_id == record_id
            )
        ).first()
        if row is None:
            return None
        return RecordChange(int(row.version), str(row.organiser), row.at.replace(tzinfo=UTC))

    def record_version(self, kind: str, record_id: str) -> int:
        """The version an edit of this record passes as ``expected_version`` (0: never
        changed since it came in)."""
        change = self.last_change(kind, record_id)
        return change.version if change else 0

    def _check_and_stamp(
        self,
        conn: Connection,
        kind: str,
        record_id: str,
        expected_version: int | None,
        current: Any,
        mine: Any,
    ) -> None:
        """Refuse an edit based on a stale read (:class:`StaleEdit`), else record who made
        it: the record's version goes up by one."""
        change = self._last_change(conn, kind, record_id)
        version = change.version if change else 0
        if expected_version is not None and expected_version != version:
            raise StaleEdit(self.location, kind, record_id, expected_version, change, current, mine)
        # One statement: the version read above is the one to raise (the write lock is held).
        rc = t.record_changes
        stamp = {"version": version + 1, "organiser": organiser(), "at": _now()}
        if change is None:
            conn.execute(insert(rc).values(kind=kind, record_id=record_id, **stamp))
        else:
            conn.execute(
                update(rc).where(rc.c.kind == kind, rc.c.record_id == record_id).values(**stamp)
            )

    @staticmethod
    def _stamp(conn: Connection, keys: Sequence[tuple[str, str]]) -> None:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return
        rc = t.record_changes
        # A few keys: read only theirs (an edit used to read every person's stamp); many
        # (an import): read the kinds whole rather than send thousands of keys.
        if len(unique) <= 500:
            scope = tuple_(rc.c.kind, rc.c.record_id).in_(unique)
        else:
            scope = rc.c.kind.in_(sorted({kind for kind, _ in unique}))
        versions: dict[tuple[str, str], int] = {
            (kind, rid): int(version)
            for kind, rid, version in conn.execute(
                select(rc.c.kind, rc.c.record_id, rc.c.version).where(scope)
            )
        }
        stale = [key for key in unique if key in versions]
        for chunk in range(0, len(stale), 500):
            part = stale[chunk : chunk + 500]
            conn.execute(delete(rc).where(tuple_(rc.c.kind, rc.c.record_id).in_(part)))
        who, at = organiser(), _now()
        _insert_many(
            conn,
            rc,
            [
                {
                    "kind": kind,
                    "record_id": rid,
                    "version": versions.get((kind, rid), 0) + 1,
                    "organiser": who,
                    "at": at,
                }
                for kind, rid in unique
            ],
        )

    def _open_write(self) -> Connection | None:
        return getattr(self._local, "conn", None)

    def _migrate(self) -> None:
        """Bring the workspace to the newest schema (Alembic, :mod:`planner.store.migrate`)
        in one write transaction; a workspace already there is only read (a read-only
        organiser opens it too). Another program's database or a newer schema is refused
        with nothing changed."""
        from planner.store import migrate

        try:
            with self.read() as conn:
                revision = migrate.current_revision(conn)
            if revision == t.HEAD:
                return
            with self.write() as conn:
                revision = migrate.current_revision(conn)  # under the lock, again
                if revision == t.HEAD:
                    return
                migrate.upgrade(conn, revision)
                if revision is None:
                    conn.execute(insert(t.meta).values(key="workspace_id", value=str(uuid.uuid4())))
                    conn.execute(
                        insert(t.meta).values(key="created_at", value=_iso(datetime.now(UTC)))
                    )
                self._set_meta(conn, "schema_version", str(t.SCHEMA_VERSION))
        except _Located:
            raise
        except migrate.NotAWorkspace:
            raise WorkspaceError(
                f"{self.location}: this database is not a planner workspace"
            ) from None
        except (WorkspaceError, migrate.NewerSchema) as exc:
            raise WorkspaceError(f"{self.location}: {exc}") from None
        except (OperationalError, DatabaseError) as exc:
            self._raise_if_unusable(exc)
            reason = _one_line(exc.orig)
            raise WorkspaceError(f"{self.location}: not a planner workspace ({reason})") from None

    @staticmethod
    def _set_meta(conn: Connection, key: str, value: str) -> None:
        if conn.execute(select(t.meta.c.key).where(t.meta.c.key == key)).first():
            conn.execute(update(t.meta).where(t.meta.c.key == key).values(value=value))
        else:
            conn.execute(insert(t.meta).values(key=key, value=value))

    def set_meta(self, values: Mapping[str, str]) -> None:
        """Store small workspace facts (e.g. the current poll id) in one transaction."""
        with self.write() as conn:
            for key, value in values.items():
                self._set_meta(conn, key, value)

    def meta(self, key: str) -> str | None:
        with self.read() as conn:
            row = conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).first()
        return row[0] if row else None

    @property
    def workspace_id(self) -> str:
        """The key session UIDs are derived from: the workspace's id, and from round 2 on
        ``<id>-r<n>``, so a round's ``coffee#g1`` is a new event in every calendar rather
        than an update of the closed round's ``coffee#g1``."""
        value = self.meta("workspace_id")
        assert value is not None
        number = self.current_round_number()
        return value if number <= 1 else f"{value}-r{number}"

    @property
    def schema_version(self) -> int:
        return int(self.meta("schema_version") or 0)

    # ------------------------------------------------------------------ the scenario

    def has_scenario(self) -> bool:
        with self.read() as conn:
            return (
                conn.execute(select(t.documents.c.name).where(t.documents.c.name == "team")).first()
                is not None
            )

    def load_scenario(self) -> Scenario:
        with self.read() as conn:
            return self._load_scenario(conn)

    def _scenario_data(self, conn: Connection) -> dict[str, Any]:
        docs = {
            name: data
            for name, data in conn.execute(select(t.documents.c.name, t.documents.c.data))
        }
        if "team" not in docs:
            raise WorkspaceError(
                f"{self.location}: the workspace holds no scenario yet (planner import SCENARIO)"
            )
        data: dict[str, Any] = {
            "team": docs["team"],
            "policy": docs.get("policy", {}),
            "history": docs.get("history", {}),
        }
        for kind, table in t.RECORD_TABLES.items():
            data[kind] = [
                row.data for row in conn.execute(select(table.c.data).order_by(table.c.position))
            ]
        prefs: dict[str, dict[str, str]] = {}
        for pid, aid, answer in conn.execute(
            select(t.answers.c.person_id, t.answers.c.activity_id, t.answers.c.answer).order_by(
                t.answers.c.person_id, t.answers.c.activity_id
            )
        ):
            prefs.setdefault(pid, {})[aid] = answer
        data["preferences"] = prefs
        return data

    def _load_scenario(self, conn: Connection) -> Scenario:
        data = self._scenario_data(conn)
        try:  # stored data passed the full check on the way in: skip its typo pre-scan
            context = {"catalogue": default_catalogue(), "stored": True}
            return Scenario.model_validate(data, context=context)
        except ValidationError:
            return validate_scenario(data, self.location)  # the file-style messages

    def save_scenario(
        self,
        scenario: Scenario,
        calendar_busy: Mapping[str, Sequence[Interval]] | None = None,
        *,
        label: str = "import scenario",
        busy_updates: Mapping[tuple[str, str], Sequence[Interval]] | None = None,
        response: ResponseRecord | None = None,
    ) -> ImportSummary:
        """Replace the scenario (people, activities, answers, rules); keep plans and invites.

        ``calendar_busy`` replaces every person's calendar blocks (None keeps them);
        ``busy_updates`` replaces the blocks of single (person, source) pairs — both in the
        same transaction as the scenario. ``response`` records the response this save applies
        (undo takes the record back with the answers).
        """
        summary = ImportSummary()
        with self.write() as conn:
            self._check_after_closed_rounds(conn, scenario.team)
            before = self._snapshot(conn)
            old_people = {r.id for r in conn.execute(select(t.people.c.id))}
            # Undo keeps only the busy rows this save can change, not the whole table.
            scopes: list[tuple[str | None, str | None]] = [
                *([(None, "calendar")] if calendar_busy is not None else []),
                *(busy_updates or {}),
                *((pid, None) for pid in sorted(old_people - {p.id for p in scenario.people})),
            ]
            busy_before = list(
                dict.fromkeys(
                    tuple(row) for scope in scopes for row in self._busy_rows(conn, *scope)
                )
            )
            self._write_scenario(conn, scenario)
            self._stamp(
                conn, _changed_records(before, scenario) + _changed_answers(before, scenario)
            )
            if calendar_busy is not None:
                conn.execute(delete(t.calendar_busy).where(t.calendar_busy.c.source == "calendar"))
                rows = [
                    {"person_id": pid, "source": "calendar", "start": _iso(s), "end": _iso(e)}
                    for pid, blocks in calendar_busy.items()
                    for s, e in blocks
                ]
                _insert_many(conn, t.calendar_busy, rows)
                summary.busy_blocks = len(rows)
            for (pid, source), blocks in (busy_updates or {}).items():
                self._replace_busy(conn, pid, source, blocks)
            new_people = {p.id for p in scenario.people}
            summary.added = sorted(new_people - old_people)
            summary.removed = sorted(old_people - new_people)
            if summary.removed:
                conn.execute(
                    delete(t.calendar_busy).where(t.calendar_busy.c.person_id.in_(summary.removed))
                )
                conn.execute(
                    delete(t.responses).where(t.responses.c.person_id.in_(summary.removed))
                )
            changes: dict[str, Any] = {
                "scenario": before,
                "busy": {"scopes": scopes, "rows": busy_before},
            }
            if response is not None:
                changes["response"] = {
                    "person": response.person_id,
                    "before": self._replace_response(conn, response),
                }
            self._log(conn, label, changes)
        summary.people = len(scenario.people)
        summary.activities = len(scenario.activities)
        summary.venues = len(scenario.venues)
        summary.queues = len(scenario.queues)
        summary.answers = sum(len(a) for a in scenario.preferences.values())
        return summary

    def _write_scenario(self, conn: Connection, scenario: Scenario) -> None:
        conn.execute(delete(t.documents))
        conn.execute(
            insert(t.documents),
            [
                {"name": "team", "data": scenario.team.model_dump(mode="json")},
                {"name": "policy", "data": scenario.policy.model_dump(mode="json")},
                {"name": "history", "data": scenario.history.model_dump(mode="json")},
            ],
        )
        for kind, table in t.RECORD_TABLES.items():
            conn.execute(delete(table))
            records: list[BaseModel] = getattr(scenario, kind)
            _insert_many(
                conn,
                table,
                [
                    {"id": r.id, "position": i, "data": record_document(r)}  # type: ignore[attr-defined]
                    for i, r in enumerate(records)
                ],
            )
        conn.execute(delete(t.answers))
        rows = [
            {"person_id": pid, "activity_id": aid, "answer": ans.value}
            for pid, answers in scenario.preferences.items()
            for aid, ans in answers.items()
        ]
        _insert_many(conn, t.answers, rows)

    def _snapshot(self, conn: Connection) -> dict[str, Any] | None:
        try:
            return self._scenario_data(conn)
        except WorkspaceError:
            return None

    # ------------------------------------------------------------------ edits (one transaction each)

    def put_record(
        self,
        kind: RecordKind,
        record: BaseModel,
        *,
        replacing: str | None = None,
        label: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Add one person/activity/venue/queue, or with ``replacing`` edit that one in place;
        the whole scenario must stay valid. With ``expected_version`` (from
        :meth:`record_version` when the record was read) an edit of a record changed since
        is refused with :class:`StaleEdit`.

        Adding an id that is taken, or changing the id while editing, is refused: either
        would silently replace another record (and keep its answers) or copy this one.
        """
        record_id: str = record.id  # type: ignore[attr-defined]
        with self.write() as conn:
            data = self._scenario_data(conn)
            items: list[dict[str, Any]] = data[kind]
            new = record_document(record)
            before = next((r for r in items if r["id"] == record_id), None)
            refusal = None
            if replacing is None and before is not None:
                refusal = f"{record_id!r} is already taken; choose another id"
            elif replacing is not None and record_id != replacing:
                refusal = f"the id cannot change from {replacing!r} while editing"
            elif replacing is not None and before is None:
                refusal = f"{replacing!r} is no longer in the workspace"
            if refusal is not None:
                ids = [r["id"] for r in items]
                target = replacing if replacing in ids else record_id
                index = ids.index(target) if target in ids else len(items)
                raise InputError.single(self.location, refusal, f"{kind}.{index}.id")
            self._check_and_stamp(conn, kind, record_id, expected_version, before, new)
            if before is None:
                items.append(new)
            else:
                items[items.index(before)] = new
            validate_scenario(data, self.location)
            table = t.RECORD_TABLES[kind]
            if before is None:
                position = (
                    conn.execute(select(func.coalesce(func.max(table.c.position), -1))).scalar_one()
                    + 1
                )
                conn.execute(insert(table).values(id=record_id, position=position, data=new))
            else:
                conn.execute(update(table).where(table.c.id == record_id).values(data=new))
            self._log(
                conn,
                label or f"{'add' if before is None else 'edit'} {record_noun(kind)} {record_id}",
                {"record": {"kind": kind, "id": record_id, "before": before}},
            )

    def delete_record(
        self,
        kind: RecordKind,
        record_id: str,
        *,
        label: str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Remove a record and what refers to it (answers; references in other records).
        With ``expected_version``, one changed since it was read is refused
        (:class:`StaleEdit`, ``mine`` None: the removal)."""
        with self.write() as conn:
            before = self._snapshot(conn)
            data = self._scenario_data(conn)
            record = next((r for r in data[kind] if r["id"] == record_id), None)
            self._check_and_stamp(conn, kind, record_id, expected_version, record, None)
            data[kind] = [r for r in data[kind] if r["id"] != record_id]
            _drop_references(data, kind, record_id)
            scenario = validate_scenario(data, self.location)
            self._write_scenario(conn, scenario)
            changes: dict[str, Any] = {"scenario": before}
            if kind == "people":
                rows = self._busy_rows(conn, record_id)
                changes["busy"] = {"scope": [record_id, None], "rows": rows}
                conn.execute(
                    delete(t.calendar_busy).where(t.calendar_busy.c.person_id == record_id)
                )
            self._log(conn, label or f"remove {record_id}", changes)

    def set_answer(
        self,
        person_id: str,
        activity_id: str,
        answer: Answer | None,
        *,
        expected_version: int | None = None,
    ) -> None:
        """Set one cell of the answers matrix (None clears it, which means ``no``). With
        ``expected_version`` (:meth:`record_version` of ``answers``, ``person/activity``) a
        cell changed since it was read is refused with :class:`StaleEdit`."""
        with self.write() as conn:
            # Key look-ups instead of re-validating the scenario: one cell of the matrix
            # cannot break any other rule, and this keeps a keypress fast at 2,000 people.
            # One statement (a round trip each on a server).
            known_person, known_activity, before = conn.execute(
                select(
                    select(t.people.c.id).where(t.people.c.id == person_id).scalar_subquery(),
                    select(t.activities.c.id)
                    .where(t.activities.c.id == activity_id)
                    .scalar_subquery(),
                    select(t.answers.c.answer)
                    .where(
                        t.answers.c.person_id == person_id,
                        t.answers.c.activity_id == activity_id,
                    )
                    .scalar_subquery(),
                )
            ).one()
            if known_person is None:
                raise InputError.single(self.location, f"unknown person {person_id!r}")
            if known_activity is None:
                raise InputError.single(self.location, f"unknown activity {activity_id!r}")
            value = None if answer is None else Answer(answer).value
            self._check_and_stamp(
                conn, "answers", f"{person_id}/{activity_id}", expected_version, before, value
            )
            cell = (t.answers.c.person_id == person_id, t.answers.c.activity_id == activity_id)
            if value is None:
                conn.execute(delete(t.answers).where(*cell))
            elif before is None:
                conn.execute(
                    insert(t.answers).values(
                        person_id=person_id, activity_id=activity_id, answer=value
                    )
                )
            else:
                conn.execute(update(t.answers).where(*cell).values(answer=value))
            self._log(
                conn,
                f"answer {person_id}/{activity_id}",
                {"answer": {"person": person_id, "activity": activity_id, "before": before}},
            )

    def put_document(
        self,
        name: Literal["team", "policy", "history"],
        value: Team | Policy | History,
        *,
        expected_version: int | None = None,
    ) -> None:
        """Replace the team, policy or history; with ``expected_version``
        (:meth:`record_version` of ``documents``, ``name``) one changed since it was read is
        refused with :class:`StaleEdit`."""
        with self.write() as conn:
            data = self._scenario_data(conn)
            before = data.get(name)
            data[name] = value.model_dump(mode="json")
            validate_scenario(data, self.location)
            if isinstance(value, Team):
                self._check_after_closed_rounds(conn, value)
            self._check_and_stamp(conn, "documents", name, expected_version, before, data[name])
            conn.execute(
                update(t.documents).where(t.documents.c.name == name).values(data=data[name])
            )
            self._log(conn, f"edit {name}", {"document": {"name": name, "before": before}})

    def _log(self, conn: Connection, label: str, changes: dict[str, Any]) -> None:
        """Record an edit for undo, keeping only the last :data:`UNDO_DEPTH`.

        The log holds what an edit replaced (answers, busy blocks, removed people): a bounded
        history means a removed person's data does not stay in the file for ever.
        """
        result = conn.execute(
            insert(t.edit_log).values(
                at=_now(), label=label, changes=changes, organiser=organiser()
            )
        )
        newest = int(result.inserted_primary_key[0])  # type: ignore[index]
        conn.execute(delete(t.edit_log).where(t.edit_log.c.id <= newest - UNDO_DEPTH))

    def undo(self) -> str | None:
        """Revert this organiser's newest edit; returns its label, or None when there is
        nothing of theirs to undo.

        In a shared workspace an undo takes back only your own edits: another organiser's
        later edits stay. When one of them changed what yours touched (the same record,
        answer, document, busy blocks or response, or anything for a whole-scenario edit
        such as an import), the undo is refused with :class:`UndoBlocked` rather than
        overwrite their change. Entries from before organisers were recorded count as yours.
        """
        me = organiser()
        with self.write() as conn:
            later: list[tuple[Any, Touched]] = []
            row = None
            for entry in conn.execute(select(t.edit_log).order_by(t.edit_log.c.id.desc())):
                if entry.organiser in (None, me):
                    row = entry
                    break
                later.append((entry, _touched(entry.changes)))
            if row is None:
                return None
            mine = _touched(row.changes)
            for other, theirs in later:
                if _overlap(mine, theirs):
                    raise UndoBlocked(self.location, str(row.label), other.organiser, other.label)
            changes: dict[str, Any] = row.changes
            if "scenario" in changes:
                if changes["scenario"] is None:
                    for table in (t.documents, t.answers, *t.RECORD_TABLES.values()):
                        conn.execute(delete(table))
                else:
                    self._write_scenario(
                        conn, validate_scenario(changes["scenario"], self.location)
                    )
            elif "record" in changes:
                rec = changes["record"]
                self._stamp(conn, [(rec["kind"], rec["id"])])  # an undo is a change too
                table = t.RECORD_TABLES[rec["kind"]]
                if rec["before"] is None:
                    conn.execute(delete(table).where(table.c.id == rec["id"]))
                else:
                    conn.execute(
                        update(table).where(table.c.id == rec["id"]).values(data=rec["before"])
                    )
            elif "answer" in changes:
                a = changes["answer"]
                self._stamp(conn, [("answers", f"{a['person']}/{a['activity']}")])
                conn.execute(
                    delete(t.answers).where(
                        t.answers.c.person_id == a["person"],
                        t.answers.c.activity_id == a["activity"],
                    )
                )
                if a["before"] is not None:
                    conn.execute(
                        insert(t.answers).values(
                            person_id=a["person"], activity_id=a["activity"], answer=a["before"]
                        )
                    )
            elif "document" in changes:
                d = changes["document"]
                conn.execute(
                    update(t.documents)
                    .where(t.documents.c.name == d["name"])
                    .values(data=d["before"])
                )
            if "busy" in changes:
                self._restore_busy(conn, changes["busy"])
            if "response" in changes:
                r = changes["response"]
                before = r["before"]
                self._replace_response(
                    conn,
                    ResponseRecord(r["person"], before["poll"], _from_iso(before["written"]))
                    if before
                    else r["person"],
                )
            conn.execute(delete(t.edit_log).where(t.edit_log.c.id == row.id))
            return str(row.label)

    def last_edit(self) -> str | None:
        """The label of the newest edit in the workspace, whoever made it."""
        with self.read() as conn:
            row = conn.execute(
                select(t.edit_log.c.label).order_by(t.edit_log.c.id.desc()).limit(1)
            ).first()
        return row[0] if row else None

    # ------------------------------------------------------------------ polls and responses

    def poll_secret(self) -> str:
        """The key that signs this workspace's polls, created on first need.

        It lives in the meta table only: no export, copy of the scenario or poll carries it.
        """
        with self.write() as conn:
            row = conn.execute(
                select(t.meta.c.value).where(t.meta.c.key == POLL_SECRET_KEY)
            ).first()
            if row is not None:
                return str(row[0])
            value = secrets.token_hex(32)
            conn.execute(insert(t.meta).values(key=POLL_SECRET_KEY, value=value))
            return value

    def existing_poll_secret(self) -> str | None:
        """The poll key if a poll was ever signed here (reading never creates one)."""
        return self.meta(POLL_SECRET_KEY)

    def response_record(self, person_id: str) -> ResponseRecord | None:
        """The response last applied for ``person_id``: which poll and when it was written."""
        with self.read() as conn:
            row = conn.execute(
                select(t.responses.c.poll_id, t.responses.c.received_at).where(
                    t.responses.c.person_id == person_id
                )
            ).first()
        if row is None:
            return None
        return ResponseRecord(person_id, str(row.poll_id), row.received_at.replace(tzinfo=UTC))

    @staticmethod
    def _replace_response(conn: Connection, record: ResponseRecord | str) -> dict[str, str] | None:
        """Set (a record) or clear (a person id) one person's response record; returns the
        record it replaced, as JSON for the undo log."""
        person_id = record if isinstance(record, str) else record.person_id
        old = conn.execute(
            select(t.responses.c.poll_id, t.responses.c.received_at).where(
                t.responses.c.person_id == person_id
            )
        ).first()
        conn.execute(delete(t.responses).where(t.responses.c.person_id == person_id))
        if not isinstance(record, str):
            conn.execute(
                insert(t.responses).values(
                    person_id=person_id,
                    poll_id=record.poll_id,
                    received_at=record.written.astimezone(UTC).replace(tzinfo=None),
                )
            )
        if old is None:
            return None
        return {"poll": str(old.poll_id), "written": _iso(old.received_at.replace(tzinfo=UTC))}

    # ------------------------------------------------------------------ busy blocks

    def set_busy_blocks(
        self, person_id: str, source: str, blocks: Sequence[Interval], *, label: str | None = None
    ) -> None:
        """Replace one person's busy blocks from ``source`` as one undoable edit.

        Sources: 'calendar' (the scenario's calendar files, replaced on every scenario import),
        'response' (the person's own response), 'organiser' (a calendar the organiser
        previewed and kept in the TUI).
        """
        with self.write() as conn:
            rows = self._busy_rows(conn, person_id, source)
            self._replace_busy(conn, person_id, source, blocks)
            self._log(
                conn,
                label or f"busy blocks of {person_id}",
                {"busy": {"scope": [person_id, source], "rows": rows}},
            )

    @staticmethod
    def _busy_rows(
        conn: Connection, person_id: str | None = None, source: str | None = None
    ) -> list[list[str]]:
        query = select(
            t.calendar_busy.c.person_id,
            t.calendar_busy.c.source,
            t.calendar_busy.c.start,
            t.calendar_busy.c.end,
        )
        if person_id is not None:
            query = query.where(t.calendar_busy.c.person_id == person_id)
        if source is not None:
            query = query.where(t.calendar_busy.c.source == source)
        return [list(row) for row in conn.execute(query)]

    @staticmethod
    def _restore_busy(conn: Connection, saved: dict[str, Any]) -> None:
        """Put back the busy rows of each saved scope: ``(person or None, source or None)``,
        None meaning every one (an entry from before scopes were lists has one ``scope``)."""
        scopes = saved["scopes"] if "scopes" in saved else [saved["scope"] or (None, None)]
        for person_id, source in scopes:
            query = delete(t.calendar_busy)
            if person_id is not None:
                query = query.where(t.calendar_busy.c.person_id == person_id)
            if source is not None:
                query = query.where(t.calendar_busy.c.source == source)
            conn.execute(query)
        if saved["rows"]:
            conn.execute(
                insert(t.calendar_busy),
                [
                    dict(zip(("person_id", "source", "start", "end"), r, strict=True))
                    for r in saved["rows"]
                ],
            )

    @staticmethod
    def _replace_busy(
        conn: Connection, person_id: str, source: str, blocks: Sequence[Interval]
    ) -> None:
        conn.execute(
            delete(t.calendar_busy).where(
                t.calendar_busy.c.person_id == person_id, t.calendar_busy.c.source == source
            )
        )
        if blocks:
            conn.execute(
                insert(t.calendar_busy),
                [
                    {"person_id": person_id, "source": source, "start": _iso(s), "end": _iso(e)}
                    for s, e in blocks
                ],
            )

    def busy_blocks(self, conn: Connection | None = None) -> dict[str, list[Interval]]:
        def load(c: Connection) -> dict[str, list[Interval]]:
            out: dict[str, list[Interval]] = {}
            for pid, s, e in c.execute(
                select(
                    t.calendar_busy.c.person_id, t.calendar_busy.c.start, t.calendar_busy.c.end
                ).order_by(t.calendar_busy.c.start)
            ):
                out.setdefault(pid, []).append((_from_iso(s), _from_iso(e)))
            return out

        if conn is not None:
            return load(conn)
        with self.read() as c:
            return load(c)

    # ------------------------------------------------------------------ plans

    def save_plan(self, schedule: Schedule, *, published: bool = False) -> int:
        with self.write() as conn:
            result = conn.execute(
                insert(t.plans).values(
                    created_at=_now(),
                    status=schedule.status.value,
                    schedule=json.loads(schedule.model_dump_json()),
                    published=published,
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    @staticmethod
    def _round_plans_after(conn: Connection) -> int:
        """Plans with an id up to this one belong to closed rounds (none of this round's)."""
        row = conn.execute(select(t.meta.c.value).where(t.meta.c.key == ROUND_PLANS_KEY)).first()
        return int(row[0]) if row else 0

    def latest_plan_id(self) -> int | None:
        """Id of the newest plan of this round: a cheap way to tell whether it changed."""
        with self.read() as conn:
            after = self._round_plans_after(conn)
            return conn.execute(select(func.max(t.plans.c.id)).where(t.plans.c.id > after)).scalar()

    def latest_plan(self) -> Schedule | None:
        """The newest plan of the current round (a new round starts with none: sending the
        closed round's plan again would put last round's sessions into this one)."""
        with self.read() as conn:
            after = self._round_plans_after(conn)
            row = conn.execute(
                select(t.plans.c.schedule)
                .where(t.plans.c.id > after)
                .order_by(t.plans.c.id.desc())
                .limit(1)
            ).first()
        return Schedule.model_validate(row[0]) if row else None

    def published_sessions(self, conn: Connection | None = None) -> list[PlannedSession]:
        def load(c: Connection) -> list[PlannedSession]:
            rows = c.execute(
                select(t.published_sessions.c.data).where(
                    t.published_sessions.c.cancelled.is_(False)
                )
            )
            return [PlannedSession.model_validate(r.data) for r in rows]

        if conn is not None:
            return load(conn)
        with self.read() as c:
            return load(c)

    def declined(self, conn: Connection | None = None) -> frozenset[tuple[str, str]]:
        """(person, activity) pairs whose latest reply to a published session is DECLINED."""

        def load(c: Connection) -> frozenset[tuple[str, str]]:
            rows = c.execute(
                select(t.replies.c.person_id, t.published_sessions.c.data)
                .join(t.published_sessions, t.published_sessions.c.uid == t.replies.c.uid)
                .where(t.replies.c.partstat == "DECLINED")
            )
            return frozenset((pid, data["activity"]) for pid, data in rows)

        if conn is not None:
            return load(conn)
        with self.read() as c:
            return load(c)

    def planning_input(self, now: datetime) -> PlanningInput:
        """What a solve of the workspace plans from, with the effective history of the closed
        rounds (:func:`effective_history`). A closed round is not planned again."""
        with self.read() as conn:
            scenario = self._load_scenario(conn)
            rounds = self.round_rows(conn)
            if rounds and rounds[-1].state == "closed":
                raise InputError.single(
                    self.location,
                    f"round {rounds[-1].number} is closed; open the next one with "
                    f"'planner round new --horizon START..END' before planning",
                )
            scenario = scenario.model_copy(update={"history": effective_history(scenario, rounds)})
            return PlanningInput(
                scenario=scenario,
                now=now,
                busy=self.busy_blocks(conn),
                published=self.published_sessions(conn),
                declined=self.declined(conn),
            )

    # ------------------------------------------------------------------ rounds

    def round_rows(self, conn: Connection | None = None) -> list[RoundRow]:
        """Every round, oldest first (a workspace always has at least its round 1)."""

        def load(c: Connection) -> list[RoundRow]:
            out: list[RoundRow] = []
            for row in c.execute(select(t.rounds).order_by(t.rounds.c.number)):
                horizon = (
                    (date.fromisoformat(row.horizon_start), date.fromisoformat(row.horizon_end))
                    if row.horizon_start and row.horizon_end
                    else None
                )
                out.append(
                    RoundRow(
                        int(row.number),
                        "closed" if row.state == "closed" else "open",
                        horizon,
                        row.opened_at.replace(tzinfo=UTC),
                        row.closed_at.replace(tzinfo=UTC) if row.closed_at else None,
                        row.data,
                    )
                )
            return out

        if conn is not None:
            return load(conn)
        with self.read() as c:
            return load(c)

    def _check_after_closed_rounds(self, conn: Connection, team: Team) -> None:
        """The horizon may not go back into a closed round (re-importing last round's file
        would otherwise plan and poll that fortnight again)."""
        ends = [r.horizon[1] for r in self.round_rows(conn) if r.horizon is not None]
        if ends and team.horizon.start <= max(ends):
            raise InputError.single(
                self.location,
                f"starts on {team.horizon.start}, not after {max(ends)}, the end of a closed "
                f"round; give the horizon of the next round",
                "team.horizon",
            )

    def current_round_number(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(func.max(t.rounds.c.number))).scalar() or 1)

    def store_round_close(
        self, number: int, horizon: tuple[date, date], data: dict[str, Any], at: datetime
    ) -> None:
        """Mark round ``number`` closed with what happened, and retire its invites: the
        published sessions, what each person was sent and their RSVPs now live only in
        ``data``, so the next round's first solve publishes fresh invites (and cancels
        nothing of this round's)."""
        with self.write() as conn:
            conn.execute(
                update(t.rounds)
                .where(t.rounds.c.number == number)
                .values(
                    state="closed",
                    horizon_start=horizon[0].isoformat(),
                    horizon_end=horizon[1].isoformat(),
                    closed_at=at.astimezone(UTC).replace(tzinfo=None),
                    data=data,
                )
            )
            for table in (t.replies, t.sent_invites, t.published_sessions):
                conn.execute(delete(table))

    def store_round_open(
        self, number: int, team: Team, *, fresh_answers: bool, busy_before: datetime
    ) -> int:
        """Open round ``number`` on ``team`` (its new horizon); returns how many busy blocks
        went. Busy blocks ending by ``busy_before`` (the closed rounds' calendars and
        responses) can never matter again and are deleted: nobody's past availability is
        kept longer than it is needed. Undo does not reach back into a closed round: the edit
        log is cleared (undoing a round-1 import would otherwise bring round 1's horizon
        back, and it holds the deleted blocks)."""
        with self.write() as conn:
            dropped = conn.execute(
                delete(t.calendar_busy).where(t.calendar_busy.c.end <= _iso(busy_before))
            ).rowcount
            conn.execute(
                update(t.documents)
                .where(t.documents.c.name == "team")
                .values(data=team.model_dump(mode="json"))
            )
            if fresh_answers:
                conn.execute(delete(t.answers))
            conn.execute(delete(t.edit_log))
            conn.execute(insert(t.rounds).values(number=number, state="open", opened_at=_now()))
            last_plan = conn.execute(select(func.max(t.plans.c.id))).scalar() or 0
            self._set_meta(conn, ROUND_PLANS_KEY, str(last_plan))
        return int(dropped)

    # ------------------------------------------------------------------ forgetting

    def known_person(self, person_id: str) -> bool:
        """Whether anything in the workspace is about ``person_id`` (a current person, or
        traces of a removed one: answers, busy blocks, invites, RSVPs, rounds)."""
        with self.read() as conn:
            for column in (
                t.people.c.id,
                t.answers.c.person_id,
                t.calendar_busy.c.person_id,
                t.sent_invites.c.person_id,
                t.replies.c.person_id,
                t.responses.c.person_id,
            ):
                if conn.execute(select(column).where(column == person_id).limit(1)).first():
                    return True
            return any(
                person_id in (r.data or {}).get("departments", {}) for r in self.round_rows(conn)
            )

    def forget_person(self, person_id: str) -> dict[str, int]:
        """Erase ``person_id`` everywhere (privacy invariant 9), in one transaction; returns
        what went, per kind. Afterwards the file is checkpointed so the WAL keeps no copy.

        Their record, answers, busy blocks (calendars and responses), response record,
        invites sent, RSVPs, their place in published sessions, saved plans and closed
        rounds, every history pair with them; undo entries that mention them (id, name or
        e-mail address anywhere in the entry) are dropped, not rewritten.
        """
        counts: dict[str, int] = {}
        with self.write() as conn:
            markers = {person_id}
            row = conn.execute(select(t.people.c.data).where(t.people.c.id == person_id)).first()
            if row is not None:
                markers |= {str(row.data.get("name") or ""), str(row.data.get("email") or "")}
                markers.discard("")
            for name, table, column in (
                ("answers", t.answers, t.answers.c.person_id),
                ("busy blocks", t.calendar_busy, t.calendar_busy.c.person_id),
                ("invites", t.sent_invites, t.sent_invites.c.person_id),
                ("replies", t.replies, t.replies.c.person_id),
                ("responses", t.responses, t.responses.c.person_id),
            ):
                counts[name] = int(conn.execute(delete(table).where(column == person_id)).rowcount)
            # Who changed their record and answers, and when, goes with them.
            conn.execute(
                delete(t.record_changes).where(
                    (t.record_changes.c.record_id == person_id)
                    | t.record_changes.c.record_id.startswith(f"{person_id}/", autoescape=True)
                )
            )
            if self.has_scenario_conn(conn):
                data = self._scenario_data(conn)
                before = len(data["people"])
                data["people"] = [p for p in data["people"] if p["id"] != person_id]
                counts["person"] = before - len(data["people"])
                _drop_references(data, "people", person_id)
                self._write_scenario(conn, validate_scenario(data, self.location))
            for sid, session in list(
                conn.execute(select(t.published_sessions.c.session_id, t.published_sessions.c.data))
            ):
                scrubbed = _scrub(session, person_id, markers)
                if scrubbed != session:
                    conn.execute(
                        update(t.published_sessions)
                        .where(t.published_sessions.c.session_id == sid)
                        .values(data=scrubbed)
                    )
            for pid_, schedule in list(conn.execute(select(t.plans.c.id, t.plans.c.schedule))):
                scrubbed = _scrub(schedule, person_id, markers)
                if scrubbed != schedule:
                    conn.execute(
                        update(t.plans).where(t.plans.c.id == pid_).values(schedule=scrubbed)
                    )
            counts["rounds"] = 0
            for number, rdata in list(conn.execute(select(t.rounds.c.number, t.rounds.c.data))):
                if rdata is None:
                    continue
                scrubbed = _scrub(rdata, person_id, markers)
                if scrubbed != rdata:
                    counts["rounds"] += 1
                    conn.execute(
                        update(t.rounds).where(t.rounds.c.number == number).values(data=scrubbed)
                    )
            counts["undo entries"] = 0
            pattern = _marker_pattern(frozenset(markers))
            for entry in list(
                conn.execute(select(t.edit_log.c.id, t.edit_log.c.label, t.edit_log.c.changes))
            ):
                text = entry.label + "\n" + json.dumps(entry.changes, ensure_ascii=False)
                if pattern.search(text):
                    conn.execute(delete(t.edit_log).where(t.edit_log.c.id == entry.id))
                    counts["undo entries"] += 1
        self.checkpoint()
        return counts

    def has_scenario_conn(self, conn: Connection) -> bool:
        return (
            conn.execute(select(t.documents.c.name).where(t.documents.c.name == "team")).first()
            is not None
        )

    def checkpoint(self) -> None:
        """Leave no copy of deleted rows where SQL or the files can reach them.

        SQLite: fold the WAL into the database file and truncate it (``secure_delete`` has
        zeroed the freed pages). PostgreSQL: ``VACUUM FULL`` every workspace table, which
        rewrites it into new files without the dead row versions a delete leaves behind (they
        are never visible to SQL, but stay in the table's pages until vacuumed; the old files
        are unlinked, not overwritten, and the server's WAL and backups keep what they
        keep). Only the tables' owner may vacuum: for another role a warning says so.
        """
        if self._open_write() is not None:
            return
        if self.engine.dialect.name == "postgresql":
            self._vacuum()
            return
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def _vacuum(self) -> None:
        """``VACUUM FULL`` of the tables this role owns. What it could not do (another role
        owns the tables, another session holds a lock past the busy wait) is a note in
        :attr:`warnings`: the erasure itself has committed, and only the dead row versions
        stay until the owner vacuums."""
        after = (
            "until the tables' owner runs VACUUM FULL on them, the deleted rows stay in the "
            "tables' pages (not readable by SQL)"
        )
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                owned = set(
                    conn.exec_driver_sql(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                        "AND tableowner = current_user"
                    ).scalars()
                )
                ours = [name for name in t.metadata.tables if name in owned]
                if ours:
                    conn.exec_driver_sql("VACUUM FULL " + ", ".join(f'"{name}"' for name in ours))
        except DatabaseError as exc:
            self.warnings.append(
                f"{self.location}: VACUUM FULL could not run ({_one_line(exc.orig)}); {after}"
            )
            return
        if len(ours) < len(t.metadata.tables):
            self.warnings.append(
                f"{self.location}: VACUUM FULL did not run: only the owner of the workspace's "
                f"tables may vacuum them; {after}"
            )

    # ------------------------------------------------------------------ maintenance

    def integrity_check(self) -> str:
        with self.read() as conn:
            if conn.dialect.name != "sqlite":
                return "ok"
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())


# ---------------------------------------------------------------------- helpers


def effective_history(scenario: Scenario, rounds: Sequence[RoundRow]) -> History:
    """The history a workspace plans with (SPEC §5; docs/rules.md, "Rounds").

    * ``pairs``: the scenario's own (hand-typed) pairs, plus every pairing-group pair of the
      last ``policy.avoid_repeat_rounds`` closed rounds;
    * ``missed_out``: the scenario's own, plus everyone who has a ``yes`` standing now and
      (a) said ``yes`` to something in the last closed round and attended nothing in it, or
      (b) attended nothing in any of *their* last ``policy.fairness_rounds`` closed rounds
      in which they said ``yes`` to something (a pause — a round without a yes — neither
      breaks nor extends that streak).

    Only current people are named (someone removed since is not planned anyway).
    """
    people = {p.id for p in scenario.people}
    closed = [r for r in rounds if r.state == "closed" and r.data is not None]
    policy = scenario.policy
    pairs: list[tuple[str, str]] = list(scenario.history.pairs)
    seen = {frozenset(p) for p in pairs}
    recent = closed[-policy.avoid_repeat_rounds :] if policy.avoid_repeat_rounds else []
    for r in recent:
        for a, b in (r.data or {}).get("pairs", []):
            key = frozenset((a, b))
            if a in people and b in people and a != b and key not in seen:
                seen.add(key)
                pairs.append((a, b) if a < b else (b, a))
    missed = list(scenario.history.missed_out)
    standing_yes = {
        pid for pid, answers in scenario.preferences.items() if Answer.yes in answers.values()
    }

    def reached_in(data: dict[str, Any]) -> set[str]:
        return {p for s in data.get("sessions", []) for p in s.get("attended", [])}

    reached = [reached_in(r.data or {}) for r in closed]
    opted = [set((r.data or {}).get("opted_in", {})) for r in closed]
    for pid in sorted(standing_yes & people):
        if pid in missed:
            continue
        # (a) the closed round just before: said yes, attended nothing.
        last_round = bool(closed) and pid in opted[-1] and pid not in reached[-1]
        # (b) their own last fairness_rounds rounds with a yes: attended nothing in any.
        theirs = [i for i in range(len(closed)) if pid in opted[i]][-policy.fairness_rounds :]
        starved = bool(theirs) and not any(pid in reached[i] for i in theirs)
        if last_round or starved:
            missed.append(pid)
    return History(pairs=pairs, missed_out=missed)


def _scrub(value: Any, person_id: str, markers: set[str]) -> Any:
    """A JSON value without ``person_id``: list items and dict keys equal to it go, a dict
    naming it as ``person`` goes, a ``pairs`` entry with it goes, and any text holding one of
    ``markers`` (id, name, e-mail address) has it replaced."""
    if isinstance(value, dict):
        if value.get("person") == person_id:
            return _DROP
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == person_id:
                continue
            if k == "pairs" and isinstance(v, list):  # history pairs with them go whole
                v = [p for p in v if not (isinstance(p, list) and person_id in p)]
            scrubbed = _scrub(v, person_id, markers)
            if scrubbed is not _DROP:
                out[k] = scrubbed
        return out
    if isinstance(value, list):
        items = [_scrub(v, person_id, markers) for v in value if v != person_id]
        return [v for v in items if v is not _DROP]
    if isinstance(value, str):
        return _marker_pattern(frozenset(markers)).sub("someone", value) if markers else value
    return value


@functools.lru_cache(maxsize=8)
def _marker_pattern(markers: frozenset[str]) -> re.Pattern[str]:
    """Any of ``markers`` as a whole word (a person "Bo" is not in "Board room")."""
    alternatives = "|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True) if m)
    return re.compile(rf"(?<![\w.@-])(?:{alternatives})(?![\w@-])")


_DROP = object()


def _changed_records(before: dict[str, Any] | None, scenario: Scenario) -> list[tuple[str, str]]:
    """The records (people, activities, venues, queues) an import adds or changes: who
    imported is who last changed them (answers: :func:`_changed_answers`)."""
    keys: list[tuple[str, str]] = []
    for kind in t.RECORD_TABLES:
        old = {r["id"]: r for r in (before or {}).get(kind, [])}
        for record in getattr(scenario, kind):
            if old.get(record.id) != record_document(record):
                keys.append((kind, record.id))
    return keys


def _changed_answers(before: dict[str, Any] | None, scenario: Scenario) -> list[tuple[str, str]]:
    """The answer cells an import changes (set, changed or cleared), so that another
    organiser's edit of one from an older read is refused as stale. The first import into an
    empty workspace stamps none: nobody can have read a cell before it (and 5,000 people bring
    100,000 answers); a response or a roster update stamps the few it changes."""
    old: dict[str, dict[str, str]] = (before or {}).get("preferences") or {}
    if not old:
        return []
    keys: list[tuple[str, str]] = []
    for pid, answers in scenario.preferences.items():
        was = old.get(pid, {})
        keys.extend(
            ("answers", f"{pid}/{aid}")
            for aid, answer in answers.items()
            if was.get(aid) != answer.value
        )
    for pid, was in old.items():
        now = scenario.preferences.get(pid, {})
        keys.extend(("answers", f"{pid}/{aid}") for aid in was if aid not in now)
    return keys


def _drop_references(data: dict[str, Any], kind: str, record_id: str) -> None:
    """Remove every reference to a deleted record so the scenario stays valid."""
    if kind == "people":
        data["preferences"].pop(record_id, None)
        for a in data["activities"]:
            a["required"] = [r for r in a.get("required", []) if r != record_id]
        hist = data.get("history") or {}
        hist["pairs"] = [p for p in hist.get("pairs", []) if record_id not in p]
        hist["missed_out"] = [p for p in hist.get("missed_out", []) if p != record_id]
    elif kind == "activities":
        for answers in data["preferences"].values():
            answers.pop(record_id, None)
    elif kind == "venues":
        for a in data["activities"]:
            a["venues"] = [v for v in a.get("venues", []) if v != record_id]
    elif kind == "queues":
        for p in data["people"]:
            p["queues"] = [q for q in p.get("queues", []) if q != record_id]


def _create_private_file(path: Path) -> None:
    from planner.files import make_private_dirs

    make_private_dirs(path.parent)  # every missing level owner-only, not only the last
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _permission_warnings(path: Path) -> list[str]:
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [
            f"{path}: readable by other users (mode {stat.filemode(mode)}); "
            f"it holds people's answers and availability — consider chmod 600"
        ]
    return []


def _parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):  # not quoted back: it may hold a password
        raise WorkspaceError("--workspace: not a valid database URL") from None


def _sqlite_file(parsed: URL) -> bool:
    """A plain SQLite file URL (no options): opened exactly like a path."""
    return (
        parsed.get_backend_name() == "sqlite"
        and parsed.database not in (None, "", ":memory:")
        and not parsed.query
    )


def _shown(parsed: URL) -> str:
    """The URL without its password, wherever it is (``user:pw@`` or ``?password=``)."""
    query = {k: ("hidden" if "pass" in k.lower() else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True)


def _url_engine(parsed: URL) -> tuple[Engine, str]:
    """An engine for ``--workspace`` given as a database URL, and the URL to show (without
    its password). A URL SQLAlchemy cannot use is the user's mistake, not a crash."""
    shown = _shown(parsed)
    reason = ""
    postgres = parsed.get_backend_name() in ("postgresql", "postgres")
    if postgres and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    try:
        if postgres and parsed.get_driver_name() == "psycopg":
            engine = _postgres_engine(parsed)
        else:
            engine = create_engine(parsed)
    except NoSuchModuleError:
        reason = f"unknown database type {parsed.drivername!r}"
    except ImportError as exc:
        driver = f" ({exc.name})" if exc.name else ""
        reason = f"the database driver for {parsed.drivername!r} is not installed{driver}"
    except (ArgumentError, ValueError, TypeError) as exc:  # e.g. an option's value
        reason = f"not a valid database URL ({exc})"
    if not reason and postgres and (parsed.password or "password" in parsed.query):
        reason = (
            "a password in the URL would show in the process list and the shell history; "
            "give it in PGPASSWORD, ~/.pgpass or PLANNER_DB_PASSWORD"
        )
    if reason:
        raise WorkspaceError(f"{shown}: cannot open the workspace: {reason}")
    return engine, shown


def _postgres_engine(parsed: URL) -> Engine:
    """PostgreSQL through psycopg 3. The password comes from the environment only
    (``PGPASSWORD`` and ``~/.pgpass`` are read by libpq itself; ``PLANNER_DB_PASSWORD`` is
    passed here) and is never stored in the workspace or shown.

    Writers serialise on one transaction-level advisory lock (:data:`PG_WRITE_LOCK`), taken
    by the first statement of every write transaction, as SQLite's ``BEGIN IMMEDIATE`` does:
    a writer then reads (READ COMMITTED, after the lock) everything committed before it, so a
    read-modify-write of the scenario never loses another organiser's edit; waiting longer
    than :data:`BUSY_TIMEOUT_SECONDS` (``lock_timeout``) is "workspace busy". Reads run in
    REPEATABLE READ: one consistent snapshot, as a SQLite read transaction sees.
    """
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, int(BUSY_TIMEOUT_SECONDS)),
        "application_name": "planner",
        # Every lock wait (the write lock, a row or table lock) ends as "workspace busy".
        "options": f"-c lock_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}",
    }
    password = os.environ.get("PLANNER_DB_PASSWORD")
    if password and not parsed.password:
        connect_args["password"] = password
    engine = create_engine(parsed, connect_args=connect_args, pool_pre_ping=False)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # VACUUM: no transaction at all
        if options.get("planner_immediate", False):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")
        else:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    return engine


PG_WRITE_LOCK = 0x706C616E6E6572  # "planner"
"""The advisory lock key every write transaction of a PostgreSQL workspace holds."""


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() emit our own BEGIN (pysqlite would defer it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        # Deleted rows (a removed person, an undo entry past the limit) are zeroed on disk,
        # not left readable in free pages of the file.
        cur.execute("PRAGMA secure_delete = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("planner_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def default_workspace_path() -> Path:
    """``$PLANNER_HOME/workspace.db``, else the platform's user data directory."""
    return data_home() / "workspace.db"


def data_home() -> Path:
    env = os.environ.get("PLANNER_HOME")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("planner", appauthor=False))
