"""The workspace on both engines (a SQLite file, a PostgreSQL database of the test session's
own server): round trips, edits with undo, permissions, versions."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from planner.domain.errors import InputError
from planner.domain.models import Answer, Person
from planner.store import Workspace, WorkspaceError
from planner.store import schema as t
from tests.factories import activity, build, person, scenario_data


def small() -> dict:
    return scenario_data(
        [person("ann", queues=["phone"]), person("bob", "Billing"), person("cat", "Sales")],
        [activity("lunch", required=["ann"]), activity("quiz")],
        {"ann": {"lunch": "yes"}, "bob": {"lunch": "maybe", "quiz": "no"}},
        queues=[{"id": "phone", "name": "Phone", "min_on_duty": 1}],
        history={"pairs": [["ann", "bob"]], "missed_out": ["cat"]},
    )


@pytest.fixture
def ws(ws_target: str):
    workspace = Workspace.open(ws_target)
    workspace.save_scenario(build(small()), {})
    yield workspace
    workspace.close()


def test_round_trip_is_lossless(ws: Workspace) -> None:
    assert ws.load_scenario() == build(small())


def test_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "w.db"
    with Workspace.open(path) as workspace:
        workspace.save_scenario(build(small()), {})
    for p in tmp_path.joinpath("deep").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_readable_by_others_warns(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Workspace.open(path).close()
    os.chmod(path, 0o644)
    with Workspace.open(path) as workspace:
        assert any("readable by other users" in w for w in workspace.warnings)


def test_wal_and_schema_version(ws: Workspace) -> None:
    with ws.read() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        else:  # reads see one snapshot, as a SQLite read transaction does
            level = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
            assert level == "repeatable read"
    assert ws.schema_version == t.SCHEMA_VERSION
    assert ws.integrity_check() == "ok"
    assert len(ws.workspace_id) == 36


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Workspace.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(path)
    assert str(info.value).startswith(f"{path}: made by a newer planner (schema 99, ")


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE x (a)")
    with pytest.raises(WorkspaceError, match="not a planner workspace"):
        Workspace.open(path)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(WorkspaceError, match="not a planner workspace"):
        Workspace.open(garbage)


def test_open_without_create(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no such workspace"):
        Workspace.open(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_reimport_updates_and_keeps_history(ws: Workspace) -> None:
    with ws.write() as conn:
        conn.execute(
            t.published_sessions.insert().values(
                session_id="lunch#1",
                uid="u1",
                sequence=0,
                cancelled=False,
                data={"id": "lunch#1"},
                updated_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
    data = small()
    data["people"] = data["people"][:2]
    data["history"]["missed_out"] = []
    data["preferences"]["bob"]["quiz"] = "yes"
    summary = ws.save_scenario(build(data), {})
    assert summary.removed == ["cat"]
    scenario = ws.load_scenario()
    assert [p.id for p in scenario.people] == ["ann", "bob"]
    assert scenario.answer("bob", "quiz") is Answer.yes
    with ws.read() as conn:
        assert conn.execute(t.published_sessions.select()).first().uid == "u1"


def test_edit_person_validates_and_undoes(ws: Workspace) -> None:
    ann = ws.load_scenario().person("ann")
    ws.put_record("people", ann.model_copy(update={"department": "Quality"}), replacing="ann")
    assert ws.load_scenario().person("ann").department == "Quality"
    bad = ann.model_copy(update={"queues": ["nope"]})
    with pytest.raises(InputError, match="unknown queue 'nope'"):
        ws.put_record("people", bad, replacing="ann")
    assert ws.load_scenario().person("ann").department == "Quality"
    assert ws.undo() == "edit person ann"
    assert ws.load_scenario().person("ann").department == "Support"


def test_add_person_then_undo(ws: Workspace) -> None:
    new = Person.model_validate(person("dan", "Sales"))
    ws.put_record("people", new)
    assert [p.id for p in ws.load_scenario().people] == ["ann", "bob", "cat", "dan"]
    ws.undo()
    assert [p.id for p in ws.load_scenario().people] == ["ann", "bob", "cat"]


def test_adding_a_taken_id_or_renaming_while_editing_is_refused(ws: Workspace) -> None:
    before = ws.load_scenario()
    bob = before.person("bob")
    other = Person.model_validate(person("ann", "Sales") | {"name": "Someone Else"})
    with pytest.raises(InputError, match=r"people\.0\.id: 'ann' is already taken"):
        ws.put_record("people", other)
    with pytest.raises(InputError, match=r"people\.1\.id: the id cannot change from 'bob'"):
        ws.put_record("people", bob.model_copy(update={"id": "cat"}), replacing="bob")
    with pytest.raises(InputError, match="the id cannot change from 'bob'"):
        ws.put_record("people", bob.model_copy(update={"id": "bobby"}), replacing="bob")
    with pytest.raises(InputError, match="'zed' is no longer in the workspace"):
        ws.put_record("people", Person.model_validate(person("zed")), replacing="zed")
    assert ws.load_scenario() == before


def test_delete_person_drops_references_and_undo_restores(ws: Workspace) -> None:
    ws.delete_record("people", "ann")
    scenario = ws.load_scenario()
    assert "ann" not in {p.id for p in scenario.people}
    assert scenario.activity("lunch").required == []
    assert scenario.history.pairs == []
    ws.undo()
    assert ws.load_scenario() == build(small())


def test_answer_cycle_and_undo(ws: Workspace) -> None:
    ws.set_answer("cat", "quiz", Answer.maybe)
    assert ws.load_scenario().answer("cat", "quiz") is Answer.maybe
    ws.set_answer("cat", "quiz", None)
    assert "cat" not in ws.load_scenario().preferences
    ws.undo()
    assert ws.load_scenario().answer("cat", "quiz") is Answer.maybe
    with pytest.raises(InputError, match="unknown activity"):
        ws.set_answer("cat", "karaoke", Answer.yes)


def test_policy_edit(ws: Workspace) -> None:
    policy = ws.load_scenario().policy.model_copy(update={"max_events_per_week": 1})
    ws.put_document("policy", policy)
    assert ws.load_scenario().policy.max_events_per_week == 1
    assert ws.undo() == "edit policy"
    assert ws.load_scenario().policy.max_events_per_week == 2


def test_undo_with_nothing_to_undo(ws_target: str) -> None:
    with Workspace.open(ws_target) as workspace:
        assert workspace.undo() is None


def test_busy_blocks_keep_only_times(ws: Workspace) -> None:
    block = (datetime(2027, 3, 2, 8, tzinfo=UTC), datetime(2027, 3, 2, 9, tzinfo=UTC))
    ws.set_busy_blocks("bob", "calendar", [block])
    assert ws.busy_blocks() == {"bob": [block]}
    problem = ws.planning_input(datetime(2027, 2, 1, tzinfo=UTC))
    assert problem.busy == {"bob": [block]}
    assert problem.published == []
    assert problem.declined == frozenset()


def test_empty_workspace_has_no_scenario(ws_target: str) -> None:
    with Workspace.open(ws_target) as workspace:
        assert not workspace.has_scenario()
        with pytest.raises(WorkspaceError, match="holds no scenario"):
            workspace.load_scenario()


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_workspace_upgrades_in_place_keeping_everything(
    ws_target: str, version: int
) -> None:
    """A workspace an earlier planner left at ``version`` (no Alembic stamp) is stamped with
    the matching revision and upgraded; what it held is all still there."""
    from tests.store.old import old_workspace

    old_workspace(ws_target, version)
    engine = _engine(ws_target)
    with engine.begin() as conn:
        if version == 1:  # no rounds table yet: the scenario rows go in by hand
            conn.execute(t.documents.insert(), [{"name": "team", "data": {"x": 1}}])
        conn.execute(t.answers.insert(), [{"person_id": "p", "activity_id": "a", "answer": "yes"}])
        workspace_id = conn.execute(
            select(t.meta.c.value).where(t.meta.c.key == "workspace_id")
        ).scalar_one()
    engine.dispose()
    with Workspace.open(ws_target) as workspace:
        assert workspace.schema_version == t.SCHEMA_VERSION
        assert workspace.meta("workspace_id") == workspace_id
        with workspace.read() as conn:
            assert conn.execute(select(t.answers.c.answer)).scalars().all() == ["yes"]
            stamp = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert stamp == t.HEAD
        assert [r.number for r in workspace.round_rows()] == [1]
        workspace.set_meta({"x": "y"})  # and it writes


def test_a_newer_alembic_revision_is_refused_with_nothing_changed(ws_target: str) -> None:
    Workspace.open(ws_target).close()
    engine = _engine(ws_target)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(ws_target)
    assert str(info.value) == (
        f"{ws_target}: made by a newer planner (schema revision 9999, this one reads up to "
        f"{t.HEAD})"
    )


def test_busy_block_edits_undo_and_survive_reimport(ws: Workspace) -> None:
    first = (datetime(2027, 3, 2, 8, tzinfo=UTC), datetime(2027, 3, 2, 9, tzinfo=UTC))
    second = (datetime(2027, 3, 3, 8, tzinfo=UTC), datetime(2027, 3, 3, 9, tzinfo=UTC))
    ws.set_busy_blocks("bob", "organiser", [first])
    ws.set_busy_blocks("bob", "organiser", [second])
    assert ws.busy_blocks() == {"bob": [second]}
    assert ws.undo() == "busy blocks of bob"
    assert ws.busy_blocks() == {"bob": [first]}
    # a scenario import replaces the blocks of calendar files, not what the organiser kept
    ws.save_scenario(build(small()), {"ann": [second]})
    assert ws.busy_blocks() == {"ann": [second], "bob": [first]}
    ws.undo()  # the import, including its calendar blocks
    assert ws.busy_blocks() == {"bob": [first]}
    ws.delete_record("people", "bob")
    assert ws.busy_blocks() == {}
    ws.undo()
    assert ws.busy_blocks() == {"bob": [first]}


def test_a_scenario_save_keeps_for_undo_only_the_busy_rows_it_changes(ws: Workspace) -> None:
    first = (datetime(2027, 3, 2, 8, tzinfo=UTC), datetime(2027, 3, 2, 9, tzinfo=UTC))
    second = (datetime(2027, 3, 3, 8, tzinfo=UTC), datetime(2027, 3, 3, 9, tzinfo=UTC))
    ws.set_busy_blocks("bob", "organiser", [first])
    ws.set_busy_blocks("ann", "response", [second])

    def last_saved_busy() -> list[list[str]]:
        with ws.read() as conn:
            entry = conn.execute(t.edit_log.select().order_by(t.edit_log.c.id.desc())).first()
        assert entry is not None
        return [list(r) for r in entry.changes["busy"]["rows"]]

    ws.save_scenario(
        ws.load_scenario(),
        None,
        label="import response ann",
        busy_updates={("ann", "response"): []},
    )
    assert [r[:2] for r in last_saved_busy()] == [["ann", "response"]]  # not bob's rows
    assert ws.busy_blocks() == {"bob": [first]}
    assert ws.undo() == "import response ann"
    assert ws.busy_blocks() == {"ann": [second], "bob": [first]}

    without_bob = small()
    without_bob["people"] = [p for p in without_bob["people"] if p["id"] != "bob"]
    without_bob["preferences"].pop("bob")
    without_bob["history"]["pairs"] = []
    ws.save_scenario(build(without_bob), None)  # removes bob and his blocks
    assert [r[:2] for r in last_saved_busy()] == [["bob", "organiser"]]
    assert ws.busy_blocks() == {"ann": [second]}
    ws.undo()
    assert ws.busy_blocks() == {"ann": [second], "bob": [first]}


def test_undo_history_is_bounded_and_forgets_removed_people(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.store.workspace as workspace_module

    monkeypatch.setattr(workspace_module, "UNDO_DEPTH", 3)
    ws.set_answer("ann", "lunch", Answer.no)
    ws.delete_record("people", "ann")
    for n in range(3):
        ws.set_answer("bob", "lunch", (Answer.yes, Answer.maybe, Answer.yes)[n])
    with ws.read() as conn:
        log = conn.execute(t.edit_log.select()).fetchall()
    assert len(log) == 3
    assert "ann" not in repr([row.changes for row in log])
    for _ in range(3):
        assert ws.undo() is not None
    assert ws.undo() is None


# ---------------------------------------------------------------------- one transaction


def test_nested_writes_join_the_outer_transaction(ws: Workspace) -> None:
    with pytest.raises(RuntimeError), ws.write():
        ws.set_answer("cat", "quiz", Answer.yes)
        # A read inside the transaction sees its own uncommitted change ...
        assert ws.load_scenario().preferences["cat"] == {"quiz": Answer.yes}
        raise RuntimeError("a later file fails")
    # ... and the failure rolls all of it back, the undo log included.
    assert "cat" not in ws.load_scenario().preferences
    assert ws.last_edit() == "import scenario"


def test_a_caught_failure_rolls_back_only_its_own_part(ws: Workspace) -> None:
    with ws.write():
        ws.set_answer("cat", "quiz", Answer.yes)
        with pytest.raises(InputError):
            ws.set_answer("nobody", "quiz", Answer.yes)
    assert ws.load_scenario().preferences["cat"] == {"quiz": Answer.yes}


def test_an_import_whose_last_file_fails_while_applying_keeps_nothing(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner import service

    def importer(workspace: Workspace, path: Path):
        def apply() -> str:
            if path.stem == "bad":
                raise InputError.single(str(path), "fails while applying")
            workspace.set_answer("cat", "quiz", Answer.yes)
            return "ok"

        return apply

    monkeypatch.setattr(service, "classify", lambda path: "test")
    monkeypatch.setitem(service.IMPORTERS, "test", importer)
    with pytest.raises(InputError, match="fails while applying"):
        service.import_files(ws, [tmp_path / "good.x", tmp_path / "bad.x"])
    assert "cat" not in ws.load_scenario().preferences


def _engine(target: str):
    """A plain engine on a workspace, as another program (or an older planner) opens it."""
    if "://" not in target:
        return create_engine(f"sqlite:///{target}")
    return create_engine(target.replace("postgresql://", "postgresql+psycopg://", 1))


# ---------------------------------------------------------------------- who did what


def test_every_change_names_its_organiser_and_moves_the_counter(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = ws.change_counter()
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    ws.set_answer("cat", "quiz", Answer.yes)
    assert ws.change_counter() == counter + 1
    change = ws.last_change("answers", "cat/quiz")
    assert change is not None and change.organiser == "Ana" and change.version == 1
    assert (datetime.now(UTC) - change.at).total_seconds() < 60
    with ws.read() as conn:
        newest = conn.execute(t.edit_log.select().order_by(t.edit_log.c.id.desc())).first()
    assert newest is not None and newest.organiser == "Ana"
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    ws.put_record(
        "people",
        Person.model_validate({**small()["people"][1], "department": "X"}),
        replacing="bob",
    )
    bob = ws.last_change("people", "bob")
    assert bob is not None and bob.organiser == "Bo"
    assert ws.change_counter() == counter + 2
    ws.forget_person("cat")
    assert ws.last_change("answers", "cat/quiz") is None  # it goes with the person


def test_an_edit_based_on_a_stale_read_is_refused_with_both_values(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.store.workspace import StaleEdit

    read = ws.record_version("answers", "bob/quiz")  # two editors read the same cell
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    ws.set_answer("bob", "quiz", Answer.yes, expected_version=read)
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    with pytest.raises(StaleEdit) as info:
        ws.set_answer("bob", "quiz", Answer.maybe, expected_version=read)
    stale = info.value
    assert (stale.expected, stale.actual) == (read, read + 1)
    assert (stale.current, stale.mine) == ("yes", "maybe")
    assert stale.change is not None and stale.change.organiser == "Ana"
    assert "changed by Ana since you read it" in str(stale)
    assert ws.load_scenario().preferences["bob"]["quiz"] is Answer.yes  # not overwritten
    ws.set_answer("bob", "quiz", Answer.maybe, expected_version=stale.actual)  # asked: yes
    person = Person.model_validate({**small()["people"][0], "department": "Y"})
    version = ws.record_version("people", "ann")
    ws.put_record("people", person, replacing="ann", expected_version=version)
    with pytest.raises(StaleEdit):
        ws.put_record("people", person, replacing="ann", expected_version=version)


def test_a_stale_team_or_policy_edit_is_refused(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.store.workspace import StaleEdit

    read = ws.record_version("documents", "policy")
    policy = ws.load_scenario().policy
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    ws.put_document(
        "policy", policy.model_copy(update={"max_events_per_day": 2}), expected_version=read
    )
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    with pytest.raises(StaleEdit) as info:
        ws.put_document(
            "policy", policy.model_copy(update={"max_events_per_day": 3}), expected_version=read
        )
    assert info.value.current["max_events_per_day"] == 2
    assert info.value.mine["max_events_per_day"] == 3
    assert ws.load_scenario().policy.max_events_per_day == 2


def test_record_changes_lists_who_changed_each_record(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    ws.set_answer("bob", "quiz", Answer.yes)
    ws.set_answer("bob", "quiz", Answer.maybe)
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    ws.put_record(
        "people",
        Person.model_validate({**small()["people"][1], "department": "X"}),
        replacing="bob",
    )
    changes = ws.record_changes()
    assert changes[("answers", "bob/quiz")].organiser == "Ana"
    assert changes[("answers", "bob/quiz")].version == 2
    assert changes[("people", "bob")] == ws.last_change("people", "bob")
    assert changes[("people", "bob")].organiser == "Bo"


def test_a_large_import_sends_its_rows_in_few_statements_and_keeps_every_character(
    ws_target: str,
) -> None:
    """On PostgreSQL the rows of a large import go by COPY (not one INSERT each); the
    text and JSON survive exactly, whatever characters they hold."""
    from sqlalchemy import event

    from tests.factories import activity, build, person, scenario_data

    odd = 'Zoë "Q" O\'Neil \\N, ß ✓ {"x": 1}'
    people = [person(f"p{i}", name=f"{odd} {i}") for i in range(400)]
    text = "line one\n\\N is not NULL\ttab\\. end"
    activities = [activity(f"a{j}", description=text) for j in range(5)]
    prefs = {p["id"]: {a["id"]: "yes" for a in activities} for p in people}
    scenario = build(scenario_data(people, activities, prefs))
    with Workspace.open(ws_target) as ws:
        sent = [0]

        def count(_c: Any, _cur: Any, _sql: str, params: Any, _ctx: Any, many: bool) -> None:
            sent[0] += len(params) if many else 1

        event.listen(ws.engine, "before_cursor_execute", count)
        ws.save_scenario(scenario, {})
        event.remove(ws.engine, "before_cursor_execute", count)
        loaded = ws.load_scenario()
        assert loaded.model_dump() == scenario.model_dump()
        assert ws.last_change("people", "p399") is not None
    if "://" in ws_target:  # PostgreSQL: 400 people, 2,000 answers, 405 stamps by COPY
        assert sent[0] < 60, sent[0]


def test_commits_count_this_handles_writes_and_not_anothers(ws: Workspace) -> None:
    """What lets the TUI tell its own writes from another organiser's: the change counter
    minus this handle's commits."""
    counter, commits = ws.change_counter(), ws.commits
    ws.set_answer("bob", "quiz", Answer.yes)
    with ws.write():  # one transaction, nested writes included: one commit
        ws.set_answer("bob", "quiz", Answer.maybe)
        ws.set_answer("cat", "quiz", Answer.maybe)
    with Workspace.open(ws.location, create=False) as other:
        other.set_answer("ann", "quiz", Answer.maybe)
        assert other.commits == 1
    assert ws.commits - commits == 2
    assert ws.change_counter() - counter == 3
    with pytest.raises(InputError):
        ws.set_answer("nobody", "quiz", Answer.yes)  # rolled back: not a commit
    assert ws.commits - commits == 2


