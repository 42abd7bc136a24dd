"""AG206 create-index-blocking, AG207 drop-index-blocking, AG208 concurrently-in-transaction
(PostgreSQL only)."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import TABLE, blocking, of, preflight

pytestmark = pytest.mark.dialects("postgresql")

AUTOCOMMIT = "with op.get_context().autocommit_block():\n    "
WITH_INDEX = f'{TABLE}\nop.create_index("ix_t_v", "t", ["v"])'


def test_ag206_blocks_a_plain_create_index(dialect, guarded_project):
    findings = of(preflight(guarded_project, 'op.create_index("ix_t_v", "t", ["v"])'), "AG206")
    assert len(findings) == 1 and findings[0].blocks
    assert "creates index ix_t_v on t without CONCURRENTLY" in findings[0].message


def test_ag206_blocks_raw_create_index(dialect, guarded_project):
    findings = of(preflight(guarded_project, 'op.execute("CREATE INDEX ix_t_v ON t (v)")'), "AG206")
    assert findings and findings[0].blocks and "CREATE INDEX ix_t_v ON t (v)" in findings[0].message


def test_ag206_concurrently_in_autocommit_block_passes(dialect, guarded_project):
    body = "\n".join(
        [
            AUTOCOMMIT + 'op.create_index("ix_t_v", "t", ["v"], postgresql_concurrently=True)',
            AUTOCOMMIT + 'op.execute("CREATE INDEX CONCURRENTLY ix_t_s ON t (s)")',
        ]
    )
    findings = preflight(guarded_project, body)
    assert not of(findings, "AG206") and not of(findings, "AG208")


def test_ag206_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))\nop.create_index("ix_n_v", "n", ["v"])\nop.execute("CREATE INDEX ix_n_v2 ON n (v)")'
    assert not of(preflight(guarded_project, body), "AG206")


def test_ag207_blocks_a_plain_drop_index_and_finds_its_table(dialect, guarded_project):
    findings = of(preflight(guarded_project, 'op.drop_index("ix_t_v")', setup=WITH_INDEX), "AG207")
    assert len(findings) == 1 and findings[0].blocks
    assert "drops index ix_t_v on t without CONCURRENTLY" in findings[0].message


def test_ag207_blocks_raw_drop_index(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("DROP INDEX ix_t_v")', setup=WITH_INDEX)
    assert blocking(findings, "AG207")


def test_ag207_concurrently_in_autocommit_block_passes(dialect, guarded_project):
    body = AUTOCOMMIT + 'op.drop_index("ix_t_v", table_name="t", postgresql_concurrently=True)'
    findings = preflight(guarded_project, body, setup=WITH_INDEX)
    assert not of(findings, "AG207") and not of(findings, "AG208")


def test_ag208_blocks_concurrently_inside_the_transaction(dialect, guarded_project):
    body = "\n".join(
        [
            'op.create_index("ix_t_s", "t", ["s"], postgresql_concurrently=True)',
            'op.drop_index("ix_t_v", table_name="t", postgresql_concurrently=True)',
            'op.execute("CREATE INDEX CONCURRENTLY ix_t_sv ON t (s, v)")',
        ]
    )
    findings = of(preflight(guarded_project, body, setup=WITH_INDEX), "AG208")
    assert len(findings) == 3 and all(f.blocks for f in findings)
    assert (
        "creates index ix_t_s CONCURRENTLY outside op.get_context().autocommit_block()"
        in findings[0].message
    )
    assert "drops index ix_t_v CONCURRENTLY" in findings[1].message
    assert "would fail half-way" in findings[2].message


def test_ag208_applies_to_new_tables_too(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))\nop.create_index("ix_n_v", "n", ["v"], postgresql_concurrently=True)'
    assert blocking(preflight(guarded_project, body), "AG208")
