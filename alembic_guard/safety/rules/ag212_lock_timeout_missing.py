"""A migration that takes table locks without a lock_timeout can queue every query behind it.

Why:
    Even a quick ``ALTER TABLE`` needs its lock first, and waits for every running
    query on the table: a long report or a transaction left open. Meanwhile every new
    query on the table queues behind the waiting ``ALTER``: the application stalls
    although the change itself would take milliseconds. A ``lock_timeout`` makes the
    migration give up (and be retried) instead. The guard sets one itself before the
    migrations run, unless its ``lock_timeout`` setting is ``0``; a
    ``SET lock_timeout`` earlier in the pending set counts too. Reported once per
    revision, at its first operation that locks an existing table.

Safe alternative:
    Keep the guard's ``lock_timeout`` setting (default ``5s``), or start the
    migration with ``op.execute("SET lock_timeout = '5s'")``, and retry the deploy
    when it times out.

Example:
    op.add_column("orders", sa.Column("note", sa.Text()))   # flagged when lock_timeout = 0

    op.execute("SET lock_timeout = '5s'")
    op.add_column("orders", sa.Column("note", sa.Text()))   # fine
"""

from __future__ import annotations

from collections.abc import Iterator

from ..context import RuleContext
from ..recording import RecordedOp
from . import Problem, define
from ._ddl import locked_table, pending_state


def check(record: RecordedOp, context: RuleContext) -> Iterator[Problem]:
    if context.lock_timeout_set:
        return
    reported = pending_state("AG212", context, set[str])
    if record.revision in reported:
        return
    locked = locked_table(record, context)
    if locked is None:
        return
    reported.add(record.revision)
    table, lock = locked
    yield Problem(
        f"revision {record.revision} locks {table} ({lock}) with no lock_timeout set: while it "
        f"waits for the lock, every query on {table} queues behind it"
    )


RULE = define(
    __doc__,
    code="AG212",
    name="lock-timeout-missing",
    check=check,
    dialects=("postgresql",),
)
