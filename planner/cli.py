"""The command line: parses arguments, calls the core, renders results and errors.

Results go to stdout, diagnostics to stderr. Exit codes (SPEC §4): 0 success, 1 ``verify``
found violations, 2 invalid input, 3 infeasible, 130 interrupted. A user's mistake is
rendered as ``file: place: reason`` — never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import difflib
import io
import json
import math
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar

from planner import __version__
from planner.domain.errors import InputError, PlannerError
from planner.domain.text import escape_controls
from planner.i18n import N_, Translator, translator

if TYPE_CHECKING:  # the CLI imports heavy modules only in the command that needs them
    from planner.domain.planning import PlanningInput
    from planner.store import Workspace

T = TypeVar("T")

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

_STATUS_WORDS = {
    "optimal": N_("optimal"),
    "feasible": N_("feasible"),
    "infeasible": N_("infeasible"),
    "unknown": N_("unknown"),
}
"""A plan's status in the solve summary (schedule.json keeps the English value)."""


_organiser = translator("en")
"""The organiser's language for the lines translated here (README, "Languages"); set by
:func:`main` from ``--lang``, ``PLANNER_LANG`` or the OS locale. English by default."""


def words() -> Translator:
    """The organiser's language (``words().gettext(...)``, ``words().count(...)``)."""
    return _organiser


def _emit(message: str, stream: TextIO) -> None:
    """The CLI's one output boundary. Messages embed user text (names, ids, paths, an
    ATTENDEE of a reply, a line of a bad file): terminal controls in it (ESC sequences,
    C1 controls such as the 8-bit CSI U+009B, U+2028, bidirectional overrides) are
    written as visible escapes (``\\x1b``), never raw."""
    print(escape_controls(message), file=stream, flush=True)


def err(message: str) -> None:
    _emit(message, sys.stderr)


def out(message: str) -> None:
    _emit(message, sys.stdout)


def out_table(renderable: Any) -> None:
    """A Rich table as plain text through :func:`out`: no markup read from cells (an
    instance file named ``[link=…]``), no styles, controls escaped like every message."""
    from rich.console import Console

    # A piped table (a file, CI log, closing note) keeps full cells instead of folding them
    # into the default 80 columns; a terminal keeps its own width.
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 240
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, markup=False, highlight=False, emoji=False, color_system=None
    )
    console.print(renderable)
    out(buffer.getvalue().rstrip("\n"))


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and a one-line message on usage errors (as it should),
    followed by "did you mean" for an unknown option or an invalid choice (argparse's own
    ``suggest_on_error`` exists only from Python 3.14)."""

    _seen: list[str]

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._seen = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(self._seen, namespace)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        err(f"planner: {message}")
        for hint in self.suggestions(message):
            err(f"planner: {hint}")
        raise SystemExit(EXIT_INPUT)

    def _command_parsers(self) -> list[argparse.ArgumentParser]:
        """This parser and the subcommand's parser named in the arguments seen, if any."""
        parsers: list[argparse.ArgumentParser] = [self]
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = next((a for a in getattr(self, "_seen", []) if a in action.choices), None)
                if chosen is not None:
                    parsers.append(action.choices[chosen])
        return parsers

    def suggestions(self, message: str) -> list[str]:
        hints: list[str] = []
        choice = re.search(r"invalid choice: '?([^'\s]*)'? \(choose from (.*)\)", message)
        if choice:
            options = re.findall(r"'([^']*)'", choice.group(2)) or [
                c.strip() for c in choice.group(2).split(",")
            ]
            best = difflib.get_close_matches(choice.group(1), options, n=1, cutoff=0.6)
            if best:
                hints.append(
                    words()
                    .gettext("{given}: did you mean {known}?")
                    .format(given=repr(choice.group(1)), known=repr(best[0]))
                )
        known = [o for p in self._command_parsers() for a in p._actions for o in a.option_strings]
        for arg in getattr(self, "_seen", []):
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if not name.startswith("-") or name in known or _is_number(name):
                continue
            best = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if best:
                hints.append(
                    words()
                    .gettext("{given}: did you mean {known}?")
                    .format(given=name, known=best[0])
                )
        return hints


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _seconds(text: str) -> float:
    """argparse type: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive number of seconds")
    return value


def _seconds_list(text: str) -> tuple[float, ...]:
    """argparse type: comma-separated seconds, each as :func:`_seconds` takes them."""
    try:
        return tuple(_seconds(c) for c in text.split(","))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds such as 10,60") from None


def _count(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of at least 1")
    return value


def _workspace(text: str) -> str:
    """argparse type: a workspace path or URL; empty (an unset shell variable) is refused
    rather than read as "the default workspace"."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "an empty workspace path; leave --workspace out for the default"
        )
    return text


