"""Typed errors for user mistakes.

Everything a user hands planner is checked at the edge; a mistake becomes an
:class:`InputError` holding one :class:`Problem` per fault, rendered as
``file: location: message`` and exiting with code 2 — never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_SHOWN = 200
"""Problems rendered at most; the rest become one line "… and N more problems"."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault in one input file."""

    source: str
    """The file (or stream) the fault is in, as the user named it."""
    location: str
    """A dotted path (``people.3 (dana).email``: index and, where the record has one, id),
    ``line 4, column 7``, or empty for the whole file."""
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
    omitted: int = 0
    """Further problems found but not kept (a flood of them was cut short)."""
    exit_code = 2
    title = "Invalid input"

    def __post_init__(self) -> None:
        super().__init__()

    @classmethod
    def single(cls, source: str, message: str, location: str = "") -> InputError:
        return cls([Problem(source, location, message)])

    @classmethod
    def combine(cls, errors: Iterable[InputError]) -> InputError:
        errors = list(errors)
        return cls([p for e in errors for p in e.problems], sum(e.omitted for e in errors))

    @property
    def count(self) -> int:
        """How many problems there are, shown or not."""
        return len(self.problems) + self.omitted

    def shown(self) -> Sequence[Problem]:
        """The problems to show: the first :data:`MAX_SHOWN`."""
        return self.problems[:MAX_SHOWN]

    def more_line(self) -> str:
        """ "… and N more problems" when some are not shown, else ""."""
        more = self.count - len(self.shown())
        return f"… and {more:,} more problem{'s' if more != 1 else ''}" if more > 0 else ""

    def render(self) -> str:
        """Every error list passes here: at most :data:`MAX_SHOWN` lines and a count."""
        lines = [p.render() for p in self.shown()]
        if more := self.more_line():
            lines.append(more)
        return "\n".join(lines)

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
