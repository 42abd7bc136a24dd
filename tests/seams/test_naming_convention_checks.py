"""Naming conventions x CHECK constraints: names read from the database are final.

With ``naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"}`` in the models
(and so in env.py's target_metadata, which Alembic applies to every op-created constraint),
a changed CHECK's drop, its re-creation and the downgrade's restore must all name
``ck_stock_level``, never ``ck_stock_ck_stock_level``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from tests.helpers import snapshot

CONVENTION = {"ck": "ck_%(table_name)s_%(constraint_name)s"}


def _stock(condition: str, convention: dict[str, str] | None = CONVENTION) -> sa.MetaData:
    md = sa.MetaData(naming_convention=convention or sa.sql.schema.DEFAULT_NAMING_CONVENTION)
    sa.Table(
        "stock",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("level", sa.Integer),
        sa.CheckConstraint(condition, name="level" if convention else "ck_stock_level"),
    )
    return md


def _state(engine: sa.Engine) -> tuple[object, ...]:
    return snapshot.check_constraints(engine), snapshot.schema_objects(engine)


def test_a_check_changed_under_a_naming_convention_round_trips(dialect, project):
    before, after = _stock("level >= 0"), _stock("level >= 5")
    project.revision(before, "stock")
    # env.py hands Alembic the models, whose convention it applies to every op's names
    project.upgrade(metadata=before)
    state = _state(dialect.engine)
    script = project.revision(after, "level >= 5").read_text()
    assert "ck_stock_ck_stock_level" not in script and "op.f('ck_stock_level')" in script
    project.upgrade(metadata=after)
    project.check(after)
    names = {name for _, name, _ in snapshot.check_constraints(dialect.engine)}
    assert "ck_stock_level" in names and "ck_stock_ck_stock_level" not in names
    command.downgrade(project.config(after), "-1")
    assert _state(dialect.engine) == state


def test_without_a_convention_names_are_written_as_given(dialect, project):
    """No ``ck`` convention: the script names the constraint plainly, as Alembic does."""
    before, after = _stock("level >= 0", None), _stock("level >= 5", None)
    project.revision(before, "stock")
    project.upgrade(metadata=before)
    script = project.revision(after, "level >= 5").read_text()
    assert "op.f(" not in script and "'ck_stock_level'" in script
    project.upgrade(metadata=after)
    project.check(after)