def test_removing_a_record_changed_since_it_was_read_is_refused(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.store.workspace import StaleEdit

    read = ws.record_version("people", "bob")
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    ws.put_record(
        "people",
        Person.model_validate({**small()["people"][1], "department": "X"}),
        replacing="bob",
    )
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    with pytest.raises(StaleEdit) as info:
        ws.delete_record("people", "bob", expected_version=read)
    assert info.value.mine is None and info.value.current["department"] == "X"
    assert "bob" in {p.id for p in ws.load_scenario().people}
    ws.delete_record("people", "bob", expected_version=info.value.actual)
    assert "bob" not in {p.id for p in ws.load_scenario().people}


def test_undo_takes_back_only_your_own_edits(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two organisers on one workspace: Ana's undo reverts Ana's edit and leaves Bo's."""
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    ws.set_answer("cat", "quiz", Answer.yes)
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    ws.set_answer("bob", "lunch", Answer.yes)  # newer, and another answer
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    assert ws.undo() == "answer cat/quiz"
    after = ws.load_scenario()
    assert after.preferences.get("cat", {}).get("quiz") is None
    assert after.answer("bob", "lunch") == Answer.yes  # Bo's edit stays
    assert ws.undo() is None  # nothing of Ana's left; Bo's entry is still there for Bo
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    assert ws.undo() == "answer bob/lunch"
    assert ws.load_scenario().answer("bob", "lunch") == Answer.maybe


@pytest.mark.parametrize("overlapping", ["same answer", "whole scenario"])
def test_undo_refuses_to_overwrite_another_organisers_later_change(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, overlapping: str
) -> None:
    from planner.store.workspace import UndoBlocked

    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    if overlapping == "same answer":
        ws.set_answer("bob", "lunch", Answer.yes)
    else:  # an import replaces everything: any later change depends on it
        ws.save_scenario(build(small()), {}, label="import scenario")
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    ws.set_answer("bob", "lunch", Answer.no)
    before = ws.load_scenario()
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    with pytest.raises(UndoBlocked, match="Bo changed the same data after it") as refused:
        ws.undo()
    assert refused.value.exit_code == 2 and refused.value.their_label == "answer bob/lunch"
    assert ws.load_scenario() == before  # nothing undone, Bo's change kept
    monkeypatch.setenv("PLANNER_ORGANISER", "Bo")
    assert ws.undo() == "answer bob/lunch"  # Bo may still take back their own


def test_an_answer_an_import_changed_refuses_an_edit_from_an_older_read(
    ws: Workspace, ws_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ana read bob's lunch (maybe); Bea's import (a response, a roster) changes it; Ana's
    edit from her read is refused, not a silent overwrite. Answers the import did not
    change keep their versions."""
    from planner.store.workspace import StaleEdit

    read = ws.record_version("answers", "bob/lunch")
    untouched = ws.record_version("answers", "ann/lunch")
    monkeypatch.setenv("PLANNER_ORGANISER", "Bea")
    data = small()
    data["preferences"]["bob"] = {"lunch": "yes", "quiz": "no"}
    with Workspace.open(ws_target) as bea:
        bea.save_scenario(build(data), {}, label="import response bob")
    monkeypatch.setenv("PLANNER_ORGANISER", "Ana")
    assert ws.last_change("answers", "bob/lunch").organiser == "Bea"
    assert ws.record_version("answers", "ann/lunch") == untouched
    with pytest.raises(StaleEdit, match="changed by Bea"):
        ws.set_answer("bob", "lunch", Answer.no, expected_version=read)
    assert ws.load_scenario().answer("bob", "lunch") == Answer.yes
