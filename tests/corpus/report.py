"""docs/real-histories.md's table: one row per project and database, rendered from a
:class:`~tests.corpus.run.Measurement`.  ``python -m tests.corpus.report RESULTS.jsonl``
prints the table from measurements saved as JSON lines (tests/corpus/test_real_histories.py
writes them when ALEMBIC_GUARD_CORPUS_RESULTS names a file)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping

from tests.corpus.projects import PROJECTS

HEADER = (
    "| project | database | revisions | default `upgrade head` | blocked by | "
    "not recordable (AG001) | warn mode reports | lint reports | stock drift | guard drift |"
)


def counts(counter: Mapping[str, int]) -> str:
    return ", ".join(f"{code}x{n}" for code, n in sorted(counter.items())) or "-"


def version(project: str) -> str:
    from importlib.metadata import version as installed

    distribution = next(p.distribution for p in PROJECTS if p.name == project)
    return installed(distribution)


def row(measured: Mapping[str, object]) -> str:
    def drift(value: object) -> str:
        return "-" if value is None else str(value)

    cells = [
        f"{measured['project']} {version(str(measured['project']))}",
        str(measured["database"]),
        str(measured["revisions"]),
        str(measured["upgrade"]),
        counts(Counter(measured["blocked_by"])),  # type: ignore[arg-type]
        ", ".join(measured["not_recordable"]) or "-",  # type: ignore[arg-type]
        counts(Counter(measured["warn_findings"])),  # type: ignore[arg-type]
        counts(Counter(measured["lint_findings"])),  # type: ignore[arg-type]
        drift(measured["stock_drift"]),
        drift(measured["guard_drift"]),
    ]
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    with open(sys.argv[1]) as results:
        for line in results:
            print(row(json.loads(line)))
