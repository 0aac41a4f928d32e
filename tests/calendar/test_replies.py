"""RSVP replies in: one fixture per client style, refusals, ordering, and the freed seat.

Fixtures in tests/data/replies/ carry ``@@UID:<session id>@@`` where the UID goes: UIDs
depend on the workspace id, which is random per workspace, so each test fills them in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from planner.calendar import replies
from planner.calendar.publish import export_invites, publish_plan
from planner.cli import main
from planner.domain.errors import InputError
from planner.domain.schedule import PlannedSession
from planner.service import import_files
from planner.store import Workspace
from planner.store.invites import invitation, list_replies, published_rows, sent_rows
from tests.calendar.test_invites import lunch, schedule, workshop
from tests.factories import NOW

DATA = Path(__file__).resolve().parents[1] / "data" / "replies"


CLOCK = datetime(2027, 2, 9, 12, 0, tzinfo=UTC)
"""'Now' for the DTSTAMP check: after every fixture's DTSTAMP (the invites went out at NOW)."""


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replies, "clock", lambda: CLOCK)


@pytest.fixture
def ws(published_ws: Workspace) -> Workspace:
    return published_ws


def fixture(ws: Workspace, name: str, tmp_path: Path, **replace: str) -> Path:
    """Copy a fixture with this workspace's UIDs filled in (bytes kept: CRLF stays CRLF)."""
    uids = {sid: row.uid for sid, row in published_rows(ws).items()}
    text = (DATA / name).read_bytes().decode()
    for old, new in replace.items():
        assert old in text, old  # a replacement that matches nothing tests nothing
        text = text.replace(old, new)
    text = re.sub(r"@@UID:([^@]+)@@", lambda m: uids[m.group(1)], text)
    target = tmp_path / "in" / name
    target.parent.mkdir(exist_ok=True)
    counter = 1
    while target.exists():  # several variants of one fixture in one test
        counter += 1
        target = target.with_name(f"{Path(name).stem}-{counter}.ics")
    target.write_bytes(text.encode())
    return target


def replan(ws: Workspace, tmp_path: Path, *sessions: PlannedSession) -> None:
    """Publish a re-plan of the default one (SEQUENCE rises where something changed)."""
    out = tmp_path / f"replan-{len(list(tmp_path.glob('replan-*')))}"
    publish_plan(ws.planning_input(NOW), schedule(*sessions), out, workspace=ws, now=NOW)


def answers(ws: Workspace) -> dict[tuple[str, str], str]:
    return {(r.person_id, r.session_id or ""): r.partstat for r in list_replies(ws)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("google.ics", {("bob", "team-lunch#1"): "ACCEPTED"}),
        ("outlook.ics", {("carol", "team-lunch#1"): "DECLINED"}),
        ("apple.ics", {("alice", "workshop#1"): "TENTATIVE"}),
        ("thunderbird.ics", {("dave", "workshop#1"): "ACCEPTED"}),
        ("thunderbird-reply.ics", {("bob", "workshop#1"): "DECLINED"}),
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
    # Lunch moves: alice, bob and carol get SEQUENCE 1; the workshop stays at 0.
    replan(
        ws, tmp_path, lunch(["alice", "bob", "carol"], hour=13), workshop(["alice", "bob", "dave"])
    )
    newer = fixture(ws, "several.ics", tmp_path)
    newer.write_bytes(newer.read_bytes().replace(b"SEQUENCE:0", b"SEQUENCE:1", 1))
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
        **{"20270207T080000Z": "20270206T080000Z", "PARTSTAT=ACCEPTED": "PARTSTAT=DECLINED"},
    )
    earlier.write_bytes(earlier.read_bytes().replace(b"SEQUENCE:0", b"SEQUENCE:1", 1))
    import_files(ws, [earlier])
    assert answers(ws)[("alice", "team-lunch#1")] == "ACCEPTED"
    # A later DTSTAMP wins.
    later = fixture(
        ws,
        "several.ics",
        tmp_path,
        **{"20270207T080000Z": "20270208T080000Z", "PARTSTAT=ACCEPTED": "PARTSTAT=TENTATIVE"},
    )
    later.write_bytes(later.read_bytes().replace(b"SEQUENCE:0", b"SEQUENCE:1", 1))
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


# ------------------------------------------------------------------ trust (SPEC §6, RFC 5546)


