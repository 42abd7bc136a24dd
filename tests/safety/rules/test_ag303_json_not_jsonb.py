"""AG303 json-not-jsonb (PostgreSQL, a warning): json columns added, created or retyped."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import of, preflight

PG = "from sqlalchemy.dialects import postgresql"


@pytest.mark.dialects("postgresql")
def test_ag303_warns_on_json_columns(dialect, guarded_project):
    body = "\n".join(
        [
            PG,
            'op.add_column("t", sa.Column("payload", sa.JSON()))',
            'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True), sa.Column("doc", postgresql.JSON), sa.Column("docs", postgresql.ARRAY(postgresql.JSON)))',
            'op.alter_column("t", "s", type_=sa.JSON(), existing_type=sa.String(20), postgresql_using="to_json(s)")',
        ]
    )
    findings = of(preflight(guarded_project, body), "AG303")
    assert [f.message for f in findings] == [
        "column t.payload would be json, not jsonb",
        "column n.doc would be json, not jsonb",
        "column n.docs would be json[], not jsonb",
        "column t.s would be json, not jsonb",
    ]
    assert all(f.severity.value == "warning" and not f.blocks for f in findings)


@pytest.mark.dialects("postgresql")
def test_ag303_jsonb_passes(dialect, guarded_project):
    body = "\n".join(
        [
            PG,
            'op.add_column("t", sa.Column("payload", postgresql.JSONB()))',
            'op.add_column("t", sa.Column("portable", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")))',
            'op.create_table("n", sa.Column("id", sa.Integer, primary_key=True), sa.Column("doc", postgresql.JSONB), sa.Column("note", sa.Text))',
            'op.alter_column("t", "s", type_=sa.Text(), existing_type=sa.String(20))',
        ]
    )
    assert not of(preflight(guarded_project, body), "AG303")


@pytest.mark.dialects("mariadb", "sqlite")
def test_ag303_is_postgresql_only(dialect, guarded_project):
    body = 'op.add_column("t", sa.Column("payload", sa.JSON()))'
    assert not of(preflight(guarded_project, body), "AG303")