def _seed(text: str) -> int:
    """argparse type: a random seed CP-SAT accepts (0 to 2**31 - 1)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number from 0 to {2**31 - 1}")
    return value


# ---------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    from planner import service
    from planner.domain.budget import check_memory
    from planner.domain.io import load_scenario

    loaded = load_scenario(Path(args.scenario))
    check_memory(loaded.scenario, args.scenario)  # a plan that cannot fit is refused here
    service.read_calendars(loaded)  # calendar files are validated too
    s = loaded.scenario
    from planner.solve.warnings import scenario_warnings

    for problem in scenario_warnings(s, args.scenario):
        err(f"{problem.source}: {problem.location}: warning: {problem.message}")
    answers = sum(len(a) for a in s.preferences.values())
    t = words()
    out(
        t.gettext(
            "{file}: valid — team {team}, {people}, {activities}, {venues}, {queues}, "
            "{answers}, horizon {start}..{end}"
        ).format(
            file=args.scenario,
            team=repr(s.team.name),
            people=t.count("{n} person", "{n} people", len(s.people)),
            activities=t.count("{n} activity", "{n} activities", len(s.activities)),
            venues=t.count("{n} venue", "{n} venues", len(s.venues)),
            queues=t.count("{n} queue", "{n} queues", len(s.queues)),
            answers=t.count("{n} answer", "{n} answers", answers),
            start=s.team.horizon.start,
            end=s.team.horizon.end,
        )
    )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from planner.domain.models import Scenario

    out(json.dumps(Scenario.model_json_schema(), indent=2))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from planner import service

    with open_workspace(args) as ws:
        result = service.import_files(ws, [Path(f) for f in args.files])
    for line in result.messages:
        out(line)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from planner import service
    from planner.files import refuse_folder

    with open_workspace(args, create=False) as ws:
        # Refused before anything happens (exporting a poll records the round's id).
        if args.what == "invites":
            _refuse_out_dir(Path(args.out), ws)
        elif args.what == "poll" and Path(args.out).is_dir():
            refuse_folder(Path(args.out), patterns=("poll-*.toml",), workspace=ws.location)
        else:
            service.refuse_target(Path(args.out), workspace=ws.location)
        if args.what == "scenario":
            path = service.export_scenario(ws, Path(args.out))
            out(words().gettext("wrote {path}").format(path=path))
        elif args.what == "poll":
            from planner.respond import export_polls_and_mail

            if args.caldav:
                raise InputError.single("--caldav", "polls go out as files or mail, not to CalDAV")
            polls = export_polls_and_mail(ws, Path(args.out), smtp=args.smtp)
            for line in polls.lines(Path(args.out)):
                out(line)
        else:
            from planner.calendar.publish import export_invites

            report = export_invites(
                ws,
                Path(args.out),
                caldav=args.caldav,
                smtp=args.smtp,
                now=service.parse_now(args.now),
            )
            for line in report.lines():
                out(line)
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from planner import service
    from planner.domain.budget import check_memory

    args.started = time.monotonic()  # --time-limit counts from here (see ``_solve``)

    now = service.parse_now(args.now)
    if args.workspace and args.scenario:
        # Both would be ambiguous: which one's invites and history should the plan update?
        raise InputError.single("planner solve", "give a SCENARIO file or --workspace DB, not both")
    if not args.workspace and not args.scenario:
        raise InputError.single("planner solve", "give a SCENARIO file or --workspace DB")
    out_dir = Path(args.out)
    if not args.workspace:
        problem = service.planning_input_from_file(Path(args.scenario), now)
        check_memory(problem.scenario, args.scenario)  # before anything is written
        _refuse_out_dir(out_dir, None)  # an unusable --out is refused before the search
        service.private_dir(out_dir)
        return _solve(args, problem, None, out_dir, now)
    with open_workspace(args, create=False) as ws:
        problem = ws.planning_input(now)
        check_memory(problem.scenario, ws.location)
        _refuse_out_dir(out_dir, ws)
        service.private_dir(out_dir)
        return _solve(args, problem, ws, out_dir, now)


def _refuse_out_dir(out_dir: Path, ws: Workspace | None) -> None:
    """Refuse an output folder holding, where solve or export writes, what is not ours."""
    from planner.calendar.publish import INVITES, TEAM_CALENDAR
    from planner.files import refuse_folder

    where = ws.location if ws is not None else None
    refuse_folder(out_dir, ("schedule.json", TEAM_CALENDAR), workspace=where)
    refuse_folder(out_dir / INVITES, patterns=("*.ics",), workspace=where)


def _solve(
    args: argparse.Namespace,
    problem: PlanningInput,
    ws: Workspace | None,
    out_dir: Path,
    now: datetime,
) -> int:
    """Plan, check, write schedule.json and the invites; the workspace records the plan."""
    from planner import service
    from planner.solve import SolveOptions, SolveProgress
    from planner.solve.pipeline import RoundPlanner

    # ``--time-limit`` covers the whole command: reading, precomputation, search, the
    # explanations, the independent check and writing (issue 17): the clock started with
    # the command, and the check's share is kept aside (``reserve_checks``).
    options = SolveOptions(
        time_limit=args.time_limit,
        workers=args.workers,
        seed=args.seed,
        reserve_checks=True,
        started=args.started,
    )
    planner = RoundPlanner(problem, options)

    last = [0.0]

    def progress(p: SolveProgress) -> None:
        now_t = time.monotonic()
        if now_t - last[0] >= 1.0:
            last[0] = now_t
            t = words()
            err(
                t.gettext(
                    "  objective {objective}  bound {bound}  gap {gap}  {seconds}s  ({plans})"
                ).format(
                    objective=t.decimal(p.objective),
                    bound=t.decimal(p.bound),
                    gap=t.percent(p.gap),
                    seconds=t.decimal(p.elapsed, 1),
                    plans=t.count("{n} plan", "{n} plans", p.solutions),
                )
            )

    planned, interrupted = run_interruptible(lambda: planner.run(progress), planner.stop)
    for v in planned.violations:
        err(f"internal error: {v}")
    planned.refuse_if_broken("nothing was written")
    schedule = planned.schedule
    path = service.write_schedule(schedule, out_dir, workspace=ws.location if ws else None)
    written: list[str] = [str(path)]
    # With a workspace a plan that drops every session still goes out: it cancels invites.
    if schedule.publishable and (schedule.sessions or ws is not None):
        from planner.calendar.publish import publish_plan

        written.extend(
            str(p) for p in publish_plan(problem, schedule, out_dir, workspace=ws, now=now)
        )
    if ws is not None:
        ws.save_plan(schedule, published=schedule.publishable)
    placed = schedule.placed()
    t = words()
    out(
        t.gettext(
            "{status}: {sessions}, {placed} placed, {unplaced} unplaced, {not_held} not held; "
            "objective {objective} (bound {bound}, gap {gap}) in {seconds}s"
        ).format(
            status=t.gettext(_STATUS_WORDS.get(schedule.status.value, schedule.status.value)),
            sessions=t.count("{n} session", "{n} sessions", len(schedule.sessions)),
            placed=t.count("{n} person", "{n} people", len(placed)),
            unplaced=t.count("{n} opt-in", "{n} opt-ins", len(schedule.unplaced)),
            not_held=t.count("{n} session", "{n} sessions", len(schedule.not_held)),
            objective=t.decimal(schedule.objective.value),
            bound=t.decimal(schedule.objective.bound),
            gap=t.percent(schedule.objective.gap),
            seconds=t.decimal(schedule.solve_seconds, 1),
        )
    )
    if len(written) > 1:
        out(
            t.ngettext(
                "wrote {path} and {n} calendar files",
                "wrote {path} and {n} calendar files",
                len(written) - 1,
            ).format(path=written[0], n=len(written) - 1)
        )
    else:
        out(t.gettext("wrote {path}").format(path=written[0]))
    if not interrupted:
        _warn_if_late(args, len(problem.scenario.people))
    if schedule.status.value == "infeasible":
        for c in schedule.conflicts:
            err(f"conflict: {', '.join(c.rules)}: {c.detail}")
        return EXIT_INFEASIBLE
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def _warn_if_late(args: argparse.Namespace, people: int) -> None:
    """Say so when ``solve`` took longer than ``--time-limit`` promises: below a floor
    (reading, the tables, the greedy plan, checking and writing; about 12-13 s at 10,000
    people on a quiet 2-core machine) the greedy plan is still the answer, but late."""
    from planner.solve.engine import promised_seconds

    elapsed = time.monotonic() - args.started
    promised = promised_seconds(args.time_limit)
    if elapsed <= promised:
        return
    t = words()
    err(
        t.gettext(
            "warning: took {seconds} s, more than the {promised} s --time-limit {limit} "
            "promises: for {people} reading, the first plan, the check and writing alone "
            "take that long here"
        ).format(
            seconds=t.decimal(elapsed, 1),
            promised=t.decimal(promised, 1),
            limit=t.decimal(args.time_limit, 0 if float(args.time_limit).is_integer() else 1),
            people=t.count("{n} person", "{n} people", people),
        )
    )


def run_interruptible(work: Callable[[], T], stop: Callable[[], None]) -> tuple[T, bool]:
    """Run ``work`` in a thread; Ctrl+C calls ``stop`` and waits for the best result so far."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # re-raised in the main thread
            box["error"] = exc
        finally:
            done.set()

    # An Event, not Thread.join: a KeyboardInterrupt inside join() can leave the thread
    # looking finished while it still runs.
    thread = threading.Thread(target=target, name="planner-solve", daemon=True)
    interrupted = False
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        thread.start()
        while not done.is_set():
            try:
                done.wait(0.1)
            except KeyboardInterrupt:
                if not interrupted:
                    interrupted = True
                    err(
                        words().gettext(
                            "interrupted: stopping the search and keeping the best plan so far…"
                        )
                    )
                stop()
    finally:
        signal.signal(signal.SIGINT, previous)
    if "error" in box:
        raise box["error"]
    return box["value"], interrupted


