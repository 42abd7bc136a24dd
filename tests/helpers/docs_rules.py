"""One docs page per safety rule, made from the rule's own docstring:

    python -m tests.helpers.docs_rules

writes docs/rules/<code>.md, docs/rules/index.md and the rule pages' entries in
mkdocs.yml's nav; tests/safety/test_rule_docs.py fails when they are stale.
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic_guard.safety.rules import Rule, all_rules

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "docs" / "rules"
MKDOCS = ROOT / "mkdocs.yml"
NAV = re.compile(r"(  # begin generated rule pages\n).*?(  # end generated rule pages\n)", re.S)
DIALECTS = {"postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL", "sqlite": "SQLite"}


def dialects(rule: Rule) -> str:
    if not rule.dialects:
        return "all (PostgreSQL, MariaDB/MySQL, SQLite)"
    return ", ".join(DIALECTS.get(d, d) for d in sorted(rule.dialects))


def page(rule: Rule) -> str:
    return "\n".join(
        [
            f"# {rule.code} {rule.name}",
            "",
            rule.summary,
            "",
            "| | |",
            "|---|---|",
            f"| severity | {rule.severity.value} |",
            f"| databases | {dialects(rule)} |",
            "",
            "## Why",
            "",
            rule.why,
            "",
            "## Safe alternative",
            "",
            rule.safe_alternative,
            "",
            "## Example",
            "",
            "```python",
            rule.example,
            "```",
            "",
            "## Allowing it",
            "",
            "In the migration, around the reviewed operation:",
            "",
            "```python",
            "import alembic_guard",
            "",
            f'with alembic_guard.allow("{rule.code}", reason="why it is safe here"):',
            "    ...",
            "```",
            "",
            f'or for the whole revision, `alembic_guard_allow = {{"{rule.code}": "why"}}` at module '
            f'level; for the project, `disable = ["{rule.code}"]` or a `severity` override in the '
            "[settings](../configuration.md).",
            "",
        ]
    )


def index(rules: list[Rule]) -> str:
    lines = [
        "# Safety rules",
        "",
        "Each rule has a stable code: AG0xx what the guard could not check, AG1xx data loss, AG2xx locking and table rewrites, "
        "AG3xx compatibility with the running release, AG4xx raw SQL. An `error` blocks "
        "the upgrade unless allowed; a `warning` is reported. These pages are generated "
        "from the rules' docstrings.",
        "",
        "| code | name | severity | databases | what |",
        "|---|---|---|---|---|",
    ]
    for rule in rules:
        lines.append(
            f"| [{rule.code}]({rule.code.lower()}.md) | {rule.name} | {rule.severity.value} | "
            f"{dialects(rule)} | {rule.summary} |"
        )
    return "\n".join([*lines, ""])


def nav(rules: list[Rule]) -> str:
    lines = ["      - rules/index.md"]
    lines += [f"      - {rule.code} {rule.name}: rules/{rule.code.lower()}.md" for rule in rules]
    return "\n".join(lines) + "\n"


def main() -> None:
    rules = all_rules()
    FOLDER.mkdir(exist_ok=True)
    wanted = {f"{rule.code.lower()}.md": page(rule) for rule in rules} | {"index.md": index(rules)}
    for existing in FOLDER.glob("*.md"):
        if existing.name not in wanted:
            existing.unlink()
    for name, text in wanted.items():
        (FOLDER / name).write_text(text)
    MKDOCS.write_text(NAV.sub(lambda m: m.group(1) + nav(rules) + m.group(2), MKDOCS.read_text()))


if __name__ == "__main__":
    main()
