"""`planner solve / verify / explain` end to end, with real processes where it matters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.domain.io import dump_scenario
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data
from tests.integration.cli import run, solve_argv

REPO = Path(__file__).resolve().parents[2]
NOW = "2027-03-01T09:00:00+00:00"


def test_example_plans_verifies_and_explains(
    capsys: pytest.CaptureFixture[str], example_scenario: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "plan"
    argv = solve_argv(str(example_scenario), out=out_dir, now=NOW, time_limit=10, workers=1)
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert out.startswith(("optimal:", "feasible:"))
    schedule = json.loads((out_dir / "schedule.json").read_text())
    assert set(schedule) >= {
        "status",
        "objective",
        "solve_seconds",
        "sessions",
        "unplaced",
        "not_held",
        "conflicts",
    }
    assert schedule["sessions"]
    for s in schedule["sessions"]:
        assert s["start"].endswith(("+01:00", "+02:00"))  # team zone with offset
    # nobody's "no" appears anywhere: unplaced lists only yes/maybe opt-ins
    assert {"fatima", "team-lunch"} not in [
        {u["person"], u["activity"]} for u in schedule["unplaced"]
    ]
    assert (out_dir / "calendar.ics").exists()
    assert (out_dir / "invites").is_dir()
    for path in out_dir.rglob("*"):
        assert (path.stat().st_mode & 0o077) == 0, path
    code, out, _ = run(
        capsys, "verify", str(example_scenario), str(out_dir / "schedule.json"), "--now", NOW
    )
    assert code == 0 and "no violations" in out
    code, out, _ = run(
        capsys,
        "explain",
        str(example_scenario),
        "--person",
        "bea",
        "--schedule",
        str(out_dir / "schedule.json"),
        "--now",
        NOW,
    )
    assert code == 0 and out.startswith("Beatriz Santos (bea)")
    assert "#" not in out  # sessions go by activity name and time, not by id


def test_verify_reports_a_tampered_schedule(
    capsys: pytest.CaptureFixture[str], example_scenario: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "plan"
    assert run(capsys, *solve_argv(str(example_scenario), out=out_dir, now=NOW))[0] == 0
    path = out_dir / "schedule.json"
    schedule = json.loads(path.read_text())
    # Put Fatima (who said no to the team lunch) into it: opted_out.
    lunch = next(s for s in schedule["sessions"] if s["activity"] == "team-lunch")
    lunch["attendees"].append("fatima")
    path.write_text(json.dumps(schedule))
    code, out, err = run(capsys, "verify", str(example_scenario), str(path), "--now", NOW)
    assert code == 1
    assert "opted_out" in out and "fatima" in out
    assert "violation" in err


def test_broken_schedule_file(
    capsys: pytest.CaptureFixture[str], example_scenario: Path, tmp_path: Path
) -> None:
    path = tmp_path / "schedule.json"
    path.write_text('{"status": "optimal"')
    code, _, err = run(capsys, "verify", str(example_scenario), str(path))
    assert code == 2 and err.startswith(f"{path}: line 1")


def test_must_hold_that_cannot_be_held_is_infeasible(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    people = [
        person("ann", time_off=[{"start": "2027-03-01", "end": "2027-03-12"}]),
        person("bob", "Billing"),
        person("cat", "Sales"),
    ]
    data = scenario_data(
        people,
        [activity("training", required=["ann"], must_hold=True)],
        {"bob": {"training": "yes"}, "cat": {"training": "yes"}},
    )
    path = tmp_path / "s.toml"
    path.write_text(dump_scenario(build(data), "toml"))
    code, out, err = run(capsys, *solve_argv(str(path), out=tmp_path / "out", now=NOW))
    assert code == 3
    assert out.startswith("infeasible")
    assert "conflict:" in err and "ann" in err
    # ann does not share reasons: her time off shows as "unavailable"
    assert "time_off" not in err
    schedule = json.loads((tmp_path / "out" / "schedule.json").read_text())
    assert schedule["status"] == "infeasible" and schedule["conflicts"]


def test_workspace_replan_writes_only_changes(
    capsys: pytest.CaptureFixture[str], shared_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "ws.db"
    assert (
        run(
            capsys,
            "import",
            str(shared_dir / "examples" / "support-team.toml"),
            "--workspace",
            str(db),
        )[0]
        == 0
    )
    first = tmp_path / "first"
    code, _out, err = run(
        capsys, *solve_argv("--workspace", str(db), out=first, now=NOW, workers=1)
    )
    assert code == 0, err
    assert len(list((first / "invites").glob("*.ics"))) >= 3
    second = tmp_path / "second"
    code, _, err = run(capsys, *solve_argv("--workspace", str(db), out=second, now=NOW, workers=1))
    assert code == 0, err
    # the same plan again: nobody's invite changed, so no invite files
    assert not list((second / "invites").glob("*.ics")) if (second / "invites").exists() else True
    with Workspace.open(db) as ws:
        assert ws.latest_plan() is not None
        assert ws.published_sessions()


def _bigger_scenario(tmp_path: Path) -> Path:
    from planner.bench.orgs import scenario_data as org_data

    path = tmp_path / "m.json"
    path.write_text(json.dumps(org_data("M", 0)))
    return path


def test_ctrl_c_keeps_the_best_plan(tmp_path: Path) -> None:
    scenario = _bigger_scenario(tmp_path)
    out_dir = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "solve",
            str(scenario),
            "--out",
            str(out_dir),
            "--time-limit",
            "120",
            "--now",
            "2027-01-01T00:00:00+00:00",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    assert proc.stderr is not None
    # wait for the first progress line (a plan exists), then press Ctrl+C
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "objective" in line:
            break
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    schedule = json.loads((out_dir / "schedule.json").read_text())
    assert schedule["status"] == "feasible" and schedule["sessions"]
    assert "Traceback" not in err
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "verify",
            str(scenario),
            str(out_dir / "schedule.json"),
            "--now",
            "2027-01-01T00:00:00+00:00",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout


def test_kill_9_during_solve_leaves_the_workspace_intact(tmp_path: Path) -> None:
    scenario = _bigger_scenario(tmp_path)
    db = tmp_path / "ws.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [sys.executable, "-m", "planner.cli", "import", str(scenario), "--workspace", str(db)],
        env=env,
        check=True,
        capture_output=True,
    )
    with Workspace.open(db) as ws:
        before = ws.load_scenario()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "solve",
            "--workspace",
            str(db),
            "--out",
            str(tmp_path / "out"),
            "--time-limit",
            "60",
            "--now",
            "2027-01-01T00:00:00+00:00",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    proc.stderr.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with Workspace.open(db) as ws:
        assert ws.integrity_check() == "ok"
        assert ws.load_scenario() == before