@pytest.fixture
def run(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> Any:
    """``planner import FILE... --workspace`` in-process: (exit code, stdout, stderr)."""

    def call(*paths: Path) -> tuple[int, str, str]:
        code = main(["import", *map(str, paths), "--workspace", ws.location])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_forged_sequence_refused_and_the_genuine_reply_then_counts(
    ws: Workspace, tmp_path: Path, run: Any
) -> None:
    """The team calendar publishes every UID: a made-up reply for carol with a huge
    SEQUENCE must not be recorded, or her own reply would then be 'older'."""
    forged = fixture(ws, "outlook.ics", tmp_path, **{"SEQUENCE:0": "SEQUENCE:999999999"})
    code, out, err = run(forged)
    assert code == 2 and out == ""
    assert err.strip() == (
        f"{forged}: event 1: SEQUENCE 999999999 is above the 0 sent to carol@example.com "
        "(carol) for session team-lunch#1: it answers no invite that went out"
    )
    assert list_replies(ws) == []
    code, out, _ = run(fixture(ws, "google.ics", tmp_path, **{"bob@ex\r\n ample.com": "Bob"}))
    assert code == 0 and "recorded 1 reply (bob accepted team-lunch#1)" in out
    code, out, _ = run(fixture(ws, "outlook.ics", tmp_path))
    assert code == 0 and "recorded 1 reply (carol declined team-lunch#1)" in out
    assert answers(ws)[("carol", "team-lunch#1")] == "DECLINED"


@pytest.mark.parametrize(
    ("stamp", "accepted"),
    [
        ("20990101T000000Z", False),
        ("20270210T120001Z", False),  # a second over a day ahead of CLOCK
        ("20270210T120000Z", True),  # exactly a day ahead: a client's clock may be off
    ],
)
def test_dtstamp_more_than_a_day_ahead_refused(
    ws: Workspace, tmp_path: Path, run: Any, stamp: str, accepted: bool
) -> None:
    path = fixture(ws, "outlook.ics", tmp_path, **{"DTSTAMP:20270205T120000Z": f"DTSTAMP:{stamp}"})
    code, _, err = run(path)
    if accepted:
        assert code == 0 and answers(ws) == {("carol", "team-lunch#1"): "DECLINED"}
        return
    assert code == 2
    assert f"{path}: event 1: DTSTAMP {stamp[:4]}-" in err
    assert "is more than a day in the future (now is 2027-02-09T12:00:00Z)" in err
    assert list_replies(ws) == []


def test_a_reply_answers_for_exactly_one_attendee(ws: Workspace, tmp_path: Path) -> None:
    """Bob's file also accepting for alice: refused, and so is bob's own answer in it."""
    both = fixture(ws, "answers-for-two.ics", tmp_path)
    with pytest.raises(InputError) as info:
        import_files(ws, [both])
    assert str(info.value) == (
        f"{both}: event 1: names 2 attendees; a reply names exactly one, "
        "the one answering (RFC 5546 §3.2.3)"
    )
    assert list_replies(ws) == []
    # A METHOD:REPLY with alice echoed back unanswered is still not a reply (one ATTENDEE).
    echoed = fixture(
        ws, "answers-for-two.ics", tmp_path, **{"CN=Alice;PARTSTAT=ACCEPTED": "CN=Alice"}
    )
    with pytest.raises(InputError, match="event 1: names 2 attendees"):
        import_files(ws, [echoed])
    # Without METHOD (an event saved from a calendar) two answers are refused too.
    saved = fixture(ws, "answers-for-two.ics", tmp_path, **{"METHOD:REPLY\r\n": ""})
    with pytest.raises(InputError, match="event 1: answers for 2 attendees"):
        import_files(ws, [saved])
    assert list_replies(ws) == []


def test_reply_from_an_uninvited_attendee_is_ignored_with_a_message(
    ws: Workspace, tmp_path: Path, run: Any
) -> None:
    # Alice is taken off the workshop (she gets a CANCEL); her lunch invite stands.
    replan(ws, tmp_path, lunch(["alice", "bob", "carol"]), workshop(["bob", "dave"]))
    path = fixture(ws, "several.ics", tmp_path)
    code, out, err = run(path)
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"{path}: recorded 1 reply (alice accepted team-lunch#1)",
        f"{path}: event 2: ignored: alice@example.com (alice) was taken off session "
        "workshop#1 (a cancellation went to them)",
    ]
    assert answers(ws) == {("alice", "team-lunch#1"): "ACCEPTED"}
    assert ws.declined() == frozenset()


