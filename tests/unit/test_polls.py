"""Per-person signed polls (invariant 7): nobody answers for somebody else, a replay or an
old round's answer does not win, and the signing key never leaves the workspace."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from planner import service
from planner.domain.errors import InputError
from planner.domain.models import Answer
from planner.respond import (
    Limits,
    Poll,
    build_response,
    dump_poll,
    export_polls,
    load_poll,
    write_response,
)
from planner.store import Workspace
from planner.store.workspace import POLL_SECRET_KEY
from tests.factories import activity, build, person, scenario_data

PEOPLE = [person("ali"), person("bea", "Billing"), person("cy")]
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
"""Written before now: a response stamped more than a day ahead is refused."""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    data = scenario_data(PEOPLE, [activity("lunch"), activity("quiz")], {"ali": {"lunch": "no"}})
    ws = Workspace.open(tmp_path / "ws.db")
    ws.save_scenario(build(data), {})
    return ws


def polls(ws: Workspace, out: Path) -> dict[str, Poll]:
    return {load_poll(p).person: load_poll(p) for p in export_polls(ws, out)}


def answer(
    poll: Poll, out: Path, written: datetime, lunch: str = "yes", show: bool = False
) -> Path:
    response = build_response(
        poll, {"lunch": lunch}, Limits(show_in_attendee_lists=show), [], written=written
    )
    return write_response(response, out)


def test_a_response_naming_another_person_is_refused_and_nothing_changes(
    ws: Workspace, tmp_path: Path
) -> None:
    bea = polls(ws, tmp_path / "polls")["bea"]
    path = answer(bea, tmp_path / "r", T0, "yes", show=True)
    # Bea edits her response to speak for Ali: his "no" to yes, his listing consent on.
    path.write_text(path.read_text().replace('person = "bea"', 'person = "ali"'))
    with pytest.raises(InputError) as exc:
        service.import_files(ws, [path])
    assert exc.value.exit_code == 2
    assert f"{path}: response.token: not the token of 'ali'" in str(exc.value)
    s = ws.load_scenario()
    assert s.answer("ali", "lunch") is Answer.no
    assert not s.person("ali").show_in_attendee_lists
    assert ws.response_record("ali") is None


def test_a_poll_edited_to_another_person_signs_nothing(ws: Workspace, tmp_path: Path) -> None:
    bea = polls(ws, tmp_path / "polls")["bea"]
    forged = bea.model_copy(update={"person": "ali"})  # keeps Bea's token
    path = answer(forged, tmp_path / "r", T0)
    with pytest.raises(InputError, match=r"response\.token: not the token of .ali."):
        service.import_files(ws, [path])
    assert ws.load_scenario().answer("ali", "lunch") is Answer.no


def test_tokens_differ_per_person_and_round(ws: Workspace, tmp_path: Path) -> None:
    first = polls(ws, tmp_path / "a")
    assert len({p.token for p in first.values()}) == 3
    s = ws.load_scenario()
    horizon = s.team.horizon.model_copy(update={"end": s.team.horizon.end + timedelta(days=7)})
    ws.save_scenario(s.model_copy(update={"team": s.team.model_copy(update={"horizon": horizon})}))
    second = polls(ws, tmp_path / "b")
    assert second["ali"].id != first["ali"].id
    assert second["ali"].token != first["ali"].token


def test_an_older_response_after_a_newer_one_is_ignored(ws: Workspace, tmp_path: Path) -> None:
    bea = polls(ws, tmp_path / "polls")["bea"]
    old = answer(bea, tmp_path / "old", T0, "no")
    new = answer(bea, tmp_path / "new", T0 + timedelta(hours=1), "yes")
    same = answer(bea, tmp_path / "same", T0 + timedelta(hours=1), "maybe")
    service.import_files(ws, [new])
    for stale in (old, same):
        (message,) = service.import_files(ws, [stale]).messages
        assert message.startswith(f"{stale}: ignored: the response of bea written")
        assert "not newer than the one already imported" in message
    assert ws.load_scenario().answer("bea", "lunch") is Answer.yes
    assert ws.response_record("bea").written == T0 + timedelta(hours=1)  # type: ignore[union-attr]


def test_within_one_import_the_newest_response_wins_in_any_order(
    ws: Workspace, tmp_path: Path
) -> None:
    bea = polls(ws, tmp_path / "polls")["bea"]
    old = answer(bea, tmp_path / "old", T0, "no")
    new = answer(bea, tmp_path / "new", T0 + timedelta(minutes=5), "yes")
    messages = service.import_files(ws, [new, old]).messages
    assert "ignored" in messages[1]
    assert ws.load_scenario().answer("bea", "lunch") is Answer.yes


def test_undo_of_an_import_takes_the_record_back(ws: Workspace, tmp_path: Path) -> None:
    bea = polls(ws, tmp_path / "polls")["bea"]
    first = answer(bea, tmp_path / "first", T0, "maybe")
    second = answer(bea, tmp_path / "second", T0 + timedelta(hours=1), "yes")
    service.import_files(ws, [first])
    service.import_files(ws, [second])
    assert ws.undo() == "import response bea"
    assert ws.response_record("bea").written == T0  # type: ignore[union-attr]
    assert ws.load_scenario().answer("bea", "lunch") is Answer.maybe
    # The undone response is not a replay: importing it again applies it.
    (message,) = service.import_files(ws, [second]).messages
    assert "imported the response of bea" in message
    assert ws.load_scenario().answer("bea", "lunch") is Answer.yes
    ws.undo()
    ws.undo()
    assert ws.response_record("bea") is None


def test_after_a_horizon_change_an_old_round_response_is_refused_at_once(
    ws: Workspace, tmp_path: Path
) -> None:
    bea = polls(ws, tmp_path / "polls")["bea"]
    path = answer(bea, tmp_path / "r", T0)
    s = ws.load_scenario()
    horizon = s.team.horizon.model_copy(update={"start": date(2027, 4, 5), "end": date(2027, 4, 9)})
    ws.save_scenario(s.model_copy(update={"team": s.team.model_copy(update={"horizon": horizon})}))
    # No new poll exported yet: the response is still refused.
    with pytest.raises(InputError) as exc:
        service.import_files(ws, [path])
    text = str(exc.value)
    assert f"{path}: response.poll: the horizon changed since this poll went out" in text
    assert "2027-04-05..2027-04-09" in text and "a new poll must go out" in text
    assert "bea" not in ws.load_scenario().preferences
    # Once the new poll is out, the old response answers another round; the new one imports.
    fresh = polls(ws, tmp_path / "new")["bea"]
    with pytest.raises(InputError, match="the poll of another round"):
        service.import_files(ws, [path])
    service.import_files(ws, [answer(fresh, tmp_path / "r2", T0)])
    assert ws.load_scenario().answer("bea", "lunch") is Answer.yes


def test_a_response_without_token_is_refused_with_what_to_do(ws: Workspace, tmp_path: Path) -> None:
    poll_id = polls(ws, tmp_path / "polls")["bea"].id
    path = tmp_path / "response-bea.toml"
    path.write_text(
        f'[response]\nversion = 1\npoll = "{poll_id}"\nperson = "bea"\n\n'
        '[response.answers]\nlunch = "yes"\n'
    )
    with pytest.raises(InputError) as exc:
        service.import_files(ws, [path])
    assert exc.value.exit_code == 2
    assert f"{path}: response.token: no token: this response answers the old shared poll" in str(
        exc.value
    )
    assert "answer the new poll" in str(exc.value)
    assert "bea" not in ws.load_scenario().preferences


def test_an_old_shared_poll_is_refused_by_respond(tmp_path: Path) -> None:
    path = tmp_path / "poll.toml"
    path.write_text('[poll]\nversion = 1\nid = "00000000-0000-4000-8000-000000000000"\n')
    with pytest.raises(InputError, match=r"poll\.token: no token: this is the old shared poll"):
        load_poll(path)


def test_a_response_written_far_ahead_is_refused(ws: Workspace, tmp_path: Path) -> None:
    bea = polls(ws, tmp_path / "polls")["bea"]
    path = answer(bea, tmp_path / "r", datetime.now(UTC) + timedelta(days=3))
    with pytest.raises(InputError, match=r"response\.written: .* more than a day ahead"):
        service.import_files(ws, [path])


def test_a_token_missing_from_the_workspace_refuses_everything(
    ws: Workspace, tmp_path: Path
) -> None:
    # A workspace that never signed a poll cannot accept a response, token or not.
    with pytest.raises(InputError, match="has not sent out a poll yet"):
        service.import_files(ws, [answer(_unsigned_poll(ws), tmp_path, T0)])


def _unsigned_poll(ws: Workspace) -> Poll:
    from uuid import uuid4

    from planner.respond import poll_from_scenario

    return poll_from_scenario(ws.load_scenario(), uuid4(), "bea", "0" * 64)


def test_the_secret_stays_in_the_workspace(ws: Workspace, tmp_path: Path) -> None:
    written = export_polls(ws, tmp_path / "polls")
    secret = ws.meta(POLL_SECRET_KEY)
    assert secret is not None and len(secret) == 64
    scenario_out = service.export_scenario(ws, tmp_path / "scenario.toml")
    json_out = service.export_scenario(ws, tmp_path / "scenario.json")
    for path in [*written, scenario_out, json_out]:
        assert secret not in path.read_text(), path
    # The key is made once: exporting again signs with the same key.
    export_polls(ws, tmp_path / "again")
    assert ws.meta(POLL_SECRET_KEY) == secret


def test_poll_files_hold_one_person_and_parse_back(ws: Workspace, tmp_path: Path) -> None:
    for pid, poll in polls(ws, tmp_path / "polls").items():
        data = tomllib.loads(dump_poll(poll))["poll"]
        assert data["person"] == pid and len(data["token"]) == 64
        assert data["version"] == 2


def test_out_must_be_a_directory(ws: Workspace, tmp_path: Path) -> None:
    old = tmp_path / "poll.toml"
    old.write_text("# the old shared poll\n")
    for out in (old, tmp_path / "new-poll.toml"):
        with pytest.raises(InputError) as exc:
            export_polls(ws, out)
        assert "polls are now one per person" in str(exc.value)
        assert "give a directory for --out" in str(exc.value)
    assert old.read_text() == "# the old shared poll\n"
    assert not (tmp_path / "new-poll.toml").exists()


def test_removing_a_person_drops_their_response_record(ws: Workspace, tmp_path: Path) -> None:
    bea = polls(ws, tmp_path / "polls")["bea"]
    service.import_files(ws, [answer(bea, tmp_path / "r", T0)])
    assert ws.response_record("bea") is not None
    s = ws.load_scenario()
    ws.save_scenario(
        s.model_copy(
            update={
                "people": [p for p in s.people if p.id != "bea"],
                "preferences": {k: v for k, v in s.preferences.items() if k != "bea"},
            }
        )
    )
    assert ws.response_record("bea") is None
