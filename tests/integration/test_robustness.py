"""Real processes against one workspace: concurrent writers, a held lock, kill -9 mid-import."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from planner.domain.io import dump_scenario
from planner.domain.models import Answer
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data

REPO = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def _scenario(n_people: int, tag: str) -> dict:
    people = [person(f"p{i}", f"D{i % 3}") for i in range(n_people)]
    acts = [activity(f"{tag}-a{j}") for j in range(4)]
    return scenario_data(people, acts, {p["id"]: {acts[0]["id"]: "yes"} for p in people})


WRITER = textwrap.dedent(
    """
    import sys
    from planner.domain.models import Answer
    from planner.store import Workspace
    db, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with Workspace.open(db) as ws:
        for i in range(count):
            ws.set_answer(f"p{i}", f"x-a{1 if who == 'one' else 2}", Answer.yes)
    """
)


def test_two_writers_lose_no_update(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with Workspace.open(db) as ws:
        ws.save_scenario(build(_scenario(40, "x")), {})
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db), who, "40"], env=_env())
        for who in ("one", "two")
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    with Workspace.open(db) as ws:
        scenario = ws.load_scenario()
        assert ws.integrity_check() == "ok"
    for i in range(40):
        assert scenario.answer(f"p{i}", "x-a1") is Answer.yes
        assert scenario.answer(f"p{i}", "x-a2") is Answer.yes


HOLDER = textwrap.dedent(
    """
    import sys, time
    from planner.store import Workspace
    with Workspace.open(sys.argv[1]) as ws, ws.write():
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def test_held_lock_gives_a_clear_busy_message(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    scenario_file = tmp_path / "s.toml"
    scenario_file.write_text(dump_scenario(build(_scenario(5, "x")), "toml"))
    with Workspace.open(db) as ws:
        ws.save_scenario(build(_scenario(5, "x")), {})
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), "6"], env=_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "planner.cli",
                "import",
                str(scenario_file),
                "--workspace",
                str(db),
            ],
            env=_env(PLANNER_BUSY_TIMEOUT="1"),
            capture_output=True,
            text=True,
            check=False,
        )
        waited = time.monotonic() - start
    finally:
        holder.wait(timeout=30)
    assert proc.returncode == 2
    assert "workspace busy" in proc.stderr and "try again" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert waited < 6  # bounded wait, not until the holder lets go


IMPORTER = textwrap.dedent(
    """
    import sys
    from planner.domain.io import load_scenario
    from planner.store import Workspace
    db, a, b = sys.argv[1:4]
    scenarios = [load_scenario(__import__('pathlib').Path(p)).scenario for p in (a, b)]
    with Workspace.open(db) as ws:
        print("ready", flush=True)
        i = 0
        while True:
            ws.save_scenario(scenarios[i % 2], {})
            i += 1
    """
)


def test_kill_9_during_imports_leaves_old_or_new(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    a, b = build(_scenario(300, "a")), build(_scenario(250, "b"))
    (tmp_path / "a.toml").write_text(dump_scenario(a, "toml"))
    (tmp_path / "b.toml").write_text(dump_scenario(b, "toml"))
    with Workspace.open(db) as ws:
        ws.save_scenario(a, {})
    rng = random.Random(4)
    for _ in range(6):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                IMPORTER,
                str(db),
                str(tmp_path / "a.toml"),
                str(tmp_path / "b.toml"),
            ],
            env=_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with Workspace.open(db) as ws:
            assert ws.integrity_check() == "ok"
            assert ws.load_scenario() in (a, b)
