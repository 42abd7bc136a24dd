"""``alembic check`` with the guard wired: one readable line per difference, Alembic's
exit code kept (255 on drift, 0 when clean)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alembic_guard.drift import describe

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC = str(Path(sys.executable).with_name("alembic"))


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """The sample project in a scratch directory, upgraded to head on SQLite."""
    copy = tmp_path / "shop"
    shutil.copytree(ROOT / "sample_project", copy, ignore=shutil.ignore_patterns("*.db"))
    subprocess.run([ALEMBIC, "upgrade", "head"], cwd=copy, check=True, capture_output=True)
    return copy


def alembic_check(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALEMBIC, "check"], cwd=project, capture_output=True, text=True)


def test_clean_database_passes(shop: Path):
    result = alembic_check(shop)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected." in result.stdout


def test_drift_is_one_readable_line_per_difference(shop: Path):
    models = shop / "shop" / "models.py"
    text = models.read_text()
    for old, new in (
        ('CheckConstraint("price > 0"', 'CheckConstraint("price >= 1"'),
        ("    phone: Mapped[str | None]", "    phone_number: Mapped[str | None]"),
        ('label("total")', 'label("grand_total")'),
    ):
        assert old in text
        text = text.replace(old, new)
    models.write_text(text)
    result = alembic_check(shop)
    assert result.returncode == 255
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for line in (
        "~ column customers.phone renamed to phone_number",
        "- CHECK ck_products_price_positive on products: price > 0: in the database, not in the models",
        "+ CHECK ck_products_price_positive on products: price >= 1: in the models, not in the database",
        "~ view order_totals: its definition differs from the database's",
    ):
        assert line in output, output
    assert "CheckConstraint(" not in output and "Column(" not in output


def test_unknown_diff_kinds_fall_back_to_their_raw_form():
    assert describe(("modify_table_comment", None, "t", "a", "b")).startswith(
        "~ modify_table_comment: None, 't'"
    )
