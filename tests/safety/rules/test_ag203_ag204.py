"""AG203 add-not-null-column-without-default, AG204 set-not-null."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import TABLE, blocking, of, preflight

ROWS = ["INSERT INTO t (id, v) VALUES (1, 1), (2, NULL), (3, 3)"]
ADD_NOT_NULL = 'op.add_column("t", sa.Column("w", sa.Integer, nullable=False))'
SET_NOT_NULL = 'with op.batch_alter_table("t") as batch:\n    batch.alter_column("v", nullable=False, existing_type=sa.Integer())'


def test_ag203_blocks_and_counts_rows(dialect, guarded_project):
    findings = of(preflight(guarded_project, ADD_NOT_NULL, seed=ROWS), "AG203")
    assert len(findings) == 1 and findings[0].blocks
    message = findings[0].message
    assert "adds NOT NULL column t.w without a server default" in message
    assert "t holds 3 rows" in message


def test_ag203_empty_table_still_blocks_for_the_running_release(dialect, guarded_project):
    findings = of(preflight(guarded_project, ADD_NOT_NULL), "AG203")
    assert findings[0].blocks and "the table is empty now" in findings[0].message


def test_ag203_server_default_or_nullable_passes(dialect, guarded_project):
    body = 'op.add_column("t", sa.Column("w", sa.Integer, nullable=False, server_default="0"))\nop.add_column("t", sa.Column("x", sa.Integer))'
    assert not of(preflight(guarded_project, body, seed=ROWS), "AG203")


def test_ag203_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True))\nop.add_column("n", sa.Column("w", sa.Integer, nullable=False))'
    assert not of(preflight(guarded_project, body), "AG203")


def test_ag204_counts_nulls(dialect, guarded_project):
    findings = of(preflight(guarded_project, SET_NOT_NULL, seed=ROWS), "AG204")
    assert len(findings) == 1
    assert "sets t.v NOT NULL" in findings[0].message
    assert "1 rows are NULL: this would fail" in findings[0].message
    assert findings[0].blocks  # a failure blocks everywhere, SQLite included


def test_ag204_without_nulls(dialect, guarded_project):
    seed = ["INSERT INTO t (id, v) VALUES (1, 1)"]
    findings = of(preflight(guarded_project, SET_NOT_NULL, seed=seed), "AG204")
    assert "no row is NULL now" in findings[0].message
    # PostgreSQL scans under ACCESS EXCLUSIVE, MariaDB rebuilds; SQLite recreates: a warning
    assert findings[0].blocks == (dialect.name != "sqlite")


@pytest.mark.dialects("postgresql")
def test_ag204_passes_with_a_validated_not_null_check(dialect, guarded_project):
    setup = f'{TABLE}\nop.create_check_constraint("ck_t_v_not_null", "t", "v IS NOT NULL")'
    body = 'op.alter_column("t", "v", nullable=False)'
    assert not of(preflight(guarded_project, body, setup=setup), "AG204")


@pytest.mark.dialects("postgresql")
def test_ag204_not_valid_check_is_not_enough(dialect, guarded_project):
    setup = f'{TABLE}\nop.create_check_constraint("ck_t_v_not_null", "t", "v IS NOT NULL", postgresql_not_valid=True)'
    body = 'op.alter_column("t", "v", nullable=False)'
    assert blocking(preflight(guarded_project, body, setup=setup), "AG204")


def test_ag204_small_table_is_a_warning(dialect, guarded_project):
    findings = of(
        preflight(
            guarded_project,
            SET_NOT_NULL,
            seed=["INSERT INTO t (id, v) VALUES (1, 1)"],
            x=("guard.small_table_rows=1000",),
        ),
        "AG204",
    )
    assert findings and not findings[0].blocks


def _not_null_in_steps(project, *middle: str):
    """r1 table (migrated), r2 a NOT VALID NOT NULL check, then ``middle``, then SET NOT NULL."""
    import alembic_guard

    project.write_revision("r1", None, TABLE)
    project.upgrade("r1")
    bodies = [
        'op.create_check_constraint("ck_v_nn", "t", "v IS NOT NULL", postgresql_not_valid=True)',
        *middle,
        'op.alter_column("t", "v", nullable=False, existing_type=sa.Integer())',
    ]
    for number, body in enumerate(bodies, start=2):
        project.write_revision(f"r{number}", f"r{number - 1}", body)
    return alembic_guard.check_upgrade(project.config(), "head")


@pytest.mark.dialects("postgresql")
def test_ag204_passes_the_safe_pattern_applied_in_one_upgrade(dialect, guarded_project):
    """NOT VALID check, VALIDATE, SET NOT NULL in three revisions of one upgrade."""
    findings = _not_null_in_steps(
        guarded_project, 'op.execute("ALTER TABLE t VALIDATE CONSTRAINT ck_v_nn")'
    )
    assert not of(findings, "AG204")
    assert not of(findings, "AG402")


@pytest.mark.dialects("postgresql")
def test_ag204_not_valid_check_alone_does_not_help(dialect, guarded_project):
    assert blocking(_not_null_in_steps(guarded_project), "AG204")


def test_ag203_an_autoincrementing_integer_key_fills_itself(dialect, guarded_project):
    """dagster's idiom: add ``id BIGINT PRIMARY KEY AUTOINCREMENT`` to an existing table:
    SERIAL (PostgreSQL), AUTO_INCREMENT (MariaDB) or the rowid (SQLite) numbers the rows."""
    setup = 'op.create_table("k", sa.Column("key", sa.String(50)), sa.Column("v", sa.Integer))'
    body = (
        'op.add_column("k", sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),'
        " primary_key=True, autoincrement=True))"
    )
    assert not of(preflight(guarded_project, body, setup=setup), "AG203")
