"""docs/checks-comparison.md is a measurement: re-measure and compare."""

from __future__ import annotations

from tests.compare.byname_table import PAGE, measure, render


def test_docs_table_matches_a_new_measurement(dialect):
    section = render(dialect.name, measure(dialect.engine, dialect.name))
    assert section in PAGE.read_text(), (
        f"docs/checks-comparison.md is out of date for {dialect.name}; "
        "run `python -m tests.compare.byname_table`"
    )
