"""Invites out are clean iTIP (RFC 5546) and clean iCalendar (RFC 5545), checked by libical.

libical's restriction check (``tests/tools/itip-check``, compiled once per session) reads
every file kind we write: first invites, updates (same UID, higher SEQUENCE), a whole-session
CANCEL, an uninvite CANCEL, the team calendar (PUBLISH) and the calendar part of iMIP mail
(in ``test_servers``); the fixture ``itip_check`` is in ``conftest.py``. The VTIMEZONE is checked against RFC 5545 §3.6.5 and round-tripped
through vobject, which keeps only the first value of a comma-joined RDATE list; every
file is read by ruby-icalendar (which must compute the same UTC times as we meant) and by
Perl Data::ICal (which must not warn). Fixtures that find a reader missing fail loudly with
the install hint; ``.ci/run`` installs them.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import vobject

from planner.calendar.publish import publish_plan
from planner.domain.schedule import PlannedSession
from planner.store import Workspace
from tests.calendar.test_invites import (
    STOCKHOLM,
    default_schedule,
    lunch,
    problem,
    read_ical,
    schedule,
    workshop,
)
from tests.factories import NOW


def run_check(binary: Path, paths: Iterable[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), *map(str, paths)], capture_output=True, text=True, timeout=60
    )


def assert_itip_clean(binary: Path, paths: Iterable[Path]) -> None:
    files = sorted(paths)
    assert files
    result = run_check(binary, files)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def ics_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.ics"))


# ------------------------------------------------------------------------------ the checker


def test_checker_rejects_what_rfc5546_forbids(itip_check: Path, tmp_path: Path) -> None:
    """The checker can fail: a PUBLISH with ATTENDEE and a CANCEL without SEQUENCE."""
    event = [
        "BEGIN:VEVENT",
        "UID:x@example.com",
        "DTSTAMP:20270201T090000Z",
        "DTSTART:20270302T110000Z",
        "DTEND:20270302T120000Z",
        "SUMMARY:Lunch",
        "ORGANIZER:mailto:olga@example.com",
        "ATTENDEE:mailto:bob@example.com",
        "END:VEVENT",
    ]
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    publish = tmp_path / "publish.ics"
    publish.write_text("\r\n".join([*head, "METHOD:PUBLISH", *event, "END:VCALENDAR", ""]))
    cancel = tmp_path / "cancel.ics"
    cancel.write_text("\r\n".join([*head, "METHOD:CANCEL", *event, "END:VCALENDAR", ""]))
    result = run_check(itip_check, [publish, cancel])
    assert result.returncode == 1
    assert f"{publish}: VEVENT: Failed iTIP restrictions for ATTENDEE property" in result.stdout
    assert f"{cancel}: VEVENT: Failed iTIP restrictions for SEQUENCE property" in result.stdout


# ------------------------------------------------------------------------------ every file kind


def test_every_file_kind_passes_libical(
    itip_check: Path, team_ws: Workspace, tmp_path: Path
) -> None:
    ws = team_ws
    first, update, dropped = tmp_path / "1", tmp_path / "2", tmp_path / "3"
    publish_plan(ws.planning_input(NOW), default_schedule(), first, workspace=ws, now=NOW)
    # Lunch moves (updates for Alice and Bob) and Carol is taken off it (an uninvite).
    moved = schedule(lunch(["alice", "bob"], hour=13), workshop(["alice", "bob", "dave"]))
    publish_plan(ws.planning_input(NOW), moved, update, workspace=ws, now=NOW)
    # The workshop is dropped: a whole-session CANCEL for everyone on it.
    publish_plan(
        ws.planning_input(NOW),
        schedule(lunch(["alice", "bob"], hour=13)),
        dropped,
        workspace=ws,
        now=NOW,
    )

    kinds: set[str] = set()
    for path in ics_files(first, update, dropped):
        cal = read_ical(path)
        for ev in cal.walk("VEVENT"):
            kind = str(cal["METHOD"])
            if kind == "REQUEST" and int(ev["SEQUENCE"]) > 0:
                kind = "update"
            elif kind == "CANCEL":
                kind = "cancel-session" if ev.get("STATUS") == "CANCELLED" else "uninvite"
            kinds.add(kind)
    assert kinds == {"REQUEST", "update", "cancel-session", "uninvite", "PUBLISH"}
    assert_itip_clean(itip_check, ics_files(first, update, dropped))

    # The uninvite names Carol only and says nothing about the session's status.
    (ev,) = read_ical(update / "invites" / "carol-cancel.ics").walk("VEVENT")
    assert "STATUS" not in ev
    assert str(ev["ATTENDEE"]) == "mailto:carol@example.com"
    for pid in ("alice", "bob", "dave"):
        (ev,) = read_ical(dropped / "invites" / f"{pid}-cancel.ics").walk("VEVENT")
        assert ev["STATUS"] == "CANCELLED"
        assert str(ev["ATTENDEE"]) == f"mailto:{pid}@example.com"


def test_files_without_workspace_pass_libical(itip_check: Path, tmp_path: Path) -> None:
    publish_plan(problem(), default_schedule(), tmp_path, workspace=None, now=NOW)
    assert_itip_clean(itip_check, ics_files(tmp_path))


# ------------------------------------------------------------------------------ VTIMEZONE

VTIMEZONE_PROPERTIES = {"TZID", "LAST-MODIFIED", "TZURL"}
OBSERVANCE_PROPERTIES = {"DTSTART", "TZOFFSETTO", "TZOFFSETFROM", "RRULE", "COMMENT", "RDATE"}
OBSERVANCE_PROPERTIES |= {"TZNAME"}
"""RFC 5545 §3.6.5 (besides X- and IANA properties, which we do not write)."""


def two_year_plan() -> list[datetime]:
    """Sessions in March 2027, August 2027 (summer time) and June 2028 (summer time)."""
    return [
        datetime(2027, 3, 2, 12, tzinfo=STOCKHOLM),
        datetime(2027, 8, 3, 12, tzinfo=STOCKHOLM),
        datetime(2028, 6, 6, 12, tzinfo=STOCKHOLM),
    ]


def publish_two_years(out: Path) -> None:
    sessions = [
        PlannedSession(
            id=f"team-lunch#{i}",
            activity="team-lunch",
            start=start,
            end=start + timedelta(hours=1),
            attendees=["alice", "bob"],
            venue="cafe",
        )
        for i, start in enumerate(two_year_plan(), start=1)
    ]
    publish_plan(problem(), schedule(*sessions), out, workspace=None, now=NOW)


def unfolded_lines(raw: bytes) -> list[str]:
    return raw.decode().replace("\r\n ", "").split("\r\n")


def test_vtimezone_holds_only_what_rfc5545_allows(itip_check: Path, tmp_path: Path) -> None:
    publish_two_years(tmp_path)
    files = ics_files(tmp_path)
    assert_itip_clean(itip_check, files)
    for path in files:
        (tz,) = read_ical(path).walk("VTIMEZONE")
        assert set(tz) <= VTIMEZONE_PROPERTIES, path.name
        assert str(tz["TZID"]) == "Europe/Stockholm"
        onsets: list[datetime] = []
        for observance in tz.subcomponents:
            assert observance.name in {"STANDARD", "DAYLIGHT"}
            assert set(observance) <= OBSERVANCE_PROPERTIES, path.name
            assert not observance.subcomponents
            onsets.append(observance["DTSTART"].dt)
            rdates = observance.get("RDATE", [])
            for group in rdates if isinstance(rdates, list) else [rdates]:
                onsets.extend(d.dt for d in group.dts)
        # Bounded to the years the sessions fall in and the year before (each observance
        # needs an onset before the first event), and every change in them is there.
        assert {d.year for d in onsets} == {2026, 2027, 2028}
        assert len(onsets) == 1 + 2 * 3  # the first observance, then two changes a year
        for observance in tz.subcomponents:
            assert observance["DTSTART"].dt < datetime(2027, 1, 1)
        rdate_lines = [
            line for line in unfolded_lines(path.read_bytes()) if line.startswith("RDATE")
        ]
        assert rdate_lines and all("," not in line for line in rdate_lines)
        assert b"COMMENT" not in path.read_bytes()


def test_vobject_round_trip_keeps_every_transition(tmp_path: Path) -> None:
    """vobject (as Radicale uses it) re-serialises our VTIMEZONE without losing an onset."""
    publish_two_years(tmp_path)
    for path in ics_files(tmp_path):
        before = [line for line in unfolded_lines(path.read_bytes()) if "RDATE" in line]
        again = vobject.readOne(path.read_text(encoding="utf-8")).serialize()
        after = [line for line in unfolded_lines(again.encode()) if "RDATE" in line]
        assert sorted(after) == sorted(before), path.name
        # The tzinfo vobject builds from the re-serialised VTIMEZONE knows summer 2028.
        # (Not via DTSTART's tzinfo: vobject keeps the first VTIMEZONE of a TZID it ever
        # saw for the whole process, whichever file it came from.)
        cal = vobject.readOne(again)
        tz = cal.vtimezone.gettzinfo()
        offsets = [ev.dtstart.value.replace(tzinfo=tz).utcoffset() for ev in cal.vevent_list]
        assert offsets == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]


def test_vtimezone_of_a_zone_without_summer_time(itip_check: Path, tmp_path: Path) -> None:
    from tests.calendar.test_invites import team_data

    data = team_data()
    data["team"]["timezone"] = "Asia/Tokyo"
    publish_plan(problem(data), default_schedule(), tmp_path, workspace=None, now=NOW)
    assert_itip_clean(itip_check, ics_files(tmp_path))
    (tz,) = read_ical(tmp_path / "calendar.ics").walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Asia/Tokyo" and set(tz) == {"TZID"}
    ((observance),) = tz.subcomponents
    assert observance.name == "STANDARD"
    assert observance["TZOFFSETTO"].td == timedelta(hours=9)
    (ev, _) = read_ical(tmp_path / "calendar.ics").walk("VEVENT")
    assert ev["DTSTART"].dt.astimezone(ZoneInfo("UTC")).hour == 11  # 12:00 Stockholm


def test_team_calendar_has_no_attendee_and_names_only_consenting(tmp_path: Path) -> None:
    publish_plan(problem(), default_schedule(), tmp_path, workspace=None, now=NOW)
    raw = (tmp_path / "calendar.ics").read_bytes()
    assert not re.search(rb"^ATTENDEE", raw, re.MULTILINE)
    text = unfolded_lines(raw)
    described = [line for line in text if line.startswith("DESCRIPTION")]
    assert len(described) == 2 and all(line.endswith(": Alice.") for line in described)
    for other in ("Bob", "Carol", "Dave", "Erin"):
        assert other.encode() not in raw
    assert icalendar.Calendar.from_ical(raw)["METHOD"] == "PUBLISH"


# ------------------------------------------------------------------------------ other readers

RUBY_READER = """
ARGV.each do |f|
  cals = Icalendar::Calendar.parse(File.read(f))
  cals.each do |cal|
    cal.events.each do |e|
      puts [f, e.uid, e.dtstart.to_time.utc.strftime("%Y%m%dT%H%M%SZ"),
            e.dtend.to_time.utc.strftime("%Y%m%dT%H%M%SZ")].join(" ")
    end
  end
