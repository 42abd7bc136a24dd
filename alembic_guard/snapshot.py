"""A database's schema as plain data, read from its catalog (read-only), and the
differences between two of them.

Used by ``alembic-guard diff URL_A URL_B`` and by the pytest plugin's stairway
test (the schema after a downgrade must equal the schema before the upgrade).
Tables, columns, types, defaults, keys, indexes, unique and foreign-key
constraints come from SQLAlchemy's bulk reflection (``get_multi_*``); CHECK
constraints and views from the guard's own catalog reads.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from .dialects import catalog_for

#: section -> object name -> attribute -> value
Snapshot = dict[str, dict[str, dict[str, Any]]]

ALWAYS_EXCLUDED = ("alembic_version",)


def _excluded(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in (*ALWAYS_EXCLUDED, *patterns))


def _label(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


def _key(item: Any, *names: str) -> Any:
    return tuple(tuple(v) if isinstance(v := item.get(n), list) else v for n in names)


def take(
    connection: Connection,
    schemas: Iterable[str | None] = (None,),
    exclude: Sequence[str] = (),
) -> Snapshot:
    """The schema of ``schemas`` (None: the default one), leaving out tables matching
    ``exclude`` (glob patterns); reads only."""
    inspector = inspect(connection)
    catalog = catalog_for(connection)
    tables: dict[str, dict[str, Any]] = {}
    for schema in schemas:
        key_schema = catalog.schema_key(schema)
        names = [n for n in inspector.get_table_names(schema=schema) if not _excluded(n, exclude)]
        if not names:
            continue
        columns = inspector.get_multi_columns(schema=schema, filter_names=names)
        pks = inspector.get_multi_pk_constraint(schema=schema, filter_names=names)
        indexes = inspector.get_multi_indexes(schema=schema, filter_names=names)
        uniques = inspector.get_multi_unique_constraints(schema=schema, filter_names=names)
        fks = inspector.get_multi_foreign_keys(schema=schema, filter_names=names)
        checks = catalog.check_constraints(schema)
        for name in names:
            ref = (schema, name)
            tables[_label(key_schema, name)] = {
                "columns": {
                    c["name"]: (
                        str(c["type"]),
                        bool(c["nullable"]),
                        None if c.get("default") is None else str(c["default"]),
                    )
                    for c in columns.get(ref, ())
                },
                "primary key": tuple(
                    cast(dict[str, Any], pks.get(ref) or {}).get("constrained_columns") or ()
                ),
                "indexes": {
                    i["name"]: _key(i, "column_names", "unique") for i in indexes.get(ref, ())
                },
                "unique constraints": {
                    u["name"]: _key(u, "column_names") for u in uniques.get(ref, ())
                },
                "foreign keys": {
                    # the referred schema too: same-named tables live in several schemas
                    f["name"]: (
                        *_key(f, "constrained_columns"),
                        _label(catalog.schema_key(f.get("referred_schema")), f["referred_table"]),
                        *_key(f, "referred_columns"),
                    )
                    for f in fks.get(ref, ())
                },
                "checks": {
                    c.name or f"(unnamed) {c.sqltext}": " ".join(c.sqltext.split())
                    for c in checks.get(name, ())
                },
            }
    views = {
        _label(v.schema, v.name): {
            "kind": "materialized view" if v.materialized else "view",
            "definition": " ".join(v.definition.split()),
            "indexes": tuple(sorted((i.name, i.columns, i.unique) for i in v.indexes)),
        }
        for v in catalog.views(schemas)
        if not _excluded(v.name, exclude)
    }
    return {"tables": tables, "views": views}


def differences(a: Snapshot, b: Snapshot, a_name: str = "A", b_name: str = "B") -> list[str]:
    """One line per difference: ``-`` only in A, ``+`` only in B, ``~`` in both, unlike."""
    lines: list[str] = []
    for section, kind in (("tables", "table"), ("views", "view")):
        left, right = a.get(section, {}), b.get(section, {})
        for name in sorted(left.keys() - right.keys()):
            lines.append(f"- {kind} {name}: only in {a_name}")
        for name in sorted(right.keys() - left.keys()):
            lines.append(f"+ {kind} {name}: only in {b_name}")
        for name in sorted(left.keys() & right.keys()):
            for attribute in left[name].keys() | right[name].keys():
                old, new = left[name].get(attribute), right[name].get(attribute)
                if old == new:
                    continue
                if isinstance(old, dict) and isinstance(new, dict):
                    singular = attribute.removesuffix("es").removesuffix("s")
                    if attribute == "indexes":
                        singular = "index"
                    for member in sorted(old.keys() - new.keys(), key=str):
                        lines.append(f"- {kind} {name}: {singular} {member} only in {a_name}")
                    for member in sorted(new.keys() - old.keys(), key=str):
                        lines.append(f"+ {kind} {name}: {singular} {member} only in {b_name}")
                    for member in sorted(old.keys() & new.keys(), key=str):
                        if old[member] != new[member]:
                            lines.append(
                                f"~ {kind} {name}: {singular} {member} is {old[member]!r} in "
                                f"{a_name}, {new[member]!r} in {b_name}"
                            )
                else:
                    lines.append(
                        f"~ {kind} {name}: {attribute} is {old!r} in {a_name}, {new!r} in {b_name}"
                    )
    return lines
