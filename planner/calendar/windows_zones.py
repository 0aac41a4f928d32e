"""Time-zone names that icalendar 7 does not resolve on its own.

icalendar 7 already maps every CLDR Windows zone id ("W. Europe Standard Time",
"Eastern Standard Time", ...) to an IANA name (``icalendar.timezone.windows_to_olson``), so
this table does not repeat them. What it misses are the *display names* that older Outlook
and Exchange versions write as TZID ("(UTC+01:00) Amsterdam, Berlin, ...") and Windows ids
written in another letter case. Outlook nearly always adds a VTIMEZONE as well; this table
is the fallback for exports that lost it.
"""

from __future__ import annotations

import re

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

_DISPLAY_NAMES: dict[str, str] = {
    "amsterdam, berlin, bern, rome, stockholm, vienna": "Europe/Berlin",
    "amsterdam / berlin / bern / rome / stockholm / vienna": "Europe/Berlin",
    "belgrade, bratislava, budapest, ljubljana, prague": "Europe/Budapest",
    "brussels, copenhagen, madrid, paris": "Europe/Paris",
    "sarajevo, skopje, warsaw, zagreb": "Europe/Warsaw",
    "dublin, edinburgh, lisbon, london": "Europe/London",
    "greenwich mean time : dublin, edinburgh, lisbon, london": "Europe/London",
    "helsinki, kyiv, riga, sofia, tallinn, vilnius": "Europe/Helsinki",
    "helsinki, kiev, riga, sofia, tallinn, vilnius": "Europe/Helsinki",
    "athens, bucharest": "Europe/Bucharest",
    "moscow, st. petersburg": "Europe/Moscow",
    "moscow, st. petersburg, volgograd": "Europe/Moscow",
    "eastern time (us & canada)": "America/New_York",
    "central time (us & canada)": "America/Chicago",
    "mountain time (us & canada)": "America/Denver",
    "pacific time (us & canada)": "America/Los_Angeles",
    "arizona": "America/Phoenix",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "atlantic time (canada)": "America/Halifax",
    "brasilia": "America/Sao_Paulo",
    "chennai, kolkata, mumbai, new delhi": "Asia/Kolkata",
    "beijing, chongqing, hong kong, urumqi": "Asia/Shanghai",
    "osaka, sapporo, tokyo": "Asia/Tokyo",
    "canberra, melbourne, sydney": "Australia/Sydney",
    "auckland, wellington": "Pacific/Auckland",
    "coordinated universal time": "UTC",
}
"""Outlook display names without their "(UTC+hh:mm) " prefix, lower case."""

_OFFSET_PREFIX = re.compile(r"^\(\s*(?:utc|gmt)\s*(?:[+-]\s*\d{1,2}(?:[:.]\d{2})?)?\s*\)\s*")
_WINDOWS_FOLDED = {name.casefold(): olson for name, olson in WINDOWS_TO_OLSON.items()}


def iana_for(tzid: str) -> str | None:
    """The IANA name for a Windows id in any letter case or an Outlook display name."""
    folded = " ".join(tzid.split()).casefold()
    if folded in _WINDOWS_FOLDED:
        return _WINDOWS_FOLDED[folded]
    return _DISPLAY_NAMES.get(_OFFSET_PREFIX.sub("", folded))
