"""Counted nouns, said right: ``plural(1, "session")`` is "1 session", ``plural(2,
"activity")`` "2 activities". The one helper the TUI and the CLI use for every count."""

from __future__ import annotations

IRREGULAR = {"person": "people", "busy block": "busy blocks"}
RECORD_NOUNS = {
    "people": "person",
    "activities": "activity",
    "queues": "queue",
    "venues": "venue",
    "team": "team",
    "policy": "policy",
}
"""A workspace record kind (the plural collection name) -> the noun for one record."""


def plural_of(word: str) -> str:
    """The plural of an English noun (the regular rules and the few irregular ones here)."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the noun, singular for exactly one: "1 session", "0 sessions", "2,000
    people". ``many`` overrides the plural when the rules get it wrong."""
    return f"{n:,} {word if n == 1 else many or plural_of(word)}"


def record_noun(kind: str) -> str:
    """``activities`` -> ``activity`` (the record kinds of the workspace)."""
    return RECORD_NOUNS.get(kind, kind)
