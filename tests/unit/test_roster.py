"""Roster CSV import: a good file, each kind of bad row, and nothing imported on error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.cli import main
from planner.domain.errors import InputError
from planner.service import import_files
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    data = scenario_data(
        [person("alice", show_in_attendee_lists=True), person("bob", queues=["billing"])],
        [activity("team-lunch")],
        {"bob": {"team-lunch": "yes"}},
        queues=[
            {"id": "billing", "name": "Billing line", "min_on_duty": 1},
            {"id": "chat", "name": "Chat", "min_on_duty": 1},
        ],
    )
    workspace = Workspace.open(tmp_path / "ws.db")
    workspace.save_scenario(build(data), {})
    yield workspace
    workspace.close()


def write(tmp_path: Path, text: str, name: str = "roster.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def people(ws: Workspace) -> dict[str, dict[str, object]]:
    return {p.id: p.model_dump() for p in ws.load_scenario().people}


GOOD = (
    "name,email,department,queues,timezone\r\n"
    "Frida Nilsson,frida.nilsson@example.com,Billing,billing;chat,\r\n"
    'Bob Builder,BOB@example.com,"Tech, Level 2",chat|billing,Europe/London\r\n'
    "Gustav Öberg,gustav@example.com,Support,,America/New_York\r\n"
)


def test_good_file_adds_and_updates(ws: Workspace, tmp_path: Path) -> None:
    result = import_files(ws, [write(tmp_path, GOOD)])
    assert result.messages == [f"{tmp_path / 'roster.csv'}: 2 people added, 1 updated"]
    got = people(ws)
    assert set(got) == {"alice", "bob", "frida-nilsson", "gustav"}
    assert got["frida-nilsson"]["queues"] == ["billing", "chat"]
    assert got["frida-nilsson"]["timezone"] is None  # blank: the team zone
    assert got["gustav"]["name"] == "Gustav Öberg"
    assert got["gustav"]["timezone"] == "America/New_York"
    # Bob matched by email (any case): updated, his answers stay.
    assert got["bob"]["name"] == "Bob Builder"
    assert got["bob"]["department"] == "Tech, Level 2"
    assert got["bob"]["queues"] == ["chat", "billing"]
    assert got["bob"]["timezone"] == "Europe/London"
    assert ws.load_scenario().preferences["bob"] == {"team-lunch": "yes"}


def test_excel_semicolon_bom_crlf(ws: Workspace, tmp_path: Path) -> None:
    text = (
        "\ufeffName;E-mail;Department;Queues\r\n".replace("E-mail", "Email")
        + "Hanna Berg;hanna@example.com;Support;billing|chat\r\n"
        + ";;;\r\n"
    )
    import_files(ws, [write(tmp_path, text)])
    assert people(ws)["hanna"]["queues"] == ["billing", "chat"]


def test_utf16_unicode_text_from_excel(ws: Workspace, tmp_path: Path) -> None:
    text = "name\temail\tdepartment\tqueues\r\nÅsa Ek\tasa@example.com\tSupport\t\r\n"
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    import_files(ws, [path])
    assert people(ws)["asa"]["name"] == "Åsa Ek"


def test_explicit_id_and_unique_slugs(ws: Workspace, tmp_path: Path) -> None:
    text = (
        "id,name,email,department,queues\n"
        ",Alice Two,alice@other.example,Support,\n"
        "al3,Alice Three,alice@third.example,Support,\n"
        ",Alice Four,Alice@fourth.example,Support,\n"
    )
    import_files(ws, [write(tmp_path, text)])
    got = people(ws)
    assert {"alice", "alice-2", "al3", "alice-3"} <= set(got)
    assert got["alice"]["email"] == "alice@example.com"  # the existing Alice is untouched


def _error(ws: Workspace, tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    before = people(ws)
    with pytest.raises(InputError) as info:
        import_files(ws, [write(tmp_path, text, encoding=encoding)])
    assert info.value.exit_code == 2
    assert people(ws) == before  # nothing imported
    return str(info.value)


HEADER = "name,email,department,queues,timezone\n"
GOOD_ROW = "Ok Person,ok@example.com,Support,,\n"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("Bad Email,not-an-email,Support,,\n", "roster.csv: row 3: email: not an email address"),
        (",nobody@example.com,Support,,\n", "roster.csv: row 3: name: missing"),
        ("No Dept,nodept@example.com,,,\n", "roster.csv: row 3: department: missing"),
        (
            "Q,q@example.com,Support,phones,\n",
            "roster.csv: row 3: queues.0: unknown queue 'phones'",
        ),
        (
            "Z,z@example.com,Support,,Mars/Olympus\n",
            "roster.csv: row 3: timezone: unknown time zone",
        ),
        ("Dup,OK@example.com,Support,,\n", "roster.csv: row 3: email: also in row 2"),
        (
            "Tab\tName,t@example.com,Support,,\n",
            "roster.csv: row 3: name: contains a control character (U+0009); names are one line",
        ),
        ("A,a@example.com,Support,,,extra\n", "roster.csv: row 3: more cells than header columns"),
    ],
)
def test_bad_rows(ws: Workspace, tmp_path: Path, rows: str, expected: str) -> None:
    message = _error(ws, tmp_path, HEADER + GOOD_ROW + rows)
    assert message.replace(str(tmp_path) + "/", "").startswith(expected), message


def test_all_bad_rows_reported_at_once(ws: Workspace, tmp_path: Path) -> None:
    text = HEADER + "A,bad,Support,,\n" + GOOD_ROW + "B,b@example.com,,,\n"
    lines = _error(ws, tmp_path, text).splitlines()
    assert [line.split(": ")[1] for line in lines] == ["row 2", "row 4"]


def test_bad_id_column(ws: Workspace, tmp_path: Path) -> None:
    text = "id,name,email,department,queues\nNot An Id,X,x@example.com,Support,\n"
    assert "row 2: id: 'Not An Id' is not an id" in _error(ws, tmp_path, text)


def test_id_and_email_of_different_people(ws: Workspace, tmp_path: Path) -> None:
    text = "id,name,email,department,queues\nalice,Alice,bob@example.com,Support,\n"
    assert "row 2: email: bob@example.com belongs to person 'bob'" in _error(ws, tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,email,department\nA,a@example.com,S\n", "row 1: missing column(s) queues"),
        (
            "name,email,department,queues,phone\nA,a@example.com,S,,1\n",
            "row 1: unknown column(s) 'phone'",
        ),
        ("name,email,department,queues\n", "no people in the file"),
    ],
)
def test_bad_header(ws: Workspace, tmp_path: Path, text: str, expected: str) -> None:
    assert expected in _error(ws, tmp_path, text)


def test_non_utf8_has_a_clear_error(ws: Workspace, tmp_path: Path) -> None:
    text = HEADER + "Åsa Öberg,asa@example.com,Support,,\n"
    message = _error(ws, tmp_path, text, encoding="cp1252")
    assert "line 2, byte 38: not UTF-8 text" in message and "CSV UTF-8" in message


def test_cli_exit_2_and_nothing_imported(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, GOOD, "good.csv")
    bad = write(tmp_path, HEADER + "Bad,bad-email,Support,,\n", "bad.csv")
    before = people(ws)
    assert main(["import", str(good), str(bad), "--workspace", ws.location]) == 2
    assert f"{bad}: row 2: email: not an email address" in capsys.readouterr().err
    assert people(ws) == before


def test_roster_keeps_busy_blocks(ws: Workspace, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    block = (datetime(2027, 3, 2, 9, tzinfo=UTC), datetime(2027, 3, 2, 10, tzinfo=UTC))
    ws.set_busy_blocks("bob", "calendar", [block])
    import_files(ws, [write(tmp_path, GOOD)])
    assert ws.busy_blocks()["bob"] == [block]
