"""The rule ledger is complete: every rule id of ``docs/rules.md`` has all of its pieces.

A rule id in the docs needs a ledger entry, a model module of ``planner.solve.rules`` that
declares it (exactly one, the ledger's family), a verifier function, a wording, an anchor in
the docs, and its own feasible/infeasible cases in ``test_rule_cases``. Adding a rule to
the docs without any of these, or a module claiming a rule the ledger does not know, fails.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from planner.solve import explain, ledger, verify
from planner.solve.rules import MODULES
from tests.solve.test_rule_cases import CASES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def doc_rule_ids() -> list[str]:
    """The rule ids ``docs/rules.md`` defines: the bold names of its rule bullets."""
    ids: list[str] = []
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        m = re.match(r"- (?:<a id=\"[^\"]+\"></a>)*\*\*([a-z_ /]+)\*\*:", line)
        if m:
            ids.extend(x.strip() for x in m.group(1).split("/"))
    return [i for i in ids if i not in ("grid",)]


def doc_anchors() -> set[str]:
    return set(re.findall(r'<a id="([^"]+)"></a>', DOCS.read_text(encoding="utf-8")))


def test_docs_and_ledger_list_the_same_rules() -> None:
    ids = doc_rule_ids()
    assert len(ids) == len(set(ids)) == 20
    assert set(ids) == set(ledger.HARD_RULES)


@pytest.mark.parametrize("rule", doc_rule_ids())
def test_rule_has_every_piece(rule: str) -> None:
    spec = ledger.BY_ID[rule]
    # A model module that declares it, the one the ledger names.
    owners = [m.__name__.rsplit(".", 1)[1] for m in MODULES if rule in getattr(m, "RULES", ())]
    assert owners == [spec.family]
    module = importlib.import_module(f"planner.solve.rules.{spec.family}")
    assert callable(module.build)
    # A verifier function of its own, registered under its id.
    fn = verify.RULES[rule]
    assert fn.__name__ == f"rule_{rule}"
    # A wording the explanations use, with the session list in it.
    assert "{s}" in spec.wording
    assert explain._DETAILS[rule]("lunch#1") == spec.wording.format(s="lunch#1")
    # An anchor in the docs.
    assert spec.anchor in doc_anchors()
    # Its own just-feasible / just-infeasible cases (and so its mutation gate).
    assert CASES.get(rule)


def test_modules_claim_only_ledger_rules() -> None:
    claimed = [r for m in MODULES for r in getattr(m, "RULES", ())]
    assert sorted(claimed) == sorted(ledger.HARD_RULES)


def test_verifier_checks_exactly_the_ledger() -> None:
    assert tuple(verify.RULES) and set(verify.RULES) == set(ledger.HARD_RULES)
    assert verify.HARD_RULES == ledger.HARD_RULES


def test_privacy_classes() -> None:
    assert {"time_off", "busy"} == ledger.PRIVATE_RULES
    assert {"time_off", "busy", "opted_out"} == ledger.HIDDEN_RULES
    from planner.solve import conflicts

    assert conflicts.PRIVATE_RULES == ledger.HIDDEN_RULES
