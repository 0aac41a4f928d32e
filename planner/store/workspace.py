"""The workspace: the organiser's durable state in one SQLite file (or a SQLAlchemy URL).

Every change is one transaction that takes the write lock up front (``BEGIN IMMEDIATE``),
so two processes writing one workspace serialise instead of losing an update; a writer that
cannot get the lock within :data:`BUSY_TIMEOUT_SECONDS` gets :class:`WorkspaceBusy`. The
file is created owner-only (0600), journaled with WAL, and carries a schema version that
forward migrations raise without losing anything.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import (
    URL,
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    make_url,
    select,
    update,
)
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

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


class WorkspaceError(PlannerError):
    """The workspace cannot be used (not a workspace, newer schema, unreadable)."""

    exit_code = 2
    title = "Workspace"


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
                finally:
                    self._local.conn = None
        except OperationalError as exc:
            if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                raise WorkspaceBusy(
                    f"{self.location}: workspace busy (another planner is writing), try again"
                ) from None
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction; inside an open write transaction, that one (it sees its own
        uncommitted changes, which a second connection would not)."""
        outer = self._open_write()
        if outer is not None:
            yield outer
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def _open_write(self) -> Connection | None:
        return getattr(self._local, "conn", None)

    def _migrate(self) -> None:
        try:
            with self.write() as conn:
                version = self._version(conn)
                if version > t.SCHEMA_VERSION:
                    raise WorkspaceError(  # the except below adds the location
                        f"made by a newer planner (schema {version}, "
                        f"this one reads up to {t.SCHEMA_VERSION})"
                    )
                for step in t.MIGRATIONS[version:]:
                    step(conn)
                if version == 0:
                    conn.execute(insert(t.meta).values(key="workspace_id", value=str(uuid.uuid4())))
                    conn.execute(
                        insert(t.meta).values(key="created_at", value=_iso(datetime.now(UTC)))
                    )
                if version != t.SCHEMA_VERSION:
                    self._set_meta(conn, "schema_version", str(t.SCHEMA_VERSION))
        except WorkspaceError as exc:
            raise WorkspaceError(f"{self.location}: {exc}") from None
        except (OperationalError, DatabaseError) as exc:
            raise WorkspaceError(f"{self.location}: not a planner workspace ({exc.orig})") from None

    @staticmethod
    def _version(conn: Connection) -> int:
        names = set(inspect(conn).get_table_names())
        if "meta" not in names:
            if names:
                raise WorkspaceError("this database is not a planner workspace")
            return 0
        row = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).first()
        return int(row[0]) if row else 0

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
        value = self.meta("workspace_id")
        assert value is not None
        return value

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
        return validate_scenario(self._scenario_data(conn), self.location)

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
            if calendar_busy is not None:
                conn.execute(delete(t.calendar_busy).where(t.calendar_busy.c.source == "calendar"))
                rows = [
                    {"person_id": pid, "source": "calendar", "start": _iso(s), "end": _iso(e)}
                    for pid, blocks in calendar_busy.items()
                    for s, e in blocks
                ]
                if rows:
                    conn.execute(insert(t.calendar_busy), rows)
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
            if records:
                conn.execute(
                    insert(table),
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
        if rows:
            conn.execute(insert(t.answers), rows)

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
    ) -> None:
        """Add one person/activity/venue/queue, or with ``replacing`` edit that one in place;
        the whole scenario must stay valid.

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

    def delete_record(self, kind: RecordKind, record_id: str, *, label: str | None = None) -> None:
        """Remove a record and what refers to it (answers; references in other records)."""
        with self.write() as conn:
            before = self._snapshot(conn)
            data = self._scenario_data(conn)
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

    def set_answer(self, person_id: str, activity_id: str, answer: Answer | None) -> None:
        """Set one cell of the answers matrix (None clears it, which means ``no``)."""
        with self.write() as conn:
            # Two key look-ups instead of re-validating the scenario: one cell of the matrix
            # cannot break any other rule, and this keeps a keypress fast at 2,000 people.
            if (
                conn.execute(select(t.people.c.id).where(t.people.c.id == person_id)).first()
                is None
            ):
                raise InputError.single(self.location, f"unknown person {person_id!r}")
            if (
                conn.execute(
                    select(t.activities.c.id).where(t.activities.c.id == activity_id)
                ).first()
                is None
            ):
                raise InputError.single(self.location, f"unknown activity {activity_id!r}")
            before = conn.execute(
                select(t.answers.c.answer).where(
                    t.answers.c.person_id == person_id, t.answers.c.activity_id == activity_id
                )
            ).scalar()
            conn.execute(
                delete(t.answers).where(
                    t.answers.c.person_id == person_id, t.answers.c.activity_id == activity_id
                )
            )
            if answer is not None:
                conn.execute(
                    insert(t.answers).values(
                        person_id=person_id, activity_id=activity_id, answer=Answer(answer).value
                    )
                )
            self._log(
                conn,
                f"answer {person_id}/{activity_id}",
                {"answer": {"person": person_id, "activity": activity_id, "before": before}},
            )

    def put_document(
        self, name: Literal["team", "policy", "history"], value: Team | Policy | History
    ) -> None:
        with self.write() as conn:
            data = self._scenario_data(conn)
            before = data.get(name)
            data[name] = value.model_dump(mode="json")
            validate_scenario(data, self.location)
            conn.execute(
                update(t.documents).where(t.documents.c.name == name).values(data=data[name])
            )
            self._log(conn, f"edit {name}", {"document": {"name": name, "before": before}})

    def _log(self, conn: Connection, label: str, changes: dict[str, Any]) -> None:
        """Record an edit for undo, keeping only the last :data:`UNDO_DEPTH`.

        The log holds what an edit replaced (answers, busy blocks, removed people): a bounded
        history means a removed person's data does not stay in the file for ever.
        """
        conn.execute(insert(t.edit_log).values(at=_now(), label=label, changes=changes))
        newest = conn.execute(select(func.max(t.edit_log.c.id))).scalar_one()
        conn.execute(delete(t.edit_log).where(t.edit_log.c.id <= newest - UNDO_DEPTH))

    def undo(self) -> str | None:
        """Revert the last edit; returns its label, or None when there is nothing to undo."""
        with self.write() as conn:
            row = conn.execute(select(t.edit_log).order_by(t.edit_log.c.id.desc()).limit(1)).first()
            if row is None:
                return None
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
                table = t.RECORD_TABLES[rec["kind"]]
                if rec["before"] is None:
                    conn.execute(delete(table).where(table.c.id == rec["id"]))
                else:
                    conn.execute(
                        update(table).where(table.c.id == rec["id"]).values(data=rec["before"])
                    )
            elif "answer" in changes:
                a = changes["answer"]
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

    def latest_plan_id(self) -> int | None:
        """Id of the newest plan: a cheap way to tell whether it changed."""
        with self.read() as conn:
            return conn.execute(select(func.max(t.plans.c.id))).scalar()

    def latest_plan(self) -> Schedule | None:
        with self.read() as conn:
            row = conn.execute(
                select(t.plans.c.schedule).order_by(t.plans.c.id.desc()).limit(1)
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
        with self.read() as conn:
            scenario = self._load_scenario(conn)
            return PlanningInput(
                scenario=scenario,
                now=now,
                busy=self.busy_blocks(conn),
                published=self.published_sessions(conn),
                declined=self.declined(conn),
            )

    # ------------------------------------------------------------------ maintenance

    def integrity_check(self) -> str:
        with self.read() as conn:
            if conn.dialect.name != "sqlite":
                return "ok"
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())


# ---------------------------------------------------------------------- helpers


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
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
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
    try:
        engine = create_engine(parsed)
    except NoSuchModuleError:
        reason = f"unknown database type {parsed.drivername!r}"
    except ImportError as exc:
        driver = f" ({exc.name})" if exc.name else ""
        reason = f"the database driver for {parsed.drivername!r} is not installed{driver}"
    except (ArgumentError, ValueError, TypeError) as exc:  # e.g. an option's value
        reason = f"not a valid database URL ({exc})"
    if reason:
        raise WorkspaceError(f"{shown}: cannot open the workspace: {reason}")
    return engine, shown


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
