"""AG103 drop-schema-object: raw DROP SCHEMA/VIEW/MATERIALIZED VIEW/SEQUENCE/TYPE, and
view or sequence ops (recognised by class name)."""

from __future__ import annotations

import pytest

from tests.safety.rules.helpers import TABLE, blocking, of, preflight

WITH_VIEW = TABLE + '\nop.execute("CREATE VIEW tv AS SELECT id, v FROM t")'


def test_ag103_blocks_drop_view(dialect, guarded_project):
    findings = preflight(guarded_project, 'op.execute("DROP VIEW tv")', setup=WITH_VIEW)
    assert blocking(findings, "AG103")
    assert [f.message for f in of(findings, "AG103")] == ["drops view tv"]


@pytest.mark.dialects("postgresql")
def test_ag103_blocks_each_postgresql_object(dialect, guarded_project):
    setup = "\n".join(
        [
            WITH_VIEW,
            'op.execute("CREATE SCHEMA archive")',
            'op.execute("CREATE MATERIALIZED VIEW tm AS SELECT id FROM t")',
            'op.execute("CREATE SEQUENCE ts")',
            "op.execute(\"CREATE TYPE mood AS ENUM ('ok', 'sad')\")",
            'op.execute("CREATE DOMAIN positive AS integer CHECK (VALUE > 0)")',
        ]
    )
    body = "\n".join(
        [
            'op.execute("DROP SCHEMA archive CASCADE")',
            'op.execute("DROP MATERIALIZED VIEW tm")',
            'op.execute("DROP SEQUENCE ts")',
            'op.execute("DROP TYPE mood")',
            'op.execute("DROP DOMAIN positive")',
            'op.execute("DROP VIEW IF EXISTS public.tv CASCADE")',
        ]
    )
    messages = [f.message for f in of(preflight(guarded_project, body, setup=setup), "AG103")]
    assert messages == [
        "drops a schema: DROP SCHEMA archive CASCADE",
        "drops materialized view tm",
        "drops sequence ts",
        "drops a type: DROP TYPE mood",
        "drops a type: DROP DOMAIN positive",
        "drops view tv with CASCADE (everything depending on it goes too)",
    ]


@pytest.mark.dialects("mariadb")
def test_ag103_blocks_mariadb_sequence_and_database(dialect, guarded_project):
    setup = TABLE + '\nop.execute("CREATE SEQUENCE ts")'
    body = 'op.execute("DROP SEQUENCE ts")\nop.execute("DROP DATABASE IF EXISTS other_app")'
    findings = preflight(guarded_project, body, setup=setup)
    assert [f.message for f in of(findings, "AG103")] == [
        "drops sequence ts",
        "drops schema other_app",
    ]
    assert blocking(findings, "AG103")


def test_ag103_blocks_view_and_sequence_ops_by_class_name(dialect, guarded_project):
    body = "\n".join(
        [
            "from alembic.operations import ops as alembic_ops",
            "class DropViewOp(alembic_ops.MigrateOperation):",
            "    def __init__(self, view_name, schema=None):",
            "        self.view_name, self.schema = view_name, schema",
            "class DropSequenceOp(alembic_ops.MigrateOperation):",
            "    def __init__(self, sequence_name):",
            "        self.sequence_name = sequence_name",
            "class DropViewportOp(alembic_ops.MigrateOperation):",
            "    pass",
            'op.invoke(DropViewOp("tv"))',
            'op.invoke(DropSequenceOp("ts"))',
            "op.invoke(DropViewportOp())",
        ]
    )
    findings = preflight(guarded_project, body)
    assert [f.message for f in of(findings, "AG103")] == ["drops view tv", "drops sequence ts"]
    assert blocking(findings, "AG103")


def test_ag103_allowed_per_operation_and_creating_passes(dialect, guarded_project):
    body = "\n".join(
        [
            "import alembic_guard",
            'with alembic_guard.allow("AG103", reason="replaced by tv2 in release 40"):',
            '    op.execute("DROP VIEW tv")',
            'op.execute("CREATE VIEW tv2 AS SELECT id FROM t")',
        ]
    )
    findings = preflight(guarded_project, body, setup=WITH_VIEW)
    assert [f.allowed_reason for f in of(findings, "AG103")] == ["replaced by tv2 in release 40"]
    assert not blocking(findings, "AG103")
    assert not of(findings, "AG401")


def test_ag103_allowed_per_revision(dialect, guarded_project):
    findings = preflight(
        guarded_project,
        'op.execute(sa.text("DROP VIEW tv"))',
        setup=WITH_VIEW,
        extra='alembic_guard_allow = {"AG103": "view unused since r41"}',
    )
    assert of(findings, "AG103") and not blocking(findings, "AG103")
