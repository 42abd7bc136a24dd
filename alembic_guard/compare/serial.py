"""Plugin ``alembic_guard.bulk_reflection``: Alembic's per-column SERIAL probe, answered in bulk.

On PostgreSQL, stock autogenerate asks the catalog once per integer column whose
default is ``nextval(...)`` whether the sequence is owned by that column (then
the default is a SERIAL's and is left out of the comparison): one query per
table with a SERIAL key, 10,000 queries for 10,000 tables.  This comparator runs
first and gives the run's Alembic impl an ``autogen_column_reflect`` that asks
the same question of one query, made on first use, listing every owned sequence
with its name as ``regclass`` text, which is how the column default spells it.
The answer is the same for every column, so the operations are the same.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy import BIGINT, INTEGER, text
from sqlalchemy.engine import Connection

from ..config import settings_of
from ..dialects import database_for

log = logging.getLogger("alembic.ddl.postgresql")

_NEXTVAL = re.compile(r"nextval\('(.+?)'::regclass\)")

#: the stock probe's joins, for every sequence at once
OWNED_SEQUENCES = (
    "SELECT c.oid::regclass::text, c.relname, a.attname "
    "FROM pg_catalog.pg_class AS c "
    "JOIN pg_catalog.pg_depend d ON d.objid = c.oid "
    "AND d.classid = 'pg_catalog.pg_class'::regclass "
    "AND d.refclassid = 'pg_catalog.pg_class'::regclass "
    "JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
    "WHERE c.relkind = 'S'"
)


class OwnedSequences:
    """sequence name (as regclass text) -> (sequence, owning column), read once."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._owners: dict[str, tuple[str, str]] | None = None

    def owner(self, sequence: str) -> tuple[str, str] | None:
        if self._owners is None:
            owners: dict[str, tuple[str, str]] = {}
            for key, name, column in self.connection.execute(text(OWNED_SEQUENCES)):
                owners.setdefault(key, (name, column))
            self._owners = owners
        return self._owners.get(sequence)


def bulk_autogen_column_reflect(sequences: OwnedSequences) -> Any:
    """A drop-in for ``PostgresqlImpl.autogen_column_reflect`` that reads ``sequences``."""

    def autogen_column_reflect(inspector: Any, table: Any, column_info: dict[str, Any]) -> None:
        default = column_info.get("default")
        if not default or not isinstance(column_info["type"], (INTEGER, BIGINT)):
            return
        match = _NEXTVAL.match(default)
        if not match:
            return
        info = sequences.owner(match.group(1))
        if info is not None and info[1] == column_info["name"]:
            log.info(
                "Detected sequence named '%s' as owned by integer column '%s(%s)', "
                "assuming SERIAL and omitting",
                info[0],
                table.name,
                info[1],
            )
            del column_info["default"]

    return autogen_column_reflect


def use_bulk_serial_probe(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]
) -> PriorityDispatchResult:
    connection = autogen_context.connection
    settings = settings_of(autogen_context.migration_context)
    if (
        connection is None
        or not database_for(connection.dialect).probes_serial_sequences
        or not settings.bulk_reflection
    ):
        return PriorityDispatchResult.CONTINUE
    impl = autogen_context.migration_context.impl
    # on this run's impl only: the instance attribute shadows the class's method
    impl.autogen_column_reflect = bulk_autogen_column_reflect(  # type: ignore[method-assign]
        OwnedSequences(connection)
    )
    return PriorityDispatchResult.CONTINUE
