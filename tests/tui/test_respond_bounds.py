"""``planner respond --calendar x.ics``: a hostile calendar is refused in moments, not minutes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from planner.tui.respond import make_respond_app
from tests.tui.test_flows import SIZE
from tests.tui.test_respond_app import make_poll

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"


@pytest.mark.timeout(120)
async def test_respond_refuses_a_hostile_calendar_in_moments(demo_ws: Path, tmp_path: Path) -> None:
    # `planner respond --calendar x.ics` with the 455-byte minutely VTIMEZONE: minutes before.
    poll = make_poll(demo_ws, tmp_path)
    ics = tmp_path / "x.ics"
    shutil.copy(DATA / "vtimezone-minutely-1601.ics", ics)
    ok = tmp_path / "ok.ics"
    shutil.copy(DATA / "rrule-weekno-never.ics", ok)
    began = time.thread_time()
    app = make_respond_app(poll, "ali-haddad", [ics, ok], tmp_path / "answers")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
    assert time.thread_time() - began < 30  # the whole app; the file itself is refused at once
    assert any(
        m.startswith(f"{ics}: time zone 1: VTIMEZONE STANDARD repeats minutely") for m in messages
    )
    assert app.raw_blocks == []  # the other file has nothing inside the poll's window
