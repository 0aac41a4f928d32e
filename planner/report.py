"""The programme report (SPEC §5): what the rounds achieved, for sharing. It names nobody.

Figures per round, from what each closed round recorded (``planner.rounds``); a round still
running shows what it has so far (sessions that have ended, invited and not declined):

* ``sessions_held``: held sessions with at least one attendee — a count of sessions;
* ``people_opted_in`` / ``people_reached``: people with a ``yes`` / who attended something;
* ``yes_answers`` / ``yes_placed``: ``yes`` answers, and those whose person attended a
  session of that activity;
* ``meetings[i][j]``: distinct pairs of attendees from departments i and j (i = j: within
  one) who shared a held session; ``new_cross_department_pairs``: such pairs across two
  departments that had not shared a session in any earlier round; ``repeat_pairs``: pairs
  (any departments) that had;
* ``min_queue_margin``: per queue, the fewest members on duty beyond ``min_on_duty`` at any
  moment of a held session (a staffing figure, not a count of attendees).

Privacy (invariant 8): every count of people, answers or pairs from 1 to
``policy.report_min_count`` − 1 (default 3) is written ``null`` (CSV ``<3``, HTML "fewer
than 3"); 0 is shown, it is nobody. Session counts, round numbers, horizons and queue
margins are not suppressed. Person ids, names and addresses never enter the report.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

from planner.domain.errors import InputError
from planner.domain.models import Policy, Team
from planner.files import refuse_target, write_private
from planner.rounds import live_facts
from planner.store import Workspace

__all__ = ["FORMATS", "build_report", "render", "write_report"]

Format = Literal["json", "csv", "html"]
FORMATS: tuple[Format, ...] = ("json", "csv", "html")
FIGURES = (
    "sessions_held",
    "people_opted_in",
    "people_reached",
    "yes_answers",
    "yes_placed",
    "new_cross_department_pairs",
    "repeat_pairs",
)


def team_and_policy(ws: Workspace) -> tuple[Team, Policy]:
    """The two small documents the report needs, without loading (and validating) every
    person and activity of the scenario: at L that alone took longer than the report."""
    from sqlalchemy import select

    from planner.store import schema as t

    with ws.read() as conn:
        docs = dict(
            conn.execute(
                select(t.documents.c.name, t.documents.c.data).where(
                    t.documents.c.name.in_(("team", "policy"))
                )
            ).all()
        )
    if "team" not in docs:
        return ws.load_scenario().team, Policy()  # raises the workspace's own message
    return Team.model_validate(docs["team"]), Policy.model_validate(docs.get("policy") or {})


def _pairs(data: dict[str, Any]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for s in data.get("sessions", []):
        if s.get("held"):
            out.update(combinations(sorted(set(s["attended"])), 2))
    return out


def build_report(
    ws: Workspace, *, rounds: int | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The report as SPEC §5's JSON; ``rounds`` keeps the last N rounds."""
    now = now or datetime.now(UTC)
    team, policy = team_and_policy(ws)
    k = policy.report_min_count

    def sup(n: int) -> int | None:
        return None if 0 < n < k else n

    rows = ws.round_rows()
    facts: list[dict[str, Any]] = []
    for row in rows:
        if row.data is not None:
            facts.append(row.data)
        else:  # the round still running: what happened so far
            facts.append(live_facts(ws, now, held_only=True))
    first = max(0, len(rows) - rounds) if rounds else 0
    departments = sorted(
        {d for data in facts[first:] for d in data.get("departments", {}).values()}
    )
    index = {d: i for i, d in enumerate(departments)}
    met_before: set[tuple[str, str]] = set()
    out_rounds: list[dict[str, Any]] = []
    reached_ever: set[str] = set()
    opted_ever: set[str] = set()
    new_cross_total = 0
    for number, (row, data) in enumerate(zip(rows, facts, strict=True)):
        dept = data.get("departments", {})
        pairs = _pairs(data)
        held = [s for s in data.get("sessions", []) if s.get("held") and s["attended"]]
        reached = {p for s in held for p in s["attended"]}
        attended_activity = {(p, s["activity"]) for s in held for p in s["attended"]}
        opted = data.get("opted_in", {})
        yes = [(p, a) for p, acts in opted.items() for a in acts]
        # Set operations and one count per department pair: at L, 12 rounds hold a few
        # hundred thousand pairs, and a Python step per pair and figure added up.
        new_cross = [p for p in pairs - met_before if dept.get(p[0]) != dept.get(p[1])]
        repeats = pairs & met_before
        met_before |= pairs
        if number < first:
            continue
        n = len(departments)
        matrix = [[0] * n for _ in range(n)]
        at = {p: index[d] for p, d in dept.items() if d in index}
        for (i, j), count in Counter(
            (at[a], at[b]) for a, b in pairs if a in at and b in at
        ).items():
            matrix[i][j] += count
            if i != j:
                matrix[j][i] += count
        if row.horizon is not None:
            horizon = {"start": row.horizon[0].isoformat(), "end": row.horizon[1].isoformat()}
        else:
            h = team.horizon
            horizon = {"start": h.start.isoformat(), "end": h.end.isoformat()}
        state = (
            "closed"
            if row.state == "closed"
            else ("published" if ws.published_sessions() else "open")
        )
        reached_ever |= reached
        opted_ever |= set(opted)
        new_cross_total += len(new_cross)
        out_rounds.append(
            {
                "round": row.number,
                "horizon": horizon,
                "state": state,
                "sessions_held": len(held),
                "people_opted_in": sup(len(opted)),
                "people_reached": sup(len(reached)),
                "yes_answers": sup(len(yes)),
                "yes_placed": sup(sum(1 for y in yes if y in attended_activity)),
                "new_cross_department_pairs": sup(len(new_cross)),
                "repeat_pairs": sup(len(repeats)),
                "meetings": [[sup(c) for c in line] for line in matrix],
                "min_queue_margin": dict(sorted(data.get("queue_margin", {}).items())),
            }
        )
    return {
        "departments": departments,
        "report_min_count": k,
        "rounds": out_rounds,
        "overall": {
            "rounds": len(out_rounds),
            "people_reached_ever": sup(len(reached_ever)),
            "people_opted_in_ever": sup(len(opted_ever)),
            "new_cross_department_pairs": sup(new_cross_total),
        },
    }


