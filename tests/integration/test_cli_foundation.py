"""The CLI's contract for the foundation commands: output streams, messages, exit codes."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import main
from planner.domain.io import load_scenario
from planner.store import Workspace
from tests.integration.cli import run


def copy_example(shared_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "example"
    shutil.copytree(shared_dir / "examples", target)
    return target / "support-team.toml"


def test_validate_ok(capsys: pytest.CaptureFixture[str], example_scenario: Path) -> None:
    code, out, err = run(capsys, "validate", str(example_scenario))
    assert code == 0
    assert "valid" in out and "8 people" in out
    assert err == ""


def test_validate_reports_every_problem_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        "[team]\nname='T'\ntimezone='Europe/Nowhere'\nslot_minutes=30\n"
        "organiser={name='O', email='o@example.com'}\n"
        "horizon={start='2027-03-01', end='2027-03-05'}\n"
        "[[people]]\nid='ann'\nname='Ann'\nemail='not-an-email'\ndepartment='S'\n"
    )
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert f"{path}: team.timezone: unknown time zone 'Europe/Nowhere'" in lines[0] + lines[1]
    assert any(
        line.startswith(f"{path}: people.0 (ann).email: not an email address") for line in lines
    )
    assert "Traceback" not in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    assert "planner: the following arguments are required" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["solve", "s.toml", "--out", "o", "--time-limit", "-1"], "'-1': give a positive number"),
        (["solve", "s.toml", "--out", "o", "--time-limit", "nan"], "'nan': give a positive"),
        (["explain", "s.toml", "--person", "a", "--time-limit", "inf"], "'inf': give a positive"),
        (["solve", "s.toml", "--out", "o", "--workers", "0"], "'0': give a whole number"),
        (["bench", "--workers", "two"], "'two': give a whole number"),
        (["bench", "--meetings", "m.json", "--time-limit", "0"], "'0': give a positive"),
        (["solve", "s.toml", "--out", "o", "--seed", "1" + "0" * 20], "give a whole number from 0"),
        (["import", "s.toml", "--workspace", ""], "an empty workspace path"),
        (["--workspace", " ", "demo", "--no-tui"], "an empty workspace path"),
    ],
)
def test_solver_options_are_checked(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_schema_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert json.loads(out)["title"] == "Scenario"


def test_import_export_round_trip(
    capsys: pytest.CaptureFixture[str], shared_dir: Path, tmp_path: Path
) -> None:
    scenario_path = copy_example(shared_dir, tmp_path)
    db = tmp_path / "ws.db"
    code, out, err = run(capsys, "import", str(scenario_path), "--workspace", str(db))
    assert code == 0, err
    assert "8 people" in out and "busy blocks" in out
    exported = tmp_path / "out" / "again.toml"
    code, out, err = run(
        capsys, "export", "scenario", "--workspace", str(db), "--out", str(exported)
    )
    assert code == 0, err
    assert load_scenario(exported).scenario == load_scenario(scenario_path).scenario.model_copy(
        update={"people": load_scenario(exported).scenario.people}
    )
    # calendars stay resolvable from the exported file's directory
    original = load_scenario(scenario_path)
    again = load_scenario(exported)
    assert again.calendar_paths() == original.calendar_paths()
    for a, b in zip(original.scenario.people, again.scenario.people, strict=True):
        assert a.model_dump(exclude={"calendars"}) == b.model_dump(exclude={"calendars"})
    # and JSON works the same way
    code, _, _ = run(
        capsys, "export", "scenario", "--workspace", str(db), "--out", str(tmp_path / "s.json")
    )
    assert code == 0
    assert load_scenario(tmp_path / "s.json").scenario == again.scenario.model_copy(
        update={"people": load_scenario(tmp_path / "s.json").scenario.people}
    )


def _fingerprint(db: Path) -> tuple[str, int]:
    with Workspace.open(db, create=False) as ws:
        scenario = ws.load_scenario().model_dump_json()
        with ws.read() as conn:
            edits = conn.exec_driver_sql("SELECT count(*) FROM edit_log").scalar_one()
    return hashlib.sha256(scenario.encode()).hexdigest(), edits


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[team]\nname = \n", "line 2"),
        ("", "file is empty"),
        ('[team]\nname="T"\n', "team.timezone: missing"),
    ],
)
def test_bad_import_leaves_workspace_untouched(
    capsys: pytest.CaptureFixture[str],
    shared_dir: Path,
    tmp_path: Path,
    content: str,
    expected: str,
) -> None:
    db = tmp_path / "ws.db"
    assert (
        run(capsys, "import", str(copy_example(shared_dir, tmp_path)), "--workspace", str(db))[0]
        == 0
    )
    before = _fingerprint(db)
    bad = tmp_path / "bad.toml"
    bad.write_text(content)
    code, out, err = run(capsys, "import", str(bad), "--workspace", str(db))
    assert code == 2
    assert expected in err and str(bad) in err
    assert out == ""
    assert _fingerprint(db) == before


def test_one_bad_file_means_nothing_is_imported(
    capsys: pytest.CaptureFixture[str], shared_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "ws.db"
    good = copy_example(shared_dir, tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, _, err = run(capsys, "import", str(good), str(bad), "--workspace", str(db))
    assert code == 2 and "bad.json: line 1" in err
    with Workspace.open(db) as ws:
        assert not ws.has_scenario()


def test_unknown_file_type(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    code, _, err = run(capsys, "import", str(path), "--workspace", str(tmp_path / "w.db"))
    assert code == 2 and "unknown file type" in err


def test_export_from_missing_workspace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(
        capsys,
        "export",
        "scenario",
        "--workspace",
        str(tmp_path / "none.db"),
        "--out",
        str(tmp_path / "x.toml"),
    )
    assert code == 2 and "no such workspace" in err
    assert not (tmp_path / "none.db").exists()


def test_demo_workspace_without_tui(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    code, out, _ = run(capsys, "demo", "--no-tui", "--workspace", str(db))
    assert code == 0 and "40 people" in out
    with Workspace.open(db) as ws:
        scenario = ws.load_scenario()
    assert len({p.department for p in scenario.people}) == 4
    assert len(scenario.queues) == 2
    assert len({p.timezone for p in scenario.people}) == 2  # team zone (None) and London
    # deterministic: a second demo is identical
    code, _, _ = run(capsys, "demo", "--no-tui", "--workspace", str(tmp_path / "demo2.db"))
    with Workspace.open(tmp_path / "demo2.db") as ws:
        assert ws.load_scenario() == scenario


def test_real_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    proc = subprocess.run(
        [sys.executable, "-m", "planner.cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == f"{bad}: line 1, byte 0: not UTF-8 text"


def test_the_command_exit_flushes_output_and_runs_exit_handlers() -> None:
    """``planner`` ends without freeing its objects one by one (:func:`planner.cli.run`):
    piped output still arrives whole, exit handlers still run, the exit code is main's."""
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('handler ran\\n'))\n"
        "from planner.cli import run\n"
        "sys.argv = ['planner', *sys.argv[1:]]\n"
        "run()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, "schema"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["title"]  # all of it
    assert proc.stderr == "handler ran\n"
    proc = subprocess.run(
        [sys.executable, "-c", script, "validate", "no-such.toml"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.endswith("handler ran\n") and "no-such.toml" in proc.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["bench", "--sizes", "XXL"], "--sizes: 'XXL'"),
        (["bench", "--checkpoints", "ten"], "--checkpoints: 'ten'"),
        (["bench", "--checkpoints", "10,nan"], "--checkpoints: '10,nan'"),
        (["bench", "--checkpoints", "inf"], "--checkpoints: 'inf'"),
        (["bench", "--meetings", "/nonexistent.json", "--out", "x.json"], "/nonexistent.json"),
        (["bench", "--meetings", "/nonexistent.json"], "--meetings needs --out"),
    ],
)
def test_bench_arguments_are_checked(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and expected in err


@pytest.mark.parametrize("both", [True, False])
def test_solve_needs_exactly_one_source(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, example_scenario: Path, both: bool
) -> None:
    argv = ["solve", "--out", str(tmp_path / "out")]
    if both:
        argv += [str(example_scenario), "--workspace", str(tmp_path / "w.db")]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert ("not both" in err) == both and "give a SCENARIO file or --workspace DB" in err
    assert not (tmp_path / "out").exists()


def test_an_unusable_out_is_refused_before_solving(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, example_scenario: Path
) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("not a directory")
    code, out, err = run(capsys, "solve", str(example_scenario), "--out", str(taken))
    assert code == 2 and out == "" and str(taken) in err
    assert "objective" not in err and "Traceback" not in err  # no search was started
    assert taken.read_text() == "not a directory"


@pytest.mark.parametrize(
    ("now", "expected"),
    [("yesterday", "is not an ISO date-time"), ("0001-01-01T00:00+01:00", "outside the years")],
)
def test_a_bad_now_is_refused_before_anything_is_written(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    example_scenario: Path,
    now: str,
    expected: str,
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys, "solve", str(example_scenario), "--out", str(out_dir), "--now", now
    )
    assert code == 2 and out == "" and err.startswith("--now: ") and expected in err
    assert not out_dir.exists()
