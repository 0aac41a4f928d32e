"""A real calendar client imports the invites: khal, in a throw-away configuration.

khal reads its config from ``-c FILE`` (a vdir and a sqlite cache, both in tmp_path), so
the user's own khal setup is never touched. ``khal import --batch`` takes the invite as a
user would; ``khal list`` must then show the event at its wall-clock time in the team zone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planner.calendar.publish import publish_plan
from tests.calendar.test_invites import default_schedule, lunch, problem, schedule, workshop
from tests.factories import NOW

KHAL = shutil.which("khal") or str(Path(sys.executable).with_name("khal"))

pytestmark = pytest.mark.skipif(not Path(KHAL).exists(), reason="khal is not installed")


def _khal(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TZ": "Europe/Stockholm", "LC_ALL": "C.UTF-8", "HOME": str(config.parent)}
    return subprocess.run(
        [KHAL, "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.fixture
def khal_config(tmp_path: Path) -> Path:
    vdir = tmp_path / "vdir" / "team"
    vdir.mkdir(parents=True)
    config = tmp_path / "khal.conf"
    config.write_text(
        f"""[calendars]
[[team]]
path = {vdir}
type = calendar

[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = Europe/Stockholm
default_timezone = Europe/Stockholm

[sqlite]
path = {tmp_path / "khal.db"}
""",
        encoding="utf-8",
    )
    return config


def test_khal_imports_invite_and_lists_it(khal_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish_plan(problem(), default_schedule(), out, workspace=None, now=NOW)
    result = _khal(khal_config, "import", "--batch", "-a", "team", str(out / "invites" / "bob.ics"))
    assert result.returncode == 0, result.stderr
    listed = _khal(
        khal_config,
        "list",
        "--format",
        "{start} {end} {title} [{location}]",
        "2027-03-01",
        "2027-03-12",
    )
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if "[" in line]
    assert "2027-03-02 12:00 2027-03-02 13:00 Team lunch [Cafeteria]" in lines
    assert (
        "2027-03-03 14:00 2027-03-03 15:30 Cross-team workshop "
        "[https://meet.example.com/workshop]" in lines
    )
    stored = list((tmp_path / "vdir" / "team").iterdir())
    assert len(stored) == 2  # one file per UID


def test_khal_update_replaces_event(khal_config: Path, tmp_path: Path) -> None:
    """The re-sent invite (same UID, new time) replaces the event instead of adding one."""
    publish_plan(problem(), default_schedule(), tmp_path / "a", workspace=None, now=NOW)
    moved = schedule(lunch(["alice", "bob", "carol"], hour=14), workshop(["alice", "bob", "dave"]))
    publish_plan(problem(), moved, tmp_path / "b", workspace=None, now=NOW)
    for run in ("a", "b"):
        result = _khal(
            khal_config,
            "import",
            "--batch",
            "-a",
            "team",
            str(tmp_path / run / "invites" / "bob.ics"),
        )
        assert result.returncode == 0, result.stderr
    listed = _khal(khal_config, "list", "--format", "{start} {title}", "2027-03-02", "2027-03-02")
    lunches = [line for line in listed.stdout.splitlines() if "Team lunch" in line]
    assert lunches == ["2027-03-02 14:00 Team lunch"]
