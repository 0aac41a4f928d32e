"""Hostile edits of real-client replies against a published workspace never crash the
import: each ends recorded, ignored with a message, or refused (InputError, exit 2)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.calendar import replies
from planner.calendar.publish import publish_plan
from planner.domain.errors import InputError
from planner.service import import_files
from planner.store import Workspace
from planner.store.invites import published_rows
from tests.calendar.test_invites import default_schedule, team_data
from tests.calendar.test_replies import CLOCK, DATA
from tests.factories import NOW, build

NAMES = sorted(p.name for p in DATA.glob("*.ics"))
VALUES = [
    "",
    "99999999999999999999",
    "-1",
    "2147483648",
    "00010101T000000Z",
    "99991231T235959Z",
    "20270101",
    "garbage",
    "mailto:",
    "urn:uuid:x",
    "\x1b[2J",
    "\u2028",
    "\x85",
    ";;;",
    ":",
    '"',
]


KEYS = ["SEQUENCE", "DTSTAMP", "ATTENDEE", "UID", "METHOD", "X-MICROSOFT-CDO-APPT-SEQUENCE"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("fuzz")
    workspace = Workspace.open(root / "ws.db")
    workspace.save_scenario(build(team_data()), {})
    publish_plan(
        workspace.planning_input(NOW),
        default_schedule(),
        root / "out",
        workspace=workspace,
        now=NOW,
    )
    yield workspace
    workspace.close()


@st.composite
def edited(draw: st.DrawFn) -> bytes:
    """A fixture with a few of the lines the reader interprets given hostile values or
    parameters, duplicated or deleted (and now and then any line at all)."""
    lines = (DATA / draw(st.sampled_from(NAMES))).read_bytes().decode().split("\r\n")
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(KEYS))
        targets = [n for n, line in enumerate(lines) if line.startswith(key)]
        i = draw(st.sampled_from(targets)) if targets else draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        kind = draw(st.sampled_from(["value", "value", "param", "duplicate", "delete"]))
        if kind == "value":
            lines[i] = f"{key}:{draw(st.sampled_from(VALUES))}"
        elif kind == "param" and ":" in line:
            name, rest = line.split(":", 1)
            param = draw(st.sampled_from(["EMAIL", "PARTSTAT", "TZID"]))
            lines[i] = f"{name};{param}={draw(st.sampled_from(VALUES))}:{rest}"
        elif kind == "duplicate":
            lines.insert(i, line)
        elif kind == "delete":
            del lines[i]
    return "\r\n".join(lines).encode()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(content=edited())
def test_edited_replies_never_crash(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    monkeypatch.setattr(replies, "clock", lambda: CLOCK)
    uids = {sid: row.uid for sid, row in published_rows(ws).items()}
    text = re.sub(rb"@@UID:([^@]+)@@", lambda m: uids[m.group(1).decode()].encode(), content)
    path = tmp_path / "reply.ics"
    path.write_bytes(text)
    try:
        result = import_files(ws, [path])
    except InputError as exc:
        assert all(p.source == str(path) for p in exc.problems)
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", str(exc))
    else:
        assert result.messages[0].startswith(f"{path}: recorded ")
