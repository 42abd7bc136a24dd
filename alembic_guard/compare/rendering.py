"""Model SQL expressions rendered for the migration script, not for the driver.

Alembic renders a model's CHECK condition, server default or index expression
by compiling it with the run's dialect.  With a format-style driver (psycopg,
PyMySQL) that compiler doubles every ``%`` (a column ``"50%"``, ``LIKE 'a%'``),
and the script's ``sa.text(...)`` reads ``:name`` as a bind parameter (a
column ``":x"``); run again, the script creates something else or fails.  This
comparator gives the run's impl a ``render_ddl_sql_expr`` that compiles with a
named-paramstyle twin of the dialect and escapes ``:name`` for ``text()``.
"""

from __future__ import annotations

import copy
from typing import Any

from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy.sql.elements import ClauseElement

from ..sql_text import escape_text_binds, named_dialect


def plain_render_ddl_sql_expr(impl: Any) -> Any:
    """A drop-in for ``impl.render_ddl_sql_expr`` (same per-dialect logic, plain text)."""
    twin = copy.copy(impl)
    twin.dialect = named_dialect(impl.dialect)
    render = type(impl).render_ddl_sql_expr

    def render_ddl_sql_expr(
        expr: ClauseElement, is_server_default: bool = False, is_index: bool = False, **kw: Any
    ) -> str:
        sql: str = render(twin, expr, is_server_default=is_server_default, is_index=is_index, **kw)
        # index expressions are rendered as literal_column(), which has no binds
        return sql if is_index else escape_text_binds(sql)

    return render_ddl_sql_expr


def use_plain_rendering(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: set[str | None]
) -> PriorityDispatchResult:
    impl = autogen_context.migration_context.impl
    # on this run's impl only: the instance attribute shadows the class's method
    impl.render_ddl_sql_expr = plain_render_ddl_sql_expr(impl)  # type: ignore[method-assign]
    return PriorityDispatchResult.CONTINUE
