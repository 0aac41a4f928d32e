"""Hostile text at the CLI (SPEC §6): terminal controls in user text never reach stderr or
stdout raw, Rich output reads no markup, and the poll, response and roster files refuse
what a one-line field refuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.table import Table

from planner.cli import main, out_table
from planner.domain.errors import InputError
from planner.domain.text import escape_controls
from planner.respond import export_polls, load_poll, load_response
from planner.service import import_files
from planner.store import Workspace
from planner.store.invites import list_replies
from tests.calendar.test_replies import CLOCK, fixture
from tests.factories import activity, build, person, scenario_data

# ESC ] 0 ; sets the window title, ESC [ 2 J clears the screen, U+009B is the 8-bit CSI.
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u2028\u202e\x85\x7f\r"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def assert_clean(text: str) -> None:
    found = RAW.search(text)
    assert found is None, f"raw {found.group()!r} in {text!r}"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x9b2J", "\\x9b2J"),
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
        ("\u202egnp.exe", "\\u202egnp.exe"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("\x85\x7f\x00\r\v\f", "\\x85\\x7f\\x00\\x0d\\x0b\\x0c"),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
        ("Zoë 陈伟 [b]x[/b] \\x1b", "Zoë 陈伟 [b]x[/b] \\x1b"),
    ],
)
def test_escape_controls(raw: str, shown: str) -> None:
    assert escape_controls(raw) == shown


def test_attendee_with_escape_sequences_is_not_echoed_raw(
    published_ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An RSVP reply from a stranger whose ATTENDEE carries ESC sequences: the refusal
    names the address with its escapes visible, and nothing is applied."""
    from planner.calendar import replies

    monkeypatch.setattr(replies, "clock", lambda: CLOCK)  # the fixtures' DTSTAMPs are 2027
    evil = f"mallory{ESCAPES}@example.org"
    bad = fixture(published_ws, "unknown-attendee.ics", tmp_path, **{"mallory@example.org": evil})
    code = main(["import", str(bad), "--workspace", published_ws.location])
    captured = capsys.readouterr()
    assert code == 2
    assert_clean(captured.err)
    assert_clean(captured.out)
    # (the address is compared in lower case, as email addresses are)
    assert "mallory\\x1b]0;pwned\\x07\\x1b[2j\\x9b31m\\u2028\\u202e" in captured.err
    assert "is not a person in this workspace" in captured.err
    assert list_replies(published_ws) == []


def test_file_names_with_controls_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / f"scenario{ESCAPES}.toml"
    bad.write_text("team = 1\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert_clean(err)
    assert "scenario\\x1b]0;pwned" in err and "team" in err


def test_scenario_with_a_separator_in_a_name_names_field_and_character(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(
        '[team]\nname = "Support\\u2028Team"\ntimezone = "Europe/Stockholm"\n'
        'organiser = {name = "Olga", email = "olga@example.com"}\n'
        'horizon = {start = "2027-03-01", end = "2027-03-12"}\n'
        '[[people]]\nid = "ann"\nname = "Ann\\u0085Smith"\nemail = "ann@example.com"\n'
        'department = "Support\\u009b31m"\n'
    )
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert f"{path}: team.name: contains a line separator (U+2028); names are one line" in lines
    assert (
        f"{path}: people.0 (ann).name: contains a control character (U+0085); names are one line"
        in lines
    )
    assert (
        f"{path}: people.0 (ann).department: contains a control character (U+009B); "
        "names are one line" in lines
    )
    assert "Traceback" not in captured.err


def test_rich_tables_read_no_markup(capsys: pytest.CaptureFixture[str]) -> None:
    table = Table("Instance", "Meetings")
    table.add_row("[link=https://evil.example]50meetings[/link] [/]", "50")
    table.add_row("\x1b]0;pwned\x07", "1")
    out_table(table)
    shown = capsys.readouterr().out
    assert "[link=https://evil.example]50meetings[/link] [/]" in shown
    assert "\x1b" not in shown and "\\x1b]0;pwned" in shown


# ---------------------------------------------------------------------- the other files


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    data = scenario_data([person("ann"), person("bob")], [activity("lunch")])
    workspace = Workspace.open(tmp_path / "ws.db")
    workspace.save_scenario(build(data), {})
    return workspace


def test_a_poll_with_a_separator_in_a_name_is_refused(ws: Workspace, tmp_path: Path) -> None:
    export_polls(ws, tmp_path / "polls")
    path = tmp_path / "polls" / "poll-ann.toml"
    text = path.read_text()
    assert 'name = "Lunch"' in text
    path.write_text(text.replace('name = "Lunch"', 'name = "Lunch\\u2028[poll]"'))
    with pytest.raises(InputError) as info:
        load_poll(path)
    assert any(
        "activities.0 (lunch).name: contains a line separator (U+2028)" in p.render()
        for p in info.value.problems
    ), str(info.value)


def test_a_response_with_a_trailing_newline_in_its_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "response-ann.toml"
    path.write_text(
        '[response]\nversion = 2\npoll = "00000000-0000-0000-0000-000000000000"\n'
        f'person = "ann\\n"\ntoken = "{"0" * 64}\\n"\n'
        'written = 2027-02-01T09:00:00Z\n[response.answers]\n"lunch\\n" = "yes"\n'
        '[response.limits]\nneeds = ["step-free\\u0085"]\n'
    )
    with pytest.raises(InputError) as info:
        load_response(path)
    rendered = str(info.value)
    assert f"{path}: response.person: 'ann\\n' is not an id" in rendered
    assert f"{path}: response.token:" in rendered  # a trailing newline is no token either
    assert "is not an id" in rendered.split("response.answers", 1)[1]
    assert f"{path}: response.limits.needs.0:" in rendered


def test_a_roster_with_a_separator_in_a_name_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        "name,email,department,queues,timezone\r\n"
        "Frida\u2028Nilsson,frida@example.com,Billing,,\r\n"
        "Gustav,gustav@example.com,Supp\x9bort,,\r\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        import_files(ws, [path])
    rendered = str(info.value)
    assert "contains a line separator (U+2028)" in rendered
    assert "contains a control character (U+009B)" in rendered
    assert [p.id for p in ws.load_scenario().people] == ["ann", "bob"]  # nothing imported


def test_the_cli_prints_in_one_place() -> None:
    """Every message leaves through ``_emit`` (which escapes controls); a new ``print``
    or Rich console elsewhere in cli.py would bypass it."""
    import ast

    import planner.cli

    tree = ast.parse(Path(planner.cli.__file__).read_text(encoding="utf-8"))
    printers: list[str] = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Call):
                callee = node.func
                name = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", "")
                # ``write`` only on a stream (``ws.write()`` opens a transaction, not output).
                stream = isinstance(callee, ast.Attribute) and any(
                    s in ast.unparse(callee.value) for s in ("stdout", "stderr")
                )
                if name in {"print", "Console"} or (name == "write" and stream):
                    printers.append(f"{func.name}:{name}")
    # out_table prints into a buffer, which goes out through _emit.
    assert sorted(printers) == ["_emit:print", "out_table:Console", "out_table:print"]
