"""Rounds through the command line (SPEC §5): a whole programme, two rounds long, with real
polls, signed responses, a solve that publishes, an RSVP decline, closing and reopening —
and every refusal of the new commands (exit 2, one clear line, nothing changed)."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import tomli_w

from planner.respond import Limits, build_response, load_poll, write_response
from planner.store import Workspace
from tests.factories import activity, person, scenario_data
from tests.integration.cli import run, solve_argv

PEOPLE = [
    person("ann", "Billing"),
    person("ben", "Billing"),
    person("cat", "Support"),
    person("dan", "Support"),
    person("eve", "Support"),
]
COFFEE = activity(
    "coffee",
    kind="pairing",
    duration_minutes=30,
    sessions=2,
    min_participants=2,
    max_participants=2,
)
NOW1 = "2027-02-01T09:00:00+00:00"
CLOSE1 = "2027-03-13T09:00:00+00:00"
ROUND2 = "2027-03-15..2027-03-26"
NOW2 = "2027-03-14T09:00:00+00:00"


def _db(tmp_path: Path, capsys: pytest.CaptureFixture[str], **sections: Any) -> Path:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(tomli_w.dumps(scenario_data(PEOPLE, [COFFEE], {}, **sections)))
    db = tmp_path / "ws.db"
    code, _, stderr = run(capsys, "import", str(scenario), "--workspace", str(db))
    assert code == 0, stderr
    return db


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    return _db(tmp_path, capsys)


def _respond_all(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], tag: str
) -> list[Path]:
    polls = tmp_path / f"polls-{tag}"
    code, _, stderr = run(capsys, "export", "poll", "--workspace", str(db), "--out", str(polls))
    assert code == 0, stderr
    answers_dir = tmp_path / f"answers-{tag}"
    answers_dir.mkdir()
    files = []
    for p in PEOPLE:
        poll = load_poll(polls / f"poll-{p['id']}.toml")
        response = build_response(poll, {"coffee": "yes"}, Limits(), [])
        files.append(write_response(response, answers_dir))
    code, _, stderr = run(capsys, "import", *map(str, files), "--workspace", str(db))
    assert code == 0, stderr
    return files


def _solve(db: Path, out: Path, now: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, _, stderr = run(capsys, *solve_argv("--workspace", str(db), out=out, now=now))
    assert code == 0, stderr
    schedule: dict[str, Any] = json.loads((out / "schedule.json").read_text())
    return schedule


def _decline(invite: Path, email: str, target: Path) -> Path:
    """A METHOD:REPLY declining the first event of an invite, as a calendar client sends it."""
    text = invite.read_text()
    uid = re.search(r"^UID:(.+)$", text, re.M)
    seq = re.search(r"^SEQUENCE:(\d+)$", text, re.M)
    start = re.search(r"^DTSTART[^:]*:(.+)$", text, re.M)
    assert uid and seq and start
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{uid.group(1).strip()}\r\nSEQUENCE:{seq.group(1)}\r\nDTSTAMP:{stamp}\r\n"
        f"DTSTART:{start.group(1).strip()}\r\n"
        "ORGANIZER:mailto:olga@example.com\r\n"
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{email}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return target


def _groups(schedule: dict[str, Any]) -> list[frozenset[str]]:
    return [frozenset(s["attendees"]) for s in schedule["sessions"]]


def test_two_rounds_remember_who_met_and_who_missed_out(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_responses = _respond_all(db, tmp_path, capsys, "r1")
    one = _solve(db, tmp_path / "out1", NOW1, capsys)
    groups = _groups(one)
    assert len(groups) == 2 and all(len(g) == 2 for g in groups)
    code, stdout, _ = run(capsys, "round", "list", "--workspace", str(db))
    assert code == 0 and "round 1" in stdout and "published" in stdout

    declined_group = sorted(min(groups, key=sorted))
    decliner, partner = declined_group
    met = next(g for g in groups if decliner not in g)
    unplaced = {p["id"] for p in PEOPLE} - set().union(*groups)
    assert len(unplaced) == 1
    reply = _decline(
        tmp_path / "out1" / "invites" / f"{decliner}.ics",
        f"{decliner}@example.com",
        tmp_path / "decline.ics",
    )
    code, _, stderr = run(capsys, "import", str(reply), "--workspace", str(db))
    assert code == 0, stderr

    code, stdout, stderr = run(capsys, "round", "close", "--workspace", str(db), "--now", CLOSE1)
    assert code == 0, stderr
    assert "closed round 1: 2 sessions held, 3 attendances, 3 people reached" in stdout
    with Workspace.open(db, create=False) as ws:
        closed = ws.round_rows()[-1]
        assert closed.state == "closed" and closed.data is not None
        assert [sorted(p) for p in closed.data["pairs"]] == [sorted(met)]  # not the decliner's
        assert set(closed.data["missed_out"]) == {decliner, *unplaced}
        assert partner in {p for s in closed.data["sessions"] for p in s["attended"]}

    code, stdout, stderr = run(capsys, "round", "new", "--workspace", str(db), "--horizon", ROUND2)
    assert code == 0, stderr
    assert "opened round 2: 2027-03-15..2027-03-26" in stdout
    # Standing answers carried over: round 2 plans without a new poll answer.
    with Workspace.open(db, create=False) as ws:
        problem = ws.planning_input(datetime.fromisoformat(NOW2))
        assert problem.published == []
        assert [set(p) for p in problem.scenario.history.pairs] == [set(met)]
        assert set(problem.scenario.history.missed_out) == {decliner, *unplaced}
        assert problem.scenario.preferences["eve"]["coffee"] == "yes"
        assert ws.latest_plan() is None  # the TUI cannot send round 1's plan again

    # A response to round 1's poll is refused in round 2 (a new poll round).
    code, stdout, stderr = run(capsys, "import", str(old_responses[0]), "--workspace", str(db))
    assert code == 2 and stdout == "" and "Traceback" not in stderr

    two = _solve(db, tmp_path / "out2", NOW2, capsys)
    groups2 = _groups(two)
    placed2 = set().union(*groups2)
    assert {decliner, *unplaced} <= placed2  # missed out last round: first this round
    assert met not in groups2  # round-2 groups avoid round-1 pairs
    # Fresh invites: nothing of round 1 is cancelled, and the UIDs are new.
    invites = list((tmp_path / "out2" / "invites").glob("*-cancel.ics"))
    assert invites == []
    uids1 = set(re.findall(r"^UID:(.+)$", (tmp_path / "out1" / "calendar.ics").read_text(), re.M))
    uids2 = set(re.findall(r"^UID:(.+)$", (tmp_path / "out2" / "calendar.ics").read_text(), re.M))
    assert uids2 and not uids1 & uids2
    code, stdout, _ = run(capsys, "round", "list", "--workspace", str(db))
    lines = stdout.splitlines()
    assert lines[0].startswith("round 1  2027-03-01..2027-03-12  closed")
    assert "2 sessions held, 3 people reached" in lines[0]
    assert lines[1].startswith("round 2  2027-03-15..2027-03-26  published")
    # The core functions the TUI calls give the same answers as the CLI.
    from planner import rounds

    with Workspace.open(db, create=False) as ws:
        summaries = rounds.list_rounds(ws)
        assert [(s.number, s.state) for s in summaries] == [(1, "closed"), (2, "published")]
        programme = rounds.report(ws)
        assert programme["overall"]["rounds"] == 2
        assert programme["rounds"][0]["sessions_held"] == 2


def _state(db: Path, *, counter: bool = True) -> list[Any]:
    """Every row of every table: 'nothing changed' is checked on the whole file.

    ``counter=False`` leaves out the change counter, which every committed import moves
    (an import that only warns still ran, and the TUIs watching it look again)."""
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        rows = [(n, sorted(map(repr, con.execute(f'select * from "{n}"')))) for n in names]
        if not counter:
            rows = [(n, [r for r in v if "'change_counter'" not in r]) for n, v in rows]
        return rows
    finally:
        con.close()


@pytest.fixture
def published(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    _respond_all(db, tmp_path, capsys, "r1")
    _solve(db, tmp_path / "out1", NOW1, capsys)
    return db


def _refused(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> str:
    before = _state(db)
    code, stdout, stderr = run(capsys, *argv)
    assert code == 2, (stdout, stderr)
    assert stdout == "" and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 or stderr.startswith("usage:"), stderr
    assert _state(db) == before
    return stderr


def test_closing_with_sessions_ahead_names_them(
    published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stderr = _refused(
        capsys, published, "round", "close", "--workspace", str(published), "--now", NOW1
    )
    assert "sessions that have not ended yet: coffee#g1" in stderr and "--force" in stderr


def test_forced_close_records_sessions_ahead_as_not_held(
    published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, stderr = run(
        capsys, "round", "close", "--workspace", str(published), "--now", NOW1, "--force"
    )
    assert code == 0, stderr
    assert "0 sessions held" in stdout and "not held (still ahead when closed): coffee#g" in stdout


def test_closing_twice_and_opening_while_open_are_refused(
    published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = str(published)
    stderr = _refused(capsys, published, "round", "new", "--workspace", ws, "--horizon", ROUND2)
    assert "round 1 is published, not closed: close it first" in stderr
    assert run(capsys, "round", "close", "--workspace", ws, "--now", CLOSE1)[0] == 0
    stderr = _refused(capsys, published, "round", "close", "--workspace", ws, "--now", CLOSE1)
    assert "round 1 is already closed" in stderr
    # A closed round is not planned again (its invites would reuse the round's UIDs).
    code, _, stderr = run(
        capsys, *solve_argv("--workspace", ws, out=published.parent / "x", now=CLOSE1)
    )
    assert code == 2 and "round 1 is closed; open the next one" in stderr


def test_reimporting_a_closed_rounds_scenario_is_refused(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = str(published)
    assert run(capsys, "round", "close", "--workspace", ws, "--now", CLOSE1)[0] == 0
    assert run(capsys, "round", "new", "--workspace", ws, "--horizon", ROUND2)[0] == 0
    stderr = _refused(
        capsys, published, "import", str(tmp_path / "scenario.toml"), "--workspace", ws
    )
    assert "team.horizon: starts on 2027-03-01, not after 2027-03-12, the end of a closed" in stderr


def test_closing_an_unpublished_round_needs_force(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stderr = _refused(capsys, db, "round", "close", "--workspace", str(db), "--now", CLOSE1)
    assert "round 1 has no published plan" in stderr


@pytest.mark.parametrize(
    ("horizon", "message"),
    [
        ("2027-03-15", "give START..END as ISO dates"),
        ("2027-03-15..", "give START..END as ISO dates"),
        ("2027-13-01..2027-13-05", "'2027-13-01..2027-13-05': "),
        ("2027-03-26..2027-03-15", "horizon ends before it starts"),
        ("2027-03-10..2027-03-20", "starts on or before 2027-03-12, the end of an earlier round"),
        ("2027-01-04..2027-01-08", "starts on or before 2027-03-12"),
    ],
)
def test_bad_horizon_is_refused(
    published: Path, capsys: pytest.CaptureFixture[str], horizon: str, message: str
) -> None:
    ws = str(published)
    assert run(capsys, "round", "close", "--workspace", ws, "--now", CLOSE1)[0] == 0
    stderr = _refused(capsys, published, "round", "new", "--workspace", ws, "--horizon", horizon)
    assert message in stderr and ("--horizon" in stderr)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("person,session\nzed,coffee#g1\n", "line 2: unknown person 'zed'"),
        ("ann,coffee#g9\n", "line 1: unknown session 'coffee#g9'"),
        ("ann\n", "line 1: expected two columns: person,session"),
        ("ann,coffee#g1,extra\n", "line 1: expected two columns"),
        (b"\xff\xfe,\x00\n", "not UTF-8 text"),
        ("name,session\nann,coffee#g1\n", "line 1: the header 'name,session' should be"),
        ("session,person\nann,coffee#g1\n", "should be 'person,session' (in that order)"),
        ("ann,coffee#g1\nben,coffee#g1\nann,coffee#g1\n", "line 3: ann,coffee#g1 is listed twice"),
    ],
)
def test_bad_absent_csv_is_refused(
    published: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rows: str | bytes,
    message: str,
) -> None:
    csv_path = tmp_path / "absent.csv"
    if isinstance(rows, bytes):
        csv_path.write_bytes(rows)
    else:
        csv_path.write_text(rows)
    ws = str(published)
    stderr = _refused(
        capsys, published, "round", "close", "--workspace", ws, "--now", CLOSE1,
        "--absent", str(csv_path),
    )  # fmt: skip
    assert stderr.startswith(f"{csv_path}: ") and message in stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["round", "list", "--force"],
        ["round", "new", "--absent", "x.csv", "--horizon", ROUND2],
        ["round", "close", "--horizon", ROUND2],
        ["round", "new"],
        ["round", "reopen"],
    ],
)
def test_options_of_another_action_are_refused(
    published: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    stderr = _refused(capsys, published, *argv, "--workspace", str(published))
    assert "planner round" in stderr or "invalid choice: 'reopen'" in stderr


def test_absent_person_did_not_attend(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Workspace.open(published, create=False) as ws:
        session = sorted(ws.published_sessions(), key=lambda s: s.id)[0]
    someone = session.attendees[0]
    absent = tmp_path / "absent.csv"
    absent.write_text(f"person;session\r\n{someone};{session.id}\r\n")  # Excel, sv-SE
    ws_arg = str(published)
    code, stdout, stderr = run(
        capsys, "round", "close", "--workspace", ws_arg, "--now", CLOSE1, "--absent", str(absent)
    )
    assert code == 0, stderr
    assert "3 attendances" in stdout
    with Workspace.open(published, create=False) as ws:
        data = ws.round_rows()[-1].data
        assert data is not None
        attended = {p for s in data["sessions"] for p in s["attended"]}
        assert someone not in attended and someone in data["missed_out"]
        assert all(someone not in pair for pair in data["pairs"])


def test_not_invited_absent_row_is_refused(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Workspace.open(published, create=False) as ws:
        session = sorted(ws.published_sessions(), key=lambda s: s.id)[0]
    other = next(p["id"] for p in PEOPLE if p["id"] not in session.attendees)
    absent = tmp_path / "absent.csv"
    absent.write_text(f"{other},{session.id}\n")
    stderr = _refused(
        capsys, published, "round", "close", "--workspace", str(published), "--now", CLOSE1,
        "--absent", str(absent),
    )  # fmt: skip
    assert f"line 1: '{other}' was not invited to '{session.id}'" in stderr


def test_fresh_answers_clears_the_standing_answers(
    published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws_arg = str(published)
    assert run(capsys, "round", "close", "--workspace", ws_arg, "--now", CLOSE1)[0] == 0
    code, stdout, _ = run(
        capsys, "round", "new", "--workspace", ws_arg, "--horizon", ROUND2, "--fresh-answers"
    )
    assert code == 0 and "answers cleared" in stdout
    with Workspace.open(published, create=False) as ws:
        assert ws.load_scenario().preferences == {}
        assert ws.load_scenario().team.horizon.start.isoformat() == "2027-03-15"


def test_a_new_round_drops_the_busy_blocks_of_the_closed_ones(
    published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = (datetime(2027, 3, 3, 8, tzinfo=UTC), datetime(2027, 3, 3, 9, tzinfo=UTC))
    new = (datetime(2027, 3, 16, 8, tzinfo=UTC), datetime(2027, 3, 16, 9, tzinfo=UTC))
    with Workspace.open(published, create=False) as ws:
        ws.set_busy_blocks("ann", "response", [old, new])
        ws.set_busy_blocks("ben", "organiser", [old])
    ws_arg = str(published)
    assert run(capsys, "round", "close", "--workspace", ws_arg, "--now", CLOSE1)[0] == 0
    with Workspace.open(published, create=False) as ws:
        assert ws.busy_blocks() == {"ann": [old, new], "ben": [old]}  # closing keeps them
    assert run(capsys, "round", "new", "--workspace", ws_arg, "--horizon", ROUND2)[0] == 0
    with Workspace.open(published, create=False) as ws:
        assert ws.busy_blocks() == {"ann": [new]}
        assert ws.undo() is None  # nothing to undo them back from


def test_an_old_workspace_opens_as_round_one(tmp_path: Path) -> None:
    """A workspace from before rounds (schema 1) is migrated: its round 1 is open."""
    from planner.store import schema as t
    from tests.store.old import old_workspace

    db = tmp_path / "old.db"
    old_workspace(db, 1)
    with Workspace.open(db) as ws:
        assert ws.schema_version == t.SCHEMA_VERSION
        rows = ws.round_rows()
        assert [(r.number, r.state) for r in rows] == [(1, "open")]


MARK = {
    "id": "zzmarkid",
    "name": "Zzmarkname Zzsurname",
    "email": "zzmarkmail@example.com",
    "department": "Zzmarkdept",
}
# All in round 2 (round new drops round 1's busy blocks, which would hide a failure here).
MARK_BUSY = "2027-03-17T10:07"  # their own busy range (odd minutes: nobody else's)
MARK_CALENDAR_UTC = "2027-03-16T13:43"  # an event of their calendar, as stored (UTC)
MARK_RESPONSE_UTC = "2027-03-20T09:00"  # a Saturday block of their response (no sessions)


def _markers() -> list[bytes]:
    texts = [*MARK.values(), "Zzmarkname", "zzmarkmail", "zzmarkcal", MARK_BUSY]
    texts += [MARK_CALENDAR_UTC, MARK_RESPONSE_UTC]
    return [t.encode() for t in texts]


def _scan(db: Path) -> list[bytes]:
    """Markers found in the raw database file and its WAL (and the shared-memory index)."""
    found = []
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if path.exists():
            raw = path.read_bytes()
            found += [m for m in _markers() if m in raw or m.decode().encode("utf-16-le") in raw]
    return found


def test_forget_erases_a_person_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marked = person(
        MARK["id"],
        MARK["department"],
        name=MARK["name"],
        email=MARK["email"],
        busy=[{"start": MARK_BUSY, "end": "2027-03-17T11:07"}],
        calendars=["zzmarkcal.ics"],
        show_in_attendee_lists=True,
    )
    (tmp_path / "zzmarkcal.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:zz-1\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270316T134300Z\r\n"
        "DTEND:20270316T144300Z\r\nSUMMARY:Zzmarkname private\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    people = [*PEOPLE, marked]
    scenario = tmp_path / "scenario.toml"
    data = scenario_data(people, [COFFEE], {}, history={"pairs": [[MARK["id"], "ann"]]})
    scenario.write_text(tomli_w.dumps(data))
    db = tmp_path / "ws.db"
    assert run(capsys, "import", str(scenario), "--workspace", str(db))[0] == 0

    def respond(tag: str) -> None:
        polls = tmp_path / f"polls-{tag}"
        assert run(capsys, "export", "poll", "--workspace", str(db), "--out", str(polls))[0] == 0
        files = []
        for p in people:
            poll = load_poll(polls / f"poll-{p['id']}.toml")
            busy = []
            if p["id"] == MARK["id"] and tag == "r2":
                start = datetime.fromisoformat(f"{MARK_RESPONSE_UTC}:00+00:00")
                busy = [(start, start.replace(hour=10))]
            response = build_response(poll, {"coffee": "yes"}, Limits(), busy)
            (tmp_path / tag).mkdir(exist_ok=True)
            files.append(write_response(response, tmp_path / tag))
        assert run(capsys, "import", *map(str, files), "--workspace", str(db))[0] == 0

    respond("r1")
    one = _solve(db, tmp_path / "out1", NOW1, capsys)
    placed = {p for s in one["sessions"] for p in s["attendees"]}
    if MARK["id"] in placed:  # they RSVP (and so are in the replies table too)
        reply = _decline(
            tmp_path / "out1" / "invites" / f"{MARK['id']}.ics", MARK["email"], tmp_path / "d.ics"
        )
        assert run(capsys, "import", str(reply), "--workspace", str(db))[0] == 0
    assert run(capsys, "round", "close", "--workspace", str(db), "--now", CLOSE1)[0] == 0
    assert run(capsys, "round", "new", "--workspace", str(db), "--horizon", ROUND2)[0] == 0
    # Round 2: the scenario file for the new fortnight (its calendar is read for it), polls.
    data["team"]["horizon"] = {"start": "2027-03-15", "end": "2027-03-26"}
    scenario.write_text(tomli_w.dumps(data))
    assert run(capsys, "import", str(scenario), "--workspace", str(db))[0] == 0
    respond("r2")
    _solve(db, tmp_path / "out2", NOW2, capsys)
    assert run(capsys, "report", "--workspace", str(db), "--format", "json",
               "--out", str(tmp_path / "before.json"))[0] == 0  # fmt: skip
    with Workspace.open(db, create=False) as ws:
        ws.set_answer("ann", "coffee", None)  # an undo entry about someone else stays
        ws.set_answer(MARK["id"], "coffee", None)  # ... one about them goes
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    # Every marker is in the file before (else the scan afterwards tests nothing).
    assert set(_scan(db)) == set(_markers())

    # Another connection stays open (a TUI, say): closing the CLI's is then not the last
    # close, which would fold the WAL in by itself; forget must checkpoint on its own.
    other = sqlite3.connect(db)
    other.execute("select count(*) from people").fetchall()
    try:
        code, stdout, stderr = run(capsys, "forget", MARK["id"], "--workspace", str(db))
        assert code == 0, stderr
        assert stdout.startswith(f"forgot {MARK['id']}: ")
        assert _scan(db) == []
    finally:
        other.close()
    with Workspace.open(db, create=False) as ws:
        scenario_after = ws.load_scenario()
        assert MARK["id"] not in {p.id for p in scenario_after.people}
        assert scenario_after.history.pairs == []
        assert ws.last_edit() == "answer ann/coffee"  # the other person's undo entry is kept
        assert len(scenario_after.people) == len(PEOPLE)
    # The report stays consistent: the same rounds, figures without them.
    code, _, stderr = run(capsys, "report", "--workspace", str(db), "--format", "json",
                          "--out", str(tmp_path / "after.json"))  # fmt: skip
    assert code == 0, stderr
    before = json.loads((tmp_path / "before.json").read_text())
    after = json.loads((tmp_path / "after.json").read_text())
    assert MARK["department"] in before["departments"]
    assert MARK["department"] not in after["departments"]
    assert [r["round"] for r in after["rounds"]] == [1, 2]
    assert after["rounds"][0]["sessions_held"] == before["rounds"][0]["sessions_held"]
    assert after["rounds"][0]["people_opted_in"] == len(PEOPLE)
    # Forgetting again (or anyone unknown) is refused: nothing is stored about them.
    stderr = _refused(capsys, db, "forget", MARK["id"], "--workspace", str(db))
    assert f"unknown person '{MARK['id']}': nothing is stored about them" in stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["round", "close", "--now", "yesterday"], "--now: 'yesterday' is not an ISO date-time"),
        (["round", "close", "--absent", "missing.csv"], "missing.csv: cannot read"),
        (["forget", "nobody"], "unknown person 'nobody': nothing is stored about them"),
        (["report", "--format", "xml", "--out", "r.xml"], "invalid choice: 'xml'"),
        (["report", "--format", "json", "--rounds", "0", "--out", "r.json"], "'0': give a whole"),
    ],
)
def test_bad_values_are_refused(
    published: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    stderr = _refused(capsys, published, *argv, "--workspace", str(published))
    assert message in stderr


def test_closing_is_one_transaction(
    published: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the round row is updated and the invites retired leaves nothing."""
    from planner import rounds

    original = Workspace.store_round_close

    def then_fail(self: Workspace, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        raise OSError("disk on fire")

    monkeypatch.setattr(Workspace, "store_round_close", then_fail)
    before = _state(published)
    with Workspace.open(published, create=False) as ws, pytest.raises(OSError):
        rounds.close_round(ws, now=datetime.fromisoformat(CLOSE1))
    assert _state(published) == before


def test_a_late_reply_to_a_closed_round_is_named_and_recorded_nowhere(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reply arriving after the close IS ours (round 1's invite): a warning saying so,
    exit 0 (a late reply is not the participant's mistake), nothing recorded."""
    ws = str(published)
    with Workspace.open(published, create=False) as w:
        session = sorted(w.published_sessions(), key=lambda s: s.id)[0]
        team_zone = ZoneInfo(w.load_scenario().team.timezone)
    someone = session.attendees[0]
    reply = _decline(
        tmp_path / "out1" / "invites" / f"{someone}.ics",
        f"{someone}@example.com",
        tmp_path / "late.ics",
    )
    assert run(capsys, "round", "close", "--workspace", ws, "--now", CLOSE1)[0] == 0
    before = _state(published, counter=False)
    code, stdout, stderr = run(capsys, "import", str(reply), "--workspace", ws)
    assert code == 0, stderr
    assert "Traceback" not in stderr and "not an invite from this workspace" not in stdout + stderr
    when = session.start.astimezone(team_zone)
    assert (
        f"{reply}: event 1: ignored: a reply to round 1's Coffee {when:%a %d %b %H:%M}, "
        "which is closed; nothing recorded"
    ) in stdout + stderr
    assert _state(published, counter=False) == before
    # In round 2 too (its invites have other UIDs): still round 1's, still nothing recorded.
    assert run(capsys, "round", "new", "--workspace", ws, "--horizon", ROUND2)[0] == 0
    code, stdout, stderr = run(capsys, "import", str(reply), "--workspace", ws)
    assert code == 0 and "a reply to round 1's Coffee" in stdout + stderr
    # A UID that was never ours is still refused.
    stranger = tmp_path / "stranger.ics"
    stranger.write_text(reply.read_text().replace("UID:", "UID:x-not-ours-"))
    code, _, stderr = run(capsys, "import", str(stranger), "--workspace", ws)
    assert code == 2 and "its UID is not an invite from this workspace" in stderr


def test_exported_scenario_plans_the_same_next_round_in_a_fresh_workspace(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = str(published)
    assert run(capsys, "round", "close", "--workspace", ws, "--now", CLOSE1)[0] == 0
    assert run(capsys, "round", "new", "--workspace", ws, "--horizon", ROUND2)[0] == 0
    with Workspace.open(published, create=False) as w:
        closed = w.round_rows()[0].data
        assert closed is not None
        effective = w.planning_input(datetime.fromisoformat(NOW2)).scenario.history
    assert effective.pairs and effective.missed_out  # the round recorded both
    exported = tmp_path / "exported.toml"
    code, _, stderr = run(capsys, "export", "scenario", "--workspace", ws, "--out", str(exported))
    assert code == 0, stderr
    import tomllib

    history = tomllib.loads(exported.read_text())["history"]
    assert sorted(map(sorted, history["pairs"])) == sorted(map(sorted, closed["pairs"]))
    assert sorted(history["missed_out"]) == sorted(closed["missed_out"])
    fresh = tmp_path / "fresh.db"
    code, _, stderr = run(capsys, "import", str(exported), "--workspace", str(fresh))
    assert code == 0, stderr
    with Workspace.open(fresh, create=False) as w:
        again = w.planning_input(datetime.fromisoformat(NOW2)).scenario.history
    assert sorted(map(sorted, again.pairs)) == sorted(map(sorted, effective.pairs))
    assert sorted(again.missed_out) == sorted(effective.missed_out)
    one = _solve(published, tmp_path / "a", NOW2, capsys)
    two = _solve(fresh, tmp_path / "b", NOW2, capsys)
    assert sorted(map(sorted, _groups(one))) == sorted(map(sorted, _groups(two)))
    assert [(s["id"], s["start"]) for s in one["sessions"]] == [
        (s["id"], s["start"]) for s in two["sessions"]
    ]


def test_a_late_reply_to_a_cancelled_session_of_a_closed_round_says_so(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A session cancelled by a re-plan, then the round closed: a reply to its invite is
    still recognised as round 1's (cancelled), not as a stranger's UID."""
    from planner.calendar.publish import publish_plan

    ws = str(published)
    with Workspace.open(published, create=False) as w:
        sessions = sorted(w.published_sessions(), key=lambda s: s.id)
        gone, kept = sessions[0], sessions[1:]
        plan = w.latest_plan()
        assert plan is not None
        now = datetime.fromisoformat(NOW1)
        replan = plan.model_copy(update={"sessions": kept})
        publish_plan(w.planning_input(now), replan, tmp_path / "out1b", workspace=w, now=now)
        w.save_plan(replan, published=True)
    someone = gone.attendees[0]
    reply = _decline(
        tmp_path / "out1" / "invites" / f"{someone}.ics",
        f"{someone}@example.com",
        tmp_path / "late.ics",
    )
    assert run(capsys, "round", "close", "--workspace", ws, "--now", CLOSE1)[0] == 0
    before = _state(published, counter=False)
    code, stdout, stderr = run(capsys, "import", str(reply), "--workspace", ws)
    assert code == 0, stderr
    assert "a reply to round 1's Coffee " in stdout and "(cancelled), which is closed" in stdout
    assert _state(published, counter=False) == before
