"""Fixtures of the calendar tests: libical's RFC 5546 checker, compiled once per session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHECKER_SOURCE = Path(__file__).parents[1] / "tools" / "itip-check" / "itip-check.c"
INSTALL_HINT = "apt-get update && apt-get install -y libical-dev pkg-config gcc (.ci/run does it)"


@pytest.fixture(scope="session")
def itip_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """libical's RFC 5546 checker, compiled from the copy in tests/tools/itip-check."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or shutil.which("pkg-config") is None:
        pytest.fail(f"itip-check needs a C compiler and pkg-config: {INSTALL_HINT}")
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "libical"], capture_output=True, text=True
    )
    if flags.returncode != 0:
        pytest.fail(f"libical-dev is not installed ({flags.stderr.strip()}): {INSTALL_HINT}")
    binary = tmp_path_factory.mktemp("itip-check") / "itip-check"
    built = subprocess.run(
        [cc, "-O2", "-o", str(binary), str(CHECKER_SOURCE), *flags.stdout.split()],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.fail(f"compiling itip-check failed: {built.stderr[-2000:]}")
    return binary


READERS_HINT = "apt-get install -y ruby ruby-icalendar libdata-ical-perl (Debian; .ci/run does it)"


@pytest.fixture(scope="session")
def ruby_icalendar() -> str:
    """The ``ruby`` that has the icalendar gem (Debian's ruby-icalendar)."""
    ruby = shutil.which("ruby")
    if ruby is None:
        pytest.fail(f"ruby is not installed: {READERS_HINT}")
    probe = subprocess.run(
        [ruby, "-rstringio", "-ricalendar", "-e", "1"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        pytest.fail(f"ruby has no icalendar gem ({probe.stderr.strip()}): {READERS_HINT}")
    return ruby


@pytest.fixture(scope="session")
def perl_data_ical() -> str:
    """The ``perl`` that has Data::ICal (Debian's libdata-ical-perl)."""
    perl = shutil.which("perl")
    if perl is None:
        pytest.fail(f"perl is not installed: {READERS_HINT}")
    probe = subprocess.run([perl, "-MData::ICal", "-e", "1"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(f"perl has no Data::ICal ({probe.stderr.strip()}): {READERS_HINT}")
    return perl
