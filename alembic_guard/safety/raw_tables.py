"""Table-level DDL in raw SQL that later operations of the pending set rely on: a table
``op.execute`` renames (``ALTER TABLE a RENAME TO b``, MySQL's ``RENAME TABLE a TO b``) or
creates.  Read by the replay of the pending schema and by the rules' memory of new tables,
so a table renamed by raw SQL is still the table the pending set created.
"""

from __future__ import annotations

import re
from typing import Any

from alembic.operations import ops

#: an identifier, quoted ("..", `..`) or bare, possibly schema-qualified
_NAME = r'(?:"[^"]+"|`[^`]+`|[\w$]+)'
_QUALIFIED = rf"{_NAME}(?:\s*\.\s*{_NAME})?"
_ALTER_RENAME = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<old>{_QUALIFIED})\s+"
    rf"RENAME\s+TO\s+(?P<new>{_QUALIFIED})\s*$",
    re.I,
)
_RENAME_TABLE = re.compile(r"^\s*RENAME\s+TABLE\s+(?P<pairs>.+?)\s*$", re.I | re.S)
_PAIR = re.compile(rf"(?P<old>{_QUALIFIED})\s+TO\s+(?P<new>{_QUALIFIED})", re.I)
_CREATE_TABLE = re.compile(
    rf"^\s*CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+"
    rf"(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QUALIFIED})",
    re.I,
)

_CREATE_INDEX = re.compile(
    rf"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<index>{_QUALIFIED})\s+ON\s+(?:ONLY\s+)?(?P<table>{_QUALIFIED})",
    re.I,
)


def _split(name: str) -> tuple[str | None, str]:
    parts = [p.strip() for p in re.findall(_NAME, name)]
    parts = [p[1:-1] if p[:1] in '"`' else p for p in parts]
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])


def _statements(sqltext: Any) -> list[str]:
    if not isinstance(sqltext, str) and not hasattr(sqltext, "text"):
        return []  # a Core construct: never table DDL
    text = sqltext if isinstance(sqltext, str) else sqltext.text
    # no procedural bodies here: a ';' inside quotes is rare enough in table DDL
    return [s for s in text.split(";") if s.strip()]


def table_renames(op: ops.MigrateOperation) -> list[ops.RenameTableOp]:
    """The table renames a raw ``op.execute`` makes, as the operations Alembic would record."""
    if not isinstance(op, ops.ExecuteSQLOp):
        return []
    renames = []
    for statement in _statements(op.sqltext):
        found = _ALTER_RENAME.match(statement)
        pairs = [found] if found else []
        listed = _RENAME_TABLE.match(statement)
        if listed:
            pairs = list(_PAIR.finditer(listed.group("pairs")))
        for pair in pairs:
            schema, old = _split(pair.group("old"))
            new_schema, new = _split(pair.group("new"))
            if new_schema in (None, schema):
                renames.append(ops.RenameTableOp(old, new, schema=schema))
    return renames


def created_tables(op: ops.MigrateOperation) -> list[tuple[str | None, str]]:
    """The tables a raw ``op.execute`` creates (schema, name)."""
    if not isinstance(op, ops.ExecuteSQLOp):
        return []
    return [
        _split(found.group("name"))
        for statement in _statements(op.sqltext)
        if (found := _CREATE_TABLE.match(statement))
    ]


def created_indexes(op: ops.MigrateOperation) -> list[tuple[str, tuple[str | None, str]]]:
    """The indexes a raw ``op.execute`` creates: (index name, (schema, table))."""
    if not isinstance(op, ops.ExecuteSQLOp):
        return []
    return [
        (_split(found.group("index"))[1], _split(found.group("table")))
        for statement in _statements(op.sqltext)
        if (found := _CREATE_INDEX.match(statement))
    ]
