"""Random mutations of valid files never crash `planner validate` or `planner import`:
each run ends with exit 0 or with exit 2 and a `file: ...` message, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.domain.io import dump_scenario
from planner.store import Workspace
from tests.factories import activity, build, person, scenario_data

SCENARIO = dump_scenario(
    build(
        scenario_data(
            [person("ann", queues=["phone"]), person("bob", "Billing", timezone="Europe/Warsaw")],
            [
                activity(
                    "lunch", venues=["cafe"], windows=[{"days": ["mon"], "time": "11:00-13:00"}]
                )
            ],
            {"ann": {"lunch": "yes"}, "bob": {"lunch": "maybe"}},
            queues=[{"id": "phone", "name": "Phone", "min_on_duty": 1}],
            venues=[{"id": "cafe", "name": "Cafe", "capacity": 10, "provides": ["step-free"]}],
        )
    ),
    "toml",
).encode()
ROSTER = b"name,email,department,queues,timezone\nCy Doe,cy@example.com,Sales,phone,Europe/London\n"
REPLY = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:abc@planner\r\nDTSTAMP:20270201T000000Z\r\nSEQUENCE:0\r\n"
    b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
FILES = {"scenario.toml": SCENARIO, "roster.csv": ROSTER, "reply.ics": REPLY}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(FILES)))
    data = bytearray(FILES[name])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "duplicate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[pos:pos] = draw(
                st.sampled_from(
                    [b"\x00", b"\r\n", b"=", b'"', b"[", b";", b":", b"\xff", b"{}", b"99999999"]
                )
            )
        else:
            end = pos + draw(st.integers(1, 80))
            data[pos:pos] = data[pos:end]
    return name, bytes(data)


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated())
def test_mutated_files_never_crash(case: tuple[str, bytes]) -> None:
    name, content = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = root / "ws.db"
        with Workspace.open(db) as ws:
            ws.save_scenario(build_base(), {})
        path = root / name
        path.write_bytes(content)
        argv = ["import", str(path), "--workspace", str(db)]
        codes = [main(argv)]
        if name.endswith(".toml"):
            codes.append(main(["validate", str(path)]))
        assert set(codes) <= {0, 2}


def build_base():
    import tomllib

    from planner.domain.io import validate_scenario

    return validate_scenario(tomllib.loads(SCENARIO.decode()), "base")


@pytest.fixture(autouse=True)
def _quiet(capsys: pytest.CaptureFixture[str]) -> None:
    """Output is checked by the bad-input table; here only the exit codes matter."""