def cmd_verify(args: argparse.Namespace) -> int:
    from planner import service
    from planner.solve.verify import load_schedule, verify

    problem = service.planning_input_from_file(Path(args.scenario), service.parse_now(args.now))
    schedule = load_schedule(Path(args.schedule))
    violations = verify(problem, schedule)
    for v in violations:
        out(v.render())
    t = words()
    if violations:
        err(
            t.ngettext("{n} violation(s)", "{n} violation(s)", len(violations)).format(
                n=len(violations)
            )
        )
        return EXIT_VIOLATIONS
    checked = t.count("{n} session", "{n} sessions", len(schedule.sessions))
    out(
        t.gettext("{file}: no violations ({sessions} checked)").format(
            file=args.schedule, sessions=checked
        )
    )
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from planner import service
    from planner.solve import PlanSolver, SolveOptions
    from planner.solve.explain import explain_person, explain_session, render_explanations
    from planner.solve.verify import load_schedule

    if (args.person is None) == (args.session is None):
        raise InputError.single(args.scenario, "give exactly one of --person and --session")
    if args.session is not None and args.activity:
        raise InputError.single(args.scenario, "--activity goes with --person only", "--activity")
    problem = service.planning_input_from_file(Path(args.scenario), service.parse_now(args.now))
    if args.person is not None and args.person not in {p.id for p in problem.scenario.people}:
        raise InputError.single(args.scenario, f"unknown person {args.person!r}", "--person")
    if args.activity and args.activity not in {a.id for a in problem.scenario.activities}:
        raise InputError.single(args.scenario, f"unknown activity {args.activity!r}", "--activity")
    if args.schedule:
        schedule = load_schedule(Path(args.schedule))
    else:
        options = SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed)
        schedule = PlanSolver(problem, options).solve().schedule
    if args.session is not None:
        try:
            lines = explain_session(problem, schedule, args.session)
        except InputError as exc:
            source = args.schedule or args.scenario
            raise InputError.single(source, exc.problems[0].message, "--session") from None
        out("\n".join(lines))
        return EXIT_OK
    # What a participant may be shown: in their language (else the team's); --lang wins.
    person = next(p for p in problem.scenario.people if p.id == args.person)
    lang = args.lang or problem.scenario.person_language(person)
    explanations = explain_person(problem, schedule, args.person, args.activity, language=lang)
    out(render_explanations(problem, schedule, args.person, explanations, language=lang))
    return EXIT_OK


