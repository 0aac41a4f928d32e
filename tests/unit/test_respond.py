"""The poll/response core: what leaves a participant's machine, and how it comes back."""

from __future__ import annotations

import stat
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner import service
from planner.domain.errors import InputError
from planner.domain.models import Answer
from planner.respond import (
    Limits,
    Poll,
    build_response,
    export_polls,
    load_poll,
    load_response,
    snap_to_grid,
    write_response,
)
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PEOPLE = [person("ann"), person("bob", "Billing"), person("cat")]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    data = scenario_data(
        PEOPLE,
        [activity("lunch"), activity("quiz", required=["cat"])],
        {"ann": {"lunch": "no"}},
    )
    ws = Workspace.open(tmp_path / "ws.db")
    ws.save_scenario(build(data), {})
    return ws


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def polls(ws: Workspace, out: Path) -> dict[str, Poll]:
    """Export every person's poll into ``out``; person id -> poll as read back."""
    return {load_poll(p).person: load_poll(p) for p in export_polls(ws, out)}


def test_blocks_are_rounded_outwards_merged_and_clipped() -> None:
    window = (utc(2027, 3, 1), utc(2027, 3, 2))
    blocks = [
        (utc(2027, 3, 1, 8, 10), utc(2027, 3, 1, 8, 40)),  # 09:10-09:40 local
        (utc(2027, 3, 1, 8, 45), utc(2027, 3, 1, 9, 5)),  # touches the first after rounding
        (utc(2027, 2, 27, 8), utc(2027, 2, 27, 9)),  # before the window: never shared
    ]
    assert snap_to_grid(blocks, STOCKHOLM, 30, window) == [
        (utc(2027, 3, 1, 8, 0), utc(2027, 3, 1, 9, 30))
    ]


def test_poll_names_nobody_but_organiser_and_facilitators(ws: Workspace, tmp_path: Path) -> None:
    paths = export_polls(ws, tmp_path / "polls")
    assert [p.name for p in paths] == ["poll-ann.toml", "poll-bob.toml", "poll-cat.toml"]
    bob = tmp_path / "polls" / "poll-bob.toml"
    text = bob.read_text()
    assert stat.S_IMODE(bob.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "polls").stat().st_mode) == 0o700
    assert "Cat" in text  # the facilitator of the quiz
    for other in ("Ann", '"ann"', "ann@", "bob@", '"no"'):
        assert other not in text
    poll = load_poll(bob)
    assert poll.person == "bob"
    assert poll.activity_ids() == ["lunch", "quiz"]
    # Re-exporting in the same round keeps the poll id and the tokens, so earlier
    # responses still import.
    again = polls(ws, tmp_path / "again")["bob"]
    assert (again.id, again.token) == (poll.id, poll.token)


def test_response_round_trip_and_import(ws: Workspace, tmp_path: Path) -> None:
    poll = polls(ws, tmp_path / "polls")["bob"]
    busy = [(utc(2027, 3, 2, 9, 7), utc(2027, 3, 2, 9, 50))]
    response = build_response(
        poll, {"lunch": "yes", "quiz": Answer.maybe}, Limits(max_events_per_week=1), busy
    )
    path = write_response(response, tmp_path)
    assert path.name == "response-bob.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = tomllib.loads(path.read_text())
    assert set(data) == {"response"}
    assert load_response(path) == response
    assert [(b.start, b.end) for b in response.busy] == [
        (utc(2027, 3, 2, 9, 0), utc(2027, 3, 2, 10, 0))
    ]
    result = service.import_files(ws, [path])
    assert "bob" in result.messages[0]
    s = ws.load_scenario()
    assert s.answer("bob", "lunch") is Answer.yes and s.answer("bob", "quiz") is Answer.maybe
    assert s.person("bob").max_events_per_week == 1
    assert ws.busy_blocks()["bob"] == [(utc(2027, 3, 2, 9, 0), utc(2027, 3, 2, 10, 0))]
    assert ws.undo() == "import response bob"


