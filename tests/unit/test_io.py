"""Scenario files: TOML and JSON with one schema; syntax and encoding errors are precise."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from planner.domain.errors import InputError
from planner.domain.io import dump_scenario, load_scenario, read_text
from tests.factories import activity, build, person, scenario_data


def _scenario_dict() -> dict:
    return scenario_data(
        [person("ann"), person("bob", "Billing")],
        [activity("lunch", template="team-lunch", after_hours=False)],
        {"ann": {"lunch": "yes"}, "bob": {"lunch": "maybe"}},
    )


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_scenario(path)
    return info.value.render()


def test_toml_and_json_are_one_schema(tmp_path: Path) -> None:
    scenario = build(_scenario_dict())
    (tmp_path / "s.toml").write_text(dump_scenario(scenario, "toml"))
    (tmp_path / "s.json").write_text(dump_scenario(scenario, "json"))
    assert load_scenario(tmp_path / "s.toml").scenario == scenario
    assert load_scenario(tmp_path / "s.json").scenario == scenario


def test_dump_keeps_a_value_that_differs_from_the_template(tmp_path: Path) -> None:
    data = _scenario_dict()
    data["activities"].append({"id": "quiz", "template": "quiz-night", "after_hours": False})
    scenario = build(data)
    assert scenario.activity("quiz").after_hours is False
    (tmp_path / "s.toml").write_text(dump_scenario(scenario, "toml"))
    again = load_scenario(tmp_path / "s.toml").scenario
    assert again.activity("quiz").after_hours is False
    assert again == scenario


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[team]\nname = "x"\ntimezone = \n')
    text = refusal(path)
    assert text.startswith(f"{path}: line 3, column 12: not valid TOML")


def test_json_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"team": {\n  "name": "x",\n}\n}')
    assert refusal(path).startswith(f"{path}: line 3, column 1: not valid JSON")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\n", "file is empty"),
        (b'[team]\nname = "\xff\xfe"\n', "not UTF-8 text"),
        (b"[1, 2]", "the top level must be a table/object"),
    ],
)
def test_unreadable_content(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / ("s.json" if content.startswith(b"[1") else "s.toml")
    path.write_bytes(content)
    assert message in refusal(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nope.toml").endswith("no such file")
    assert refusal(tmp_path).endswith("is a directory, not a file")


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * 2048)
    with pytest.raises(InputError) as info:
        read_text(path, max_bytes=1024)
    assert "the limit is 1,024 bytes" in info.value.render()


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in refusal(path)


def test_missing_calendar_is_named(tmp_path: Path) -> None:
    data = _scenario_dict()
    data["people"][1]["calendars"] = ["cal/bob.ics"]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    assert refusal(path) == f"{path}: people.1.calendars.0: calendar file 'cal/bob.ics' not found"
    (tmp_path / "cal").mkdir()
    (tmp_path / "cal" / "bob.ics").write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    loaded = load_scenario(path)
    assert loaded.calendar_paths()["bob"] == [(tmp_path / "cal" / "bob.ics").resolve()]


def test_schema_matches_the_model() -> None:
    from planner.domain.models import Scenario

    schema = Scenario.model_json_schema()
    assert set(schema["properties"]) == {
        "team",
        "policy",
        "queues",
        "venues",
        "people",
        "activities",
        "preferences",
        "history",
    }
    assert schema["$defs"]["Person"]["additionalProperties"] is False
    # every field documents itself
    for name, model in schema["$defs"].items():
        for field, spec in model.get("properties", {}).items():
            if name in {
                "Organiser",
                "Horizon",
                "Team",
                "Policy",
                "Queue",
                "Venue",
                "Person",
                "Activity",
                "History",
            }:
                assert spec.get("description"), f"{name}.{field} has no description"


def test_shared_example_round_trips_through_toml(example_scenario: Path, tmp_path: Path) -> None:
    scenario = load_scenario(example_scenario).scenario
    text = dump_scenario(scenario, "toml")
    assert tomllib.loads(text)["team"]["name"] == "Support EMEA"


@pytest.mark.timeout(10)
def test_devices_and_pipes_are_refused_unread(tmp_path: Path) -> None:
    """/dev/zero reports size 0 and never ends; a FIFO would block: neither is read."""
    from planner.domain.io import read_bytes

    zero = tmp_path / "zero.toml"
    zero.symlink_to("/dev/zero")
    assert refusal(zero) == f"{zero}: not a regular file"
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    assert refusal(fifo) == f"{fifo}: not a regular file"
    with pytest.raises(InputError, match="not a regular file"):
        read_bytes(zero, max_bytes=10)


def test_read_stops_at_the_limit_whatever_the_size_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that grows after its size was checked is still read only up to the limit."""
    from planner.domain.io import read_bytes

    path = tmp_path / "grows.toml"
    path.write_bytes(b"#" * 100)
    real_stat = Path.stat

    def small_stat(self: Path, **kw: bool) -> os.stat_result:
        st = real_stat(self, **kw)
        return os.stat_result((st.st_mode, *st[1:6], 10, *st[7:]))

    monkeypatch.setattr(Path, "stat", small_stat)
    with pytest.raises(InputError, match="larger than the limit of 50 bytes"):
        read_bytes(path, max_bytes=50)


@pytest.mark.parametrize(
    ("data", "utf16", "expected"),
    [
        ("name = 'Åsa'\n".encode("utf-16"), True, "name = 'Åsa'\n"),
        (b"\xef\xbb\xbfname = 1\n", False, "name = 1\n"),  # the BOM is dropped
    ],
)
def test_one_decoder_reads(data: bytes, utf16: bool, expected: str) -> None:
    from planner.domain.io import decode_text

    assert decode_text(data, "s", utf16=utf16, hint="; hint") == expected


@pytest.mark.parametrize(
    ("data", "utf16", "expected"),
    [
        ("name = 'Åsa'\n".encode("utf-16-be"), True, "not UTF-8 text"),  # no BOM: no guess
        (b"\xff\xfe", True, "s: file is empty"),
        (b"\xff\xfe \x00\n\x00", True, "s: file is empty"),
        (b"\xff\xfe\x00", True, "s: not valid UTF-16 text despite its byte-order mark"),
        (b"\xff\xfe\x00garbage", False, "s: line 1, byte 0: not UTF-8 text"),
        (b"ok\nok\n\xe9\n", True, "s: line 3, byte 6: not UTF-8 text; hint"),
    ],
)
def test_one_decoder_refuses(data: bytes, utf16: bool, expected: str) -> None:
    from planner.domain.io import decode_text

    with pytest.raises(InputError) as info:
        decode_text(data, "s", utf16=utf16, hint="; hint")
    assert expected in info.value.render()