end
"""

PERL_READER = """
use strict; use warnings; use Data::ICal;
$SIG{__WARN__} = sub { print STDERR "warning: @_" };
for my $f (@ARGV) {
    my $cal = Data::ICal->new(filename => $f);
    die "$f: not read: $cal\\n" unless $cal;
    print "$f ", scalar(grep { $_->ical_entry_type eq 'VEVENT' } @{$cal->entries}), "\\n";
}
"""


def utc_times(path: Path) -> set[str]:
    """UID and UTC start/end of every event, as icalendar (Python) reads the file."""
    out = set()
    for ev in read_ical(path).walk("VEVENT"):
        start, end = (ev[k].dt.astimezone(ZoneInfo("UTC")) for k in ("DTSTART", "DTEND"))
        out.add(f"{path} {ev['UID']} {start:%Y%m%dT%H%M%SZ} {end:%Y%m%dT%H%M%SZ}")
    return out


def test_ruby_icalendar_reads_every_file_with_the_right_times(
    ruby_icalendar: str, team_ws: Workspace, tmp_path: Path
) -> None:
    """ruby-icalendar needs clean RDATEs and an onset of every observance before an event."""
    ws = team_ws
    publish_plan(ws.planning_input(NOW), default_schedule(), tmp_path / "1", workspace=ws, now=NOW)
    moved = schedule(lunch(["alice", "bob"], hour=13))
    publish_plan(ws.planning_input(NOW), moved, tmp_path / "2", workspace=ws, now=NOW)
    publish_two_years(tmp_path / "3")  # summer 2027 and 2028: the RDATEs matter
    files = ics_files(tmp_path)
    result = subprocess.run(
        [ruby_icalendar, "-rstringio", "-ricalendar", "-e", RUBY_READER, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    expected = set().union(*(utc_times(p) for p in files))
    assert set(result.stdout.splitlines()) == expected
    assert any(line.endswith("20280606T100000Z 20280606T110000Z") for line in expected)


def test_perl_data_ical_reads_every_file_without_warnings(
    perl_data_ical: str, team_ws: Workspace, tmp_path: Path
) -> None:
    ws = team_ws
    publish_plan(ws.planning_input(NOW), default_schedule(), tmp_path / "1", workspace=ws, now=NOW)
    moved = schedule(lunch(["alice", "bob"], hour=13))
    publish_plan(ws.planning_input(NOW), moved, tmp_path / "2", workspace=ws, now=NOW)
    publish_two_years(tmp_path / "3")
    files = ics_files(tmp_path)
    result = subprocess.run(
        [perl_data_ical, "-e", PERL_READER, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (0, "")
    counts = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())
    assert counts == {str(p): str(len(read_ical(p).walk("VEVENT"))) for p in files}