def cmd_price(args: argparse.Namespace) -> int:
    """What a limit costs (issue 19): the gain of relaxing each negotiable limit by one step."""
    from planner import service
    from planner.domain.budget import check_memory
    from planner.files import refuse_target

    now = service.parse_now(args.now)
    if args.workspace and args.scenario:
        raise InputError.single("planner price", "give a SCENARIO file or --workspace DB, not both")
    if not args.workspace and not args.scenario:
        raise InputError.single("planner price", "give a SCENARIO file or --workspace DB")
    if not args.workspace:
        problem = service.planning_input_from_file(Path(args.scenario), now)
        check_memory(problem.scenario, args.scenario)
        if args.json:
            refuse_target(Path(args.json))  # an unusable --json is refused before the search
        return _price(args, problem, None)
    with open_workspace(args, create=False) as ws:
        problem = ws.planning_input(now)
        check_memory(problem.scenario, ws.location)
        if args.json:
            refuse_target(Path(args.json), workspace=ws.location)
        return _price(args, problem, ws.location)


def _price(args: argparse.Namespace, problem: PlanningInput, workspace: str | None) -> int:
    from rich.table import Table

    from planner.files import write_private
    from planner.solve import SolveOptions
    from planner.solve.price import price

    options = SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    report = price(problem, options)
    if report.status.value not in ("optimal", "feasible"):
        err(f"planner price: no plan to price ({report.status.value}); see `planner solve`")
        return EXIT_INFEASIBLE
    out(
        f"current plan ({report.status.value}"
        + ("" if report.proven else ", not proven optimal: gains are over this plan")
        + f"): {report.people} people with a yes placed, {report.yes} yes answers placed"
    )
    gains = [p for p in report.prices if p.status == "gain"]
    open_ = [p for p in report.prices if p.status == "unknown"]
    idle = [p for p in report.prices if p.status == "not_binding"]
    if gains:
        table = Table("#", "limit (relaxed by one step)", "gain", "proven", box=None)
        for n, p in enumerate(gains, 1):
            table.add_row(str(n), p.relaxation.label, p.gain_text(), "yes" if p.proven else "no")
        out_table(table)
    elif not open_:
        out("no limit binds: relaxing any one of them places nobody more")
    else:
        out("no gain found")
    if open_:
        out(f"not settled in the time given ({len(open_)}; a longer --time-limit may settle them):")
        for p in open_:
            out(f"  {p.relaxation.label}: {p.gain_text()}")
    if idle:
        out("not binding:")
        for p in idle:
            out(f"  {p.relaxation.label}")
    out("personal availability and people's own limits are never priced")
    if args.json:
        path = write_private(
            Path(args.json),
            json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n",
            workspace=workspace,
        )
        out(f"wrote {path}")
    return EXIT_OK


