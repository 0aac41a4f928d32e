"""Invites, reminders, cancellations and their mails in the reader's language (issue 18).

A Swedish participant (by the team's default), a Polish one in Warsaw and a Polish one in
London each get their invite: DESCRIPTION, the VALARM text and the mail's text part are in
their language, SUMMARY is the catalogue's name in it, and the times are right in their own
zone (parsed back with icalendar and the mail parser).
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from planner.calendar import imip
from planner.calendar.publish import _mails, plan_publication, publish_plan
from planner.domain.catalogue import default_catalogue
from planner.domain.planning import PlanningInput
from planner.domain.schedule import Objective, PlannedSession, Schedule
from tests.factories import NOW, activity, build, person, scenario_data

STOCKHOLM = ZoneInfo("Europe/Stockholm")
LUNCH = default_catalogue()["team-lunch"]


def data() -> dict[str, Any]:
    people = [
        person("sven"),  # no language: the team's (Swedish)
        person("piotr", "Billing", language="pl", timezone="Europe/Warsaw"),
        person("marta", "Billing", language="pl", timezone="Europe/London"),
        person("emma", "Sales", language="en"),
    ]
    activities = [
        {"id": "lunch", "template": "team-lunch"},
        activity("retro", name="Quarter retro", description="Our own words, kept as written."),
    ]
    prefs = {p["id"]: {"lunch": "yes", "retro": "yes"} for p in people}
    d = scenario_data(people, activities, prefs)
    d["team"]["language"] = "sv"
    return d


def plan() -> Schedule:
    start = datetime(2027, 3, 2, 12, 0, tzinfo=STOCKHOLM)
    sessions = [
        PlannedSession(
            id="lunch#1",
            activity="lunch",
            start=start,
            end=start + timedelta(minutes=60),
            attendees=["emma", "marta", "piotr", "sven"],
            location="Kantinen",
        ),
        PlannedSession(
            id="retro#1",
            activity="retro",
            start=start + timedelta(days=1),
            end=start + timedelta(days=1, minutes=60),
            attendees=["piotr", "sven"],
        ),
    ]
    return Schedule(
        status="optimal", objective=Objective(value=0, bound=0, gap=0), sessions=sessions
    )


def invite(out: Path, pid: str) -> list[Any]:
    cal = icalendar.Calendar.from_ical((out / "invites" / f"{pid}.ics").read_bytes())
    return sorted(cal.walk("VEVENT"), key=lambda e: e.DTSTART)


def test_invite_texts_are_in_each_readers_language(tmp_path: Path) -> None:
    scenario = build(data())
    publish_plan(
        PlanningInput(scenario=scenario, now=NOW), plan(), tmp_path, workspace=None, now=NOW
    )

    sv_lunch, sv_retro = invite(tmp_path, "sven")
    assert str(sv_lunch["SUMMARY"]) == LUNCH.texts("sv").name == "Lunch över avdelningsgränserna"
    text = str(sv_lunch["DESCRIPTION"])
    assert LUNCH.texts("sv").description in text
    assert LUNCH.texts("sv").inclusive_note in text
    assert "Det är frivilligt att delta" in text
    assert "Arrangeras av Olga Organiser för Test team." in text
    assert "Taking part is voluntary" not in text
    (alarm,) = sv_lunch.walk("VALARM")
    assert str(alarm["DESCRIPTION"]) == "Påminnelse: Lunch över avdelningsgränserna"
    # What the organiser wrote stays as written; only our sentences are translated.
    assert str(sv_retro["SUMMARY"]) == "Quarter retro"
    assert str(sv_retro["DESCRIPTION"]).startswith("Our own words, kept as written.")
    assert "Det är frivilligt att delta" in str(sv_retro["DESCRIPTION"])

    pl_lunch, _ = invite(tmp_path, "piotr")
    assert str(pl_lunch["SUMMARY"]) == "Lunch z innymi działami"
    assert LUNCH.texts("pl").description in str(pl_lunch["DESCRIPTION"])
    assert "Udział jest dobrowolny: można odmówić bez podawania powodu." in str(
        pl_lunch["DESCRIPTION"]
    )
    (alarm,) = pl_lunch.walk("VALARM")
    assert str(alarm["DESCRIPTION"]) == "Przypomnienie: Lunch z innymi działami"

    (en_lunch,) = invite(tmp_path, "emma")  # her own language wins over the team's
    assert str(en_lunch["SUMMARY"]) == LUNCH.name
    assert "Taking part is voluntary: declining is fine" in str(en_lunch["DESCRIPTION"])
    (alarm,) = en_lunch.walk("VALARM")
    assert str(alarm["DESCRIPTION"]) == f"Reminder: {LUNCH.name}"

    # The team calendar speaks the team's language.
    team = icalendar.Calendar.from_ical((tmp_path / "calendar.ics").read_bytes())
    assert "Det är frivilligt att delta" in str(next(iter(team.walk("VEVENT")))["DESCRIPTION"])


def test_times_are_right_in_each_readers_zone(tmp_path: Path) -> None:
    scenario = build(data())
    publish_plan(
        PlanningInput(scenario=scenario, now=NOW), plan(), tmp_path, workspace=None, now=NOW
    )
    for pid, zone, hour in [
        ("sven", "Europe/Stockholm", 12),
        ("piotr", "Europe/Warsaw", 12),
        ("marta", "Europe/London", 11),
    ]:
        lunch = invite(tmp_path, pid)[0]
        start = lunch.DTSTART.astimezone(ZoneInfo(zone))
        assert (start.date().isoformat(), start.hour, start.minute) == ("2027-03-02", hour, 0)
        assert timedelta(hours=1) == lunch.DTEND - lunch.DTSTART


def _mail(scenario: Any, pid: str, method: str = "REQUEST") -> email.message.EmailMessage:
    pub = plan_publication(scenario, plan().sessions, key="k", published=None, sent=None)
    mails = [m for m in _mails(scenario, pub, NOW) if m.to_email == f"{pid}@example.com"]
    chosen = next(m for m in mails if m.method == method)
    msg = imip.build_message(chosen, from_name="Olga Organiser", from_email="olga@example.com")
    data = bytes(msg.as_bytes(policy=imip.POLICY))
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_mail_subject_and_text_in_the_readers_language_and_zone() -> None:
    scenario = build(data())

    sv = _mail(scenario, "sven")
    assert str(sv["Subject"]) == (
        "Inbjudan: Lunch över avdelningsgränserna (tis 2 mars 2027, 12:00-13:00 (CET))"
    )
    body = sv.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith(
        "Olga Organiser bjuder in dig till Lunch över avdelningsgränserna "
        "tis 2 mars 2027, 12:00-13:00 (CET) på Kantinen."
    )
    assert "Svara med Acceptera, Preliminärt eller Tacka nej i din kalender." in text

    pl = _mail(scenario, "marta")  # in London: her own time first, then the team's
    assert str(pl["Subject"]) == (
        "Zaproszenie: Lunch z innymi działami (wt. 2 mar 2027, 11:00-12:00 (GMT))"
    )
    body = pl.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert (
        "wt. 2 mar 2027, 11:00-12:00 (GMT), czyli wt. 2 mar 2027, 12:00-13:00 (CET) "
        "w strefie czasowej zespołu" in text
    )
    assert "Udział jest dobrowolny" in text
    part = next(p for p in pl.walk() if p.get_content_type() == "text/calendar")
    cal = icalendar.Calendar.from_ical(part.get_content())
    (alarm,) = cal.walk("VALARM")
    assert str(alarm["DESCRIPTION"]) == "Przypomnienie: Lunch z innymi działami"


def test_cancellation_mail_in_the_readers_language() -> None:
    scenario = build(data())
    first = plan_publication(scenario, plan().sessions, key="k", published=None, sent=None)
    published = {r.session_id: r for r in first.sessions}
    sent = {(r.person_id, r.session_id): r for r in first.sent}
    # Sven is taken off the lunch, Piotr's retro is dropped.
    lunch = plan().sessions[0]
    lunch = lunch.model_copy(update={"attendees": ["emma", "marta", "piotr"]})
    second = plan_publication(scenario, [lunch], key="k", published=published, sent=sent)
    mails = {(m.to_email, m.method, m.subject): m for m in _mails(scenario, second, NOW)}
    sven = next(m for (to, method, _), m in mails.items() if to == "sven@example.com")
    assert sven.subject.startswith("Inställt för dig: Lunch över avdelningsgränserna (")
    assert sven.text.startswith("Du är inte längre inbjuden till Lunch över avdelningsgränserna")
    piotr = next(
        m
        for (to, method, subject), m in mails.items()
        if to == "piotr@example.com" and method == "CANCEL"
    )
    assert piotr.subject.startswith("Odwołane: Quarter retro (śr. 3 mar 2027, 12:00-13:00")
    assert "zostało odwołane" in piotr.text
    cal = icalendar.Calendar.from_ical(piotr.calendar)
    assert "Udział jest dobrowolny" in str(next(iter(cal.walk("VEVENT")))["DESCRIPTION"])
