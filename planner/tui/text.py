"""One rendering rule for user text in both TUIs: shown literally, never read as markup.

Textual reads a ``str`` handed to a widget (``Static``, ``Label``, DataTable cells and
column labels, OptionList and Select prompts, ``notify``, the exit message) as content
markup: a person named ``Mallory [/]`` crashed the app (MarkupError), and
``[link=https://evil.example]Ali Haddad[/link]`` showed a fake name over a hidden link. So
user text (names, emails, ids, departments, activity names and descriptions, venue names,
locations, the team name, paths, error messages quoting any of these) reaches a widget only
through this module:

* :func:`literal` — a ``rich.text.Text`` (never parsed; terminal controls made visible);
  :func:`one_line` is the same on one line, for DataTable cells and column labels;
* :func:`assemble` — markup-free composition of our styles with user text, as
  ``Text.assemble`` (parts are plain strings or ``(text, style)`` pairs), never an f-string
  into markup;
* :func:`notify` — a notification whose message is not markup.

The string itself is cleaned by :func:`planner.domain.text.escape_controls` (the rule of
the CLI): an ESC or a C1 control in a file name or an error message does not reach the
terminal raw through the TUI either.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App
from textual.widget import Widget

from planner.domain.text import escape_controls

__all__ = ["assemble", "literal", "notify", "one_line", "plain"]


def plain(text: object) -> str:
    """``text`` as a string safe to show: controls as visible escapes (no markup reading
    happens here; pass the result to :func:`literal` or a ``Text``, never to markup)."""
    return escape_controls(str(text))


def literal(text: object, style: str = "") -> Text:
    """User text as a widget shows it: exactly these characters, brackets included."""
    return Text(plain(text), style=style, end="")


def one_line(text: object, style: str = "") -> Text:
    """User text for a DataTable cell or column label: literal, on one line (as Textual
    shows a ``str`` cell, which it would read as markup)."""
    return Text(plain(text), style=style, end="", no_wrap=True)


def assemble(*parts: str | Text | tuple[str, str]) -> Text:
    """Compose our styling with user text: every string is literal (``("Mallory", "bold")``
    is bold ``Mallory``; ``"[b]x[/b]"`` stays those nine characters)."""
    cleaned: list[str | Text | tuple[str, str]] = []
    for part in parts:
        if isinstance(part, tuple):
            cleaned.append((plain(part[0]), part[1]))
        elif isinstance(part, Text):
            cleaned.append(part)
        else:
            cleaned.append(plain(part))
    return Text.assemble(*cleaned, end="")


def notify(node: Widget | App[Any], message: str, **kwargs: Any) -> None:
    """``node.notify`` with the message shown literally (Textual reads it as markup by
    default). The title is ours (an error's kind), but is cleaned as well."""
    if "title" in kwargs:
        kwargs["title"] = plain(kwargs["title"])
    node.notify(plain(message), markup=False, **kwargs)
