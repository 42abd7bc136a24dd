"""AG205 volatile-default."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.operations import ops

from alembic_guard.safety.context import RuleContext
from alembic_guard.safety.recording import RecordedOp
from alembic_guard.safety.rules import get_rule
from tests.safety.rules.helpers import of, preflight


@pytest.mark.dialects("postgresql")
def test_ag205_blocks_a_volatile_default_on_postgresql(dialect, guarded_project):
    body = 'op.add_column("t", sa.Column("token", sa.Uuid(), server_default=sa.text("gen_random_uuid()")))'
    findings = of(preflight(guarded_project, body), "AG205")
    assert len(findings) == 1 and findings[0].blocks
    assert "adds t.token with a volatile default (gen_random_uuid())" in findings[0].message
    assert "ACCESS EXCLUSIVE" in findings[0].message


@pytest.mark.dialects("postgresql")
def test_ag205_stable_and_constant_defaults_pass_on_postgresql(dialect, guarded_project):
    body = "\n".join(
        [
            'op.add_column("t", sa.Column("a", sa.DateTime(), server_default=sa.func.now()))',
            'op.add_column("t", sa.Column("b", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP")))',
            'op.add_column("t", sa.Column("c", sa.String(10), server_default="random()"))',
            'op.add_column("t", sa.Column("d", sa.Integer(), server_default=sa.text("42")))',
        ]
    )
    assert not of(preflight(guarded_project, body), "AG205")


@pytest.mark.dialects("postgresql")
def test_ag205_asks_postgresql_which_functions_are_volatile(dialect, guarded_project):
    seed = ["CREATE FUNCTION next_code() RETURNS integer VOLATILE LANGUAGE sql AS 'SELECT 1'"]
    body = (
        'op.add_column("t", sa.Column("code", sa.Integer(), server_default=sa.text("next_code()")))'
    )
    findings = of(preflight(guarded_project, body, seed=seed), "AG205")
    assert findings and "(next_code())" in findings[0].message


@pytest.mark.dialects("postgresql")
def test_ag205_new_table_is_exempt(dialect, guarded_project):
    body = 'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True))\nop.add_column("n", sa.Column("token", sa.Uuid(), server_default=sa.text("gen_random_uuid()")))'
    assert not of(preflight(guarded_project, body), "AG205")


@pytest.mark.dialects("mariadb")
def test_ag205_on_mariadb(dialect, guarded_project):
    body = 'op.add_column("t", sa.Column("token", sa.String(36), server_default=sa.text("(uuid())")))\nop.add_column("t", sa.Column("plan", sa.String(10), server_default="free"))'
    findings = of(preflight(guarded_project, body), "AG205")
    assert len(findings) == 1 and findings[0].blocks
    assert "t.token with a volatile default (uuid())" in findings[0].message
    assert "copies the table" in findings[0].message


def _check(column: sa.Column, version: tuple[int, ...]) -> list[str]:
    rule = get_rule("AG205")
    assert rule is not None
    record = RecordedOp(op=ops.AddColumnOp("t", column), revision="r", path="p.py", line=1)
    context = RuleContext(dialect="postgresql", server_version=version)
    return [p.message if hasattr(p, "message") else str(p) for p in rule.check(record, context)]


def test_ag205_before_postgresql_11_any_default_rewrites():
    constant = sa.Column("plan", sa.String(10), server_default="free")
    assert "before 11 any default rewrites" in _check(constant, (10, 5))[0]
    assert _check(sa.Column("plan", sa.String(10), server_default="free"), (11, 0)) == []
    assert _check(sa.Column("plan", sa.String(10)), (10, 5)) == []
