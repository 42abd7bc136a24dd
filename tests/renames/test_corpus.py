"""Precision and recall of rename detection on the corpus, per database."""

from __future__ import annotations

from tests.renames.evaluate import PAGE, figures_line, measure
from tests.renames.rename_scenarios import SCENARIOS


def test_corpus_size():
    assert len(SCENARIOS) >= 40
    assert sum(1 for s in SCENARIOS if not s.expected) >= 12  # look-alikes that are not renames


def test_precision_and_recall(dialect):
    result = measure(dialect.engine)
    assert result.false_positives == 0, "\n".join(result.wrong)
    assert result.precision == 1.0
    assert result.recall >= 0.9, "\n".join(result.wrong)
    assert figures_line(dialect.name, result) in PAGE.read_text(), (
        "docs/renames.md shows other figures; run `python -m tests.renames.evaluate`"
    )


def test_held_out_scenarios(dialect):
    """20 scenarios written by someone who had not read the detector (see the module)."""
    from tests.renames.heldout_scenarios import HELDOUT

    result = measure(dialect.engine, HELDOUT)
    assert result.false_positives == 0, "\n".join(result.wrong)
    assert result.recall >= 0.9, "\n".join(result.wrong)