def test_reply_to_a_cancelled_session_is_ignored_with_a_message(
    ws: Workspace, tmp_path: Path, run: Any
) -> None:
    replan(ws, tmp_path, lunch(["alice", "bob", "carol"]))  # the workshop is dropped
    path = fixture(ws, "apple.ics", tmp_path)
    code, out, _ = run(path)
    assert code == 0
    assert out.splitlines() == [
        f"{path}: recorded 0 replies",
        f"{path}: event 1: ignored: session workshop#1 was cancelled",
    ]
    assert list_replies(ws) == []
    # The CANCEL went out at SEQUENCE 1: a reply naming a later one is still refused.
    forged = fixture(ws, "apple.ics", tmp_path, **{"SEQUENCE:0": "SEQUENCE:2"})
    code, _, err = run(forged)
    assert code == 2 and "SEQUENCE 2 is above the 1 sent to alice@example.com (alice)" in err


def test_decline_of_a_superseded_sequence_does_not_override_a_newer_reply(
    ws: Workspace, tmp_path: Path
) -> None:
    replan(
        ws, tmp_path, lunch(["alice", "bob", "carol"], hour=13), workshop(["alice", "bob", "dave"])
    )
    # Carol accepts the moved lunch (SEQUENCE 1) ...
    accept = fixture(
        ws,
        "outlook.ics",
        tmp_path,
        **{"SEQUENCE:0": "SEQUENCE:1", "PARTSTAT=DECLINED": "PARTSTAT=ACCEPTED"},
    )
    # ... and her decline of the old time (SEQUENCE 0), written later, arrives after it,
    # in the same import and in a later one.
    stale = fixture(ws, "outlook.ics", tmp_path, **{"20270205T120000Z": "20270207T120000Z"})
    result = import_files(ws, [accept, stale])
    assert "ignored 1 older" in result.messages[1]
    import_files(ws, [stale])
    assert answers(ws) == {("carol", "team-lunch#1"): "ACCEPTED"}
    assert ws.declined() == frozenset()


def test_outlook_cdo_sequence_stands_in_for_a_missing_sequence(
    ws: Workspace, tmp_path: Path
) -> None:
    replan(
        ws, tmp_path, lunch(["alice", "bob", "carol"], hour=13), workshop(["alice", "bob", "dave"])
    )
    # Carol first answers tentatively from her Mac (SEQUENCE 1, urn:uuid with EMAIL=) ...
    apple = fixture(
        ws,
        "apple.ics",
        tmp_path,
        **{
            "EMAIL=alice@example.com": "EMAIL=carol@example.com",
            "@@UID:workshop#1@@": "@@UID:team-lunch#1@@",
            "SEQUENCE:0": "SEQUENCE:1",
        },
    )
    import_files(ws, [apple])
    assert answers(ws) == {("carol", "team-lunch#1"): "TENTATIVE"}
    # ... then declines from Outlook, which sends no SEQUENCE, only its CDO one.
    outlook = fixture(ws, "outlook-nosequence.ics", tmp_path)
    assert b"\r\nSEQUENCE" not in outlook.read_bytes()
    message = import_files(ws, [outlook]).messages[0]
    assert message.endswith("recorded 1 reply (carol declined team-lunch#1)")
    assert answers(ws) == {("carol", "team-lunch#1"): "DECLINED"}
    # The stand-in is checked like a SEQUENCE.
    ahead = fixture(
        ws,
        "outlook-nosequence.ics",
        tmp_path,
        **{"X-MICROSOFT-CDO-APPT-SEQUENCE:1": "X-MICROSOFT-CDO-APPT-SEQUENCE:5"},
    )
    with pytest.raises(InputError, match="SEQUENCE 5 is above the 1 sent"):
        import_files(ws, [ahead])


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("SEQUENCE:0", "SEQUENCE:99999999999999999999", "SEQUENCE is not a whole number from 0"),
        ("SEQUENCE:0", "SEQUENCE:-1", "SEQUENCE is not a whole number from 0"),
        ("SEQUENCE:0", "SEQUENCE:1e3", "SEQUENCE is not a whole number from 0"),
        ("SEQUENCE:0\r\n", "", None),  # no SEQUENCE: 0, recorded
        (
            "SEQUENCE:0\r\n",
            "X-MICROSOFT-CDO-APPT-SEQUENCE:x\r\n",
            "X-MICROSOFT-CDO-APPT-SEQUENCE is not a whole number from 0",
        ),
        ("SEQUENCE:0\r\n", "SEQUENCE:0\r\nSEQUENCE:0\r\n", "has more than one SEQUENCE"),
        ("DTSTAMP:20270205T101500Z", "DTSTAMP:garbage", "DTSTAMP is not a date-time"),
        ("DTSTAMP:20270205T101500Z", "DTSTAMP:20270205", "DTSTAMP is not a date-time"),
        (
            "DTSTAMP:20270205T101500Z",
            "DTSTAMP:00010101T000000Z",
            "DTSTAMP is outside the years 1970–2200",
        ),
        (
            "DTSTAMP:20270205T101500Z",
            "DTSTAMP;TZID=Europe/Stockholm:00010101T000000",
            "DTSTAMP is outside the years 1970–2200",
        ),
        ("DTSTAMP:20270205T101500Z\r\n", "", "has no DTSTAMP"),
        ("UID:@@UID:team-lunch#1@@\r\n", "", "has no UID"),
    ],
)
def test_malformed_values_exit_2_naming_file_and_event(
    ws: Workspace, tmp_path: Path, run: Any, old: str, new: str, message: str | None
) -> None:
    path = fixture(ws, "google.ics", tmp_path, **{old: new})
    code, _, err = run(path)
    if message is None:
        assert code == 0 and answers(ws) == {("bob", "team-lunch#1"): "ACCEPTED"}
        return
    assert code == 2, err
    assert err.startswith(f"{path}: event 1: {message}")
    assert "Traceback" not in err
    assert list_replies(ws) == []