def _by_leading_number(path: Path) -> tuple[float, str]:
    """50meetings-... before 100meetings-...; a name without a number last."""
    number = re.match(r"\d+", path.name)
    return (int(number.group()) if number else math.inf, path.name)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.meetings:
        from planner.bench.meetings import meetings_table, run_meetings

        if not args.out:
            raise InputError.single("planner bench", "--meetings needs --out SOLVED.json")
        source = Path(args.meetings)
        # A directory of instances gives the side-by-side table; --out is then a directory.
        if source.is_dir():
            instances = sorted(source.glob("*meetings*.json"), key=_by_leading_number)
            targets = [Path(args.out) / f"{p.stem}-solved.json" for p in instances]
        else:
            instances, targets = [source], [Path(args.out)]
        from planner.files import refuse_target

        for target in targets:  # every output refused up front, not after an hour of solving
            refuse_target(target)
        results = []
        for instance, target in zip(instances, targets, strict=True):
            result = run_meetings(
                instance,
                target,
                time_limit=args.time_limit,
                workers=args.workers,
                seed=args.seed,
                progress=err,
            )
            out(result.summary_line())
            results.append(result)
        if len(results) > 1:
            out_table(meetings_table(results))
        return EXIT_OK
    if args.rounds_timing:
        from planner.bench.rounds import run_rounds_timing, timing_table

        size = args.sizes.strip().upper() if args.sizes != "S,M,L" else "L"
        if size not in {"S", "M", "L", "XL"}:
            raise InputError.single("--sizes", f"{args.sizes!r}: give one size (S, M, L or XL)")
        timing = run_rounds_timing(size, args.rounds or 12, seed=args.seed, progress=err)  # type: ignore[arg-type]
        out_table(timing_table(timing))
        return EXIT_OK
    if args.rounds:
        from planner.rounds import simulate

        size = args.sizes.strip().upper() if args.sizes != "S,M,L" else "M"
        if size not in {"S", "M", "L"}:
            raise InputError.single("--sizes", f"{args.sizes!r}: give one size (S, M or L)")
        limit = args.time_limit if args.time_limit != 60.0 else 20.0
        simulate(
            size, args.rounds, time_limit=limit, workers=args.workers, seed=args.seed, progress=out
        )
        return EXIT_OK
    if args.tui:
        from planner.tui.bench import run_tui_bench, tui_table

        tui_sizes = tuple(s.strip().upper() for s in args.sizes.split(",") if s.strip())
        if args.sizes == "S,M,L":
            tui_sizes = ("L",)
        if not tui_sizes or any(s not in {"S", "M", "L", "XL"} for s in tui_sizes):
            raise InputError.single("--sizes", f"{args.sizes!r}: give sizes from S, M, L, XL")
        out_table(tui_table(run_tui_bench(tui_sizes, progress=err)))
        return EXIT_OK
    if args.workspace_scale:
        from rich.table import Table

        from planner.bench.workspace import run_workspace_scale, workspace_table

        header, *lines = workspace_table(run_workspace_scale())
        table = Table(*header)
        for line in lines:
            table.add_row(*line)
        out_table(table)
        return EXIT_OK
    if args.price:
        from planner.bench.price import gain_lines, price_table, run_price_bench

        chosen = args.sizes if args.sizes != "S,M,L" else "M,L"
        priced: tuple[Any, ...] = tuple(s.strip().upper() for s in chosen.split(",") if s.strip())
        if not priced or any(s not in {"S", "M", "L", "XL"} for s in priced):
            raise InputError.single("--sizes", f"{args.sizes!r}: give sizes from S, M, L, XL")
        price_rows = run_price_bench(priced, seed=args.seed, workers=args.workers, progress=err)
        out_table(price_table(price_rows))
        for gain in gain_lines(price_rows):
            out(gain)
        return EXIT_OK
    if args.scale:
        from planner.bench.scale import run_scale

        out(run_scale().line())
        return EXIT_OK
    from planner.bench.table import bench_table, run_bench

    sizes = tuple(s.strip().upper() for s in args.sizes.split(",") if s.strip())
    if not sizes or any(s not in {"S", "M", "L", "XL"} for s in sizes):
        raise InputError.single("--sizes", f"{args.sizes!r}: give sizes from S, M, L, XL, e.g. S,M")
    rows = run_bench(
        sizes, seed=args.seed, workers=args.workers, checkpoints=args.checkpoints, progress=err
    )
    out_table(bench_table(rows))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from planner.store import data_home

    path = Path(args.workspace) if args.workspace else data_home() / "demo.db"
    ws = ensure_demo_workspace(path)
    if args.no_tui:
        s = ws.load_scenario()
        t = words()
        out(
            t.gettext("demo workspace {path}: {people}, {activities}").format(
                path=path,
                people=t.count("{n} person", "{n} people", len(s.people)),
                activities=t.count("{n} activity", "{n} activities", len(s.activities)),
            )
        )
        ws.close()
        return EXIT_OK
    ws.close()
    return run_tui(str(path), args.time_limit)


