"""Inputs that hung, swapped or crashed the command line: each is now a clear exit 2.

Hostile calendar files behind a scenario, a damaged workspace file, a flood of problems in
a scenario, and a scenario whose plan would not fit in memory.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from planner.domain.io import dump_scenario
from tests.factories import NOW, activity, build, person, scenario_data
from tests.integration.cli import run, solve_argv

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"


def _team(calendar: str | None = None) -> dict[str, Any]:
    people = [person("ann"), person("bob", "Billing")]
    if calendar is not None:
        people[1]["calendars"] = [calendar]
    return scenario_data(people, [activity("lunch")], {"ann": {"lunch": "yes"}})


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(dump_scenario(build(data), "toml"))
    return path


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err and "Error:" not in err.replace("InputError", "")


# ---------------------------------------------------------------------- hostile calendars


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "vtimezone-minutely-1601.ics",
            "x.ics: time zone 1: VTIMEZONE STANDARD repeats minutely; a time zone changes its "
            "offset yearly or monthly at most (refused)",
        ),
        (
            "rrule-setpos-never.ics",
            "x.ics: event 1: reading this calendar takes too long (a recurrence rule that never "
            "or rarely matches, or a time zone with endless changes); refused",
        ),
    ],
)
def test_hostile_calendar_behind_a_scenario_is_refused_quickly(
    name: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(DATA / name, tmp_path / "x.ics")
    scenario = _write(tmp_path / "s.toml", _team("x.ics"))
    db = tmp_path / "w.db"
    for argv in (["validate", str(scenario)], ["import", str(scenario), "--workspace", str(db)]):
        began = time.thread_time()
        code, out, err = run(capsys, *argv)
        assert (code, out, err.strip()) == (2, "", expected)
        assert time.thread_time() - began < 5.0  # CPU: the file is small, so is its cost


@pytest.mark.timeout(120)
def test_calendar_with_year_one_and_a_never_matching_rule_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("year-one.ics", "rrule-weekno-never.ics", "rrule-interval-never.ics"):
        shutil.copy(DATA / name, tmp_path / name)
    data = _team("year-one.ics")
    data["people"][0]["calendars"] = ["rrule-weekno-never.ics", "rrule-interval-never.ics"]
    code, out, err = run(capsys, "validate", str(_write(tmp_path / "s.toml", data)))
    assert code == 0, err
    assert "valid" in out


# ---------------------------------------------------------------------- a damaged workspace


def _workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    db = tmp_path / "workspace.db"
    code, _, err = run(
        capsys, "import", str(_write(tmp_path / "s.toml", _team())), "--workspace", str(db)
    )
    assert code == 0, err
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def _overwrite_page(db: Path, page: int, keep: int = 0) -> None:
    """Fill one page (1-based) with junk, keeping its first ``keep`` bytes."""
    with sqlite3.connect(db) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as fh:
        fh.seek((page - 1) * size + keep)
        fh.write(b"\xa5" * (size - keep))


def _root_page(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[
                0
            ]
        )


@pytest.mark.parametrize("where", ["a table", "the schema"])
def test_damaged_workspace_file_is_exit_2_with_what_to_do(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _workspace(tmp_path, capsys)
    if where == "a table":
        _overwrite_page(db, _root_page(db, "documents"))
    else:
        _overwrite_page(db, 1, keep=100)  # the file header stays; sqlite_master is junk
    out_file = tmp_path / "out.toml"
    code, out, err = run(
        capsys, "export", "scenario", "--workspace", str(db), "--out", str(out_file)
    )
    assert code == 2 and out == ""
    assert err.strip() == (
        f"planner: {db}: the workspace file is damaged (database disk image is malformed); "
        "restore it from a backup"
    )
    assert not out_file.exists()


# ---------------------------------------------------------------------- floods of problems


def test_error_list_is_capped_with_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _team()
    data["people"][0].update({f"typo{i}": 1 for i in range(300)})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    code, out, err = run(capsys, "validate", str(path))
    lines = err.splitlines()
    assert code == 2 and out == ""
    assert len(lines) == 201
    assert lines[0] == f"{path}: people.0 (ann).typo0: unknown key"
    assert lines[-1] == "… and 100 more problems"


@pytest.mark.timeout(300)
def test_a_flood_of_unknown_keys_is_refused_in_moments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _team()
    data["team"].update({f"k{i}": 1 for i in range(300_000)})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    began = time.thread_time()
    code, out, err = run(capsys, "validate", str(path))
    spent = time.thread_time() - began
    lines = err.splitlines()
    assert code == 2 and out == ""
    assert lines[0] == f"{path}: team.k0: unknown key" and len(lines) == 201
    assert lines[-1] == "… and 299,800 more problems"
    assert spent < 8.0  # pydantic's own report of 300,000 keys took ~20 s of CPU


# ---------------------------------------------------------------------- the memory budget


def _huge() -> dict[str, Any]:
    """3,008 people, 40 activities, a year of 15-minute slots: 7.4 GB and 258 s before."""
    people = [person(f"p{i}", f"D{i % 8}") for i in range(3008)]
    acts = [activity(f"a{j}") for j in range(40)]
    prefs = {p["id"]: {acts[i % 40]["id"]: "yes"} for i, p in enumerate(people)}
    return scenario_data(
        people,
        acts,
        prefs,
        team={"horizon": {"start": "2027-01-04", "end": "2028-01-02"}, "slot_minutes": 15},
    )


@pytest.mark.timeout(300)
def test_scenario_over_the_memory_budget_is_refused_by_validate_and_solve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_huge()))
    expected = (
        f"{path}: team.horizon: too large to plan: 3,008 people x 40 activities x 34,944 slots "
        "(364 days of 15-minute slots) with 40 sessions need about"
    )
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2 and out == ""
    assert err.startswith(expected)
    assert "over the 4 GiB budget; shorten the horizon, use coarser slot_minutes" in err
    out_dir = tmp_path / "out"
    began = time.monotonic()
    code, out, err = run(
        capsys, *solve_argv(str(path), out=out_dir, now=NOW.isoformat(), time_limit=20)
    )
    assert code == 2 and out == "" and err.startswith(expected)
    assert not out_dir.exists()  # nothing written
    assert time.monotonic() - began < 120  # refused before the model is built
