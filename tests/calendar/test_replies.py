"""RSVP replies in: one fixture per client style, refusals, ordering, and the freed seat.

Fixtures in tests/data/replies/ carry ``@@UID:<session id>@@`` where the UID goes: UIDs
depend on the workspace id, which is random per workspace, so each test fills them in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.cli import main
from planner.domain.errors import InputError
from planner.service import import_files
from planner.store import Workspace
from planner.store.invites import list_replies, published_rows
from tests.factories import NOW

DATA = Path(__file__).resolve().parents[1] / "data" / "replies"


@pytest.fixture
def ws(published_ws: Workspace) -> Workspace:
    return published_ws


def fixture(ws: Workspace, name: str, tmp_path: Path, **replace: str) -> Path:
    """Copy a fixture with this workspace's UIDs filled in (bytes kept: CRLF stays CRLF)."""
    uids = {sid: row.uid for sid, row in published_rows(ws).items()}
    text = (DATA / name).read_bytes().decode()
    text = re.sub(r"@@UID:([^@]+)@@", lambda m: uids[m.group(1)], text)
    for old, new in replace.items():
        text = text.replace(old, new)
    target = tmp_path / "in" / name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(text.encode())
    return target


def answers(ws: Workspace) -> dict[tuple[str, str], str]:
    return {(r.person_id, r.session_id or ""): r.partstat for r in list_replies(ws)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("google.ics", {("bob", "team-lunch#1"): "ACCEPTED"}),
        ("outlook.ics", {("carol", "team-lunch#1"): "DECLINED"}),
        ("apple.ics", {("alice", "workshop#1"): "TENTATIVE"}),
        ("thunderbird.ics", {("dave", "workshop#1"): "ACCEPTED"}),
        (
            "several.ics",
            {("alice", "team-lunch#1"): "ACCEPTED", ("alice", "workshop#1"): "DECLINED"},
        ),
    ],
)
def test_client_styles(
    ws: Workspace, tmp_path: Path, name: str, expected: dict[tuple[str, str], str]
) -> None:
    result = import_files(ws, [fixture(ws, name, tmp_path)])
    assert "recorded" in result.messages[0]
    assert answers(ws) == expected


def test_list_replies_rows(ws: Workspace, tmp_path: Path) -> None:
    import_files(ws, [fixture(ws, "outlook.ics", tmp_path), fixture(ws, "apple.ics", tmp_path)])
    rows = list_replies(ws)
    assert [(r.person_id, r.activity, r.partstat) for r in rows] == [
        ("carol", "team-lunch", "DECLINED"),
        ("alice", "workshop", "TENTATIVE"),
    ]
    assert rows[0].dtstamp is not None and rows[0].dtstamp.tzinfo is not None
    assert rows[0].uid == published_rows(ws)["team-lunch#1"].uid


def test_decline_frees_the_seat(ws: Workspace, tmp_path: Path) -> None:
    import_files(ws, [fixture(ws, "outlook.ics", tmp_path)])
    assert ws.declined() == frozenset({("carol", "team-lunch")})
    assert ws.planning_input(NOW).declined == frozenset({("carol", "team-lunch")})


def test_cli_unknown_uid_exit_2_and_nothing_applied(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = fixture(ws, "google.ics", tmp_path)
    bad = fixture(ws, "unknown-uid.ics", tmp_path)
    code = main(["import", str(good), str(bad), "--workspace", ws.location])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{bad}: event 1: its UID is not an invite from this workspace" in err
    assert "elsewhere.example" not in err  # a stranger's UID is not echoed
    assert "Traceback" not in err
    assert list_replies(ws) == []


def test_unknown_attendee_refused(ws: Workspace, tmp_path: Path) -> None:
    bad = fixture(ws, "unknown-attendee.ics", tmp_path)
    with pytest.raises(InputError) as info:
        import_files(ws, [bad])
    assert info.value.exit_code == 2
    assert str(info.value) == (
        f"{bad}: event 1: mallory@example.org is not a person in this workspace"
    )
    assert list_replies(ws) == []


def test_person_not_invited_to_that_session_refused(ws: Workspace, tmp_path: Path) -> None:
    bad = fixture(ws, "not-invited.ics", tmp_path)
    with pytest.raises(InputError, match="was never invited to session team-lunch#1"):
        import_files(ws, [bad])
    assert list_replies(ws) == []
    assert ws.declined() == frozenset()


def test_older_reply_does_not_overwrite(ws: Workspace, tmp_path: Path) -> None:
    newer = fixture(ws, "several.ics", tmp_path, **{"SEQUENCE:0": "SEQUENCE:1"})
    import_files(ws, [newer])
    older = fixture(
        ws,
        "outlook.ics",
        tmp_path,
        **{
            "PARTSTAT=DECLINED;CN=Carol:MAILTO:Carol@EXAMPLE.com": "PARTSTAT=DECLINED:mailto:alice@example.com"
        },
    )
    message = import_files(ws, [older]).messages[0]
    assert "ignored 1 older" in message
    assert answers(ws)[("alice", "team-lunch#1")] == "ACCEPTED"
    # Same SEQUENCE, earlier DTSTAMP: also older.
    earlier = fixture(
        ws,
        "several.ics",
        tmp_path,
        **{
            "SEQUENCE:0": "SEQUENCE:1",
            "20270207T080000Z": "20270206T080000Z",
            "PARTSTAT=ACCEPTED": "PARTSTAT=DECLINED",
        },
    )
    import_files(ws, [earlier])
    assert answers(ws)[("alice", "team-lunch#1")] == "ACCEPTED"
    # A later DTSTAMP wins.
    later = fixture(
        ws,
        "several.ics",
        tmp_path,
        **{
            "SEQUENCE:0": "SEQUENCE:1",
            "20270207T080000Z": "20270208T080000Z",
            "PARTSTAT=ACCEPTED": "PARTSTAT=TENTATIVE",
        },
    )
    import_files(ws, [later])
    assert answers(ws)[("alice", "team-lunch#1")] == "TENTATIVE"


def test_an_invitation_is_not_a_reply(ws: Workspace, tmp_path: Path) -> None:
    invite = tmp_path / "out" / "invites" / "bob.ics"
    with pytest.raises(InputError, match="this is an invitation, not a reply"):
        import_files(ws, [invite])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, this is not a calendar\r\n", "not an iCalendar file"),
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n",
            "holds no VEVENT",
        ),
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\n"
            b"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n",
            "event 1: no attendee answered",
        ),
        (b"\xfe\xff\x00", "not valid UTF-16 text despite its byte-order mark"),
        (b"\xe9t\xe9\r\n", "line 1, byte 0: not UTF-8 text"),
    ],
)
def test_malformed_files_refused(
    ws: Workspace, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "reply.ics"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        import_files(ws, [path])
    assert list_replies(ws) == []


def test_utf16_reply_is_accepted_like_a_utf16_calendar(ws: Workspace, tmp_path: Path) -> None:
    """Windows clients may save a reply as UTF-16 with a byte-order mark."""
    path = fixture(ws, "outlook.ics", tmp_path)
    path.write_bytes(path.read_bytes().decode().encode("utf-16"))
    import_files(ws, [path])
    assert answers(ws) == {("carol", "team-lunch#1"): "DECLINED"}