def ensure_demo_workspace(path: Path) -> Any:
    from planner.demo import demo_scenario
    from planner.store import Workspace

    ws = Workspace.open(path)
    with ws.write():  # checked and created under one lock: two demos at once make one
        if not ws.has_scenario():
            ws.save_scenario(demo_scenario(), {}, label="create demo")
    return ws


def cmd_tui(args: argparse.Namespace) -> int:
    from planner.store import default_workspace_path

    return run_tui(args.workspace or str(default_workspace_path()), args.time_limit)


def run_tui(workspace: str, time_limit: float | None = None) -> int:
    from planner.tui.app import DEFAULT_TIME_LIMIT, make_app

    app = make_app(
        workspace, time_limit=time_limit or DEFAULT_TIME_LIMIT, language=words().language
    )
    app.run()
    return int(app.return_code or 0)


def cmd_respond(args: argparse.Namespace) -> int:
    from planner.tui.respond import run_respond

    return run_respond(
        Path(args.poll),
        person=args.as_,
        calendars=[Path(c) for c in args.calendar],
        out=Path(args.out) if args.out else None,
        language=_chosen_language(args),
    )


def _chosen_language(args: argparse.Namespace) -> str | None:
    """``--lang``, else ``PLANNER_LANG``: a language chosen on purpose (None: not chosen)."""
    import os

    from planner.i18n import organiser_language

    if getattr(args, "lang", None) or os.environ.get("PLANNER_LANG"):
        return organiser_language(getattr(args, "lang", None))
    return None


def cmd_round(args: argparse.Namespace) -> int:
    from planner import rounds, service

    allowed = {"list": set(), "close": {"now", "absent", "force"}}.get(
        args.action, {"horizon", "fresh_answers"}
    )
    for option in ("now", "absent", "force", "horizon", "fresh_answers"):
        if getattr(args, option) not in (None, False) and option not in allowed:
            flag = "--" + option.replace("_", "-")
            raise InputError.single(f"planner round {args.action}", f"{flag} is not an option here")
    with open_workspace(args, create=False) as ws:
        if args.action == "list":
            for summary in rounds.list_rounds(ws):
                out(summary.line())
        elif args.action == "close":
            now = service.parse_now(args.now)
            result = rounds.close_round(
                ws, now=now, absent=Path(args.absent) if args.absent else None, force=args.force
            )
            for line in result.lines():
                out(line)
        else:
            if not args.horizon:
                raise InputError.single("planner round new", "give --horizon START..END")
            opened = rounds.new_round(ws, args.horizon, fresh_answers=args.fresh_answers)
            assert opened.horizon is not None
            start, end = opened.horizon
            kept = "answers cleared" if args.fresh_answers else "standing answers kept"
            out(f"opened round {opened.number}: {start}..{end} ({kept}; export the new poll)")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from planner.report import write_report

    with open_workspace(args, create=False) as ws:
        path = write_report(ws, Path(args.out), args.format, rounds=args.rounds)
    out(words().gettext("wrote {path}").format(path=path))
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    from planner import rounds

    with open_workspace(args, create=False) as ws:
        opened = len(ws.warnings)
        counts = rounds.forget(ws, args.person)
        notes = ws.warnings[opened:]  # what the clean-up afterwards could not do
    gone = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    out(f"forgot {args.person}: {gone or 'nothing else was stored'}")
    for note in notes:
        err(f"note: {note}")
    return EXIT_OK


def cmd_workspace(args: argparse.Namespace) -> int:
    from planner.store import copy as store_copy
    from planner.store import schema

    if args.action == "upgrade":
        before, after = store_copy.upgrade(args.db)
        shown = store_copy.shown(args.db)
        if before == after:
            out(f"{shown}: already at schema {schema.SCHEMA_VERSION} (revision {after})")
        else:
            out(f"{shown}: upgraded from revision {before} to {after}")
        return EXIT_OK
    counts = store_copy.copy(args.src, args.dst)
    out(
        f"copied {store_copy.shown(args.src)} to {store_copy.shown(args.dst)}: "
        f"{sum(counts.values())} rows in {len(counts)} tables"
    )
    return EXIT_OK


