"""AG302 rename-column: alter_column(new_column_name=...), the guard's RenameColumnOp,
batch mode, and raw ``ALTER TABLE ... RENAME COLUMN`` (MySQL: ``CHANGE``)."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import blocking, of, preflight

MESSAGE = "renames column t.v to w; running code still uses v"


def test_ag302_blocks_alter_column_rename(dialect, guarded_project):
    body = 'op.alter_column("t", "v", new_column_name="w", existing_type=sa.Integer)'
    findings = preflight(guarded_project, body)
    assert blocking(findings, "AG302")
    assert [f.message for f in of(findings, "AG302")] == [MESSAGE]


def test_ag302_blocks_the_guards_rename_op_and_batch_mode(dialect, guarded_project):
    body = "\n".join(
        [
            "from alembic_guard.ops.renames import RenameColumnOp",
            'op.invoke(RenameColumnOp("t", "v", "w", existing_type=sa.Integer()))',
            'with op.batch_alter_table("t") as batch_op:',
            '    batch_op.alter_column("s", new_column_name="label")',
        ]
    )
    findings = preflight(guarded_project, body)
    assert [f.message for f in of(findings, "AG302")] == [
        MESSAGE,
        "renames column t.s to label; running code still uses s",
    ]


def test_ag302_blocks_raw_rename_column(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("ALTER TABLE t RENAME COLUMN v TO w")')
    assert blocking(findings, "AG302")
    assert [f.message for f in of(findings, "AG302")] == [
        "renames column t.v to w (raw SQL); running code still uses v"
    ]


@pytest.mark.dialects("mariadb")
def test_ag302_blocks_mariadb_change_but_not_a_type_change(dialect, guarded_project):
    body = 'op.execute("ALTER TABLE t CHANGE v w BIGINT")\nop.execute("ALTER TABLE t CHANGE COLUMN s s VARCHAR(40)")'
    findings = preflight(guarded_project, body)
    assert [f.message for f in of(findings, "AG302")] == [
        "renames column t.v to w (raw SQL); running code still uses v"
    ]


def test_ag302_other_alterations_and_new_columns_pass(dialect, guarded_project):
    body = "\n".join(
        [
            'op.alter_column("t", "v", existing_type=sa.Integer, nullable=True)',
            'op.add_column("t", sa.Column("fresh", sa.Integer))',
            'op.alter_column("t", "fresh", new_column_name="fresher", existing_type=sa.Integer)',
            'op.execute("ALTER TABLE t RENAME TO t2")',
        ]
    )
    assert not of(preflight(guarded_project, body), "AG302")


def test_ag302_allowed_per_revision(dialect, guarded_project):
    findings = preflight(
        guarded_project,
        'op.alter_column("t", "v", new_column_name="w", existing_type=sa.Integer)',
        extra='alembic_guard_allow = {"AG302": "column unused by every release"}',
    )
    assert of(findings, "AG302") and not blocking(findings, "AG302")
