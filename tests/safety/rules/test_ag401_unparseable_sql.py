"""AG401 unparseable-sql: raw SQL the dialect's parser cannot read is reported once,
and the other raw-SQL rules pass over it."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import blocking, of, preflight

TYPO = "op.execute(\"UPDATE t SET s = 'x' WERE id = 1\")"


def test_ag401_blocks_unparseable_sql_with_the_parsers_error(dialect, guarded_project):
    findings = preflight(guarded_project, TYPO)
    assert blocking(findings, "AG401")
    assert [f.code for f in findings] == ["AG401"]  # no other rule judged it
    message = findings[0].message
    assert message.startswith("unreviewed raw SQL: the ")
    assert "parser cannot read it (" in message and len(message) > 50


@pytest.mark.dialects("postgresql")
def test_ag401_postgresql_rejects_mysql_syntax(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("DELETE FROM t LIMIT 10")')
    assert [f.code for f in findings] == ["AG401"]
    assert 'syntax error at or near "LIMIT"' in findings[0].message


def test_ag401_parseable_sql_passes(dialect, guarded_project):
    body = "\n".join(
        [
            'op.execute("INSERT INTO t (id, v) VALUES (1, 2)")',
            "op.execute(sa.text(\"UPDATE t SET s = 'x' WHERE id = :id\").bindparams(id=1))",
            'op.execute("CREATE INDEX ix_t_v ON t (v)")',
        ]
    )
    assert not of(preflight(guarded_project, body), "AG401")


def test_ag401_allowed_per_operation(dialect, guarded_project):
    body = f'import alembic_guard\nwith alembic_guard.allow("AG401", reason="reviewed by hand"):\n    {TYPO}'
    findings = of(preflight(guarded_project, body), "AG401")
    assert findings and findings[0].allowed_reason == "reviewed by hand"
    assert not findings[0].blocks
