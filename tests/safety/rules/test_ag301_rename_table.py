"""AG301 rename-table: Alembic's and the guard's RenameTableOp on an existing table,
and raw ``ALTER TABLE ... RENAME TO`` / ``RENAME TABLE``."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import blocking, of, preflight


def test_ag301_blocks_rename_table(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.rename_table("t", "t2")')
    assert blocking(findings, "AG301")
    assert [f.message for f in of(findings, "AG301")] == [
        "renames table t to t2; running code still uses t"
    ]


def test_ag301_blocks_the_guards_rename_op(dialect, guarded_project):
    body = (
        'from alembic_guard.ops.renames import RenameTableOp\nop.invoke(RenameTableOp("t", "t2"))'
    )
    assert blocking(preflight(guarded_project, body), "AG301")


def test_ag301_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True))\nop.rename_table("n", "n2")'
    assert not of(preflight(guarded_project, body), "AG301")


def test_ag301_allowed_with_a_view_shim(dialect, guarded_project):
    body = "\n".join(
        [
            "import alembic_guard",
            'with alembic_guard.allow("AG301", reason="view shim t keeps the old name"):',
            '    op.rename_table("t", "t2")',
            '    op.execute("CREATE VIEW t AS SELECT * FROM t2")',
        ]
    )
    findings = preflight(guarded_project, body)
    assert of(findings, "AG301") and not blocking(findings, "AG301")
    assert of(findings, "AG301")[0].allowed_reason == "view shim t keeps the old name"


def test_ag301_blocks_raw_rename(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("ALTER TABLE t RENAME TO t2")')
    assert [f.message for f in of(findings, "AG301")] == [
        "renames table t to t2 (raw SQL); running code still uses t"
    ]
    assert blocking(findings, "AG301")


@pytest.mark.dialects("mariadb")
def test_ag301_blocks_mariadb_rename_table(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("RENAME TABLE t TO t2")')
    assert [f.message for f in of(findings, "AG301")] == [
        "renames table t to t2 (raw SQL); running code still uses t"
    ]
