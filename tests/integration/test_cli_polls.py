"""``planner export poll`` and ``planner respond`` from the command line: one signed poll per
person, on disk or by mail (aiosmtpd on 127.0.0.1), and the refusals a user meets."""

from __future__ import annotations

import email
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
import tomli_w

from planner.respond import Limits, build_response, load_poll, load_response, write_response
from tests.factories import activity, person, scenario_data
from tests.integration.cli import run
from tests.smtp import Collect, free_port, smtp_server

PEOPLE = [person("ali"), person("bea", "Billing"), person("cy")]


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    scenario = tmp_path / "scenario.toml"
    data = scenario_data(PEOPLE, [activity("lunch")], {"ali": {"lunch": "no"}})
    scenario.write_text(tomli_w.dumps(data))
    path = tmp_path / "ws.db"
    assert run(capsys, "import", str(scenario), "--workspace", str(path))[0] == 0
    return path


def test_export_poll_writes_one_signed_poll_per_person(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "polls"
    code, stdout, stderr = run(capsys, "export", "poll", "--workspace", str(db), "--out", str(out))
    assert (code, stderr) == (0, "")
    assert stdout.startswith(f"wrote 3 polls to {out}")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["poll-ali.toml", "poll-bea.toml", "poll-cy.toml"]
    assert {load_poll(out / n).person for n in names} == {"ali", "bea", "cy"}
    assert stat.S_IMODE((out / "poll-bea.toml").stat().st_mode) == 0o600


def test_out_on_a_file_explains_the_per_person_polls(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "poll.toml"
    old.write_text("kept\n")
    code, stdout, stderr = run(capsys, "export", "poll", "--workspace", str(db), "--out", str(old))
    assert code == 2 and stdout == ""
    assert stderr.startswith(f"{old}: --out: polls are now one per person")
    assert "give a directory for --out" in stderr and "Traceback" not in stderr
    assert old.read_text() == "kept\n"


def test_forged_response_is_refused_by_import(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "polls"
    assert run(capsys, "export", "poll", "--workspace", str(db), "--out", str(out))[0] == 0
    bea = load_poll(out / "poll-bea.toml")
    path = write_response(
        build_response(bea, {"lunch": "yes"}, Limits(show_in_attendee_lists=True), []), tmp_path
    )
    path.write_text(path.read_text().replace('person = "bea"', 'person = "ali"'))
    code, stdout, stderr = run(capsys, "import", str(path), "--workspace", str(db))
    assert code == 2 and stdout == ""
    assert f"{path}: response.token: not the token of 'ali'" in stderr
    exported = tmp_path / "after.toml"
    assert run(capsys, "export", "scenario", "--workspace", str(db), "--out", str(exported))[0] == 0
    text = exported.read_text()
    assert 'lunch = "no"' in text and "show_in_attendee_lists = true" not in text


def test_respond_takes_the_id_from_the_poll_and_refuses_another(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "polls"
    assert run(capsys, "export", "poll", "--workspace", str(db), "--out", str(out))[0] == 0
    poll = str(out / "poll-bea.toml")
    code, stdout, stderr = run(capsys, "respond", poll, "--as", "ali")
    assert code == 2 and stdout == ""
    assert stderr.startswith("--as: 'ali' is not the person of this poll ('bea')")


# ------------------------------------------------------------------------------ mail


@pytest.fixture
def smtp() -> Iterator[tuple[str, Collect]]:
    with smtp_server() as server:
        yield server


@pytest.mark.server
def test_smtp_mails_each_person_their_own_poll(
    db: Path,
    tmp_path: Path,
    smtp: tuple[str, Collect],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PLANNER_SMTP_USER", raising=False)
    server, handler = smtp
    out = tmp_path / "polls"
    argv = ["export", "poll", "--workspace", str(db), "--out", str(out), "--smtp", server]
    code, stdout, stderr = run(capsys, *argv)
    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[-1] == f"smtp {server}: sent 3 polls"
    seen: dict[str, str] = {}
    for envelope in handler.envelopes:
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        (rcpt,) = envelope.rcpt_tos
        assert msg["From"] == "Olga Organiser <olga@example.com>"
        body = msg.get_body(("plain",))
        assert body is not None
        (attachment,) = list(msg.iter_attachments())
        name = attachment.get_filename()
        assert name is not None and f"planner respond {name}" in body.get_content()
        (tmp_path / name).write_bytes(attachment.get_payload(decode=True))
        poll = load_poll(tmp_path / name)
        assert rcpt == f"{poll.person}@example.com"
        # The mailed poll is the one on disk, token and all.
        assert poll == load_poll(out / name)
        seen[poll.person] = rcpt
    assert sorted(seen) == ["ali", "bea", "cy"]
    # Bea answers her mailed poll; the organiser imports it.
    response = write_response(
        build_response(load_poll(tmp_path / "poll-bea.toml"), {"lunch": "yes"}, Limits(), []),
        tmp_path / "answers",
    )
    assert load_response(response).person == "bea"
    assert run(capsys, "import", str(response), "--workspace", str(db))[0] == 0


def test_bad_smtp_server_is_refused_before_anything_is_written(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "polls"
    argv = ["export", "poll", "--workspace", str(db), "--out", str(out), "--smtp", "host:port"]
    code, _, stderr = run(capsys, *argv)
    assert code == 2 and "--smtp: 'host:port' is not HOST:PORT" in stderr
    assert not out.exists()


def test_smtp_unreachable_reports_a_delivery_error(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = f"127.0.0.1:{free_port()}"
    argv = [
        "export",
        "poll",
        "--workspace",
        str(db),
        "--out",
        str(tmp_path / "p"),
        "--smtp",
        server,
    ]
    code, _, stderr = run(capsys, *argv)
    assert code != 0 and f"smtp {server}: sending failed after 0 of 3 messages" in stderr
    assert "Traceback" not in stderr