@pytest.mark.parametrize(
    ("hostile", "shown_as"),
    [
        ("\x1b]0;pwned\x07mallory@example.org", "\\x1b]0;pwned\\x07mallory@example.org"),
        ("mallory\x1b[2J@example.org", "mallory\\x1b[2j@example.org"),
        ("mallory\u2028@example.org", "mallory\\u2028@example.org"),
        ("mallory\x9b31m@example.org", "mallory\\x9b31m@example.org"),
    ],
)
def test_attendee_text_in_messages_is_escaped(
    ws: Workspace, tmp_path: Path, run: Any, hostile: str, shown_as: str
) -> None:
    path = fixture(ws, "unknown-attendee.ics", tmp_path, **{"mallory@example.org": hostile})
    code, _, err = run(path)
    assert code == 2
    assert err == f"{path}: event 1: {shown_as} is not a person in this workspace\n"
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in err)
    assert "\u2028" not in err


def test_export_invites_resends_the_session_sequence_and_replies_to_it_count(
    ws: Workspace, tmp_path: Path
) -> None:
    """Bob leaves the lunch: SEQUENCE 1, but carol (who is not shown bob) gets no new file.
    ``export invites`` then re-sends her invite at 1, so her reply at 1 is genuine."""
    replan(ws, tmp_path, lunch(["alice", "carol"]), workshop(["alice", "bob", "dave"]))
    assert sent_rows(ws)[("carol", "team-lunch#1")].sequence == 0
    assert published_rows(ws)["team-lunch#1"].sequence == 1
    export_invites(ws, tmp_path / "export", now=NOW)
    resent = (tmp_path / "export" / "invites" / "carol.ics").read_text()
    assert "\nSEQUENCE:1\n" in resent
    reply = fixture(ws, "outlook.ics", tmp_path, **{"SEQUENCE:0": "SEQUENCE:1"})
    import_files(ws, [reply])
    assert answers(ws) == {("carol", "team-lunch#1"): "DECLINED"}
    # Bob was taken off it: his reply is ignored, and SEQUENCE 2 went to nobody.
    bob = fixture(ws, "google.ics", tmp_path)
    assert "ignored: bob@example.com (bob) was taken off" in import_files(ws, [bob]).messages[0]
    ahead = fixture(ws, "outlook.ics", tmp_path, **{"SEQUENCE:0": "SEQUENCE:2"})
    with pytest.raises(InputError, match="SEQUENCE 2 is above the 1 sent to carol"):
        import_files(ws, [ahead])


def test_invitation_states(ws: Workspace, tmp_path: Path) -> None:
    uids = {sid: row.uid for sid, row in published_rows(ws).items()}
    replan(ws, tmp_path, lunch(["alice", "bob"]))  # carol off the lunch, workshop dropped

    def state(sid: str, pid: str | None) -> tuple[str, int] | None:
        found = invitation(ws, uids[sid], pid)
        return None if found is None else (found.state, found.sequence)

    assert state("team-lunch#1", "alice") == ("invited", 1)
    assert state("team-lunch#1", "carol") == ("uninvited", 1)
    assert state("team-lunch#1", "erin") == ("never", 1)
    assert state("team-lunch#1", None) == ("never", 1)
    assert state("workshop#1", "dave") == ("cancelled", 1)
    assert state("workshop#1", "carol") == ("never", 1)
    assert invitation(ws, "not-ours@example.com", "alice") is None
