"""Scenario files: TOML and JSON with one schema; syntax and encoding errors are precise."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from planner.domain.errors import InputError
from planner.domain.io import dump_scenario, load_scenario, read_text, validate_scenario
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
    assert (
        refusal(path)
        == f"{path}: people.1 (bob).calendars.0: calendar file 'cal/bob.ics' not found"
    )
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


# ---------------------------------------------------------------------- files we write


def _write_refusal(path: Path, **kwargs: object) -> str:
    from planner.files import write_private

    with pytest.raises(InputError) as info:
        write_private(path, "new\n", **kwargs)  # type: ignore[arg-type]
    return info.value.render()


def test_write_private_is_owner_only_atomic_and_leaves_no_temporary(tmp_path: Path) -> None:
    from planner.files import write_private

    target = tmp_path / "out.toml"
    target.write_text("old\n")
    target.chmod(0o644)
    old_umask = os.umask(0)  # even with nothing masked, the file is 0600
    try:
        write_private(target, "new\n")
    finally:
        os.umask(old_umask)
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.toml"]


def test_write_private_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    import socket
    import stat

    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "link"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    sock = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    try:
        assert _write_refusal(link) == f"{link}: refusing to write: it is a symbolic link"
        assert _write_refusal(dangling).endswith("it is a symbolic link")
        assert _write_refusal(fifo).endswith("it is a named pipe (FIFO)")
        assert _write_refusal(device).endswith("it is a device")
        assert _write_refusal(sock).endswith("it is a socket")
        assert _write_refusal(tmp_path) == f"{tmp_path}: cannot write: Is a directory"
    finally:
        server.close()
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "nowhere").exists()
    assert stat.S_ISCHR(os.lstat(device).st_mode) and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_write_private_refuses_a_workspace_and_its_companions(tmp_path: Path) -> None:
    from planner.store import Workspace

    db = tmp_path / "ws.db"
    with Workspace.open(db) as ws:
        ws.set_meta({"k": "v"})
        # open: the write-ahead log and its index are beside it
        assert _write_refusal(db).endswith("it is a workspace (a SQLite database)")
        shm = Path(f"{db}-shm")
        assert shm.exists()
        assert _write_refusal(shm).endswith("it is a workspace (a SQLite database)")
        wal = Path(f"{db}-wal")
        wal.write_bytes(b"\x37\x7f\x06\x82" + bytes(28))  # a log's header, whatever its base
        assert _write_refusal(wal).endswith("it is a workspace (a SQLite database)")
        wal.unlink()
        # the open workspace by name, even before it holds a byte (a new file)
        fresh = tmp_path / "fresh.db"
        assert _write_refusal(fresh, workspace=fresh).endswith("it is the open workspace")
        assert _write_refusal(Path(f"{fresh}-journal"), workspace=fresh).endswith(
            "it is the open workspace"
        )
        assert not fresh.exists()
        ws.set_meta({"k": "w"})
        assert ws.meta("k") == "w"
        assert ws.integrity_check() == "ok"


def test_write_private_never_follows_a_planted_temporary_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.files import write_private

    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / "schedule.json"
    # the old name, predictable from the pid
    (tmp_path / f".schedule.json.tmp-{os.getpid()}").symlink_to(victim)
    write_private(out, "{}\n")
    # and the new one, were it guessed: O_EXCL | O_NOFOLLOW refuses it instead of following
    monkeypatch.setattr("secrets.token_hex", lambda n=None: "guessed")
    (tmp_path / ".schedule.json.guessed.tmp").symlink_to(victim)
    with pytest.raises(InputError, match="cannot write: File exists"):
        write_private(out, "[]\n")
    assert victim.read_text() == "precious\n"
    assert out.read_text() == "{}\n"


def test_private_dir_makes_every_missing_level_owner_only(tmp_path: Path) -> None:
    from planner.files import private_dir

    kept = tmp_path / "kept"
    kept.mkdir(mode=0o755)
    kept.chmod(0o755)
    private_dir(kept / "a" / "b" / "c")
    for level in (kept / "a", kept / "a" / "b", kept / "a" / "b" / "c"):
        assert level.stat().st_mode & 0o777 == 0o700, level
    assert kept.stat().st_mode & 0o777 == 0o755
    private_dir(kept)  # existing: kept as it is
    assert kept.stat().st_mode & 0o777 == 0o755
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError) as info:
        private_dir(blocker / "sub")
    assert info.value.render() == f"{blocker / 'sub'}: cannot write: Not a directory"


def test_remove_file_removes_only_regular_files(tmp_path: Path) -> None:
    from planner.files import remove_file

    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "a.ics"
    link.symlink_to(victim)
    folder = tmp_path / "b.ics"
    folder.mkdir()
    for path, why in ((link, "it is a symbolic link"), (folder, "it is a directory")):
        with pytest.raises(InputError) as info:
            remove_file(path)
        assert info.value.render() == f"{path}: refusing to remove: {why}"
    assert link.is_symlink() and folder.is_dir() and victim.exists()
    remove_file(victim)
    remove_file(victim)  # gone already: nothing to do
    assert not victim.exists()


def test_service_keeps_the_names_other_code_imports() -> None:
    import planner.files
    from planner import service

    for name in ("write_private", "private_dir", "remove_file", "cannot_write"):
        assert getattr(service, name) is getattr(planner.files, name)


# -- a record in a list is named by its id as well as its index (issue 14) ---------------


def _located(mutate: Any) -> list[str]:
    """The locations of every problem in the base scenario after ``mutate``."""
    data = scenario_data(
        [person("ann", queues=["phone"]), person("bob", "Billing")],
        [activity("lunch", venues=["cafe"]), activity("quiz")],
        {"ann": {"lunch": "yes"}},
        queues=[{"id": "phone", "name": "Phone", "min_on_duty": 0}],
        venues=[{"id": "cafe", "name": "Cafe", "capacity": 10}],
    )
    mutate(data)
    with pytest.raises(InputError) as info:
        validate_scenario(data, "s.toml")
    return [p.location for p in info.value.problems]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["people"][1].update(email="bob@"), "people.1 (bob).email"),
        (
            lambda d: d["activities"][1].update(duration_minutes=0),
            "activities.1 (quiz).duration_minutes",
        ),
        (
            lambda d: d["activities"][0].update(min_participants=9, max_participants=3),
            "activities.0 (lunch)",
        ),
        (lambda d: d["queues"][0].update(min_on_duty=-1), "queues.0 (phone).min_on_duty"),
        (lambda d: d["venues"][0].update(capacity=0), "venues.0 (cafe).capacity"),
        # A rule across records (checked on the raw data beside a field error) names it too.
        (
            lambda d: (d["people"][0].update(queues=["mail"]), d["venues"][0].update(capacity=0)),
            "people.0 (ann).queues.0",
        ),
    ],
    ids=["person", "activity", "activity itself", "queue", "venue", "reference"],
)
def test_a_record_is_named_by_its_id(mutate: Any, expected: str) -> None:
    assert expected in _located(mutate)


@pytest.mark.parametrize(
    ("bad_id", "expected"),
    [
        ("Bob B", "people.1.id"),  # not an id
        ("ann", "people.1.id"),  # another record's id
        ("bob\x1b[31m", "people.1.id"),  # a control code: never shown, not even escaped
        ("[b]bob[/b]", "people.1.id"),  # markup: not an id either
    ],
    ids=["not an id", "duplicate", "control code", "markup"],
)
def test_an_id_at_fault_is_not_shown_beside_the_index(bad_id: str, expected: str) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["people"][0].update(email="ann@")  # a sound record beside it is named
        data["people"][1].update(id=bad_id, email="bob@")

    locations = _located(mutate)
    # The index alone where the id names nothing (yet): never its raw or escaped text.
    assert set(locations) == {"people.0 (ann).email", expected, "people.1.email"}, locations


def test_a_record_without_an_id_keeps_the_index_alone() -> None:
    def mutate(data: dict[str, Any]) -> None:
        del data["people"][1]["id"]
        data["people"][1]["email"] = "x"
        data["activities"][0]["duration_minutes"] = 0

    locations = _located(mutate)
    assert sorted(locations) == [
        "activities.0 (lunch).duration_minutes",
        "people.1.email",
        "people.1.id",
    ]


def test_ids_name_records_in_nested_places_and_not_in_plain_lists(tmp_path: Path) -> None:
    data = _scenario_dict()
    data["people"][0]["time_off"] = [{"start": "2027-03-02", "end": "2027-03-01"}]
    data["activities"][0]["required"] = ["zed"]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    lines = refusal(path).splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "people.0 (ann).time_off.0",  # a time range has no id
        "activities.0 (lunch).required.0",  # nor has a reference, the message names it
    ], lines
