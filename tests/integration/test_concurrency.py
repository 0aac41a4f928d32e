"""Concurrent writers and all-or-nothing imports, with real ``planner import`` processes (§6).

* Many ``planner import`` processes started at once on one workspace, each bringing one
  change (a roster CSV adding a person, a response answering the poll): every change must
  survive, every run, not only the last writer's.
* A multi-file import whose last file fails, in checking or in applying, leaves the
  workspace exactly as it was: every table, the undo log included, dumped byte for byte.
* ``kill -9`` of a multi-file import mid-way leaves the old state or the whole new one,
  never the first file without the second.

Every test runs on both engines: a SQLite file and a PostgreSQL database of the test
session's own server (``ws_factory``), with the same assertions.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from planner.domain.io import dump_scenario
from planner.domain.models import Answer, Scenario
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data

REPO = Path(__file__).resolve().parents[2]
WRITERS = 8
ROUNDS = 5


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    # Eight writers queue for one lock on a loaded two-core box: wait, do not give up.
    env["PLANNER_BUSY_TIMEOUT"] = "120"
    return env


def _planner(*argv: str) -> list[str]:
    return [sys.executable, "-m", "planner.cli", *argv]


def _start_all(commands: list[list[str]]) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for cmd in commands
    ]


def _finish(procs: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        outputs.append(stdout)
    return outputs


def _base() -> Scenario:
    people = [person("ann", "Support"), person("ben", "Billing")]
    acts = [activity(f"a{r}") for r in range(ROUNDS)]
    return build(scenario_data(people, acts, {"ann": {"a0": "yes"}}))


Target = Callable[[str], str]
"""Makes a new, empty workspace location (a SQLite path or a PostgreSQL URL) by name."""


@pytest.fixture(params=["sqlite", "postgresql"])
def ws_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if request.param == "sqlite":
        return lambda name: str(tmp_path / name)
    from tests.pg import new_database

    server = request.getfixturevalue("pg_server")
    return lambda name: new_database(server, "c")


def _is_pg(db: str) -> bool:
    return db.startswith("postgresql")


def _rounds(db: str, sqlite: int, postgresql: int) -> int:
    """How many rounds of a slow test to run: fewer on PostgreSQL, whose run comes on top
    of SQLite's (each round is the same test, with the same assertions)."""
    return postgresql if _is_pg(db) else sqlite


def _engine(db: str):  # type: ignore[no-untyped-def]
    return create_engine(db.replace("postgresql://", "postgresql+psycopg://", 1))


def _dump(db: str) -> str:
    """Every table of the workspace, rows in order: the state, compared byte for byte."""
    if not _is_pg(db):
        conn = sqlite3.connect(db)
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()
    engine = _engine(db)
    try:
        with engine.connect() as c:
            tables = c.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            ).scalars()
            return "\n".join(
                f"{table}: {sorted(map(repr, c.execute(text(f'SELECT * FROM {table}'))))}"
                for table in list(tables)
            )
    finally:
        engine.dispose()


# ------------------------------------------------------------------ parallel imports


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_parallel_roster_imports_keep_every_person(tmp_path: Path, ws_factory: Target) -> None:
    db = ws_factory("ws.db")
    with Workspace.open(db) as ws:
        ws.save_scenario(_base(), {})
    for r in range(_rounds(db, ROUNDS, 2)):
        rosters = []
        for i in range(WRITERS):
            csv = tmp_path / f"r{r}-{i}.csv"
            csv.write_text(
                "name,email,department,queues\n"
                f"Person {r} {i},p{r}x{i}@example.com,Dept{i % 3},\n"
                # each writer also renames ann's department: the last one may win, but
                # nobody's new person may be lost to it
                f"Ann,ann@example.com,Round{r}W{i},\n"
            )
            rosters.append(csv)
        procs = _start_all([_planner("import", str(c), "--workspace", str(db)) for c in rosters])
        outputs = _finish(procs)
        assert all("1 people added, 1 updated" in out for out in outputs), outputs
        with Workspace.open(db) as ws:
            assert ws.integrity_check() == "ok"
            people = {p.id: p for p in ws.load_scenario().people}
        expected = {f"p{q}x{i}" for q in range(r + 1) for i in range(WRITERS)}
        missing = expected - set(people)
        assert not missing, f"round {r}: {len(missing)} of the parallel imports were lost"
        assert people["ann"].department.startswith(f"Round{r}W")
        assert people["ben"].department == "Billing"


