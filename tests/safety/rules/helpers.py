"""Running one migration body through the real pre-flight.

``preflight(project, body, setup=...)``: the ``setup`` body is migrated for real
(revision r1, with ``seed`` SQL run after it), then ``body`` (revision r2) is
judged by ``alembic_guard.check_upgrade``: nothing of it runs.
"""

from __future__ import annotations

import alembic_guard
from alembic_guard.safety.rules import Finding
from tests.helpers.project import AlembicProject

TABLE = 'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.Integer), sa.Column("s", sa.String(20)))'


def preflight(
    project: AlembicProject,
    body: str,
    *,
    setup: str = TABLE,
    seed: list[str] | None = None,
    extra: str = "",
    x: tuple[str, ...] = (),
) -> list[Finding]:
    project.write_revision("r1", None, setup)
    project.upgrade("r1")
    if seed:
        import sqlalchemy as sa

        engine = sa.create_engine(project.url)
        with engine.begin() as connection:
            for sql in seed:
                connection.exec_driver_sql(sql)
        engine.dispose()
    project.write_revision("r2", "r1", body, extra=extra)
    return alembic_guard.check_upgrade(project.config(x=x), "head")


def of(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def blocking(findings: list[Finding], code: str) -> bool:
    return any(f.blocks for f in of(findings, code))