# ------------------------------------------------------------------------------ rendering


def render(report: dict[str, Any], fmt: Format, *, title: str = "") -> str:
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(report)
    return _html(report, title)


def _cell(value: Any, k: int) -> str:
    if value is None:
        return f"<{k}"
    text = str(value)
    # A department named "=HYPERLINK(...)" stays text in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(report: dict[str, Any]) -> str:
    k = report["report_min_count"]
    depts = report["departments"]
    queues = sorted({q for r in report["rounds"] for q in r["min_queue_margin"]})
    cells = [(i, j) for i in range(len(depts)) for j in range(i, len(depts))]
    header = [
        "round",
        "start",
        "end",
        "state",
        *FIGURES,
        *(f"min_queue_margin {q}" for q in queues),
        *(f"meetings {depts[i]} / {depts[j]}" for i, j in cells),
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([_cell(h, k) for h in header])
    for r in report["rounds"]:
        margins = [r["min_queue_margin"].get(q, "") for q in queues]
        writer.writerow(
            [
                _cell(v, k)
                for v in (
                    r["round"],
                    r["horizon"]["start"],
                    r["horizon"]["end"],
                    r["state"],
                    *(r[f] for f in FIGURES),
                    *margins,
                    *(r["meetings"][i][j] for i, j in cells),
                )
            ]
        )
    o = report["overall"]
    writer.writerow(
        [
            "overall",
            "",
            "",
            f"{o['rounds']} rounds",
            "",
            _cell(o["people_opted_in_ever"], k),
            _cell(o["people_reached_ever"], k),
            "",
            "",
            _cell(o["new_cross_department_pairs"], k),
        ]
    )
    return buf.getvalue()


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:60rem;padding:0 1rem;color:#1d2430;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #c9d1dc;padding:.3rem .6rem;text-align:right}
th{background:#eef2f7}td.l,th.l{text-align:left}td.l{white-space:nowrap}
.few{color:#6b7480;font-style:italic}
.heat td{min-width:4.5rem;text-align:center}
.legend span{display:inline-block;width:1rem;height:1rem;vertical-align:middle;margin-right:.3rem}
figure{margin:0}figcaption{color:#4a5563;font-size:.9rem}
"""


def _fmt(value: int | None, k: int) -> str:
    if value is None:
        return f'<span class="few">fewer than {k}</span>'
    return str(value)


def _trend_svg(rounds: Sequence[dict[str, Any]]) -> str:
    width, height, pad = 640, 240, 36
    series = [
        ("people reached", "people_reached", "#1f6feb"),
        ("new cross-department pairs", "new_cross_department_pairs", "#d9480f"),
    ]
    values = [r[key] or 0 for r in rounds for _, key, _ in series]
    top = max([1, *values])
    n = len(rounds)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: int) -> float:
        return height - pad - (height - 2 * pad) * v / top

    parts = [
        f'<svg id="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="trend per round">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'stroke="#8a94a3"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#8a94a3"/>',
        f'<text x="{pad - 6}" y="{pad + 4}" text-anchor="end" font-size="11">{top}</text>',
        f'<text x="{pad - 6}" y="{height - pad + 4}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, r in enumerate(rounds):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - pad + 16}" text-anchor="middle" '
            f'font-size="11">round {r["round"]}</text>'
        )
    for s, (label, key, colour) in enumerate(series):
        points = [(x(i), r[key]) for i, r in enumerate(rounds)]
        # The line breaks at a suppressed round rather than drawing through it.
        runs: list[list[tuple[float, int]]] = [[]]
        for px, v in points:
            if v is None:
                runs.append([])
            else:
                runs[-1].append((px, v))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{px:.1f},{y(v):.1f}" for px, v in run)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
                )
        for px, v in points:
            if v is None:  # suppressed: a hollow marker on the axis, no value
                parts.append(
                    f'<circle cx="{px:.1f}" cy="{height - pad}" r="4" fill="#fff" '
                    f'stroke="{colour}"><title>{label}: fewer than shown</title></circle>'
                )
            else:
                parts.append(
                    f'<circle cx="{px:.1f}" cy="{y(v):.1f}" r="4" fill="{colour}">'
                    f"<title>{label}: {v}</title></circle>"
                )
        parts.append(
            f'<rect x="{pad + 10 + s * 230}" y="8" width="12" height="12" fill="{colour}"/>'
            f'<text x="{pad + 28 + s * 230}" y="18" font-size="12">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _heat_colour(value: int | None, top: int) -> str:
    if value is None:
        return "#e9ecef"
    share = value / top if top else 0
    # from near-white to a deep blue
    r, g, b = (int(247 - (247 - c) * share) for c in (31, 111, 235))
    return f"#{r:02x}{g:02x}{b:02x}"


def _heatmap(report: dict[str, Any], k: int) -> str:
    depts = report["departments"]
    n = len(depts)
    total = [[0] * n for _ in range(n)]
    hidden = [[False] * n for _ in range(n)]
    for r in report["rounds"]:
        for i in range(n):
            for j in range(n):
                v = r["meetings"][i][j]
                if v is None:
                    hidden[i][j] = True
                else:
                    total[i][j] += v
    top = max([1, *(v for line in total for v in line)])
    esc = html.escape
    rows = [
        '<table class="heat" id="heatmap"><tr><th class="l">department</th>'
        + "".join(f"<th>{esc(d)}</th>" for d in depts)
        + "</tr>"
    ]
    for i, d in enumerate(depts):
        cells = []
        for j in range(n):
            v = total[i][j]
            # A cell with a suppressed round is shown as at least its known part.
            text = (f"≥{v}" if v else f"fewer than {k}") if hidden[i][j] else str(v)
            colour = _heat_colour(None if hidden[i][j] and not v else v, top)
            fg = "#fff" if not hidden[i][j] and v > top / 2 else "#1d2430"
            cells.append(
                f'<td data-i="{i}" data-j="{j}" style="background:{colour};color:{fg}">{text}</td>'
            )
        rows.append(f'<tr><th class="l">{esc(d)}</th>{"".join(cells)}</tr>')
    rows.append("</table>")
    return "".join(rows)


def _html(report: dict[str, Any], title: str) -> str:
    k = report["report_min_count"]
    esc = html.escape
    rounds = report["rounds"]
    queues = sorted({q for r in rounds for q in r["min_queue_margin"]})
    head = "".join(
        f"<th>{esc(h)}</th>"
        for h in (
            "round",
            "horizon",
            "state",
            "sessions held",
            "people opted in",
            "people reached",
            "yes answers",
            "yes placed",
            "new cross-department pairs",
            "repeat pairs",
            *(f"min margin {q}" for q in queues),
        )
    )
    body = []
    for r in rounds:
        margins = "".join(f"<td>{r['min_queue_margin'].get(q, '–')}</td>" for q in queues)
        body.append(
            f'<tr><td>{r["round"]}</td><td class="l">{r["horizon"]["start"]} – '
            f'{r["horizon"]["end"]}</td><td class="l">{r["state"]}</td>'
            + "".join(f"<td>{_fmt(r[f], k)}</td>" for f in FIGURES)
            + margins
            + "</tr>"
        )
    o = report["overall"]
    heading = f"Team-building programme — {esc(title)}" if title else "Team-building programme"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>{_CSS}</style></head>
<body>
<h1>{heading}</h1>
<p id="overall">{o["rounds"]} rounds; people reached at least once:
<b>{_fmt(o["people_reached_ever"], k)}</b> of {_fmt(o["people_opted_in_ever"], k)} who
opted in; new cross-department pairs: <b>{_fmt(o["new_cross_department_pairs"], k)}</b>.</p>
<p>Counts of fewer than {k} people or pairs are not shown. The report names nobody.</p>
<h2>Per round</h2>
<table id="figures"><tr>{head}</tr>{"".join(body)}</table>
<h2>Trend</h2>
<figure>{_trend_svg(rounds) if rounds else ""}
<figcaption>People reached and new cross-department pairs, per round.</figcaption></figure>
<h2>Who met whom (department × department, all rounds shown)</h2>
<p>Pairs of attendees from the two departments who shared a held session.</p>
{_heatmap(report, k)}
</body></html>
"""


# ------------------------------------------------------------------------------ writing


def write_report(
    ws: Workspace, out: Path, fmt: str, *, rounds: int | None = None, now: datetime | None = None
) -> Path:
    if fmt not in FORMATS:
        raise InputError.single("--format", f"{fmt!r}: give one of {', '.join(FORMATS)}")
    refuse_target(out, workspace=ws.location)  # before the report is computed
    report = build_report(ws, rounds=rounds, now=now)
    title = team_and_policy(ws)[0].name
    return write_private(out, render(report, fmt, title=title), workspace=ws.location)  # type: ignore[arg-type]
