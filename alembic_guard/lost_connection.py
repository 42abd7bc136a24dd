"""A dropped database connection, told apart from other database errors.

The guard's own reads (the pre-flight, the comparison of ``alembic check``)
report a lost connection as one paragraph saying what was being done and that
nothing was applied, instead of a driver traceback.  Errors of a migration's
own SQL are Alembic's to report and are never translated here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .errors import ConnectionLost, GuardError


def is_lost(error: BaseException, connection: Connection | None = None) -> bool:
    """Whether ``error`` means the connection to the database is gone."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    # after the first failure SQLAlchemy refuses the invalidated connection with its own
    # errors (PendingRollbackError...), which carry no driver code
    return isinstance(error, SQLAlchemyError) and connection is not None and connection.invalidated


def _database_said(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return lines[0].strip() if lines else type(original).__name__


@contextmanager
def reported(doing: str, outcome: str, connection: Connection | None) -> Iterator[None]:
    """Turn a lost connection inside the block into :class:`ConnectionLost`."""
    try:
        yield
    except GuardError:
        raise
    except Exception as error:
        if not is_lost(error, connection):
            raise
        raise ConnectionLost(
            f"alembic_guard lost the connection to the database while {doing}; {outcome}. "
            f"The database driver said: {_database_said(error)}. A server restart, a "
            f"failover, a network drop or an administrator ending the session closes a "
            f"connection; run the command again once the database is reachable."
        ) from None
