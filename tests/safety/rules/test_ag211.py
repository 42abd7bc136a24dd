"""AG211 add-unique-or-primary-key."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import blocking, of, preflight

DUPLICATES = [
    "INSERT INTO t (id, v) VALUES (1, 1), (2, 1), (3, 2), (4, 2), (5, 2), (6, 3), (7, NULL), (8, NULL)"
]
DISTINCT = ["INSERT INTO t (id, v) VALUES (1, 1), (2, 2), (3, NULL), (4, NULL)"]
UNIQUE = (
    'with op.batch_alter_table("t") as batch:\n    batch.create_unique_constraint("uq_t_v", ["v"])'
)


def test_ag211_blocks_and_counts_duplicates(dialect, guarded_project):
    findings = of(preflight(guarded_project, UNIQUE, seed=DUPLICATES), "AG211")
    assert len(findings) == 1 and findings[0].blocks
    assert "adds unique constraint uq_t_v on t(v)" in findings[0].message
    assert "2 values occur more than once: it would fail" in findings[0].message  # NULLs differ


def test_ag211_without_duplicates(dialect, guarded_project):
    findings = of(preflight(guarded_project, UNIQUE, seed=DISTINCT), "AG211")
    assert "no duplicates now" in findings[0].message
    # PostgreSQL builds the index under ACCESS EXCLUSIVE; elsewhere a checked build is a warning
    assert findings[0].blocks == (dialect.name == "postgresql")


@pytest.mark.dialects("postgresql")
def test_ag211_unique_index_concurrently_then_using_index_passes(dialect, guarded_project):
    body = "\n".join(
        [
            "with op.get_context().autocommit_block():",
            '    op.create_index("uq_t_v", "t", ["v"], unique=True, postgresql_concurrently=True)',
            'op.execute("ALTER TABLE t ADD CONSTRAINT uq_t_v UNIQUE USING INDEX uq_t_v")',
        ]
    )
    findings = preflight(guarded_project, body, seed=DISTINCT)
    assert not of(findings, "AG211") and not of(findings, "AG206")


@pytest.mark.dialects("postgresql")
def test_ag211_concurrent_unique_index_still_fails_on_duplicates(dialect, guarded_project):
    body = 'with op.get_context().autocommit_block():\n    op.create_index("uq_t_v", "t", ["v"], unique=True, postgresql_concurrently=True)'
    findings = of(preflight(guarded_project, body, seed=DUPLICATES), "AG211")
    assert findings[0].blocks and "2 values occur more than once" in findings[0].message


@pytest.mark.dialects("postgresql")
def test_ag211_plain_unique_index_is_ag211s_not_ag206s(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.create_index("uq_t_v", "t", ["v"], unique=True)')
    assert blocking(findings, "AG211") and not of(findings, "AG206")
    assert "SHARE lock that blocks writes" in of(findings, "AG211")[0].message


@pytest.mark.dialects("postgresql", "mariadb")
def test_ag211_primary_key_counts_nulls(dialect, guarded_project):
    setup = 'op.create_table("t", sa.Column("id", sa.Integer), sa.Column("v", sa.Integer))'
    seed = ["INSERT INTO t (id, v) VALUES (1, 1), (1, 2), (NULL, 3)"]
    body = 'op.create_primary_key("pk_t", "t", ["id"])'
    findings = of(preflight(guarded_project, body, setup=setup, seed=seed), "AG211")
    assert findings[0].blocks
    assert "1 values occur more than once and 1 rows are NULL in the key" in findings[0].message


def test_ag211_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))\nop.create_index("uq_n_v", "n", ["v"], unique=True)'
    assert not of(preflight(guarded_project, body), "AG211")


def test_ag211_a_key_holding_an_existing_unique_key_has_no_duplicates(dialect, guarded_project):
    """mlflow's idiom: add a column, then a unique key on (new column, already unique name).
    The count cannot run on a column that does not exist yet, but rows unique on a part of
    the key are unique on all of it."""
    setup = (
        'op.create_table("e", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("name", sa.String(50)), sa.UniqueConstraint("name", name="uq_e_name"))'
    )
    body = (
        'op.add_column("e", sa.Column("ws", sa.String(20), nullable=False,'
        ' server_default="default"))\n'
        'with op.batch_alter_table("e") as batch:\n'
        '    batch.create_unique_constraint("uq_e_ws_name", ["ws", "name"])'
    )
    [finding] = of(preflight(guarded_project, body, setup=setup), "AG211")
    assert "no duplicates now" in finding.message
    assert finding.blocks == (dialect.name == "postgresql")
