"""AG209 foreign-key-not-valid, AG210 check-not-valid (PostgreSQL only)."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import TABLE, blocking, of, preflight

pytestmark = pytest.mark.dialects("postgresql")

WITH_PARENT = f'{TABLE}\nop.create_table("p", sa.Column("id", sa.Integer, primary_key=True))'
SEED = [
    "INSERT INTO p (id) VALUES (1), (2)",
    "INSERT INTO t (id, v) VALUES (1, 1), (2, 7), (3, 8), (4, NULL), (5, -1)",
]
FK = 'op.create_foreign_key("fk_t_p", "t", "p", ["v"], ["id"]{})'


def test_ag209_blocks_and_counts_rows_without_a_match(dialect, guarded_project):
    findings = of(preflight(guarded_project, FK.format(""), setup=WITH_PARENT, seed=SEED), "AG209")
    assert len(findings) == 1 and findings[0].blocks
    message = findings[0].message
    assert "adds foreign key fk_t_p from t(v) to p without NOT VALID" in message
    assert "3 rows have no match: adding it would fail" in message  # 7, 8, -1; NULL passes


def test_ag209_blocks_without_orphans_too(dialect, guarded_project):
    findings = of(preflight(guarded_project, FK.format(""), setup=WITH_PARENT), "AG209")
    assert findings[0].blocks and "every row has a match now" in findings[0].message


def test_ag209_not_valid_passes(dialect, guarded_project):
    body = FK.format(", postgresql_not_valid=True")
    assert not of(preflight(guarded_project, body, setup=WITH_PARENT, seed=SEED), "AG209")


CHECK = 'op.create_check_constraint("ck_t_v", "t", "v > 0"{})'


def test_ag210_blocks_and_counts_violations(dialect, guarded_project):
    findings = of(
        preflight(guarded_project, CHECK.format(""), setup=WITH_PARENT, seed=SEED), "AG210"
    )
    assert len(findings) == 1 and findings[0].blocks
    assert "adds check constraint ck_t_v on t without NOT VALID" in findings[0].message
    assert "1 rows violate it: adding it would fail" in findings[0].message  # -1; NULL passes


def test_ag210_reads_the_guards_own_check_op(dialect, guarded_project):
    body = 'from alembic_guard.ops.checks import CreateCheckOp\nop.invoke(CreateCheckOp("ck_t_v", "t", "v > 0"))'
    assert blocking(preflight(guarded_project, body), "AG210")


def test_ag210_not_valid_passes(dialect, guarded_project):
    body = CHECK.format(", postgresql_not_valid=True")
    assert not of(preflight(guarded_project, body, setup=WITH_PARENT, seed=SEED), "AG210")


def test_ag210_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer))\nop.create_check_constraint("ck_n_v", "n", "v > 0")'
    assert not of(preflight(guarded_project, body), "AG210")
