"""PostgreSQL as a workspace: ``workspace copy`` and ``upgrade``, bad URLs and servers,
read-only organisers, forgetting. Runs against the test session's own server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from planner.cli import main
from planner.domain.models import Answer
from planner.store import Workspace
from planner.store import schema as t
from planner.store.pgserver import PgServer
from tests.pg import new_database


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def dump(target: str) -> dict[str, list[Any]]:
    """Every row of every table, in a stable order (the whole workspace), but the change
    counter: the copy is itself a write on the destination, which moves it."""
    with Workspace.open(target, create=False) as ws, ws.read() as conn:
        query = {
            table.name: select(table).where(table.c.key != "change_counter")
            if table is t.meta
            else select(table)
            for table in t.metadata.sorted_tables
        }
        return {
            table.name: sorted(
                repr(sorted(row._mapping.items())) for row in conn.execute(query[table.name])
            )
            for table in t.metadata.sorted_tables
        }


def export(capsys: pytest.CaptureFixture[str], target: str, out: Path) -> str:
    code, _, err = run(capsys, "export", "scenario", "--workspace", target, "--out", str(out))
    assert code == 0, err
    return out.read_text()


def test_copy_sqlite_to_postgresql_and_back_keeps_everything(
    published_ws: Workspace, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime

    from tests.calendar.test_invites import default_schedule

    published_ws.save_plan(default_schedule(), published=True)
    when = datetime(2027, 2, 1, 9, 30)
    with published_ws.write() as conn:  # an RSVP and a response, as their imports store them
        uid = conn.execute(select(t.published_sessions.c.uid)).scalars().first()
        conn.execute(
            t.replies.insert().values(
                uid=uid, person_id="bob", partstat="ACCEPTED", sequence=0, received_at=when
            )
        )
        conn.execute(t.responses.insert().values(person_id="carol", poll_id="p1", received_at=when))
    published_ws.set_answer("carol", "workshop", Answer.maybe)  # an undo entry after that
    source = published_ws.location
    published_ws.close()
    code, out, err = run(capsys, "workspace", "copy", source, pg_url)
    assert code == 0, err
    assert out.startswith(f"copied {source} to {pg_url}: ")
    back = str(tmp_path / "back.db")
    assert run(capsys, "workspace", "copy", pg_url, back)[0] == 0
    original = dump(source)
    for table in ("published_sessions", "sent_invites", "plans", "replies", "responses"):
        assert original[table], table
    assert len(original["edit_log"]) == 2 and len(original["rounds"]) == 1
    assert dump(pg_url) == original
    assert dump(back) == original
    scenario = export(capsys, source, tmp_path / "a.toml")
    assert export(capsys, pg_url, tmp_path / "b.toml") == scenario
    assert export(capsys, back, tmp_path / "c.toml") == scenario
    with Workspace.open(pg_url) as ws:
        assert ws.latest_plan() is not None
        # New rows get new ids after the copied ones (the sequences follow the copy).
        ws.set_answer("carol", "workshop", Answer.yes)
        assert ws.undo() == "answer carol/workshop"
        assert ws.undo() == "answer carol/workshop"
        assert ws.load_scenario().preferences["carol"].get("workshop") is None


def test_copy_refuses_a_destination_that_is_not_empty(
    published_ws: Workspace, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = published_ws.location
    published_ws.close()
    assert run(capsys, "workspace", "copy", source, pg_url)[0] == 0
    before = dump(pg_url)
    code, out, err = run(capsys, "workspace", "copy", source, pg_url)
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [
        f"planner: {pg_url}: not empty ({len(before) + 1} tables); copy into an empty "
        "database (nothing was changed)"
    ]
    assert dump(pg_url) == before
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"")
    code, _, err = run(capsys, "workspace", "copy", pg_url, str(existing))
    assert code == 2 and "already exists" in err
    assert existing.read_bytes() == b""


def test_upgrade_an_old_workspace_in_place(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.store.old import old_workspace

    for target in (pg_url, str(tmp_path / "old.db")):
        old_workspace(target, 1)
        code, out, err = run(capsys, "workspace", "upgrade", target)
        assert code == 0, err
        assert out.strip() == f"{target}: upgraded from revision 0001 to {t.HEAD}"
        code, out, _ = run(capsys, "workspace", "upgrade", target)
        assert out.strip() == f"{target}: already at schema {t.SCHEMA_VERSION} (revision {t.HEAD})"


def test_planner_workspace_is_the_default_workspace(
    pg_url: str,
    example_scenario: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLANNER_WORKSPACE", pg_url)
    code, _, err = run(capsys, "import", str(example_scenario))
    assert code == 0, err
    with Workspace.open(pg_url, create=False) as ws:
        assert ws.has_scenario()


# ---------------------------------------------------------------------- bad input


def _refused(capsys: pytest.CaptureFixture[str], url: str, expected: str, tmp_path: Path) -> str:
    out = tmp_path / "s.toml"
    code, stdout, err = run(capsys, "export", "scenario", "--workspace", url, "--out", str(out))
    assert (code, stdout) == (2, ""), err
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err, err
    assert "Traceback" not in err
    assert not out.exists()
    return err


def test_wrong_credentials_unreachable_host_and_no_database(
    pg_server: PgServer,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PGPASSWORD", "not-the-password")
    err = _refused(capsys, pg_url, "password authentication failed", tmp_path)
    assert "not-the-password" not in err and pg_server.password not in err
    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    from planner.store.pgserver import free_port

    _refused(
        capsys, f"postgresql://planner@127.0.0.1:{free_port()}/x", "Connection refused", tmp_path
    )
    _refused(capsys, pg_server.url("no_such_db"), 'database "no_such_db" does not exist', tmp_path)


def test_a_password_in_the_url_is_refused_and_never_shown(
    pg_server: PgServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_server.url("postgres").replace("planner@", f"planner:{pg_server.password}@")
    err = _refused(capsys, url, "give it in PGPASSWORD, ~/.pgpass or PLANNER_DB_PASSWORD", tmp_path)
    assert pg_server.password not in err and "***" in err


def test_planner_db_password_logs_in(
    pg_url: str,
    pg_server: PgServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    monkeypatch.setenv("PLANNER_DB_PASSWORD", pg_server.password)
    with Workspace.open(pg_url) as ws:
        assert not ws.has_scenario()


def test_another_programs_database_and_a_newer_revision(
    pg_server: PgServer, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    pg_server.admin("CREATE TABLE orders (id int); CREATE TABLE meta (key text, value text)", name)
    for_import = ["import", str(tmp_path / "none.toml"), "--workspace", pg_url]
    _refused(capsys, pg_url, f"{pg_url}: this database is not a planner workspace", tmp_path)
    assert run(capsys, *for_import)[0] == 2
    assert _tables(pg_url) == ["meta", "orders"]  # nothing created
    newer = new_database(pg_server)
    Workspace.open(newer).close()
    pg_server.admin("UPDATE alembic_version SET version_num = '9999'", newer.rsplit("/", 1)[1])
    _refused(capsys, newer, "made by a newer planner (schema revision 9999", tmp_path)


def _tables(url: str) -> list[str]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- privacy and roles


def _raw_pages(server: PgServer, database: str) -> bytes:
    """Every page of every workspace table and its TOAST table, as the server stores them
    (pageinspect, superuser only): what a delete leaves behind until a vacuum."""
    import psycopg

    server.admin("CREATE EXTENSION IF NOT EXISTS pageinspect", database)
    with psycopg.connect(
        host="127.0.0.1",
        port=server.port,
        user="planner",
        password=server.password,
        dbname=database,
    ) as conn:
        relations = conn.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'pg_toast') "
            "AND c.relkind IN ('r', 't')"
        ).fetchall()
        out = b""
        for (name,) in relations:
            pages = conn.execute(
                "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int",
                (name,),
            ).fetchone()
            assert pages is not None
            for n in range(int(pages[0])):
                row = conn.execute("SELECT get_raw_page(%s, %s)", (name, n)).fetchone()
                assert row is not None
                out += bytes(row[0])
        return out


def test_forget_leaves_no_dead_copy_in_the_tables_pages(
    pg_server: PgServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.factories import activity, build, person, scenario_data

    mark = "Zzforgetme Quux"
    people = [person("zz", name=mark), person("ann")]
    with Workspace.open(pg_url) as ws:
        ws.save_scenario(
            build(scenario_data(people, [activity("lunch")], {"zz": {"lunch": "yes"}})), {}
        )
        ws.set_answer("zz", "lunch", Answer.maybe)
    database = pg_url.rsplit("/", 1)[1]
    assert mark.encode() in _raw_pages(pg_server, database)
    code, _, err = run(capsys, "forget", "zz", "--workspace", pg_url)
    assert code == 0, err
    assert mark.encode() not in _raw_pages(pg_server, database)
    assert "zz" not in repr(dump(pg_url)["people"])


def _role(server: PgServer, url: str, name: str, grants: str) -> str:
    """A login role ``name_<database>`` granted ``grants`` (SQL); the URL it connects with."""
    database = url.rsplit("/", 1)[1]
    role = f"{name}_{database}"
    server.admin(
        f"CREATE ROLE {role} LOGIN PASSWORD '{server.password}'; "
        f'GRANT CONNECT ON DATABASE "{database}" TO {role}; '
        f"GRANT USAGE ON SCHEMA public TO {role}; " + grants.format(role=role),
        database,
    )
    return url.replace("//planner@", f"//{role}@")


def _reader(server: PgServer, url: str) -> str:
    """A role that may only read the workspace (as the README's grants make one)."""
    return _role(server, url, "reader", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")


def test_a_read_only_organiser_reads_and_every_write_is_refused(
    pg_server: PgServer,
    pg_url: str,
    example_scenario: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "import", str(example_scenario), "--workspace", pg_url)[0] == 0
    reader = _reader(pg_server, pg_url)
    before = dump(pg_url)
    assert export(capsys, reader, tmp_path / "s.toml") == export(
        capsys, pg_url, tmp_path / "t.toml"
    )
    code, out, err = run(
        capsys,
        "report",
        "--format",
        "json",
        "--out",
        str(tmp_path / "r.json"),
        "--workspace",
        reader,
    )
    assert code == 0, err
    for argv in (
        ["import", str(example_scenario)],
        ["forget", "karin"],
        ["round", "close", "--force"],
    ):
        code, out, err = run(capsys, *argv, "--workspace", reader)
        assert (code, out) == (2, ""), (argv, err)
        assert err.strip().splitlines() == [
            f"planner: {reader}: read-only for this organiser (the database role may only "
            "read); nothing was changed"
        ], argv
    assert dump(pg_url) == before


def _writer(server: PgServer, url: str) -> str:
    """A role that may change the rows but owns no table (so may not vacuum them)."""
    return _role(
        server,
        url,
        "writer",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; "
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}",
    )


def _forgettable(url: str) -> None:
    from tests.factories import activity, build, person, scenario_data

    people = [person("zz"), person("ann")]
    with Workspace.open(url) as ws:
        ws.save_scenario(
            build(scenario_data(people, [activity("lunch")], {"zz": {"lunch": "yes"}})), {}
        )


def test_forget_by_a_role_that_may_not_vacuum_says_so(
    pg_server: PgServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _forgettable(pg_url)
    writer = _writer(pg_server, pg_url)
    code, out, err = run(capsys, "forget", "zz", "--workspace", writer)
    assert code == 0, err
    assert out.startswith("forgot zz: ")
    assert err.strip().splitlines() == [
        f"note: {writer}: VACUUM FULL did not run: only the owner of the workspace's "
        "tables may vacuum them; until the tables' owner runs VACUUM FULL on them, the deleted "
        "rows stay in the tables' pages (not readable by SQL)"
    ]
    assert "zz" not in repr(dump(pg_url)["people"])


def test_forget_while_another_session_holds_a_table_says_vacuum_could_not_run(
    pg_server: PgServer,
    pg_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg

    from planner.store import workspace

    _forgettable(pg_url)
    monkeypatch.setattr(workspace, "BUSY_TIMEOUT_SECONDS", 1.0)  # lock_timeout of 1 s
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(
        host="127.0.0.1",
        port=pg_server.port,
        user="planner",
        password=pg_server.password,
        dbname=database,
    ) as other:
        other.execute("SELECT count(*) FROM answers")  # its open transaction holds the table
        code, out, err = run(capsys, "forget", "zz", "--workspace", pg_url)
    assert code == 0, err
    assert out.startswith("forgot zz: ")
    (line,) = err.strip().splitlines()
    assert line.startswith(f"note: {pg_url}: VACUUM FULL could not run (")
    assert "lock timeout" in line and "Traceback" not in err
    assert "zz" not in repr(dump(pg_url)["people"])