def test_answers_for_activities_removed_since_are_skipped_and_not_counted(
    ws: Workspace, tmp_path: Path
) -> None:
    poll = polls(ws, tmp_path / "polls")["bob"]
    path = write_response(
        build_response(poll, {"lunch": "yes", "quiz": "maybe"}, Limits(), []), tmp_path
    )
    s = ws.load_scenario()
    ws.save_scenario(s.model_copy(update={"activities": s.activities[:1]}), None)
    (message,) = service.import_files(ws, [path]).messages
    assert "1 answers, 0 busy blocks (1 answers for removed activities skipped)" in message
    assert ws.load_scenario().answer("bob", "lunch") is Answer.yes


def test_blank_fields_keep_what_the_workspace_has(ws: Workspace, tmp_path: Path) -> None:
    poll = polls(ws, tmp_path / "polls")["bob"]
    first = build_response(poll, {"lunch": "yes"}, Limits(max_events_per_week=1), [])
    service.import_files(ws, [write_response(first, tmp_path)])
    # A second response that leaves the cap and the lunch answer blank changes neither.
    again = build_response(poll, {"quiz": "maybe"}, Limits(share_reasons=True), [])
    service.import_files(ws, [write_response(again, tmp_path / "again")])
    s = ws.load_scenario()
    bob = s.person("bob")
    assert bob.max_events_per_week == 1 and bob.share_reasons
    assert s.answer("bob", "lunch") is Answer.yes and s.answer("bob", "quiz") is Answer.maybe


def test_a_response_keeps_derived_values_derived(tmp_path: Path) -> None:
    # A pairing without ``sessions`` gets its group count from the opt-ins: a response must
    # not freeze the count it had when the response came in.
    data = scenario_data(
        PEOPLE, [activity("coffee", kind="pairing", max_participants=3)], {"ann": {"coffee": "yes"}}
    )
    with Workspace.open(tmp_path / "ws.db") as ws:
        ws.save_scenario(build(data), {})
        poll = polls(ws, tmp_path / "polls")["bob"]
        response = build_response(poll, {"coffee": "yes"}, Limits(), [])
        service.import_files(ws, [write_response(response, tmp_path)])
        coffee = ws.load_scenario().activity("coffee")
        assert "sessions" not in coffee.model_fields_set


def test_response_for_unknown_person_or_other_poll_is_refused(
    ws: Workspace, tmp_path: Path
) -> None:
    poll = polls(ws, tmp_path / "polls")["bob"]
    zed = poll.model_copy(update={"person": "zed"})
    stranger = write_response(build_response(zed, {}, Limits(), []), tmp_path)
    with pytest.raises(InputError, match="unknown person 'zed'") as exc:
        service.import_files(ws, [stranger])
    assert exc.value.exit_code == 2
    other = poll.model_copy(update={"id": poll.id.__class__(int=1)})
    foreign = write_response(build_response(other, {}, Limits(), []), tmp_path)
    with pytest.raises(InputError, match="the poll of another round"):
        service.import_files(ws, [foreign])


def test_bad_files_say_where(tmp_path: Path) -> None:
    path = tmp_path / "response-x.toml"
    path.write_text('[response]\npoll = "nope"\nperson = "Bad Id"\ntoken = "x"\nextra = 1\n')
    with pytest.raises(InputError) as exc:
        load_response(path)
    rendered = str(exc.value)
    assert f"{path}: response.poll:" in rendered
    assert f"{path}: response.person:" in rendered
    assert f"{path}: response.extra: unknown key" in rendered
    assert f"{path}: response.token:" in rendered
    assert f"{path}: response.written:" in rendered


def test_off_grid_blocks_are_refused_on_import(ws: Workspace, tmp_path: Path) -> None:
    poll = polls(ws, tmp_path / "polls")["bob"]
    path = write_response(build_response(poll, {}, Limits(), []), tmp_path)
    text = path.read_text().replace(
        "busy = []",
        "[[response.busy]]\nstart = 2027-03-02T09:10:00Z\nend = 2027-03-02T10:00:00Z",
    )
    path.write_text(text)
    with pytest.raises(InputError, match="slot grid"):
        service.import_files(ws, [path])


def test_answers_for_other_activities_are_refused(ws: Workspace, tmp_path: Path) -> None:
    poll = polls(ws, tmp_path / "polls")["bob"]
    with pytest.raises(InputError, match="not an activity of this poll"):
        build_response(poll, {"karaoke": "yes"}, Limits(), [])