def _poll_and_responses(tmp_path: Path, db: str, round_: int) -> list[Path]:
    """One response per person answering activity ``a<round_>`` (and a limit), made the way
    ``planner respond`` makes them."""
    import planner.respond as respond

    out = tmp_path / f"responses-{round_}"
    if hasattr(respond, "export_polls"):  # one signed poll per person (issue 12)
        with Workspace.open(db) as ws:
            polls = {
                poll.person: poll
                for poll in map(respond.load_poll, respond.export_polls(ws, tmp_path / "polls"))
            }
        return [
            respond.write_response(
                respond.build_response(polls[f"u{i}"], {f"a{round_}": "yes"}, respond.Limits(), []),
                out,
            )
            for i in range(WRITERS)
        ]
    poll_file = tmp_path / "poll.toml"  # one poll for everybody, before issue 12
    if not poll_file.exists():
        with Workspace.open(db) as ws:
            respond.export_poll(ws, poll_file)  # type: ignore[attr-defined]
    poll = respond.load_poll(poll_file)
    return [
        respond.write_response(
            respond.build_response(  # type: ignore[call-arg]
                poll, f"u{i}", {f"a{round_}": "yes"}, respond.Limits(), []
            ),
            out,
        )
        for i in range(WRITERS)
    ]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_parallel_response_imports_keep_every_answer(tmp_path: Path, ws_factory: Target) -> None:
    db = ws_factory("ws.db")
    people = [person(f"u{i}", f"D{i % 3}") for i in range(WRITERS)]
    acts = [activity(f"a{r}") for r in range(3)]
    with Workspace.open(db) as ws:
        ws.save_scenario(build(scenario_data(people, acts)), {})
    for r in range(_rounds(db, 3, 2)):
        responses = _poll_and_responses(tmp_path, db, r)
        _finish(_start_all([_planner("import", str(p), "--workspace", str(db)) for p in responses]))
        with Workspace.open(db) as ws:
            scenario = ws.load_scenario()
        lost = [
            (f"u{i}", f"a{q}")
            for i in range(WRITERS)
            for q in range(r + 1)
            if scenario.answer(f"u{i}", f"a{q}") is not Answer.yes
        ]
        assert not lost, f"round {r}: answers lost to parallel imports: {lost}"


# ------------------------------------------------------------------ all or nothing


def _workspace_with_queue(ws_factory: Target) -> str:
    db = ws_factory("ws.db")
    data = scenario_data([person("ann"), person("ben")], [activity("a0")], {"ann": {"a0": "yes"}})
    data["queues"] = [{"id": "q1", "name": "Queue one", "min_on_duty": 0}]
    with Workspace.open(db) as ws:
        ws.save_scenario(build(data), {}, label="first import")
        ws.set_answer("ben", "a0", Answer.maybe)
    return db


def _export(db: str, out: Path) -> bytes:
    proc = subprocess.run(
        _planner("export", "scenario", "--out", str(out), "--workspace", str(db)),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def _assert_untouched_by(db: str, tmp_path: Path, files: list[Path], message: str) -> None:
    before_export = _export(db, tmp_path / "before.toml")
    before = _dump(db)
    proc = subprocess.run(
        _planner("import", *map(str, files), "--workspace", str(db)),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""  # no "imported" line for the files before the failing one
    assert _dump(db) == before  # every table, the undo log and the answers included
    assert _export(db, tmp_path / "after.toml") == before_export


def test_import_whose_last_file_fails_checking_keeps_nothing(
    tmp_path: Path, ws_factory: Target
) -> None:
    db = _workspace_with_queue(ws_factory)
    good = tmp_path / "roster.csv"
    good.write_text("name,email,department,queues\nCara,cara@example.com,Ops,q1\n")
    scenario = tmp_path / "next.toml"
    data = scenario_data([person("ann"), person("dan")], [activity("a0"), activity("a1")])
    scenario.write_text(dump_scenario(build(data), "toml"))
    bad_reply = tmp_path / "bad-reply.ics"
    bad_reply.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\nUID:never-sent@example.com\r\nDTSTAMP:20260101T090000Z\r\n"
        "DTSTART:20270302T110000Z\r\nDTEND:20270302T120000Z\r\nSEQUENCE:0\r\n"
        "ORGANIZER:mailto:olga@example.com\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.com\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    _assert_untouched_by(
        db, tmp_path, [good, scenario, bad_reply], "is not an invite from this workspace"
    )


def test_import_whose_last_file_fails_applying_keeps_nothing(
    tmp_path: Path, ws_factory: Target
) -> None:
    # Each file is valid against the workspace as it is, so checking passes; but the
    # scenario removes queue q1, so the roster (checked before, applied after) fails.
    db = _workspace_with_queue(ws_factory)
    first_roster = tmp_path / "first.csv"
    first_roster.write_text("name,email,department,queues\nEve,eve@example.com,Ops,\n")
    scenario = tmp_path / "next.toml"
    data = scenario_data([person("ann"), person("dan")], [activity("a0"), activity("a1")])
    scenario.write_text(dump_scenario(build(data), "toml"))
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,department,queues\nCara,cara@example.com,Ops,q1\n")
    _assert_untouched_by(db, tmp_path, [first_roster, scenario, roster], "unknown queue 'q1'")


# ------------------------------------------------------------------ kill -9


def _big(n_people: int, tag: str) -> Scenario:
    people = [person(f"{tag}{i}", f"D{i % 7}") for i in range(n_people)]
    acts = [activity(f"{tag}-a{j}") for j in range(30)]
    prefs = {p["id"]: {a["id"]: "yes" for a in acts[: 1 + i % 30]} for i, p in enumerate(people)}
    return build(scenario_data(people, acts, prefs))


def _state(db: str) -> tuple[Scenario, str | None]:
    with Workspace.open(db) as ws:
        assert ws.integrity_check() == "ok"
        return ws.load_scenario(), ws.last_edit()


def _writing(db: str) -> bool:
    """Whether a planner has begun writing to ``db``: SQLite's write-ahead log grows; on
    PostgreSQL a session of that database holds a transaction id (its first row written)."""
    if not _is_pg(db):
        wal = Path(f"{db}-wal")
        return wal.exists() and wal.stat().st_size > 0
    engine = _engine(db)
    try:
        with engine.connect() as c:
            return bool(
                c.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                    )
                ).scalar()
            )
    finally:
        engine.dispose()


