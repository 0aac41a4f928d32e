"""Hostile text in the .ics files we write (SPEC §6): a one-line field cannot carry a line
break into them, and a description's newlines and tabs stay inside its TEXT value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.calendar.publish import publish_plan
from planner.domain.errors import InputError
from tests.calendar.test_invites import default_schedule, events, problem, team_data
from tests.factories import NOW

DESCRIPTION = "Line one;\n\tindented, with a \\ backslash\n[link=https://evil.example]x[/link]"
RAW_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


@pytest.mark.parametrize("char", ["\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x1b"])
@pytest.mark.parametrize(
    "path",
    [("people", 0, "name"), ("activities", 0, "name"), ("venues", 0, "name")],
    ids=["attendee", "summary", "location"],
)
def test_a_line_break_never_reaches_an_invite(
    tmp_path: Path, char: str, path: tuple[str, int, str]
) -> None:
    data = team_data()
    section, index, key = path
    data[section][index][key] = f"Alice{char}ATTENDEE:mailto:evil@example.com"
    with pytest.raises(InputError) as info:
        problem(data)
    record_id = data[section][index]["id"]  # the place names the record by its id too
    assert f"{section}.{index} ({record_id}).{key}: contains a " in str(info.value)


def test_descriptions_stay_inside_their_value(tmp_path: Path) -> None:
    data = team_data()
    data["people"][0]["name"] = "[b]Alice[/b] [/]"
    data["activities"][0]["description"] = DESCRIPTION
    out = tmp_path / "out"
    publish_plan(problem(data), default_schedule(), out, workspace=None, now=NOW)
    for path in [out / "calendar.ics", *(out / "invites").iterdir()]:
        text = path.read_bytes().decode("utf-8")
        for line in text.split("\r\n"):
            assert RAW_CONTROL.search(line) is None, (path.name, line)
            assert not line.startswith("ATTENDEE:mailto:evil")
    (lunch, _) = events(out / "invites" / "alice.ics")
    assert str(lunch["DESCRIPTION"]).startswith(DESCRIPTION)
