"""The invite lifecycle on one workspace: UIDs, SEQUENCE and who gets which file.

Hand-made schedule pairs (no solver): each test publishes a first plan, then a re-plan,
and checks the files in the second output directory and what the workspace remembers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planner.calendar.publish import export_invites, publish_plan
from planner.domain.errors import InputError
from planner.domain.schedule import Schedule
from planner.store import Workspace
from planner.store.invites import published_rows, sent_rows
from tests.calendar.test_invites import (
    check_with_vobject,
    default_schedule,
    emails,
    events,
    lunch,
    problem,
    read_ical,
    schedule,
    workshop,
)
from tests.factories import NOW


@pytest.fixture
def ws(team_ws: Workspace) -> Workspace:
    return team_ws


def publish(ws: Workspace, plan: Schedule, out: Path) -> list[str]:
    """Publish and return the invite file names written (sorted)."""
    publish_plan(ws.planning_input(NOW), plan, out, workspace=ws, now=NOW)
    invites = out / "invites"
    return sorted(p.name for p in invites.iterdir()) if invites.exists() else []


def seq_uid(path: Path) -> dict[str, tuple[str, int]]:
    return {str(e["SUMMARY"]): (str(e["UID"]), int(e["SEQUENCE"])) for e in events(path)}


def test_first_publication_records_sessions_and_invites(ws: Workspace, tmp_path: Path) -> None:
    names = publish(ws, default_schedule(), tmp_path / "1")
    assert names == ["alice.ics", "bob.ics", "carol.ics", "dave.ics"]
    rows = published_rows(ws)
    assert {sid: (r.sequence, r.cancelled) for sid, r in rows.items()} == {
        "team-lunch#1": (0, False),
        "workshop#1": (0, False),
    }
    sent = sent_rows(ws)
    assert set(sent) == {
        ("alice", "team-lunch#1"),
        ("bob", "team-lunch#1"),
        ("carol", "team-lunch#1"),
        ("alice", "workshop#1"),
        ("bob", "workshop#1"),
        ("dave", "workshop#1"),
    }
    assert {r.method for r in sent.values()} == {"REQUEST"}
    assert {len(r.digest) for r in sent.values()} == {64}
    assert {s.id for s in ws.published_sessions()} == {"team-lunch#1", "workshop#1"}


def test_identical_replan_writes_no_invites(ws: Workspace, tmp_path: Path) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    assert publish(ws, default_schedule(), tmp_path / "2") == []
    assert (tmp_path / "2" / "calendar.ics").is_file()
    assert {r.sequence for r in published_rows(ws).values()} == {0}


def test_moved_session_updates_its_attendees_with_higher_sequence(
    ws: Workspace, tmp_path: Path
) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    before = seq_uid(tmp_path / "1" / "invites" / "bob.ics")
    moved = schedule(lunch(["alice", "bob", "carol"], hour=13), workshop(["alice", "bob", "dave"]))
    assert publish(ws, moved, tmp_path / "2") == ["alice.ics", "bob.ics", "carol.ics"]
    after = seq_uid(tmp_path / "2" / "invites" / "bob.ics")
    assert after["Team lunch"] == (before["Team lunch"][0], 1)
    # The unchanged workshop rides along in Bob's file with its unchanged SEQUENCE.
    assert after["Cross-team workshop"] == before["Cross-team workshop"]
    (lunch_carol,) = events(tmp_path / "2" / "invites" / "carol.ics")
    assert lunch_carol["DTSTART"].dt.hour == 13
    assert read_ical(tmp_path / "2" / "invites" / "carol.ics")["METHOD"] == "REQUEST"
    assert published_rows(ws)["team-lunch#1"].sequence == 1
    assert published_rows(ws)["workshop#1"].sequence == 0


def test_new_venue_is_a_change(ws: Workspace, tmp_path: Path) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    moved = schedule(
        lunch(["alice", "bob", "carol"], venue=None, location="Rooftop"),
        workshop(["alice", "bob", "dave"]),
    )
    assert publish(ws, moved, tmp_path / "2") == ["alice.ics", "bob.ics", "carol.ics"]
    (ev,) = events(tmp_path / "2" / "invites" / "carol.ics")
    assert ev["LOCATION"] == "Rooftop" and int(ev["SEQUENCE"]) == 1


def test_person_taken_off_gets_cancel_and_invisible_change_sends_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    uid = seq_uid(tmp_path / "1" / "invites" / "carol.ics")["Team lunch"][0]
    # Carol does not consent to being listed: nobody else can see she left.
    plan = schedule(lunch(["alice", "bob"]), workshop(["alice", "bob", "dave"]))
    assert publish(ws, plan, tmp_path / "2") == ["carol-cancel.ics"]
    cancel = read_ical(tmp_path / "2" / "invites" / "carol-cancel.ics")
    assert cancel["METHOD"] == "CANCEL"
    assert (
        check_with_vobject(tmp_path / "2" / "invites" / "carol-cancel.ics").method.value == "CANCEL"
    )
    (ev,) = cancel.walk("VEVENT")
    assert str(ev["UID"]) == uid
    assert int(ev["SEQUENCE"]) == 1
    # RFC 5546 §3.2.5: uninviting one attendee names them and carries no STATUS (the
    # session goes on; STATUS:CANCELLED would cancel it for everyone).
    assert "STATUS" not in ev
    assert emails(ev) == ["carol@example.com"]
    assert sent_rows(ws)[("carol", "team-lunch#1")].method == "CANCEL"
    # The session's sequence moved once, so Alice's next update outranks the cancel.
    assert published_rows(ws)["team-lunch#1"].sequence == 1


def test_removing_a_listed_attendee_updates_the_others(ws: Workspace, tmp_path: Path) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    plan = schedule(lunch(["bob", "carol"]), workshop(["alice", "bob", "dave"]))
    names = publish(ws, plan, tmp_path / "2")
    assert names == ["alice-cancel.ics", "bob.ics", "carol.ics"]
    (ev,) = [e for e in events(tmp_path / "2" / "invites" / "carol.ics")]
    assert emails(ev) == ["carol@example.com"]  # Alice no longer listed
    assert int(ev["SEQUENCE"]) == 1


def test_dropped_session_cancels_for_everyone_on_it(ws: Workspace, tmp_path: Path) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    uid = seq_uid(tmp_path / "1" / "invites" / "dave.ics")["Cross-team workshop"][0]
    names = publish(ws, schedule(lunch(["alice", "bob", "carol"])), tmp_path / "2")
    assert names == ["alice-cancel.ics", "bob-cancel.ics", "dave-cancel.ics"]
    for pid in ("alice", "bob", "dave"):
        (ev,) = events(tmp_path / "2" / "invites" / f"{pid}-cancel.ics")
        assert (str(ev["UID"]), int(ev["SEQUENCE"])) == (uid, 1)
        assert ev["STATUS"] == "CANCELLED"
    assert published_rows(ws)["workshop#1"].cancelled
    assert {s.id for s in ws.published_sessions()} == {"team-lunch#1"}
    team = read_ical(tmp_path / "2" / "calendar.ics")
    assert [str(e["SUMMARY"]) for e in team.walk("VEVENT")] == ["Team lunch"]


def test_revived_session_keeps_uid_with_higher_sequence(ws: Workspace, tmp_path: Path) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    uid = seq_uid(tmp_path / "1" / "invites" / "dave.ics")["Cross-team workshop"][0]
    publish(ws, schedule(lunch(["alice", "bob", "carol"])), tmp_path / "2")
    names = publish(ws, default_schedule(), tmp_path / "3")
    assert names == ["alice.ics", "bob.ics", "dave.ics"]
    assert seq_uid(tmp_path / "3" / "invites" / "dave.ics")["Cross-team workshop"] == (uid, 2)


def test_added_person_gets_invite_others_nothing(ws: Workspace, tmp_path: Path) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    plan = schedule(lunch(["alice", "bob", "carol", "dave"]), workshop(["alice", "bob", "dave"]))
    assert publish(ws, plan, tmp_path / "2") == ["dave.ics"]
    got = seq_uid(tmp_path / "2" / "invites" / "dave.ics")
    assert got["Team lunch"][1] == 1
    assert got["Cross-team workshop"][1] == 0


def test_replan_into_same_directory_removes_stale_files(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(ws, default_schedule(), out)
    plan = schedule(lunch(["alice", "bob"]), workshop(["alice", "bob", "dave"]))
    assert publish(ws, plan, out) == ["carol-cancel.ics"]


def test_without_workspace_every_attendee_gets_sequence_zero(tmp_path: Path) -> None:
    publish_plan(problem(), default_schedule(), tmp_path / "1", workspace=None, now=NOW)
    plan = schedule(lunch(["alice", "bob"], hour=13), workshop(["alice", "bob", "dave"]))
    publish_plan(problem(), plan, tmp_path / "2", workspace=None, now=NOW)
    names = sorted(p.name for p in (tmp_path / "2" / "invites").iterdir())
    assert names == ["alice.ics", "bob.ics", "dave.ics"]
    for name in names:
        assert {int(e["SEQUENCE"]) for e in events(tmp_path / "2" / "invites" / name)} == {0}


def test_export_rewrites_all_current_invites_and_latest_cancels(
    ws: Workspace, tmp_path: Path
) -> None:
    publish(ws, default_schedule(), tmp_path / "1")
    plan = schedule(lunch(["alice", "bob"], hour=13), workshop(["alice", "bob", "dave"]))
    publish(ws, plan, tmp_path / "2")
    report = export_invites(ws, tmp_path / "export", now=NOW)
    names = sorted(p.name for p in (tmp_path / "export" / "invites").iterdir())
    assert names == ["alice.ics", "bob.ics", "carol-cancel.ics", "dave.ics"]
    assert seq_uid(tmp_path / "export" / "invites" / "bob.ics")["Team lunch"][1] == 1
    assert report.lines()[0].startswith("wrote 3 invites, 1 cancellations")
    assert (tmp_path / "export" / "calendar.ics").is_file()
    for path in report.files:
        check_with_vobject(path)
        assert read_ical(path).walk("VEVENT")
    # Exporting changes nothing in the workspace.
    assert published_rows(ws)["team-lunch#1"].sequence == 1


def test_export_without_publication_is_an_input_error(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no invites were published"):
        export_invites(ws, tmp_path / "x", now=NOW)


class _CountingList(list[Any]):
    """A list that counts how often it is walked through."""

    walks = 0

    def __iter__(self) -> Iterator[Any]:
        type(self).walks += 1
        return super().__iter__()


def test_people_are_indexed_once_per_publication() -> None:
    """Describing every session for every viewer must not rebuild the people index each
    time (at 2,000 people that took most of a publication's time)."""
    from planner.calendar.publish import plan_publication

    scenario = problem().scenario
    counted = scenario.model_copy(update={"people": _CountingList(scenario.people)})
    plan = default_schedule().sessions
    _CountingList.walks = 0
    fresh = plan_publication(counted, plan, key="k", published=None, sent=None)
    assert _CountingList.walks <= 1
    replan = plan_publication(counted, plan, key="k", published={}, sent={})
    assert _CountingList.walks <= 2
    # Same result as with the plain scenario.
    assert fresh == plan_publication(scenario, plan, key="k", published=None, sent=None)
    assert replan == plan_publication(scenario, plan, key="k", published={}, sent={})
