"""Languages: gettext catalogues and locale-aware dates for what people read.

A core module that imports nothing else of ours. ``translator(lang)`` gives the gettext
functions of one language and Babel's date formatting in that language's conventions
(24-hour clock in all three; weeks start on Monday in Swedish and Polish).

The catalogues are the ``.po`` files in ``planner/locale/<lang>/LC_MESSAGES/planner.po``
(shipped as package data). A compiled ``.mo`` next to one is used when it is newer (``make
compile``); otherwise the ``.po`` is compiled in memory on first use, so an editable install
or a fresh checkout needs no build step and no generated binary is committed.

Message ids are the English texts; English itself has no catalogue (the ids are shown).
Texts with values use ``str.format`` placeholders (``{name}``), so a translation may put the
values in another order.
"""

from __future__ import annotations

import gettext
import io
import locale
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates

__all__ = [
    "DEFAULT",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Translator",
    "catalogue_path",
    "is_language",
    "organiser_language",
    "translator",
]

Language = Literal["en", "sv", "pl"]
LANGUAGES: tuple[str, ...] = ("en", "sv", "pl")
DEFAULT = "en"
DOMAIN = "planner"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENV = "PLANNER_LANG"

_BABEL_LOCALE = {"en": "en_GB", "sv": "sv_SE", "pl": "pl_PL"}
"""en_GB rather than en_US: a 24-hour clock and weeks from Monday, as the product uses."""


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def is_language(code: str) -> bool:
    return code in LANGUAGES


def catalogue_path(lang: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def _load(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT:
        return gettext.NullTranslations()
    po = catalogue_path(lang, ".po")
    mo = catalogue_path(lang, ".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if not po.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Translator:
    """One language's texts and date formats."""

    language: str
    translations: gettext.NullTranslations

    @property
    def locale(self) -> Locale:
        return Locale.parse(_BABEL_LOCALE[self.language])

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def count(self, singular: str, plural: str, n: int, **values: object) -> str:
        """``ngettext`` with ``{n}`` (grouped the language's way) and ``values`` filled in."""
        return self.ngettext(singular, plural, n).format(n=self.number(n), **values)

    def number(self, n: int) -> str:
        if self.language == DEFAULT:
            return f"{n:,}"
        from babel.numbers import format_decimal

        return format_decimal(n, locale=self.locale)

    def decimal(self, value: float, digits: int = 0) -> str:
        """``value`` with ``digits`` decimals, grouped the language's way (``1,234.5``,
        Swedish ``1 234,5``, Polish ``1234,5``)."""
        if self.language == DEFAULT:
            return f"{value:,.{digits}f}"
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return str(format_decimal(round(value, digits), pattern, locale=self.locale))

    def percent(self, value: float, digits: int = 2) -> str:
        """A share as a percentage: ``12.34%``, Swedish ``12,34 %``, Polish ``12,34%``."""
        if self.language == DEFAULT:
            return f"{value:.{digits}%}"
        from babel.numbers import format_percent

        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return str(format_percent(value, pattern, locale=self.locale))

    def first_weekday(self) -> int:
        """0 = Monday (Babel's convention)."""
        return int(self.locale.first_week_day)

    def format_datetime(
        self, instant: datetime, zone: ZoneInfo | str, format: str = "EEE d MMM y, HH:mm"
    ) -> str:
        """``instant`` in ``zone`` (the reader's own), in this language's words."""
        tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        return str(babel_dates.format_datetime(instant, format, tzinfo=tz, locale=self.locale))

    def format_date(self, day: date, format: str = "d MMM y") -> str:
        return str(babel_dates.format_date(day, format, locale=self.locale))

    def format_time(
        self, instant: datetime | time, zone: ZoneInfo | str | None = None, format: str = "HH:mm"
    ) -> str:
        tz = None if zone is None else zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        return str(babel_dates.format_time(instant, format, tzinfo=tz, locale=self.locale))


@cache
def translator(lang: str | None = None) -> Translator:
    """The translator for ``lang`` (``None``, or a code we do not speak: English)."""
    code = lang if lang in LANGUAGES else DEFAULT
    assert code is not None
    return Translator(code, _load(code))


def _from_locale_name(name: str) -> str | None:
    """``sv_SE.UTF-8`` -> ``sv``; ``C``/``POSIX``/other languages -> None."""
    code = name.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def organiser_language(
    explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The organiser's language: ``--lang``, else ``PLANNER_LANG``, else the OS locale
    (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English. An unknown code is English."""
    env = os.environ if environ is None else environ
    if explicit:
        return explicit if explicit in LANGUAGES else DEFAULT
    if env.get(ENV):
        return _from_locale_name(env[ENV]) or DEFAULT
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return _from_locale_name(value) or DEFAULT
    if environ is None:
        try:
            current = locale.getlocale(locale.LC_MESSAGES)[0]
        except (AttributeError, ValueError):  # pragma: no cover - platforms without it
            current = None
        if current:
            return _from_locale_name(current) or DEFAULT
    return DEFAULT
