"""The programme report (SPEC §5, privacy invariant 8): its JSON shape and figures, the CSV,
and the HTML page rendered by a real browser (headless Chromium) — naming nobody."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from planner.store import Workspace
from tests.factories import activity, person, scenario_data
from tests.integration.cli import run, solve_argv

DEPTS = {"Billing": 4, "Support": 4, "Sales": 3}
PEOPLE = [
    person(
        f"zq{d[:2].lower()}{i}",
        d,
        name=f"Zqname {d} {i}",
        email=f"zqmail{d[:2]}{i}@example.com",
        queues=["phone"] if d == "Support" else [],
    )
    for d, n in DEPTS.items()
    for i in range(n)
]
QUEUES = [{"id": "phone", "name": "Phone line", "min_on_duty": 1}]
IDS = [p["id"] for p in PEOPLE]
LUNCH = activity("lunch", max_participants=12, min_participants=3)
COFFEE = activity(
    "coffee",
    kind="pairing",
    duration_minutes=30,
    sessions=3,
    min_participants=2,
    max_participants=2,
)
CHROMIUM_HINT = "install it: apt-get update && apt-get install -y chromium"


def _programme(tmp_path: Path, capsys: pytest.CaptureFixture[str], **sections: Any) -> Path:
    """A workspace with two closed rounds and a third one open (planned from standing yes)."""
    prefs = {pid: {"lunch": "yes", "coffee": "yes"} for pid in IDS}
    prefs[IDS[-1]] = {"coffee": "yes"}
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        tomli_w.dumps(scenario_data(PEOPLE, [LUNCH, COFFEE], prefs, queues=QUEUES, **sections))
    )
    db = tmp_path / "ws.db"
    assert run(capsys, "import", str(scenario), "--workspace", str(db))[0] == 0
    rounds = [
        ("2027-02-01T09:00:00+00:00", "2027-03-13T09:00:00+00:00", "2027-03-15..2027-03-26"),
        ("2027-03-14T09:00:00+00:00", "2027-03-27T09:00:00+00:00", "2027-03-29..2027-04-09"),
    ]
    for i, (now, close, nxt) in enumerate(rounds):
        argv = solve_argv("--workspace", str(db), out=tmp_path / f"out{i}", now=now)
        code, _, stderr = run(capsys, *argv)
        assert code == 0, stderr
        assert run(capsys, "round", "close", "--workspace", str(db), "--now", close)[0] == 0
        assert run(capsys, "round", "new", "--workspace", str(db), "--horizon", nxt)[0] == 0
    return db


def _report(db: Path, fmt: str, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, stdout, stderr = run(
        capsys, "report", "--workspace", str(db), "--format", fmt, "--out", str(out), *extra
    )
    assert code == 0, stderr
    assert stdout.strip() == f"wrote {out}"
    return out.read_text()


def _no_person_in(text: str) -> None:
    for p in PEOPLE:
        for value in (p["id"], p["name"], p["email"], p["email"].split("@")[0]):
            assert value not in text, value
    assert "Zqname" not in text and "zqmail" not in text


def test_report_json_has_the_spec_shape_and_names_nobody(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _programme(tmp_path, capsys)
    report = json.loads(_report(db, "json", tmp_path / "r.json", capsys))
    _no_person_in(json.dumps(report))
    assert report["departments"] == ["Billing", "Sales", "Support"]
    assert [r["round"] for r in report["rounds"]] == [1, 2, 3]
    assert [r["state"] for r in report["rounds"]] == ["closed", "closed", "open"]
    first = report["rounds"][0]
    assert first["horizon"] == {"start": "2027-03-01", "end": "2027-03-12"}
    assert set(first) == {
        "round", "horizon", "state", "sessions_held", "people_opted_in", "people_reached",
        "yes_answers", "yes_placed", "new_cross_department_pairs", "repeat_pairs", "meetings",
        "min_queue_margin",
    }  # fmt: skip
    assert first["people_opted_in"] == len(IDS)
    assert first["yes_answers"] == 2 * len(IDS) - 1
    assert first["sessions_held"] >= 2
    reached = first["people_reached"]
    assert reached is not None and 3 <= reached <= len(IDS)
    meetings = first["meetings"]
    assert len(meetings) == 3 and all(len(line) == 3 for line in meetings)
    assert all(meetings[i][j] == meetings[j][i] for i in range(3) for j in range(3))
    # Every pair is new in round 1; cross-department ones are the off-diagonal cells.
    off = [meetings[i][j] for i in range(3) for j in range(i + 1, 3)]
    if None not in off:
        assert first["new_cross_department_pairs"] == sum(off)
    assert first["repeat_pairs"] in (0, None)
    # Support staffs the phone (4 members, 1 on duty): a session takes some of them away.
    margin = first["min_queue_margin"]["phone"]
    assert 0 <= margin <= 2
    # The lunch brings the same people together again in round 2.
    assert report["rounds"][1]["repeat_pairs"] is None or report["rounds"][1]["repeat_pairs"] > 0
    overall = report["overall"]
    assert overall["rounds"] == 3
    assert overall["people_opted_in_ever"] == len(IDS)
    assert overall["people_reached_ever"] >= reached
    last = json.loads(_report(db, "json", tmp_path / "r1.json", capsys, "--rounds", "1"))
    assert [r["round"] for r in last["rounds"]] == [3]


def test_counts_below_the_minimum_are_null(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _programme(tmp_path, capsys, policy={"report_min_count": 50})
    report = json.loads(_report(db, "json", tmp_path / "r.json", capsys))
    first = report["rounds"][0]
    for key in ("people_opted_in", "people_reached", "yes_answers", "yes_placed"):
        assert first[key] is None, key
    assert all(v in (None, 0) for line in first["meetings"] for v in line)
    assert first["sessions_held"] >= 2  # a count of sessions, not of people
    csv_text = _report(db, "csv", tmp_path / "r.csv", capsys)
    assert "<50" in csv_text
    _no_person_in(csv_text)


def test_report_csv_has_one_row_per_round_and_the_overall(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    db = _programme(tmp_path, capsys)
    rows = list(csv.reader(_report(db, "csv", tmp_path / "r.csv", capsys).splitlines()))
    header = rows[0]
    assert header[:6] == ["round", "start", "end", "state", "sessions_held", "people_opted_in"]
    assert "meetings Billing / Sales" in header
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "overall"]
    assert rows[1][header.index("people_opted_in")] == str(len(IDS))


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail(f"headless Chromium is needed to check the HTML report; {CHROMIUM_HINT}")
    return exe


def _browser(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", *args,
        ],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def test_html_report_renders_in_a_real_browser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _programme(tmp_path, capsys)
    page = tmp_path / "report.html"
    text = _report(db, "html", page, capsys)
    _no_person_in(text)
    # Self-contained: no script, no fetch of anything (styles and the chart are inline).
    for needle in ("<script", "src=", "href=", "@import", "url("):
        assert needle not in text, needle
    data = json.loads(_report(db, "json", tmp_path / "r.json", capsys))
    exe = _chromium()
    dom = _browser(exe, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html_dom = dom.stdout
    assert 'id="heatmap"' in html_dom and 'id="trend"' in html_dom and 'id="figures"' in html_dom
    assert "<polyline" in html_dom
    for dept in data["departments"]:
        assert f"<th>{dept}</th>" in html_dom
    first = data["rounds"][0]
    assert f"<td>{first['people_opted_in']}</td>" in html_dom
    assert f"<td>{first['sessions_held']}</td>" in html_dom
    _no_person_in(html_dom)
    shot = tmp_path / "shot.png"
    result = _browser(
        exe, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1100,1400",
        page.as_uri(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert (width, height) == (1100, 1400)
    assert len(png) > 20_000  # a page with tables and a chart, not a blank canvas


@pytest.mark.parametrize("target", ["dir", "symlink", "workspace", "device"])
def test_out_problems_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    db = _programme(tmp_path, capsys)
    if target == "dir":
        out = tmp_path / "adir"
        out.mkdir()
    elif target == "symlink":
        out = tmp_path / "link.html"
        (tmp_path / "victim.txt").write_text("keep\n")
        out.symlink_to(tmp_path / "victim.txt")
    elif target == "workspace":
        out = db
    else:
        out = Path("/dev/null")
    before = db.read_bytes()
    code, stdout, stderr = run(
        capsys, "report", "--workspace", str(db), "--format", "html", "--out", str(out)
    )
    assert code == 2 and stdout == "" and "Traceback" not in stderr
    assert stderr.startswith(f"{out}: ") and len(stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before
    if target == "symlink":
        assert (tmp_path / "victim.txt").read_text() == "keep\n"


def test_bad_format_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ws.db"
    with Workspace.open(db):
        pass
    code, stdout, stderr = run(
        capsys, "report", "--workspace", str(db), "--format", "pdf", "--out", str(tmp_path / "x")
    )
    assert code == 2 and stdout == "" and "invalid choice: 'pdf'" in stderr
    assert not (tmp_path / "x").exists()