def open_workspace(args: argparse.Namespace, *, create: bool = True) -> Any:
    from planner.store import Workspace, default_workspace_path

    ws = Workspace.open(args.workspace or default_workspace_path(), create=create)
    for warning in ws.warnings:
        err(f"warning: {warning}")
    return ws


# ---------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="planner",
        description="Boundary-aware team-building planner: opt-in activities, CP-SAT plans, invites.",
    )
    parser.add_argument("--version", action="version", version=f"planner {__version__}")
    parser.add_argument(
        "--workspace", type=_workspace, help="workspace file (default: in the user data dir)"
    )
    parser.add_argument(
        "--lang",
        choices=["en", "sv", "pl"],
        help="en, sv or pl: the organiser's language where translated (default: PLANNER_LANG, "
        "else the OS locale, else English); for respond and explain --person, the reader's "
        "(default: the poll's / the person's)",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    def workspace_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--workspace", type=_workspace, default=argparse.SUPPRESS, help="workspace file or URL"
        )

    def solver_opts(
        p: argparse.ArgumentParser, time_limit: float | None, limit_help: str | None = None
    ) -> None:
        p.add_argument(
            "--time-limit",
            type=_seconds,
            default=time_limit,
            help=limit_help or "seconds (default %(default)s)",
        )
        p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
        p.add_argument("--workers", type=_count, default=2, help="solver threads (default 2)")

    p = add("validate", cmd_validate, "check a scenario file; report every problem")
    p.add_argument("scenario")
    add("schema", cmd_schema, "print the JSON Schema of scenario files")
    p = add("import", cmd_import, "import scenarios, roster CSVs, responses and RSVP replies")
    p.add_argument("files", nargs="+")
    workspace_opt(p)
    p = add("export", cmd_export, "write the scenario, the poll or the invites")
    p.add_argument("what", choices=["scenario", "poll", "invites"])
    p.add_argument(
        "--out",
        required=True,
        help="file (scenario) or directory (poll: poll-<person-id>.toml for each; invites)",
    )
    p.add_argument("--caldav", help="also store the events on this CalDAV collection URL")
    p.add_argument(
        "--smtp", help="also mail through HOST:PORT (invites: iMIP; poll: each person their own)"
    )
    p.add_argument("--now", help="ISO date-time used as DTSTAMP (default: now)")
    workspace_opt(p)
    p = add("solve", cmd_solve, "plan: write schedule.json, invites and the team calendar")
    p.add_argument("scenario", nargs="?")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--now", help="ISO date-time for min_notice (default: now)")
    solver_opts(p, 30.0)
    workspace_opt(p)
    p = add("verify", cmd_verify, "check a schedule against every hard rule")
    p.add_argument("scenario")
    p.add_argument("schedule")
    p.add_argument("--now", help="ISO date-time for min_notice (default: now)")
    p = add("explain", cmd_explain, "why someone was or was not placed, or a session not held")
    p.add_argument("scenario")
    p.add_argument("--person", help="explain one person (times in their zone)")
    p.add_argument(
        "--session", help="explain one session: a held session's id or ACTIVITY#N not held"
    )
    p.add_argument("--activity", help="with --person: only this activity")
    p.add_argument("--schedule", help="explain this schedule.json instead of planning anew")
    p.add_argument("--now", help="ISO date-time for min_notice (default: now)")
    solver_opts(p, 10.0)
    p = add("price", cmd_price, "what a limit costs: the gain of relaxing each limit by one step")
    p.add_argument("scenario", nargs="?")
    p.add_argument("--json", help="also write the report as JSON to this file")
    p.add_argument("--now", help="ISO date-time for min_notice (default: now)")
    solver_opts(p, 60.0, "seconds for the whole report (default %(default)s)")
    workspace_opt(p)
    p = add(
        "bench", cmd_bench, "benchmark against the greedy baselines, or solve a meeting instance"
    )
    p.add_argument("--sizes", default="S,M,L", help="comma-separated sizes from S, M, L, XL")
    p.add_argument(
        "--checkpoints",
        type=_seconds_list,
        default="10,60",
        help="seconds at which to record the gap (default %(default)s)",
    )
    p.add_argument("--meetings", help="an OptaPlanner/Timefold meeting-scheduling JSON instance")
    p.add_argument("--out", help="where --meetings writes the solved instance")
    p.add_argument(
        "--scale", action="store_true", help="time validating and importing 5,000 people"
    )
    p.add_argument(
        "--tui",
        action="store_true",
        help="time the TUI's first paint, first tab views and an answer edit (default size L)",
    )
    p.add_argument(
        "--price",
        action="store_true",
        help="price every limit (default sizes M,L) and re-solve each claimed gain",
    )
    p.add_argument(
        "--rounds",
        type=_count,
        help="run one size's coffee pairing (default M) as N rounds with their history",
    )
    p.add_argument(
        "--rounds-timing",
        action="store_true",
        help="time 'round close' and 'report' on one size (default L) over --rounds (12) rounds",
    )
    p.add_argument(
        "--workspace-scale",
        action="store_true",
        help="the workspace on SQLite and PostgreSQL side by side (5,000 people, 8 editors)",
    )
    solver_opts(p, 60.0, "seconds for --meetings (default %(default)s)")
    p = add("demo", cmd_demo, "open the TUI on the demo workspace (created on first run)")
    p.add_argument(
        "--no-tui", action="store_true", help="create the demo workspace and print a summary"
    )
    tui_limit = "seconds each solve in the TUI may take (default 10; adjustable on the Plan tab)"
    p.add_argument("--time-limit", type=_seconds, default=None, help=tui_limit)
    workspace_opt(p)
    p = add("tui", cmd_tui, "the organiser's terminal UI")
    p.add_argument("--time-limit", type=_seconds, default=None, help=tui_limit)
    workspace_opt(p)
    p = add("respond", cmd_respond, "answer a poll (participant)")
    p.add_argument("poll")
    p.add_argument(
        "--as", dest="as_", help="your person id (optional: it comes from the poll and must match)"
    )
    p.add_argument("--calendar", action="append", default=[], help="your own .ics (read locally)")
    p.add_argument("--out", help="directory for response-<id>.toml (default: the current one)")
    p = add("round", cmd_round, "rounds of the programme: list, close the current, open the next")
    p.add_argument("action", choices=["list", "close", "new"])
    p.add_argument("--now", help="close: ISO date-time the round closes at (default: now)")
    p.add_argument("--absent", help="close: CSV of person,session who did not come")
    p.add_argument(
        "--force", action="store_true", help="close: even with sessions still ahead (not held)"
    )
    p.add_argument("--horizon", help="new: START..END, ISO dates (inclusive)")
    p.add_argument("--fresh-answers", action="store_true", help="new: clear the standing answers")
    workspace_opt(p)
    p = add("report", cmd_report, "the programme report (names nobody)")
    p.add_argument("--rounds", type=_count, help="only the last N rounds")
    p.add_argument("--format", required=True, choices=["json", "csv", "html"])
    p.add_argument("--out", required=True, help="file to write")
    workspace_opt(p)
    p = add("forget", cmd_forget, "erase a person everywhere in the workspace")
    p.add_argument("person")
    workspace_opt(p)
    p = add("workspace", cmd_workspace, "upgrade a workspace, or copy it (SQLite <-> PostgreSQL)")
    actions = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    q = actions.add_parser("upgrade", help="bring a workspace to this planner's schema in place")
    q.add_argument("db", type=_workspace, metavar="DB")
    q = actions.add_parser("copy", help="copy a workspace into a new file or an empty database")
    q.add_argument("src", type=_workspace, metavar="SRC")
    q.add_argument("dst", type=_workspace, metavar="DST")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    global _organiser
    from planner.domain.runtime import collect_less
    from planner.i18n import organiser_language

    collect_less()

    # Before parsing: argparse's "did you mean" hints are in it too (a bad --lang is
    # refused by argparse itself, so the flag is read loosely here).
    listed = list(sys.argv[1:] if argv is None else argv)
    _organiser = translator(organiser_language(_lang_flag(listed)))
    parser = build_parser()
    args = parser.parse_args(listed)
    _organiser = translator(organiser_language(args.lang))  # as argparse read it
    if not getattr(args, "command", None):
        args.func = cmd_tui
        args.time_limit = None
    _workspace_from_environment(args)
    try:
        return int(args.func(args))
    except PlannerError as exc:
        err(str(exc) if isinstance(exc, InputError) else f"planner: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        err(words().gettext("interrupted"))
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `planner schema | head`
        return EXIT_OK


def _lang_flag(argv: Sequence[str]) -> str | None:
    """``--lang sv`` or ``--lang=sv`` among the arguments, read before argparse has parsed
    them (no command has an option of that name; ``--`` ends the options)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _workspace_from_environment(args: argparse.Namespace) -> None:
    """``PLANNER_WORKSPACE`` (a path or URL) is the workspace of every command that takes
    ``--workspace`` and was given none; a SCENARIO file given instead still wins (``solve``,
    ``price``), and the demo keeps its own workspace."""
    env = os.environ.get("PLANNER_WORKSPACE", "").strip()
    if not env or getattr(args, "workspace", None) or getattr(args, "scenario", None):
        return
    if args.func in (cmd_demo, cmd_validate):
        return
    args.workspace = env


def run() -> NoReturn:
    """The ``planner`` command: :func:`main`, then an exit that skips freeing the objects
    one by one — a plan of 10,000 people leaves about a gigabyte of them, and freeing it
    took 0.7 s of ``solve --time-limit``'s promise. The exit handlers still run, and with
    another thread alive (nothing of ours leaves one) the ordinary exit waits for it."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    if threading.active_count() > 1:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
