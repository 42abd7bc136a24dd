"""Every rule documents itself, and docs/rules/ shows exactly that."""

from __future__ import annotations

import re

from alembic_guard.safety.rules import all_rules
from tests.helpers import docs_rules


def test_every_rule_is_complete():
    rules = all_rules()
    assert len({r.code for r in rules}) == len(rules)
    for rule in rules:
        assert re.fullmatch(r"AG[0-4]\d\d", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9-]+", rule.name), rule.name
        assert rule.summary and rule.why and rule.safe_alternative and rule.example, rule.code
        assert f'"{rule.code}"' in rule.example or "op." in rule.example, rule.code


def test_rule_pages_are_generated_from_the_rules():
    rules = all_rules()
    for rule in rules:
        page = docs_rules.FOLDER / f"{rule.code.lower()}.md"
        assert page.read_text() == docs_rules.page(rule), (
            f"run `python -m tests.helpers.docs_rules` ({rule.code})"
        )
    assert (docs_rules.FOLDER / "index.md").read_text() == docs_rules.index(rules)
    assert docs_rules.nav(rules) in docs_rules.MKDOCS.read_text()
    names = {p.name for p in docs_rules.FOLDER.glob("*.md")}
    assert names == {"index.md"} | {f"{r.code.lower()}.md" for r in rules}