def _run_until_writing(argv: list[str], db: str) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``planner ARGV`` and return once it writes to the workspace (the checking is
    over, the applying has begun), with the time that took."""
    start = time.monotonic()
    proc = subprocess.Popen(_planner(*argv), env=_env(), stdout=subprocess.PIPE)
    while proc.poll() is None and not _writing(db):
        time.sleep(0.005)
        assert time.monotonic() - start < 120, "the import never started writing"
    return proc, time.monotonic() - start


def _fresh(db: str, scenario: Scenario) -> tuple[Scenario, str | None]:
    if _is_pg(db):
        engine = _engine(db)
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        if not _is_pg(db):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    with Workspace.open(db) as ws:
        ws.save_scenario(scenario, {})
    return _state(db)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_9_during_a_multi_file_import_leaves_old_or_all_new(
    tmp_path: Path, ws_factory: Target
) -> None:
    old = _big(400, "old")
    files = [tmp_path / "big.toml"]
    files[0].write_text(dump_scenario(_big(1500, "new"), "toml"))
    for r in range(3):
        files.append(tmp_path / f"roster{r}.csv")
        files[-1].write_text(
            "name,email,department,queues\n"
            + "".join(f"Late {r} {i},late{r}x{i}@example.com,Ops,\n" for i in range(300))
            # and people of the first file, changed again by each roster
            + "".join(f"New {i},new{i}@example.com,R{r},\n" for i in range(0, 1500, 7))
        )
    argv = ["import", *map(str, files), "--workspace"]

    # The whole new state, and how long applying takes, from an import left to finish.
    reference = ws_factory("reference.db")
    _fresh(reference, old)
    proc, _ = _run_until_writing([*argv, reference], reference)
    began = time.monotonic()
    assert proc.wait(timeout=300) == 0
    applying = time.monotonic() - began
    new = _state(reference)

    db = ws_factory("ws.db")
    rng = random.Random(12)
    killed = 0
    tries = _rounds(db, 6, 4)
    for _ in range(tries):
        old_state = _fresh(db, old)
        proc, _ = _run_until_writing([*argv, db], db)
        time.sleep(rng.uniform(0.0, 0.9) * applying)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        killed += proc.returncode == -signal.SIGKILL
        assert _state(db) in (old_state, new), "a killed import left a mix of old and new"
    assert killed >= tries // 2  # most kills land while the files are being applied


# ------------------------------------------------------------------ one importer alone


def test_roster_apply_reads_and_writes_under_one_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ws_factory: Target
) -> None:
    """Applied on its own (not through ``import_files``), a roster still merges against the
    scenario under the lock it writes with: an answer saved meanwhile is not overwritten."""
    import threading

    import planner.roster as roster

    db = ws_factory("ws.db")
    with Workspace.open(db) as ws:
        ws.save_scenario(_base(), {})
    csv = tmp_path / "roster.csv"
    csv.write_text("name,email,department,queues\nCara,cara@example.com,Ops,\n")
    other = Workspace.open(db)

    def answer_meanwhile() -> None:
        other.set_answer("ben", "a1", Answer.yes)

    writer = threading.Thread(target=answer_meanwhile)
    merge = roster.merge_roster

    def merge_while_another_writes(*args: object, **kwargs: object) -> object:
        if not writer.is_alive() and writer.ident is None:
            writer.start()
            writer.join(timeout=2)  # with the lock held it waits; without, it writes now
        return merge(*args, **kwargs)  # type: ignore[arg-type]

    with Workspace.open(db) as ws:
        apply = roster.import_roster(ws, csv)
        monkeypatch.setattr(roster, "merge_roster", merge_while_another_writes)
        assert apply() == f"{csv}: 1 people added, 0 updated"
        writer.join(timeout=60)
        assert not writer.is_alive()
        scenario = ws.load_scenario()
    other.close()
    assert "cara" in {p.id for p in scenario.people}
    assert scenario.answer("ben", "a1") is Answer.yes, "the answer saved meanwhile was lost"
