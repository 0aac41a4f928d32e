"""Writes never replace what is not theirs (§6 Writes), with real ``planner`` processes.

Every ``--out`` refuses a workspace, a device, a FIFO, a socket, a symlink and a directory
where a file belongs, with exit 2 and the path named; temporary files are created
exclusively, so a planted symlink is never followed; created folders are owner-only.
Devices are made with ``mknod`` in the test's own folder (the tests run as root), never
``/dev/null`` itself: a regression must not be able to replace the machine's device.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.domain.io import dump_scenario
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data

REPO = Path(__file__).resolve().parents[2]
NOW = "2027-02-01T09:00:00+00:00"
MEETINGS = REPO / "tests" / "data" / "meeting-benchmarks" / "50meetings-160timegrains-5rooms.json"


def planner(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``planner ARGV`` in its own process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def refused(proc: subprocess.CompletedProcess[str], path: Path | str, why: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr and why in proc.stderr, proc.stderr
    assert proc.stdout == ""


def _scenario_data() -> dict:
    people = [person("ann"), person("ben", "Billing"), person("cat", "Sales")]
    acts = [activity("lunch", min_participants=2)]
    return scenario_data(people, acts, {p["id"]: {"lunch": "yes"} for p in people})


@pytest.fixture
def ws_db(tmp_path: Path) -> Path:
    db = tmp_path / "ws.db"
    with Workspace.open(db) as ws:
        ws.save_scenario(build(_scenario_data()), {})
    return db


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(dump_scenario(build(_scenario_data()), "toml"))
    return path


def _dump(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def _null_device(path: Path) -> Path:
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
    return path


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    yield path
    server.close()


# ------------------------------------------------------------------ the workspace itself


@pytest.mark.parametrize("what", ["poll", "scenario"])
def test_export_over_the_live_workspace_is_refused(ws_db: Path, what: str) -> None:
    before = _dump(ws_db)
    proc = planner("export", what, "--out", str(ws_db), "--workspace", str(ws_db))
    refused(proc, ws_db, "refusing to write")
    assert "workspace" in proc.stderr
    assert _dump(ws_db) == before
    with Workspace.open(ws_db) as ws:
        assert ws.integrity_check() == "ok"
        assert len(ws.load_scenario().people) == 3


def test_export_over_another_workspace_is_refused(ws_db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with Workspace.open(other) as ws:
        ws.save_scenario(build(_scenario_data()), {})
    before = other.read_bytes()
    proc = planner("export", "scenario", "--out", str(other), "--workspace", str(ws_db))
    refused(proc, other, "it is a workspace (a SQLite database)")
    assert other.read_bytes() == before


def test_solve_out_folder_over_the_workspace_is_refused(ws_db: Path) -> None:
    before = _dump(ws_db)
    proc = planner("solve", "--workspace", str(ws_db), "--out", str(ws_db), "--now", NOW)
    refused(proc, ws_db, "Not a directory")
    assert _dump(ws_db) == before


# ------------------------------------------------------------------ devices, pipes, sockets


def test_out_to_a_device_is_refused_and_the_device_stays(ws_db: Path, tmp_path: Path) -> None:
    device = _null_device(tmp_path / "null")
    for argv in (
        ["export", "scenario", "--out", str(device), "--workspace", str(ws_db)],
        ["export", "poll", "--out", str(device), "--workspace", str(ws_db)],
    ):
        refused(planner(*argv), device, "it is a device")
        assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_bench_out_to_a_device_is_refused_before_the_search(tmp_path: Path) -> None:
    device = _null_device(tmp_path / "null")
    start = time.monotonic()
    proc = planner("bench", "--meetings", str(MEETINGS), "--out", str(device), "--time-limit", "30")
    refused(proc, device, "it is a device")
    assert time.monotonic() - start < 25  # refused up front, not after 30 s of solving
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_out_to_a_fifo_or_a_socket_is_refused_without_blocking(
    ws_db: Path, tmp_path: Path, unix_socket: Path
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    refused(
        planner("export", "scenario", "--out", str(fifo), "--workspace", str(ws_db)),
        fifo,
        "named pipe",
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    refused(
        planner("export", "scenario", "--out", str(unix_socket), "--workspace", str(ws_db)),
        unix_socket,
        "it is a socket",
    )
    assert stat.S_ISSOCK(os.lstat(unix_socket).st_mode)


def test_out_that_is_a_directory_is_refused(ws_db: Path, tmp_path: Path) -> None:
    proc = planner("export", "scenario", "--out", ".", "--workspace", str(ws_db), cwd=tmp_path)
    refused(proc, ".", "cannot write: Is a directory")
    proc = planner(
        "bench", "--meetings", str(MEETINGS), "--out", str(tmp_path), "--time-limit", "30"
    )
    refused(proc, tmp_path, "cannot write: Is a directory")


# ------------------------------------------------------------------ symlinks


def test_solve_over_a_planted_schedule_symlink_is_refused(
    scenario_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / "schedule.json").symlink_to(victim)
    start = time.monotonic()
    proc = planner(
        "solve", str(scenario_file), "--out", str(out), "--now", NOW, "--time-limit", "30"
    )
    refused(proc, out / "schedule.json", "symbolic link")
    assert time.monotonic() - start < 25  # before the search, not after it
    assert victim.read_text() == "precious\n"
    assert (out / "schedule.json").is_symlink()


def test_solve_never_follows_a_planted_temporary_file(scenario_file: Path, tmp_path: Path) -> None:
    # The old temporary name was predictable (.schedule.json.tmp-<pid>) and opened with
    # O_TRUNC: a symlink planted under it made solve overwrite the link's target.
    out = tmp_path / "plan"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "planner.cli", "solve", str(scenario_file)),
            *("--out", str(out), "--now", NOW, "--time-limit", "5", "--workers", "1"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    planted = [out / f".{name}.tmp-{proc.pid}" for name in ("schedule.json", "calendar.ics")]
    for link in planted:
        link.symlink_to(victim)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert victim.read_text() == "precious\n"
    assert all(link.is_symlink() for link in planted)
    assert (out / "schedule.json").is_file() and not (out / "schedule.json").is_symlink()
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") and p not in planted]
    assert leftovers == []


def test_export_over_a_symlink_is_refused(ws_db: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.toml"
    victim.write_text("precious\n")
    link = tmp_path / "link.toml"
    link.symlink_to(victim)
    refused(
        planner("export", "scenario", "--out", str(link), "--workspace", str(ws_db)),
        link,
        "symbolic link",
    )
    assert victim.read_text() == "precious\n" and link.is_symlink()


# ------------------------------------------------------------------ folders


def test_created_folders_are_owner_only_at_every_level(ws_db: Path, tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    kept.chmod(0o755)
    target = kept / "a" / "b" / "c" / "team.toml"
    proc = planner("export", "scenario", "--out", str(target), "--workspace", str(ws_db))
    assert proc.returncode == 0, proc.stderr
    for level in (kept / "a", kept / "a" / "b", kept / "a" / "b" / "c"):
        assert stat.S_IMODE(level.stat().st_mode) == 0o700, level
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.stat().st_mode) == 0o755  # an existing folder is kept as it is
    out = tmp_path / "x" / "y"
    proc = planner("solve", str(ws_db.parent / "missing.toml"), "--out", str(out), "--now", NOW)
    assert proc.returncode == 2  # a missing scenario: refused before any folder is made
    assert not (tmp_path / "x").exists()
    proc = planner("solve", "--workspace", str(ws_db), "--out", str(out), "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    for path in (tmp_path / "x", out, *out.rglob("*")):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_out_below_a_file_is_refused(ws_db: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = planner(
        "export", "scenario", "--out", str(blocker / "s.toml"), "--workspace", str(ws_db)
    )
    refused(proc, blocker, "Not a directory")
    assert blocker.read_text() == "x"


def _listing(folder: Path) -> dict[str, bytes | str]:
    return {
        str(p.relative_to(folder)): os.readlink(p) if p.is_symlink() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_symlink() or p.is_file()
    }


def test_invites_out_with_a_planted_link_is_refused_before_any_file(
    ws_db: Path, tmp_path: Path
) -> None:
    proc = planner("solve", "--workspace", str(ws_db), "--out", str(tmp_path / "plan"))
    assert proc.returncode == 0, proc.stderr
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for planted in ("calendar.ics", "invites/ann.ics", "invites/zed-cancel.ics"):
        out = tmp_path / f"out-{planted.replace('/', '-')}"
        (out / "invites").mkdir(parents=True)
        (out / planted).symlink_to(victim)
        before = _listing(out)
        for argv in (
            ["export", "invites", "--out", str(out), "--workspace", str(ws_db)],
            ["solve", "--workspace", str(ws_db), "--out", str(out), "--now", NOW],
        ):
            refused(planner(*argv), out / planted, "refusing to write: it is a symbolic link")
            assert _listing(out) == before  # nothing written, nothing removed
        assert victim.read_text() == "precious\n"


async def test_respond_over_a_planted_link_is_refused_in_the_app(
    ws_db: Path, tmp_path: Path
) -> None:
    from planner.respond import export_polls
    from planner.tui.respond import make_respond_app

    with Workspace.open(ws_db) as ws:
        export_polls(ws, tmp_path / "polls")
    poll = tmp_path / "polls" / "poll-ann.toml"
    out = tmp_path / "answers"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / "response-ann.toml").symlink_to(victim)
    app = make_respond_app(poll, "ann", [], out)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("y")
        await pilot.press("ctrl+s")  # the review of what will be sent
        await pilot.pause()
        await pilot.press("ctrl+s")  # write it
        await pilot.pause()
        assert app.written is None and app.is_running  # refused, said, and still open
        shown = [n.message for n in app._notifications]
    assert any("refusing to write: it is a symbolic link" in m for m in shown), shown
    assert victim.read_text() == "precious\n"


def test_a_new_workspace_gets_owner_only_folders_at_every_level(
    scenario_file: Path, tmp_path: Path
) -> None:
    db = tmp_path / "a" / "b" / "ws.db"
    proc = planner("import", str(scenario_file), "--workspace", str(db))
    assert proc.returncode == 0, proc.stderr
    for level in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(level.stat().st_mode) == 0o700, level
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
