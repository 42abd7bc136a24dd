"""Declaring views next to the models.

A :class:`View` registers itself on a ``MetaData`` (in ``metadata.info``), so
the ``alembic_guard.views`` comparator sees it beside the tables, and it can
be used in queries like a table: ``select(active_users).where(active_users.c.id > 3)``.

    active_users = View(
        "active_users",
        Base.metadata,
        select(users.c.id, users.c.name).where(users.c.active),
    )
    monthly_sales = View(
        "monthly_sales",
        Base.metadata,
        "SELECT date_trunc('month', sold_at) AS month, sum(total) AS total FROM sales GROUP BY 1",
        materialized=True,
        indexes=[ViewIndex("ix_monthly_sales_month", ["month"], unique=True)],
        columns=[Column("month", DateTime), Column("total", Numeric)],
    )
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, column, table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnCollection
from sqlalchemy.sql.elements import ColumnClause, TextClause
from sqlalchemy.sql.selectable import Select, TableClause, TextualSelect

from .sql_text import named_dialect

#: metadata.info key holding {(schema, name): View}
VIEWS_KEY = "alembic_guard.views"

Definition = Select[Any] | TextualSelect | TextClause | str


@dataclass(frozen=True)
class ViewIndex:
    """An index on a materialized view (PostgreSQL)."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False

    def __init__(self, name: str, columns: Sequence[str], unique: bool = False) -> None:
        if isinstance(columns, str):
            columns = [columns]
        if not name or not columns:
            raise ValueError("ViewIndex needs a name and at least one column")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "columns", tuple(columns))
        object.__setattr__(self, "unique", bool(unique))


def _column_of(spec: Column[Any] | ColumnClause[Any] | str) -> ColumnClause[Any]:
    if isinstance(spec, str):
        return column(spec)
    return column(spec.name, spec.type)


class View:
    """A view (or PostgreSQL materialized view) the migrations manage.

    ``definition`` is a ``select()`` (compiled for the target database with
    literal values) or SQL text.  The view's columns are those of the
    ``select()``; for SQL text, give ``columns`` to use the view in queries.
    """

    def __init__(
        self,
        name: str,
        metadata: MetaData,
        definition: Definition,
        *,
        schema: str | None = None,
        materialized: bool = False,
        indexes: Iterable[ViewIndex] = (),
        columns: Iterable[Column[Any] | ColumnClause[Any] | str] | None = None,
        with_data: bool = True,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("a View needs a non-empty name")
        if not isinstance(definition, (Select, TextualSelect, TextClause, str)):
            raise TypeError(
                f"View {name!r}: the definition must be a select(), text() or a SQL string, "
                f"not {type(definition).__name__}"
            )
        self.name = name
        self.metadata = metadata
        self.definition = definition
        #: "file:line" of the declaration, for error messages
        self.declared_at = _caller()
        self.schema = schema if schema is not None else metadata.schema
        self.materialized = materialized
        self.indexes = tuple(indexes)
        self.with_data = with_data
        if self.indexes and not materialized:
            raise ValueError(f"View {name!r}: only a materialized view can have indexes")
        if columns is not None:
            clauses = [_column_of(spec) for spec in columns]
        elif isinstance(definition, (Select, TextualSelect)):
            clauses = [column(c.name, c.type) for c in definition.selected_columns]
        else:
            clauses = []
        self.table: TableClause = table(name, *clauses, schema=self.schema)
        registry: dict[tuple[str | None, str], View] = metadata.info.setdefault(VIEWS_KEY, {})
        if self.key in registry:
            raise ValueError(f"View {self.qualified_name!r} is declared twice on this MetaData")
        registry[self.key] = self

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.schema, self.name)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def c(self) -> ColumnCollection[str, ColumnClause[Any]]:
        return self.table.c

    columns = c

    def __clause_element__(self) -> TableClause:
        """Lets ``select(view)`` and joins treat the view as a table."""
        return self.table

    def sql(self, dialect: Dialect) -> str:
        """The SELECT text for ``dialect``, with literal values inlined."""
        if isinstance(self.definition, str):
            return self.definition.strip().rstrip(";").strip()
        if isinstance(self.definition, TextClause) and not isinstance(
            self.definition, TextualSelect
        ):
            return self.definition.text.strip().rstrip(";").strip()
        # a named-paramstyle twin of the dialect: format-style drivers would double every %
        compiled = self.definition.compile(
            dialect=named_dialect(dialect), compile_kwargs={"literal_binds": True}
        )
        return str(compiled).strip()

    def __repr__(self) -> str:
        kind = "materialized view" if self.materialized else "view"
        return f"<View {kind} {self.qualified_name}>"


def _caller() -> str | None:
    """The first frame outside this package: where the user declared the view."""
    frame = sys._getframe(2)
    package = os.path.dirname(__file__)
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back  # type: ignore[assignment]
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else None


def declared_views(metadata: MetaData | Sequence[MetaData] | None) -> list[View]:
    """Every view declared on ``metadata`` (one MetaData or Alembic's list of them)."""
    if metadata is None:
        return []
    found: list[View] = []
    for one in metadata if isinstance(metadata, Sequence) else [metadata]:
        found.extend(one.info.get(VIEWS_KEY, {}).values())
    return found
