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
from tests.calendar.test_invites import default_schedule, lunch, schedule
from tests.factories import NOW

pytestmark = pytest.mark.server

USER = "tester"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


class Collect:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Collect]]:
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"127.0.0.1:{controller.port}", handler
    finally:
        controller.stop()


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
