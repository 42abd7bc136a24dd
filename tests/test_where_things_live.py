"""docs/contributing.md's "Where things live" names every module of the package, and
its layers are the import-linter contract's (pyproject.toml), in the same order."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "contributing.md").read_text()
SECTION = DOC.split("## Where things live", 1)[1].split("\n### ", 1)[0]


def _modules() -> list[str]:
    package = ROOT / "alembic_guard"
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if path.name == "__init__.py" and relative != "__init__.py":
            continue  # a package's own __init__ is its folder
        if relative.startswith("safety/rules/"):
            continue  # one module per rule: the rule pages list them
        found.append(relative)
    return found


def test_the_map_names_every_module():
    tree = SECTION.split("alembic_guard/\n", 1)[1].split("\ntests/\n", 1)[0]
    listed = set(re.findall(r"^    ([\w/]+\.py)\b", tree, re.M))
    missing = [m for m in _modules() if m not in listed]
    assert not missing, f"add to docs/contributing.md's map: {missing}"
    stale = sorted(m for m in listed if not (ROOT / "alembic_guard" / m).is_file())
    assert not stale, f"no longer in the package: {stale}"


def test_the_layers_table_is_the_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    in_contract = [sorted(re.split(r"\s*[|:]\s*", layer)) for layer in contract["layers"]]
    table = SECTION.split("| layer | modules |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| [^|]+ \| (`.+`) \|$", table, re.M)
    in_doc = [
        sorted(n.removesuffix(".py").rstrip("/") for n in re.findall(r"`([^`]+)`", row))
        for row in rows
    ]
    # the docs put the two command layers (cli, pytest plugin | pytest_tests) in one row
    flattened = [sorted(in_contract[0] + in_contract[1]), *in_contract[2:]]
    assert in_doc == flattened
