"""Dropping a schema, view, sequence or type loses what it held and breaks its readers.

Why:
    ``DROP SCHEMA`` (MySQL: ``DROP DATABASE``) takes every table in it along.
    A dropped sequence loses its current value, a dropped type every column or
    function still declared with it, and a dropped view or materialized view
    (with its stored rows) every query, report and grant that reads it. The old
    release is still running during the deploy, and a downgrade re-creates the
    object empty or with a sequence restarted at 1, if it can re-create it at all.

Safe alternative:
    Stop using the object in a release first, deploy it, then drop it in a later
    migration, allowed with a reason once it is verified unused (and backed up, or
    its definition kept, if it may be needed again). A view the same revision
    creates again (``op.drop_view`` then ``op.create_view`` of the same name, as
    autogenerate writes for a changed definition or a column change under the
    view) is not flagged: its readers only wait for the revision's transaction.

Example:
    op.execute("DROP VIEW active_users")   # flagged

    with alembic_guard.allow("AG103", reason="report moved to the warehouse in release 40"):
        op.execute("DROP VIEW active_users")
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import shorten
from . import Problem, define
from ._raw_sql import statements

_CASCADE = re.compile(r"\bCASCADE\s*;?\s*$", re.I)

_KINDS = {
    "drop_schema": "schema",
    "drop_view": "view",
    "drop_materialized_view": "materialized view",
    "drop_sequence": "sequence",
    "drop_type": "type",
}


def _dropped_object(record: RecordedOp) -> str | None:
    """A view or sequence op (by class name: views arrive as the guard's own ops)."""
    name = type(record.op).__name__
    if not name.startswith("Drop"):
        return None
    if name.endswith("MaterializedViewOp"):
        kind = "materialized view"
    elif name.endswith("ViewOp"):
        kind = "view"
    elif name.endswith("SequenceOp"):
        kind = "sequence"
    else:
        return None
    for attribute in ("view_name", "sequence_name", "name"):
        value = getattr(record.op, attribute, None)
        if isinstance(value, str):
            schema = getattr(record.op, "schema", None)
            return f"{kind} {schema}.{value}" if isinstance(schema, str) else f"{kind} {value}"
        if value is not None and isinstance(getattr(value, "name", None), str):
            return f"{kind} {value.name}"
    return kind


def _created_again(record: RecordedOp, context: RuleContext) -> bool:
    name = getattr(record.op, "view_name", None)
    schema = context.schema_key(getattr(record.op, "schema", None))
    return (record.revision, schema, name) in context.recreated_views


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    dropped = _dropped_object(record)
    if dropped is not None and "view" in dropped and _created_again(record, context):
        return
    if dropped is not None:
        yield Problem(f"drops {dropped}")
        return
    for statement in statements(record, context):
        kind = _KINDS.get(statement.kind)
        if kind is None:
            continue
        names = ", ".join(t for t in statement.tables if t)
        if not names:  # the parser does not name every kind of object
            yield Problem(f"drops a {kind}: {shorten(statement.text)}")
            continue
        cascade = (
            " with CASCADE (everything depending on it goes too)"
            if _CASCADE.search(statement.text)
            else ""
        )
        yield Problem(f"drops {kind} {names}{cascade}")


RULE = define(__doc__, code="AG103", name="drop-schema-object", check=check)
