"""AG104 unbounded-dml: TRUNCATE, DELETE/UPDATE without WHERE, as strings, sa.text()
and sa.update()/sa.delete() constructs; the rows they would touch counted."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
from alembic import command

from tests.safety.rules.helpers import TABLE, blocking, of, preflight

ROWS = ["INSERT INTO t (id, v) VALUES (1, 1), (2, NULL), (3, 3)"]


def test_ag104_blocks_delete_without_where_and_counts(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("DELETE FROM t")', seed=ROWS)
    assert blocking(findings, "AG104")
    assert [f.message for f in of(findings, "AG104")] == [
        "deletes every row of t (no WHERE clause); would delete 3 rows"
    ]


def test_ag104_blocks_update_without_where_in_text_and_constructs(dialect, guarded_project):
    body = "\n".join(
        [
            'op.execute(sa.text("UPDATE t SET v = :v").bindparams(v=0))',
            'op.execute(sa.table("t", sa.column("v")).update().values(v=sa.literal(1)))',
            'op.execute(sa.delete(sa.table("t")))',
        ]
    )
    findings = preflight(guarded_project, body, seed=ROWS)
    assert [f.message for f in of(findings, "AG104")] == [
        "updates every row of t (no WHERE clause); would rewrite 3 rows",
        "updates every row of t (no WHERE clause); would rewrite 3 rows",
        "deletes every row of t (no WHERE clause); would delete 3 rows",
    ]
    assert all(f.blocks for f in of(findings, "AG104"))


@pytest.mark.dialects("postgresql", "mariadb")
def test_ag104_blocks_truncate(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("TRUNCATE TABLE t")', seed=ROWS)
    assert blocking(findings, "AG104")
    assert of(findings, "AG104")[0].message == "truncates t; would delete 3 rows"


def test_ag104_where_clause_passes(dialect, guarded_project):
    body = "\n".join(
        [
            'op.execute("DELETE FROM t WHERE v IS NULL")',
            'op.execute(sa.text("UPDATE t SET v = :v WHERE id = :id").bindparams(v=1, id=2))',
            't = sa.table("t", sa.column("id"), sa.column("v"))',
            "op.execute(t.update().where(t.c.id > 100).values(v=0))",
            "op.execute(sa.delete(t).where(t.c.v.is_(None)))",
        ]
    )
    findings = preflight(guarded_project, body, seed=ROWS)
    assert not of(findings, "AG104")
    assert not of(findings, "AG401")


def test_ag104_table_created_in_the_pending_set_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True))\nop.execute("DELETE FROM n")'
    assert not of(preflight(guarded_project, body), "AG104")


@pytest.mark.dialects("mariadb")
def test_ag104_mariadb_batch_with_limit_passes(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("DELETE FROM t ORDER BY id LIMIT 1000")')
    assert not of(findings, "AG104")


def test_ag104_allowed_per_operation(dialect, guarded_project):
    body = 'import alembic_guard\nwith alembic_guard.allow("AG104", reason="lookup table, reloaded next"):\n    op.execute("DELETE FROM t")'
    findings = preflight(guarded_project, body, seed=ROWS)
    assert of(findings, "AG104") and not blocking(findings, "AG104")
    assert of(findings, "AG104")[0].allowed_reason == "lookup table, reloaded next"


def test_ag104_offline_reports_without_a_count(dialect, guarded_project):
    guarded_project.write_revision("r1", None, TABLE)
    guarded_project.write_revision("r2", "r1", 'op.execute("UPDATE t SET v = 0")')
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        command.upgrade(guarded_project.config(x=("guard.offline=comment",)), "r1:head", sql=True)
    assert "AG104" in buffer.getvalue()
    assert "updates every row of t (no WHERE clause)" in buffer.getvalue()
    assert "would rewrite" not in buffer.getvalue()
