"""Four real, public migration histories (tests/corpus/projects.py) on every database each
supports: the guarded default ``upgrade head`` on a fresh database, warn mode, lint of every
revision, and ``alembic check`` with stock Alembic and with the guard on the same schema.

What is measured must be what docs/real-histories.md says, row for row: a change in the
guard that changes a figure changes the docs with it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.corpus.projects import PROJECTS
from tests.corpus.report import row
from tests.corpus.run import CorpusRun, as_record, measure

DOCS = Path(__file__).resolve().parents[2] / "docs" / "real-histories.md"

CASES = [
    pytest.param(project, name, id=f"{project.name}-{name}")
    for project in PROJECTS
    for name in project.dialects
]


def _documented(project: str, database: str) -> str:
    for line in DOCS.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 2 and cells[0].split(" ")[0] == project and cells[1] == database:
            return line.strip()
    raise AssertionError(f"docs/real-histories.md has no row for {project} on {database}")


def _guard_frames(output: str) -> bool:
    """A traceback raised in the guard's own code.  A migration that fails when it really
    runs (the history itself does not run on that database) prints a traceback through the
    guard's wrapper too, as it does through Alembic's: what counts is the innermost frame
    outside the installed libraries."""
    for traceback in output.split("Traceback (most recent call last):")[1:]:
        frames = [
            line
            for line in re.findall(r'^\s*File "([^"]+)"', traceback, re.M)
            if "site-packages/" not in line and not line.startswith("<")
        ]
        if frames and "alembic_guard/" in frames[-1]:
            return True
    return False


@pytest.mark.parametrize("project,dialect", CASES, indirect=["dialect"])
def test_a_real_history(project, dialect, tmp_path):
    run = CorpusRun(project, dialect.name, dialect.url, tmp_path / project.name)
    measured = measure(run)
    saved = os.environ.get("ALEMBIC_GUARD_CORPUS_RESULTS")
    if saved:
        with open(saved, "a") as results:
            results.write(json.dumps(as_record(measured)) + "\n")

    for step, output in measured.outputs.items():
        assert not _guard_frames(output), f"{step}: a traceback through the guard\n{output}"
    # lint judges every file: findings, never a usage or load error
    assert measured.lint_exit in (0, 1), measured.outputs["lint"]
    # where the history reaches head, the check compares the same schema both ways: the
    # guard reports exactly the drift stock Alembic reports, nothing of its own
    if measured.stock_drift is not None:
        assert measured.guard_items == measured.stock_items
    # a revision the pre-flight cannot record is its own finding, and the rest is judged
    assert measured.upgrade != "blocked" or measured.warn_findings
    assert row(as_record(measured)) == _documented(project.name, dialect.name)
