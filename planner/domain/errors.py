"""Typed errors for user mistakes.

Everything a user hands planner is checked at the edge; a mistake becomes an
:class:`InputError` holding one :class:`Problem` per fault, rendered as
``file: location: message`` and exiting with code 2 — never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault in one input file."""

    source: str
    """The file (or stream) the fault is in, as the user named it."""
    location: str
    """A dotted path (``people.3.email``), ``line 4, column 7``, or empty for the whole file."""
    message: str

    def render(self) -> str:
        parts = [p for p in (self.source, self.location, self.message) if p]
        return ": ".join(parts)


class PlannerError(Exception):
    """Base class of errors planner reports to the user (never a traceback)."""

    exit_code = 1
    title = "Error"


@dataclass
class InputError(PlannerError):
    """Invalid input: nothing was written, nothing lost (exit code 2)."""

    problems: Sequence[Problem] = field(default_factory=list)
    exit_code = 2
    title = "Invalid input"

    def __post_init__(self) -> None:
        super().__init__(self.render())

    @classmethod
    def single(cls, source: str, message: str, location: str = "") -> InputError:
        return cls([Problem(source, location, message)])

    @classmethod
    def combine(cls, errors: Iterable[InputError]) -> InputError:
        return cls([p for e in errors for p in e.problems])

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)

    def __str__(self) -> str:
        return self.render()


class WorkspaceBusy(PlannerError):
    """Another process holds the workspace's write lock longer than we wait."""

    exit_code = 2
    title = "Workspace busy"


class Infeasible(PlannerError):
    """Hard rules contradict each other (exit code 3)."""

    exit_code = 3
    title = "Infeasible"
