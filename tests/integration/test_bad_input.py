"""A table of broken inputs for every file type planner reads.

Each is refused with exit code 2 and ``file: place: reason`` on stderr — never a
traceback — and the workspace it was imported into stays exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from planner.cli import main
from planner.domain.io import dump_scenario
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data
from tests.integration.cli import run


def valid_data() -> dict[str, Any]:
    return scenario_data(
        [person("ann", queues=["phone"]), person("bob", "Billing")],
        [activity("lunch", venues=["cafe"])],
        {"ann": {"lunch": "yes"}, "bob": {"lunch": "maybe"}},
        queues=[{"id": "phone", "name": "Phone", "min_on_duty": 1}],
        venues=[{"id": "cafe", "name": "Cafe", "capacity": 10}],
    )


def toml_of(data: dict[str, Any]) -> bytes:
    return dump_scenario(build(data), "toml").encode()


def mutate(fn: Callable[[dict[str, Any]], None]) -> bytes:
    data = valid_data()
    fn(data)
    return json.dumps(data).encode()


# (case, file name, content, expected location/reason fragment)
SCENARIO_CASES: list[tuple[str, str, bytes, str]] = [
    ("toml syntax", "s.toml", b'[team]\nname = "x\n', "line 2"),
    ("json syntax", "s.json", b'{"team": [}', "line 1, column 11: not valid JSON"),
    (
        "wrong type",
        "s.json",
        mutate(lambda d: d["venues"][0].update(capacity="ten")),
        "venues.0 (cafe).capacity",
    ),
    (
        "unknown key",
        "s.json",
        mutate(lambda d: d["people"][0].update(nickname="A")),
        "people.0 (ann).nickname: unknown key",
    ),
    (
        "dangling reference",
        "s.json",
        mutate(lambda d: d["activities"][0].update(venues=["pub"])),
        "activities.0 (lunch).venues.0: unknown venue 'pub'",
    ),
    (
        "impossible range",
        "s.json",
        mutate(lambda d: d["activities"][0].update(min_participants=9, max_participants=3)),
        "activities.0 (lunch): min_participants is larger",
    ),
    (
        "reversed horizon",
        "s.json",
        mutate(lambda d: d["team"].update(horizon={"start": "2027-03-09", "end": "2027-03-01"})),
        "team.horizon: horizon ends before it starts",
    ),
    (
        "unknown zone",
        "s.json",
        mutate(lambda d: d["people"][1].update(timezone="Europe/Atlantis")),
        "people.1 (bob).timezone: unknown time zone",
    ),
    (
        "windows zone name in scenario",
        "s.json",
        mutate(lambda d: d["team"].update(timezone="W. Europe Standard Time")),
        "team.timezone: unknown time zone",
    ),
    ("non-UTF-8", "s.toml", b'[team]\nname = "Caf\xe9"\n', "not UTF-8 text"),
    ("empty", "s.toml", b"", "file is empty"),
    ("only whitespace", "s.json", b"\n \n", "file is empty"),
    (
        "deeply nested",
        "s.json",
        b'{"team":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "nested too deeply",
    ),
    (
        "CRLF injection in a name",
        "s.json",
        mutate(lambda d: d["people"][0].update(name="Ann\r\nATTENDEE:mailto:evil@example.com")),
        "people.0 (ann).name: contains a control character (U+000D); names are one line",
    ),
    (
        "newline in an id",
        "s.json",
        mutate(lambda d: d["people"][0].update(id="ann\nx")),
        "people.0.id:",
    ),
    (
        "control character in a department",
        "s.json",
        mutate(lambda d: d["people"][1].update(department="Bill\x00ing")),
        "people.1 (bob).department: contains a control character (U+0000); names are one line",
    ),
    ("top level is a list", "s.json", b"[]", "the top level must be a table/object"),
    (
        "answer not yes/maybe/no",
        "s.json",
        mutate(lambda d: d["preferences"]["ann"].update(lunch="absolutely")),
        "preferences.ann.lunch",
    ),
    (
        "duration off the grid",
        "s.json",
        mutate(lambda d: d["activities"][0].update(duration_minutes=50)),
        "activities.0 (lunch).duration_minutes: 50 minutes is not a multiple",
    ),
    (
        "bad email",
        "s.json",
        mutate(lambda d: d["people"][0].update(email="ann at example.com")),
        "people.0 (ann).email: not an email address",
    ),
    (
        "semicolon-colon name is fine but a missing field is not",
        "s.json",
        mutate(lambda d: d["people"][0].pop("department")),
        "people.0 (ann).department: missing",
    ),
]


def _fingerprint(db: Path) -> str:
    with Workspace.open(db, create=False) as ws, ws.read() as conn:
        rows = [
            conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in (
                "documents",
                "people",
                "activities",
                "venues",
                "queues",
                "answers",
                "edit_log",
            )
        ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def assert_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], prefix: str, expected: str
) -> str:
    """Exit 2, nothing on stdout, ``prefix...`` with ``expected`` on stderr, no traceback;
    returns stderr."""
    code, out, err = run(capsys, *argv)
    assert code == 2, (argv, out, err)
    assert out == ""
    assert err.startswith(prefix), err
    assert expected in err, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    db = tmp_path / "ws.db"
    with Workspace.open(db) as ws:
        ws.save_scenario(build(valid_data()), {})
    return db


@pytest.mark.parametrize(
    ("case", "name", "content", "expected"), SCENARIO_CASES, ids=[c[0] for c in SCENARIO_CASES]
)
def test_broken_scenario(
    case: str,
    name: str,
    content: bytes,
    expected: str,
    tmp_path: Path,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = _fingerprint(workspace)
    for argv in (["validate", str(path)], ["import", str(path), "--workspace", str(workspace)]):
        assert_refused(capsys, argv, f"{path}: ", expected)
    assert _fingerprint(workspace) == before


def test_oversized_scenario_is_refused_by_size(
    tmp_path: Path,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import planner.domain.io as io

    monkeypatch.setattr(io, "MAX_INPUT_BYTES", 1000)
    path = tmp_path / "big.toml"
    path.write_bytes(toml_of(valid_data()) + b"#" * 2000)
    assert main(["validate", str(path)]) == 2
    assert "the limit is 1,000 bytes" in capsys.readouterr().err


# ---------------------------------------------------------------------- other file types

ROSTER_HEADER = "name,email,department,queues,timezone\n"
OTHER_CASES: list[tuple[str, str, bytes, str]] = [
    (
        "roster: bad email",
        "roster.csv",
        (ROSTER_HEADER + "Cy Doe,cy-at-example.com,Sales,,\n").encode(),
        "row 2: email: not an email address",
    ),
    (
        "roster: unknown queue",
        "roster.csv",
        (ROSTER_HEADER + "Cy Doe,cy@example.com,Sales,mail,\n").encode(),
        "row 2",
    ),
    (
        "roster: unknown zone",
        "roster.csv",
        (ROSTER_HEADER + "Cy Doe,cy@example.com,Sales,,Mars/Olympus\n").encode(),
        "row 2: timezone",
    ),
    ("roster: missing column", "roster.csv", b"name,email\nCy,cy@example.com\n", "department"),
    (
        "roster: non-UTF-8",
        "roster.csv",
        (ROSTER_HEADER + "Jos\xe9,jose@example.com,Sales,,\n").encode("latin-1"),
        "UTF-8",
    ),
    ("roster: empty", "roster.csv", b"", "empty"),
    ("roster: only blank cells", "roster.csv", b",,,\r\n,,,\r\n", "the file has no header row"),
    ("roster: one empty quoted cell", "roster.csv", b'""', "the file has no header row"),
    (
        "roster: injection in a name",
        "roster.csv",
        (ROSTER_HEADER + '"Cy\rATTENDEE:x",cy@example.com,Sales,,\n').encode(),
        "row 2: name",
    ),
    ("reply: not iCalendar", "reply.ics", b"hello", "reply.ics"),
    (
        "reply: unknown UID",
        "reply.ics",
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\n"
            b"UID:never-sent@example.com\r\nDTSTAMP:20270201T000000Z\r\n"
            b"ATTENDEE;PARTSTAT=DECLINED:mailto:ann@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ),
        "reply.ics",
    ),
    ("reply: empty", "reply.ics", b"", "reply.ics"),
    (
        "response: wrong poll",
        "response-ann.toml",
        (
            b'[response]\npoll = "00000000-0000-4000-8000-000000000000"\nperson = "ann"\n'
            b'token = "' + b"ab" * 32 + b'"\nwritten = 2026-01-01T00:00:00Z\n'
            b'[response.answers]\nlunch = "yes"\n'
        ),
        "response.poll",
    ),
    (
        "response: old form without token",
        "response-ann.toml",
        (
            b'[response]\npoll = "00000000-0000-4000-8000-000000000000"\nperson = "ann"\n'
            b'[response.answers]\nlunch = "yes"\n'
        ),
        "answer the new poll",
    ),
    (
        "response: unknown key",
        "response-ann.toml",
        b'[response]\npoll = "x"\nperson = "ann"\ntoken = "x"\nsecret = 1\n',
        "response",
    ),
    ("response: syntax", "response-ann.toml", b"[response\n", "line 1"),
    ("poll handed to import", "poll.toml", b'[poll]\nid = "x"\n', "planner respond"),
]


@pytest.mark.parametrize(
    ("case", "name", "content", "expected"), OTHER_CASES, ids=[c[0] for c in OTHER_CASES]
)
def test_broken_other_files(
    case: str,
    name: str,
    content: bytes,
    expected: str,
    tmp_path: Path,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = _fingerprint(workspace)
    assert_refused(
        capsys, ["import", str(path), "--workspace", str(workspace)], str(path), expected
    )
    assert _fingerprint(workspace) == before


CALENDAR_CASES: list[tuple[str, bytes, str]] = [
    ("empty calendar", b"", "cal.ics"),
    ("not a calendar", b"BEGIN:VCARD\r\nEND:VCARD\r\n", "cal.ics"),
    (
        "broken date",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:2027-99-99\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "cal.ics",
    ),
    ("unterminated", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\n", "cal.ics"),
]


@pytest.mark.parametrize(
    ("case", "content", "expected"), CALENDAR_CASES, ids=[c[0] for c in CALENDAR_CASES]
)
def test_broken_personal_calendar(
    case: str,
    content: bytes,
    expected: str,
    tmp_path: Path,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "cal.ics").write_bytes(content)
    data = valid_data()
    data["people"][1]["calendars"] = ["cal.ics"]
    path = tmp_path / "s.toml"
    path.write_bytes(toml_of(data))
    before = _fingerprint(workspace)
    for argv in (["validate", str(path)], ["import", str(path), "--workspace", str(workspace)]):
        assert_refused(capsys, argv, expected, expected)
    assert _fingerprint(workspace) == before


# ---------------------------------------------------------------------- bad output paths


@pytest.fixture
def published(published_ws: Workspace) -> Path:
    """The path of a workspace whose plan was published (``export invites`` has work)."""
    return Path(published_ws.location)


def _cannot_write(capsys: pytest.CaptureFixture[str], argv: list[str], path: Path) -> str:
    """Exit 2 and, as the last line on stderr, ``path: cannot write: reason``."""
    code, _, err = run(capsys, *argv)
    assert code == 2, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"{path}: cannot write: "), err
    return last


def test_export_invites_to_a_file_or_an_impossible_directory(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    argv = ["export", "invites", "--workspace", str(published), "--now", "2027-02-01T09:00:00Z"]
    message = _cannot_write(capsys, [*argv, "--out", str(afile)], afile / "invites")
    assert message.endswith("Not a directory")
    assert afile.read_text() == "keep me"
    if Path("/proc/self").is_dir():  # a directory nobody can create anything in
        _cannot_write(capsys, [*argv, "--out", "/proc/x"], Path("/proc/x/invites"))


def test_stale_invite_that_is_a_directory(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "invites" / "alice.ics").unlink()
    (out / "invites" / "alice.ics").mkdir()
    argv = ["export", "invites", "--workspace", str(published), "--out", str(out)]
    message = _cannot_write(capsys, argv, out / "invites" / "alice.ics")
    assert message.endswith("Is a directory")


def test_export_scenario_onto_a_directory(
    tmp_path: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "somedir"
    target.mkdir()
    argv = ["export", "scenario", "--workspace", str(workspace), "--out", str(target)]
    assert _cannot_write(capsys, argv, target).endswith("Is a directory")
    assert list(target.iterdir()) == []  # no temporary file left behind


def test_solve_into_a_file(
    tmp_path: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_bytes(toml_of(valid_data()))
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    common = ["--out", str(afile), "--now", "2027-02-01T09:00:00Z", "--time-limit", "5"]
    message = _cannot_write(capsys, ["solve", str(scenario), *common], afile)
    assert message.endswith("Not a directory")
    _cannot_write(capsys, ["solve", "--workspace", str(workspace), *common], afile)
    assert afile.read_text() == "keep me"
    with Workspace.open(workspace, create=False) as ws:
        assert ws.latest_plan_id() is None  # the plan is recorded only once it is written


# ---------------------------------------------------------------------- bad option values


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("foo://bar", "foo://bar: cannot open the workspace: unknown database type 'foo'"),
        ("://bar", "--workspace: not a valid database URL"),
        ("postgresql://user:secret@host:port/db", "--workspace: not a valid database URL"),
        (
            "sqlite:///ws.db?timeout=soon",
            "sqlite:///ws.db?timeout=soon: cannot open the workspace: not a valid database URL "
            "(could not convert string to float: 'soon')",
        ),
    ],
)
def test_workspace_url_sqlalchemy_cannot_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    argv = ["export", "scenario", "--workspace", url, "--out", str(tmp_path / "s.toml")]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.strip() == f"planner: {expected}"
    assert not (tmp_path / "s.toml").exists()


@pytest.mark.parametrize("where", ["parent-is-a-file/ws.db", "a" * 300 + "/ws.db"])
def test_a_workspace_path_that_cannot_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], example_scenario: Path, where: str
) -> None:
    (tmp_path / "parent-is-a-file").write_text("keep me")
    target = tmp_path / where
    argv = ["import", str(example_scenario), "--workspace", str(target)]
    assert_refused(capsys, argv, f"planner: {target}: cannot open the workspace: ", "")
    assert (tmp_path / "parent-is-a-file").read_text() == "keep me"


def test_a_sqlite_url_is_opened_like_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], example_scenario: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    out = str(tmp_path / "s.toml")
    argv = ["export", "scenario", "--workspace", url, "--out", out]
    assert_refused(capsys, argv, f"planner: {tmp_path / 'ws.db'}: ", "no such workspace")
    assert not (tmp_path / "ws.db").exists()  # create=False holds for a URL too
    assert main(["import", str(example_scenario), "--workspace", url]) == 0
    assert stat.S_IMODE((tmp_path / "ws.db").stat().st_mode) == 0o600
    with Workspace.open(url) as ws, ws.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_password_in_a_url_query_is_not_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://planner@nohost/db?password=secret"
    code = main(["export", "scenario", "--workspace", url, "--out", str(tmp_path / "s.toml")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "cannot open the workspace" in err
    assert "secret" not in err


def test_workspace_url_without_its_driver(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    if importlib.util.find_spec("pg8000") is not None:
        pytest.skip("pg8000 is installed here")
    url = "postgresql+pg8000://planner:secret@nohost/db"
    code = main(["export", "scenario", "--workspace", url, "--out", str(tmp_path / "s.toml")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "the database driver for 'postgresql+pg8000' is not installed (pg8000)" in err
    assert "secret" not in err  # the password is never echoed


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://[::1/cal", "not a valid URL"),
        ("http://ex ample.com/cal/", "holds white space"),
        ("https://example.com/cal\n", "holds white space"),
        ("x", "not an http(s) URL"),
    ],
)
def test_bad_caldav_url_before_anything_is_written(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    out = tmp_path / "export"
    argv = ["export", "invites", "--workspace", str(published), "--out", str(out)]
    assert_refused(capsys, [*argv, "--caldav", url], "--caldav: ", expected)
    assert not out.exists()


@pytest.mark.parametrize("url", ["ftp://me:secret@host/cal/", "http://me:secret@/cal/"])
def test_a_password_in_a_bad_caldav_url_is_not_echoed(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    out = tmp_path / "export"
    argv = ["export", "invites", "--workspace", str(published), "--out", str(out)]
    err = assert_refused(capsys, [*argv, "--caldav", url], "--caldav: ", "no credentials")
    assert "secret" not in err
    assert not out.exists()
