"""Hostile text: the characters that must never reach a terminal raw, or a one-line field.

User text (names, ids, file contents quoted in errors, an ATTENDEE of a reply) may carry
terminal control sequences (``ESC [ 31 m`` colours, ``ESC ] 0 ;`` window titles, the
8-bit CSI U+009B), Unicode line and paragraph separators (U+2028, U+2029, U+0085 NEL)
that break lines where no newline is seen, or bidirectional overrides that make text read
differently from what it is (U+202E). Two rules, one place:

* :func:`escape_controls` turns each such character into a visible escape (``\\x1b``,
  ``\\u2028``) before text is written to a terminal (the CLI's output boundary);
* :func:`line_fault` / :func:`text_fault` name the first character a one-line field
  (names, ids, emails, departments, ...) or a multi-line text (descriptions) refuses.
"""

from __future__ import annotations

import re

LINE_BREAKS = "\n\r\v\f\x85\u2028\u2029"
"""Characters that end a line somewhere: ``str.splitlines`` splits on each of them."""

_C0 = r"\x00-\x1f"
_DEL_C1 = r"\x7f-\x9f"
_SEPARATORS = r"\u2028\u2029"
_BIDI = r"\u202a-\u202e\u2066-\u2069"
"""Bidirectional embeddings, overrides and isolates ("Trojan Source", CVE-2021-42574)."""

_TERMINAL_UNSAFE = re.compile(f"[{_C0}{_DEL_C1}{_SEPARATORS}{_BIDI}]")
_BIDI_CHAR = re.compile(f"[{_BIDI}]")
_KEPT_ON_A_TERMINAL = frozenset("\n\t")

_ONE_LINE_REFUSED = re.compile(f"[{_C0}{_DEL_C1}{_SEPARATORS}{_BIDI}]")
_MULTI_LINE_REFUSED = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f{_DEL_C1}{_SEPARATORS}]")
"""A description keeps ``\\n``, ``\\t`` and ``\\r`` (``\\r\\n`` is normalised to ``\\n``)."""


def visible(char: str) -> str:
    """A character as an escape a reader can see: ``\\x1b``, ``\\u2028``."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` safe for a terminal: every control character except newline and tab, DEL,
    the C1 controls, U+2028/U+2029 and the bidirectional controls become visible escapes.
    Everything else (accents, CJK, emoji) is left as it is."""

    def one(match: re.Match[str]) -> str:
        char = match.group()
        return char if char in _KEPT_ON_A_TERMINAL else visible(char)

    return _TERMINAL_UNSAFE.sub(one, text)


def codepoint(char: str) -> str:
    """``U+0085``: how messages name a character."""
    return f"U+{ord(char):04X}"


def _kind(char: str) -> str:
    if char == "\u2028":
        return "a line separator"
    if char == "\u2029":
        return "a paragraph separator"
    if _BIDI_CHAR.fullmatch(char):
        return "a bidirectional control"
    return "a control character"  # C0 (\n, \r, ...), DEL and C1 (U+0085 NEL, U+009B CSI)


def line_fault(text: str) -> str | None:
    """Why ``text`` cannot be a one-line field (``contains a line separator (U+2028)``), or
    ``None``. Refused: every line and paragraph separator, C0 and C1 controls, DEL and the
    bidirectional controls (a name that reads backwards is a spoof, never a name)."""
    match = _ONE_LINE_REFUSED.search(text)
    if match is None:
        return None
    return f"contains {_kind(match.group())} ({codepoint(match.group())})"


def text_fault(text: str) -> str | None:
    """Why ``text`` cannot be a multi-line text (descriptions keep newlines and tabs), or
    ``None``."""
    match = _MULTI_LINE_REFUSED.search(text)
    if match is None:
        return None
    return f"contains {_kind(match.group())} ({codepoint(match.group())})"
