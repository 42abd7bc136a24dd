"""A backfill after a schema change of the same table, in the same transaction, keeps the table locked throughout.

Why:
    Locks are held until the transaction commits, and Alembic runs the whole upgrade
    in one transaction (one per revision with ``transaction_per_migration=True``).
    After ``add_column`` (or any ``ALTER TABLE``, a constraint, a
    plain ``CREATE INDEX``) the table stays locked, ACCESS EXCLUSIVE for an
    ``ALTER TABLE``, so an ``UPDATE`` backfilling it in the same transaction keeps every
    query on the table waiting until the backfill is done: seconds become minutes on a
    large table. ``op.execute`` with raw SQL or ``update()``/``insert()``/``delete()``
    constructs is read; statements inside ``op.get_context().autocommit_block()`` are
    not flagged (the block commits first, releasing the locks).

Safe alternative:
    Backfill in a migration run in its own transaction (``transaction_per_migration=True``
    in env.py, or a separate ``alembic upgrade``), or inside ``op.get_context().autocommit_block()``
    in batches (by primary key range) so each batch commits on its own, and make the
    application write the new column before the backfill starts.

Example:
    op.add_column("users", sa.Column("plan", sa.String(20)))
    op.execute("UPDATE users SET plan = 'free'")   # flagged: users stays locked

    op.add_column("users", sa.Column("plan", sa.String(20)))
    with op.get_context().autocommit_block():
        op.execute("UPDATE users SET plan = 'free' WHERE id < 10000")   # fine
"""

from __future__ import annotations

from collections.abc import Iterator

from ..context import RuleContext
from ..recording import RecordedOp
from ..sql import shorten
from . import Problem, define
from ._ddl import lock_severity, locked_table, pending_state
from ._raw_sql import statements

_DATA = ("update", "insert", "delete")


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    held: dict[str, dict[str, tuple[str, int]]] = pending_state("AG213", context, dict)
    # one transaction per revision, or one for the whole upgrade (Alembic's default)
    transaction = record.revision if context.transaction_per_migration else "(upgrade)"
    locks = held.setdefault(transaction, {})
    if record.in_autocommit_block:
        locks.clear()  # autocommit_block() commits the migration's transaction first
        return
    for statement in statements(record, context):
        if statement.kind not in _DATA or not statement.tables:
            continue
        table = statement.tables[0]
        if table not in locks:
            continue
        lock, line = locks[table]
        yield Problem(
            f"runs {shorten(statement.text)} while the transaction holds the {lock} lock on "
            f"{table} it took at line {line}: {table} stays locked for the whole backfill",
            severity=lock_severity(context, (None, table)),
        )
    locked = locked_table(record, context)
    if locked is not None:
        table, lock = locked
        if table.lower() not in locks or lock == "ACCESS EXCLUSIVE":
            locks[table.lower()] = (lock, record.line)


RULE = define(
    __doc__,
    code="AG213",
    name="backfill-under-lock",
    check=check,
    dialects=("postgresql",),
)
