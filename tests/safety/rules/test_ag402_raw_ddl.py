"""AG402 raw-ddl: a raw ALTER TABLE on an existing table must be reviewed."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import blocking, of, preflight

SUBCOMMANDS = {
    "postgresql": [
        "ALTER TABLE t DROP COLUMN v",
        "ALTER TABLE t ALTER COLUMN v TYPE bigint",
        "ALTER TABLE t ALTER COLUMN v SET NOT NULL",
        "ALTER TABLE t ADD CONSTRAINT ck_v CHECK (v > 0)",
    ],
    "mariadb": ["ALTER TABLE t DROP COLUMN s", "ALTER TABLE t MODIFY v bigint NOT NULL"],
    "sqlite": ["ALTER TABLE t DROP COLUMN s", "ALTER TABLE t ADD COLUMN w INTEGER"],
}


def test_ag402_blocks_raw_alter_table(dialect, guarded_project):
    body = "\n".join(f'op.execute("{sql}")' for sql in SUBCOMMANDS[dialect.name])
    findings = of(preflight(guarded_project, body), "AG402")
    assert len(findings) == len(SUBCOMMANDS[dialect.name])
    assert all(f.blocks for f in findings)
    assert "does not judge ALTER TABLE subcommands" in findings[0].message


def test_ag402_allowed_after_review(dialect, guarded_project):
    body = (
        "import alembic_guard\n"
        'with alembic_guard.allow("AG402", reason="reviewed: t is small"):\n'
        f'    op.execute("{SUBCOMMANDS[dialect.name][0]}")'
    )
    findings = of(preflight(guarded_project, body), "AG402")
    assert findings and not blocking(findings, "AG402")


def test_ag402_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True))\nop.execute("ALTER TABLE n ADD COLUMN w INTEGER")'
    assert not of(preflight(guarded_project, body), "AG402")


@pytest.mark.dialects("postgresql")
def test_ag402_leaves_renames_to_ag301_ag302(dialect, guarded_project):
    body = 'op.execute("ALTER TABLE t RENAME COLUMN s TO s2")\nop.execute("ALTER TABLE t RENAME TO t2")'
    findings = preflight(guarded_project, body)
    assert not of(findings, "AG402")
    assert of(findings, "AG301") and of(findings, "AG302")


@pytest.mark.dialects("postgresql")
def test_ag402_passes_the_recommended_second_steps(dialect, guarded_project):
    setup = (
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))\n'
        'op.create_check_constraint("ck_v", "t", "v > 0", postgresql_not_valid=True)\n'
        'op.create_index("uq_t_v", "t", ["v"], unique=True)'
    )
    body = (
        'op.execute("ALTER TABLE t VALIDATE CONSTRAINT ck_v")\n'
        'op.execute("ALTER TABLE t ADD CONSTRAINT uq_v UNIQUE USING INDEX uq_t_v")'
    )
    assert not of(preflight(guarded_project, body, setup=setup), "AG402")
