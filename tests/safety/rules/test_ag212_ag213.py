"""AG212 lock-timeout-missing, AG213 backfill-under-lock (PostgreSQL only)."""

from __future__ import annotations

import pytest

import alembic_guard
from tests.safety.rules.helpers import TABLE, blocking, of, preflight

pytestmark = pytest.mark.dialects("postgresql")

NO_TIMEOUT = ("guard.lock_timeout=0",)
LOCKING = 'op.add_column("t", sa.Column("w", sa.Integer))\nop.alter_column("t", "v", new_column_name="v2")\nop.create_index("ix_t_s", "t", ["s"])'


def test_ag212_blocks_once_per_revision(dialect, guarded_project):
    findings = of(preflight(guarded_project, LOCKING, x=NO_TIMEOUT), "AG212")
    assert len(findings) == 1 and findings[0].blocks
    assert findings[0].operation == "AddColumn(t.w)"
    assert "revision r2 locks t (ACCESS EXCLUSIVE) with no lock_timeout set" in findings[0].message


def test_ag212_passes_when_the_guard_sets_lock_timeout(dialect, guarded_project):
    assert not of(preflight(guarded_project, LOCKING), "AG212")


def test_ag212_passes_when_the_migration_sets_lock_timeout(dialect, guarded_project):
    body = f"op.execute(\"SET lock_timeout = '5s'\")\n{LOCKING}"
    assert not of(preflight(guarded_project, body, x=NO_TIMEOUT), "AG212")


def test_ag212_ignores_new_tables_and_concurrent_indexes(dialect, guarded_project):
    body = "\n".join(
        [
            'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True))',
            'op.add_column("n", sa.Column("w", sa.Integer))',
            "with op.get_context().autocommit_block():",
            '    op.create_index("ix_t_v", "t", ["v"], postgresql_concurrently=True)',
        ]
    )
    assert not of(preflight(guarded_project, body, x=NO_TIMEOUT), "AG212")


def test_ag212_reads_raw_alter_table(dialect, guarded_project):
    findings = of(
        preflight(
            guarded_project, 'op.execute("ALTER TABLE t ADD COLUMN w integer")', x=NO_TIMEOUT
        ),
        "AG212",
    )
    assert len(findings) == 1 and "locks t (ACCESS EXCLUSIVE)" in findings[0].message


ADD = 'op.add_column("t", sa.Column("w", sa.Integer))'


def test_ag213_blocks_a_backfill_under_the_lock(dialect, guarded_project):
    body = f'{ADD}\nop.execute("UPDATE t SET w = v")'
    findings = of(preflight(guarded_project, body), "AG213")
    assert len(findings) == 1 and findings[0].blocks
    assert (
        "runs UPDATE t SET w = v while the transaction holds the ACCESS EXCLUSIVE lock on t it took at line"
        in findings[0].message
    )


def test_ag213_reads_update_constructs(dialect, guarded_project):
    body = f'{ADD}\nt = sa.table("t", sa.column("v"), sa.column("w"))\nop.execute(t.update().where(t.c.v > 0).values(w=t.c.v))'
    assert blocking(preflight(guarded_project, body), "AG213")


def test_ag213_backfill_in_autocommit_block_passes(dialect, guarded_project):
    body = f'{ADD}\nwith op.get_context().autocommit_block():\n    op.execute("UPDATE t SET w = v WHERE id < 1000")'
    assert not of(preflight(guarded_project, body), "AG213")


def test_ag213_backfill_in_a_later_revision_passes_with_transaction_per_migration(
    dialect, guarded_project
):
    env_py = guarded_project.script_location / "env.py"
    env_py.write_text(
        env_py.read_text().replace(
            "target_metadata=target_metadata",
            "target_metadata=target_metadata, transaction_per_migration=True",
        )
    )
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.upgrade("r1")
    guarded_project.write_revision("r2", "r1", ADD)
    guarded_project.write_revision("r3", "r2", 'op.execute("UPDATE t SET w = v WHERE id < 1000")')
    findings = alembic_guard.check_upgrade(guarded_project.config(), "head")
    assert not of(findings, "AG213")


def test_ag213_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))\nop.add_column("n", sa.Column("w", sa.Integer))\nop.execute("INSERT INTO n (id, v) VALUES (1, 2)")'
    assert not of(preflight(guarded_project, body), "AG213")


@pytest.mark.dialects("postgresql")
def test_ag213_sees_a_lock_taken_by_an_earlier_revision_of_the_same_upgrade(
    dialect, guarded_project
):
    """Alembic runs the whole upgrade in one transaction: r2's lock is still held in r3."""
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.upgrade("r1")
    guarded_project.write_revision("r2", "r1", 'op.add_column("t", sa.Column("x", sa.Integer))')
    guarded_project.write_revision("r3", "r2", 'op.execute("UPDATE t SET x = v WHERE x IS NULL")')
    findings = alembic_guard.check_upgrade(guarded_project.config(), "head")
    assert [f.revision for f in of(findings, "AG213")] == ["r3"]
