"""Delivery against real servers on 127.0.0.1: Radicale (CalDAV) and aiosmtpd (iMIP).

Radicale runs as a subprocess with its storage in tmp_path, ``auth none`` (any password is
accepted, so the Basic-auth path from PLANNER_CALDAV_USER is exercised too) and
``owner_only`` rights; aiosmtpd runs in-process with a handler collecting messages. Both
are started once per module and stopped at teardown.
"""

from __future__ import annotations

import base64
import email
import http.client
import random
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
import vobject
from aiosmtpd.controller import Controller

from planner.calendar.caldav import resource_url
from planner.calendar.publish import export_invites, publish_plan
from planner.cli import main
from planner.domain.errors import InputError
from planner.store import Workspace
from planner.store.invites import published_rows
from tests.calendar.test_invites import (
    default_schedule,
    lunch,
    schedule,
    session,
    team_data,
    workshop,
)
from tests.calendar.test_itip import assert_itip_clean
from tests.factories import NOW, activity, build, person, scenario_data
from tests.smtp import Collect, free_port, smtp_server

pytestmark = pytest.mark.server

USER = "tester"


def _request(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    token = base64.b64encode(f"{USER}:secret".encode()).decode()
    try:
        conn.request(
            method,
            parts.path,
            body=body,
            headers={"Authorization": f"Basic {token}", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ------------------------------------------------------------------------------ Radicale


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("radicale")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "none",
            "--rights-type",
            "owner_only",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    try:
        while True:
            if proc.poll() is not None:
                stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.fail(f"radicale exited with {proc.returncode}: {stderr[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("radicale did not start listening within 20 s")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture
def collection(radicale: str, request: pytest.FixtureRequest) -> str:
    url = f"{radicale}/{USER}/{request.node.name.replace('_', '-')[:40]}/"
    status, _ = _request("MKCALENDAR", url)
    assert status == 201, status
    return url


@pytest.fixture
def ws(published_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("PLANNER_CALDAV_USER", USER)
    monkeypatch.setenv("PLANNER_CALDAV_PASSWORD", "secret")
    monkeypatch.delenv("PLANNER_SMTP_USER", raising=False)
    monkeypatch.delenv("PLANNER_SMTP_PASSWORD", raising=False)
    return published_ws


def _report_uids(collection: str) -> list[str]:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>'
        b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        b"<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/>'
        b"</C:comp-filter></C:filter></C:calendar-query>"
    )
    status, data = _request(
        "REPORT", collection, body, {"Depth": "1", "Content-Type": "application/xml"}
    )
    assert status == 207, status
    import xml.etree.ElementTree as ET

    tree = ET.fromstring(data)
    uids: list[str] = []
    for node in tree.iter("{urn:ietf:params:xml:ns:caldav}calendar-data"):
        cal = icalendar.Calendar.from_ical(node.text or "")
        uids.extend(str(e["UID"]) for e in cal.walk("VEVENT"))
    return sorted(uids)


def test_caldav_store_read_back_update_and_remove(
    ws: Workspace, collection: str, tmp_path: Path
) -> None:
    report = export_invites(ws, tmp_path / "x", caldav=collection, now=NOW)
    assert "2 created, 0 updated" in report.lines()[1]
    uids = {sid: row.uid for sid, row in published_rows(ws).items()}
    assert _report_uids(collection) == sorted(uids.values())
    status, body = _request("GET", resource_url(collection, uids["team-lunch#1"]))
    assert status == 200
    cal = icalendar.Calendar.from_ical(body)
    assert "METHOD" not in cal
    assert vobject.readOne(body.decode()).vevent.uid.value == uids["team-lunch#1"]
    (ev,) = cal.walk("VEVENT")
    assert str(ev["UID"]) == uids["team-lunch#1"]
    assert ev["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert [str(t["TZID"]) for t in cal.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    # The team calendar lists nobody as ATTENDEE (so no server schedules anyone on its
    # own); the consenting colleague is named in the text.
    assert "ATTENDEE" not in ev
    assert str(ev["DESCRIPTION"]).endswith(": Alice.")
    assert ev["ORGANIZER"].params["SCHEDULE-AGENT"] == "CLIENT"

    # Export again: the same resources are replaced (If-Match), nothing duplicated.
    again = export_invites(ws, tmp_path / "y", caldav=collection, now=NOW)
    assert "0 created, 2 updated" in again.lines()[1]
    assert len(_report_uids(collection)) == 2

    # A re-plan drops the workshop: its resource is removed.
    publish_plan(
        ws.planning_input(NOW),
        schedule(lunch(["alice", "bob", "carol"])),
        tmp_path / "z",
        workspace=ws,
        now=NOW,
    )
    last = export_invites(ws, tmp_path / "w", caldav=collection, now=NOW)
    assert "removed 1" in last.lines()[1]
    assert _report_uids(collection) == [uids["team-lunch#1"]]
    status, _ = _request("GET", resource_url(collection, uids["workshop#1"]))
    assert status == 404


def test_caldav_through_cli(
    ws: Workspace, collection: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    args = ["export", "invites", "--workspace", ws.location, "--out", str(out)]
    code = main([*args, "--caldav", collection, "--now", "2027-02-01T09:00:00Z"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "caldav " in captured.out and "2 created" in captured.out
    assert (out / "calendar.ics").is_file()


def test_caldav_missing_collection_is_reported(
    ws: Workspace, radicale: str, tmp_path: Path
) -> None:
    from planner.calendar.caldav import DeliveryError

    with pytest.raises(DeliveryError, match="does the calendar collection exist"):
        export_invites(ws, tmp_path / "x", caldav=f"{radicale}/{USER}/nope/", now=NOW)


def test_caldav_bad_urls_are_input_errors(ws: Workspace, tmp_path: Path) -> None:
    bad = (
        "ftp://example.com/cal/",
        "http://user:pw@example.com/cal/",
        "not a url",
        "http://[::1/cal",  # urlsplit raises ValueError
        "http://ex ample.com/cal/",  # http.client raises InvalidURL
        "http://example.com/cal/\r\nX-Injected: 1",
        "http://example.com/ca\tl/",
    )
    for url in bad:
        with pytest.raises(InputError):
            export_invites(ws, tmp_path / "x", caldav=url, now=NOW)
    assert not (tmp_path / "x").exists()  # validated before anything is written


def test_caldav_url_checks_and_resource_names() -> None:
    from planner.calendar.caldav import check_url

    with pytest.raises(InputError, match=r"^--caldav: not a valid URL$"):
        check_url("http://[::1/cal")
    with pytest.raises(InputError, match=r"^--caldav: the URL holds white space"):
        check_url("http://ex ample.com/cal/")
    with pytest.raises(InputError, match=r"^--caldav: the host name is not valid$"):
        check_url("https://" + "ä" * 70 + ".example.com/cal/")
    assert check_url("http://[::1]:5232/cal/") == "http://[::1]:5232/cal/"
    # A path that is not ASCII is percent-encoded (http.client sends ASCII only).
    assert resource_url("https://example.com/kalender/möte", "u@planner") == (
        "https://example.com/kalender/m%C3%B6te/u%40planner.ics"
    )
    assert resource_url("https://example.com/a%20b/", "u") == "https://example.com/a%20b/u.ics"


def test_caldav_password_never_over_plain_http_to_remote(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="plain http"):
        export_invites(ws, tmp_path / "x", caldav="http://calendar.example.com/cal/", now=NOW)


# ------------------------------------------------------------------------------ aiosmtpd


@pytest.fixture
def smtp() -> Iterator[tuple[str, Collect]]:
    with smtp_server() as server:
        yield server


def _messages(handler: Collect) -> list[tuple[list[str], EmailMessage]]:
    return [
        (list(e.rcpt_tos), email.message_from_bytes(e.content, policy=default_policy))  # type: ignore[misc]
        for e in handler.envelopes
    ]


def test_imip_messages(ws: Workspace, smtp: tuple[str, Collect], tmp_path: Path) -> None:
    server, handler = smtp
    report = export_invites(ws, tmp_path / "x", smtp=server, now=NOW)
    assert report.lines()[-1] == f"smtp {server}: sent 6 messages"
    messages = _messages(handler)
    assert sorted(r[0] for r, _ in messages) == [
        "alice@example.com",
        "alice@example.com",
        "bob@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    ]
    for rcpt, msg in messages:
        assert msg["From"] == "Olga Organiser <olga@example.com>"
        assert rcpt[0] in msg["To"]
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/calendar"]
        calendar = parts[1]
        assert calendar.get_param("method") == "REQUEST"
        assert calendar.get_content_charset() == "utf-8"
        raw = calendar.get_payload(decode=True)
        assert b"\r\n" in raw and b"METHOD:REQUEST" in raw
        cal = icalendar.Calendar.from_ical(raw)
        assert cal["METHOD"] == "REQUEST"
        assert len(cal.walk("VEVENT")) == 1  # one UID per iMIP message
        assert "declining is fine" in parts[0].get_content()


def test_imip_cancel_after_replan(ws: Workspace, smtp: tuple[str, Collect], tmp_path: Path) -> None:
    server, handler = smtp
    plan = schedule(lunch(["alice", "bob"]), *default_schedule().sessions[1:])
    publish_plan(ws.planning_input(NOW), plan, tmp_path / "2", workspace=ws, now=NOW)
    export_invites(ws, tmp_path / "x", smtp=server, now=NOW)
    cancels = [
        (r, m)
        for r, m in _messages(handler)
        if list(m.iter_parts())[1].get_param("method") == "CANCEL"
    ]
    assert [r for r, _ in cancels] == [["carol@example.com"]]
    (_, msg) = cancels[0]
    assert msg["Subject"].startswith("Cancelled for you: Team lunch")
    cal = icalendar.Calendar.from_ical(list(msg.iter_parts())[1].get_payload(decode=True))
    assert cal["METHOD"] == "CANCEL"
    assert "STATUS" not in cal.walk("VEVENT")[0]  # an uninvite: the lunch goes on


def test_smtp_unreachable_is_a_delivery_error(ws: Workspace, tmp_path: Path) -> None:
    from planner.calendar.caldav import DeliveryError

    with pytest.raises(DeliveryError, match=r"smtp 127\.0\.0\.1"):
        export_invites(ws, tmp_path / "x", smtp=f"127.0.0.1:{free_port()}", now=NOW)
    assert (tmp_path / "x" / "calendar.ics").is_file()  # files are written first


def test_smtp_bad_server_is_input_error(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        export_invites(ws, tmp_path / "x", smtp="host:port", now=NOW)


# ------------------------------------------------------------------------------ iTIP-clean mail


def _calendar_parts(handler: Collect) -> list[tuple[str, bytes]]:
    """(recipient, text/calendar payload) of every message received."""
    return [
        (rcpt[0], list(msg.iter_parts())[1].get_payload(decode=True))
        for rcpt, msg in _messages(handler)
    ]


def test_imip_calendar_parts_pass_libical(
    ws: Workspace, smtp: tuple[str, Collect], itip_check: Path, tmp_path: Path
) -> None:
    """Updates, an uninvite and a dropped session, as mailed, pass libical's RFC 5546 check."""
    server, handler = smtp
    # Lunch moves (updates) and Carol leaves it (uninvite); the workshop is dropped.
    plan = schedule(lunch(["alice", "bob"], hour=13))
    publish_plan(ws.planning_input(NOW), plan, tmp_path / "2", workspace=ws, now=NOW)
    export_invites(ws, tmp_path / "x", smtp=server, now=NOW)
    parts = _calendar_parts(handler)
    folder = tmp_path / "mail"
    folder.mkdir()
    kinds: list[tuple[str, str, str | None]] = []
    for i, (rcpt, raw) in enumerate(parts):
        (folder / f"{i}.ics").write_bytes(raw)
        cal = icalendar.Calendar.from_ical(raw)
        (ev,) = cal.walk("VEVENT")
        status = str(ev["STATUS"]) if "STATUS" in ev else None
        kinds.append((rcpt, str(cal["METHOD"]), status))
    assert sorted(kinds) == [
        ("alice@example.com", "CANCEL", "CANCELLED"),
        ("alice@example.com", "REQUEST", "CONFIRMED"),
        ("bob@example.com", "CANCEL", "CANCELLED"),
        ("bob@example.com", "REQUEST", "CONFIRMED"),
        ("carol@example.com", "CANCEL", None),  # uninvited; the lunch goes on
        ("dave@example.com", "CANCEL", "CANCELLED"),
    ]
    assert_itip_clean(itip_check, sorted(folder.iterdir()))


def _subject_team(seed: int) -> dict[str, Any]:
    """Five people, ten activities whose names vary in length and script."""
    rng = random.Random(seed)
    words = ["Fika", "Smörgåsbord", "workshop", "Åsa's", "kräftskiva", "Bowling", "&"]
    words += ["pizza", "Centralstationen", "日本語の会", "Ünïcödé", "quiz", "night", "on", "roof"]
    words += ["=?utf-8?q?Hacked?="]  # literal text that looks like an encoded word
    people = [
        person("alice", show_in_attendee_lists=True),
        {**person("bob"), "name": "Björn Ångström"},
        {**person("carol"), "name": "Zoë Nguyễn"},
        {**person("dave"), "name": 'O\'Brien, Pat "=?utf-8?q?Evil?="'},
        {**person("erin"), "name": "Erin " + "Long-Surname" * 4},
    ]
    activities = [
        activity(f"a{i}", name=" ".join(rng.choice(words) for _ in range(rng.randint(1, 9))))
        for i in range(10)
    ]
    return scenario_data(people, activities)


def test_imip_subjects_fold_after_the_header_name(
    tmp_path: Path, smtp: tuple[str, Collect]
) -> None:
    """50 subjects of every length: text stays on the Subject: line, lines <= 78, decodable.

    Names that look like encoded words or hold specials arrive as written, too.
    """
    server, handler = smtp
    data = _subject_team(seed=5)
    names = {a["id"]: a["name"] for a in data["activities"]}
    people = {p["email"]: p["name"] for p in data["people"]}
    everyone = ["alice", "bob", "carol", "dave", "erin"]
    plan = schedule(
        *(
            session(f"a{i}#1", everyone, day=1 + i, hour=9 + i % 7, minutes=30 + 15 * (i % 4))
            for i in range(10)
        )
    )
    with Workspace.open(tmp_path / "ws.db") as ws:
        ws.save_scenario(build(data), {})
        publish_plan(ws.planning_input(NOW), plan, tmp_path / "out", workspace=ws, now=NOW)
        export_invites(ws, tmp_path / "x", smtp=server, now=NOW)
    assert len(handler.envelopes) == 50
    risky = 0  # subjects that fit a line alone but not after "Subject: "
    for envelope in handler.envelopes:
        assert envelope.content.isascii()  # 7-bit clean: no server can mangle it
        head = envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii")
        lines = head.split("\r\n")
        assert max(len(line) for line in lines) <= 78, head
        start = next(i for i, line in enumerate(lines) if line.startswith("Subject:"))
        assert lines[start].removeprefix("Subject:").strip(), head  # not a bare "Subject:"
        for word in re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", head):
            assert len(word) <= 75, word  # RFC 2047 §2
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        (to,) = msg["To"].addresses
        assert to.display_name == people[to.addr_spec]  # as written, nothing decoded
        subject = msg["Subject"]
        (aid,) = [a for a, name in names.items() if f"Invitation: {name} (" in subject]
        assert subject.startswith(f"Invitation: {names[aid]} (")
        risky += 78 - len("Subject: ") < len(subject) <= 78
    assert risky >= 5  # the set really exercises the fold the old code got wrong
    assert any("=?utf-8?q?Hacked?=" in name for name in names.values())


def test_imip_text_gives_the_recipients_own_zone(tmp_path: Path, smtp: tuple[str, Collect]) -> None:
    server, handler = smtp
    data = team_data()
    data["people"][1]["timezone"] = "America/New_York"  # Bob
    with Workspace.open(tmp_path / "ws.db") as ws:
        ws.save_scenario(build(data), {})
        publish_plan(
            ws.planning_input(NOW), default_schedule(), tmp_path / "out", workspace=ws, now=NOW
        )
        export_invites(ws, tmp_path / "x", smtp=server, now=NOW)
    mails = {
        (rcpt[0], str(msg["Subject"])): next(iter(msg.iter_parts())).get_content()
        for rcpt, msg in _messages(handler)
    }
    # Lunch is Tue 2 March 2027 12:00-13:00 in Stockholm: 06:00 in New York (EST).
    ((subject, text),) = [
        (s, t) for (r, s), t in mails.items() if r == "bob@example.com" and "Team lunch" in s
    ]
    assert subject == "Invitation: Team lunch (Tue 02 Mar 2027, 06:00-07:00 (EST))"
    assert (
        "on Tue 02 Mar 2027, 06:00-07:00 (EST), that is Tue 02 Mar 2027, 12:00-13:00 (CET) "
        "in the team's time zone at Cafeteria." in text
    )
    ((subject, text),) = [
        (s, t) for (r, s), t in mails.items() if r == "alice@example.com" and "Team lunch" in s
    ]
    assert subject == "Invitation: Team lunch (Tue 02 Mar 2027, 12:00-13:00 (CET))"
    assert "on Tue 02 Mar 2027, 12:00-13:00 (CET) at Cafeteria." in text
    assert "team's time zone" not in text


def test_imip_builds_every_mail_before_sending_any(
    ws: Workspace,
    smtp: tuple[str, Collect],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A fifth mail no header can carry (U+0085 in its subject): nothing is sent or written."""
    import dataclasses

    from planner.calendar import publish

    server, handler = smtp
    real = publish._mails

    def poisoned(*args: Any) -> Any:
        mails = real(*args)
        assert len(mails) == 6
        mails[4] = dataclasses.replace(mails[4], subject=mails[4].subject + " \x85 next line")
        return mails

    monkeypatch.setattr(publish, "_mails", poisoned)
    with pytest.raises(InputError, match=r"message to .* cannot be built") as info:
        export_invites(ws, tmp_path / "x", smtp=server, now=NOW)
    assert info.value.problems[0].source == ws.location
    assert "\\x85" in str(info.value)  # shown escaped, not as a line break
    assert handler.envelopes == []
    assert not (tmp_path / "x").exists()

    out = tmp_path / "cli"
    args = ["export", "invites", "--workspace", ws.location, "--out", str(out), "--smtp", server]
    assert main([*args, "--now", "2027-02-01T09:00:00Z"]) == 2
    err = capsys.readouterr().err
    assert ws.location in err and "cannot be built" in err and "Traceback" not in err
    assert handler.envelopes == [] and not out.exists()


def test_caldav_keeps_every_timezone_transition(
    team_ws: Workspace, collection: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Radicale re-serialises what it stores (with vobject): every RDATE must survive."""
    monkeypatch.setenv("PLANNER_CALDAV_USER", USER)
    monkeypatch.setenv("PLANNER_CALDAV_PASSWORD", "secret")
    data = team_data()
    data["team"]["horizon"] = {"start": "2027-12-01", "end": "2028-02-29"}
    team_ws.save_scenario(build(data), {})
    plan = schedule(lunch(["alice", "bob"]), workshop(["alice", "dave"]))
    publish_plan(team_ws.planning_input(NOW), plan, tmp_path / "o", workspace=team_ws, now=NOW)
    export_invites(team_ws, tmp_path / "x", caldav=collection, now=NOW)
    for row in published_rows(team_ws).values():
        status, body = _request("GET", resource_url(collection, row.uid))
        assert status == 200
        (tz,) = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
        onsets = sorted(
            d.dt
            for observance in tz.subcomponents
            for prop in _as_list(observance.get("RDATE"))
            for d in prop.dts
        )
        # 2026 (the year before), 2027 and 2028 each change twice; each observance's first
        # onset is its DTSTART, the others are RDATEs.
        assert [d.year for d in onsets] == [2027, 2027, 2028, 2028]
        assert b"COMMENT" not in body


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def test_imip_address_that_is_not_ascii_needs_smtputf8(tmp_path: Path) -> None:
    """Carol's address needs SMTPUTF8: a server without it gets nothing, not the first mails."""
    from planner.calendar.caldav import DeliveryError

    data = team_data()
    data["people"][2]["email"] = "zoë@example.com"  # Carol
    with Workspace.open(tmp_path / "ws.db") as ws:
        ws.save_scenario(build(data), {})
        publish_plan(
            ws.planning_input(NOW), default_schedule(), tmp_path / "out", workspace=ws, now=NOW
        )
        for utf8 in (False, True):
            handler = Collect()
            controller = Controller(
                handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=utf8
            )
            controller.start()
            try:
                server = f"127.0.0.1:{controller.port}"
                if not utf8:
                    with pytest.raises(DeliveryError, match="SMTPUTF8; nothing was sent"):
                        export_invites(ws, tmp_path / "x", smtp=server, now=NOW)
                    assert handler.envelopes == []
                    continue
                export_invites(ws, tmp_path / "y", smtp=server, now=NOW)
            finally:
                controller.stop()
            rcpts = sorted(r for rcpt, _ in _messages(handler) for r in rcpt)
            assert rcpts.count("zoë@example.com") == 1 and len(rcpts) == 6
            for _, msg in _messages(handler):
                assert msg["Subject"].startswith("Invitation: ")


def test_send_mails_takes_ready_messages_and_checks_all_first(
    smtp: tuple[str, Collect],
) -> None:
    """A ready EmailMessage (as polls are) goes to its To; a broken one stops the batch."""
    from planner.calendar.imip import Mail, send_mails

    server, handler = smtp
    ready = EmailMessage()
    ready["To"] = "Bob <bob@example.com>"
    ready["Subject"] = "Your poll"
    ready.set_content("Answer when you like.")
    mail = Mail("Carol", "carol@example.com", "REQUEST", "Invitation: x", "text", b"BEGIN:X\r\n")
    no_to = EmailMessage()
    no_to["Subject"] = "Lost"
    with pytest.raises(InputError, match="'Lost' cannot be built: it has no To address"):
        send_mails(server, [ready, mail, no_to], from_email="olga@example.com")
    assert handler.envelopes == []
    assert send_mails(server, [ready, mail], from_email="olga@example.com", from_name="O") == 2
    assert [e.rcpt_tos for e in handler.envelopes] == [["bob@example.com"], ["carol@example.com"]]
    assert [e.mail_from for e in handler.envelopes] == ["olga@example.com"] * 2
