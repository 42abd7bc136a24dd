"""The pytest plugin run the way a project runs it: pytest in the sample project
(a subprocess), with the built-in tests switched on in its pytest configuration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = """
import os
import uuid

from pytest_postgresql import factories

host, _, port = os.environ["ALEMBIC_GUARD_PG"].partition(":")
postgresql_noproc = factories.postgresql_noproc(
    host=host, port=int(port), user="postgres", dbname=f"shop_{uuid.uuid4().hex[:8]}"
)
postgresql = factories.postgresql("postgresql_noproc")
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    if not os.environ.get("ALEMBIC_GUARD_PG"):
        pytest.skip("needs the PostgreSQL server scripts/setup-databases.sh starts")
    copy = tmp_path / "shop"
    shutil.copytree(ROOT / "sample_project", copy, ignore=shutil.ignore_patterns("*.db"))
    (copy / "conftest.py").write_text(CONFTEST)
    (copy / "pytest.ini").write_text("[pytest]\nalembic_guard_tests = true\n")
    return copy


def run_pytest(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf"],
        cwd=project,
        capture_output=True,
        text=True,
    )


def test_built_in_tests_pass_on_a_sound_project(shop: Path):
    result = run_pytest(shop)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_plugin_is_off_unless_enabled(shop: Path):
    (shop / "pytest.ini").write_text("[pytest]\n")
    result = run_pytest(shop)
    assert result.returncode == 5, result.stdout  # no tests collected


def test_a_broken_downgrade_is_caught_by_the_stairway(shop: Path):
    migration = shop / "migrations" / "versions" / "d27f9e1b4a60_add_customers_phone.py"
    text = migration.read_text()
    broken = text.replace("batch_op.drop_column('phone')", "pass  # forgot to drop it")
    assert broken != text
    migration.write_text(broken)
    result = run_pytest(shop)
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "test_stairway" in result.stdout
    assert (
        "the downgrade of revision d27f9e1b4a60" in result.stdout
        and "does not restore the schema" in result.stdout
        and "column phone only in after the downgrade" in result.stdout
    ), result.stdout
    assert "Traceback" not in result.stdout


def test_a_drifting_model_is_caught(shop: Path):
    models = shop / "shop" / "models.py"
    text = models.read_text()
    drifted = text.replace(
        "    phone: Mapped[str | None] = mapped_column(String(32))",
        "    phone: Mapped[str | None] = mapped_column(String(32))\n"
        "    nickname: Mapped[str | None] = mapped_column(String(40))",
    )
    assert drifted != text
    models.write_text(drifted)
    result = run_pytest(shop)
    assert result.returncode == 1
    assert "test_models_match_database" in result.stdout
    assert "the models do not match the database at head" in result.stdout
    assert "+ column customers.nickname (VARCHAR(40)): in the models, not in the database" in (
        result.stdout
    ), result.stdout


def test_excluded_tables_are_left_out(shop: Path):
    models = shop / "shop" / "models.py"
    models.write_text(
        models.read_text()
        + '\n\nfrom sqlalchemy import Column, Integer, Table\n\nTable("legacy_audit", Base.metadata, Column("id", Integer, primary_key=True))\n'
    )
    (shop / "pytest.ini").write_text(
        "[pytest]\nalembic_guard_tests = true\nalembic_guard_exclude_tables = legacy_*\n"
    )
    result = run_pytest(shop)
    assert result.returncode == 0, result.stdout


def test_an_unsafe_migration_is_caught(shop: Path):
    head = "473d283f4ceb"
    (shop / "migrations" / "versions" / "e1_drop_phone.py").write_text(
        '"""drop customers.phone"""\n'
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        f'revision = "e1"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        "def upgrade():\n"
        '    with op.batch_alter_table("customers") as batch_op:\n'
        '        batch_op.drop_column("phone")\n\n\n'
        "def downgrade():\n"
        '    with op.batch_alter_table("customers") as batch_op:\n'
        '        batch_op.add_column(sa.Column("phone", sa.String(32), nullable=True))\n'
    )
    models = shop / "shop" / "models.py"
    models.write_text(
        models.read_text().replace(
            "    phone: Mapped[str | None] = mapped_column(String(32))\n", ""
        )
    )
    result = run_pytest(shop)
    assert result.returncode == 1
    assert "test_no_unsafe_operations" in result.stdout
    assert "1 unsafe operation(s) in the migrations" in result.stdout
    assert "AG102 drop-column" in result.stdout and "e1_drop_phone.py" in result.stdout
    assert "5 passed" in result.stdout, result.stdout
