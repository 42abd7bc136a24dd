"""What every database answers, and the defaults.  :class:`Database` is the interface
the rest of the package asks (pick one with :func:`database_for`); it names the
database's :class:`Catalog` (bulk catalog reads, one query per schema, names bound as
parameters), :class:`Canonicalizer` (the database's own rendering of model CHECKs and
views, asked in one batch on scratch objects that never outlive the call),
:class:`ViewDDL` and :class:`ViewPolicy`.  Each database's module in this package
subclasses them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from alembic.operations import ops
from sqlalchemy import Table, create_engine, inspect
from sqlalchemy.engine import Connection, Dialect

from ..column_types import TypeSig
from ..errors import ConnectionLost, GuardError
from ..keys import referenced_relations
from ..lost_connection import is_lost
from ..sql_text import named_dialect
from ..views import ViewIndex

log = logging.getLogger("alembic_guard.dialects")


@dataclass(frozen=True)
class DbCheck:
    """A CHECK constraint as the database holds it."""

    name: str | None
    sqltext: str
    #: MariaDB keeps a column-level CHECK inside the column definition
    column: str | None = None
    not_valid: bool = False
    no_inherit: bool = False


#: (schema, name) of a table or view; schema None is the connection's default schema
RelationKey = tuple[str | None, str]


@dataclass(frozen=True)
class DbView:
    """A view or materialized view as the database holds it."""

    schema: str | None
    name: str
    #: the database's text, usable as ``CREATE VIEW ... AS <definition>`` again
    definition: str
    materialized: bool = False
    #: (name, type) in order, where the database reports them (PostgreSQL)
    columns: tuple[tuple[str, str], ...] = ()
    indexes: tuple[ViewIndex, ...] = ()
    #: relations the view reads, and per relation the columns where known
    reads: dict[RelationKey, frozenset[str]] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> RelationKey:
        return (self.schema, self.name)


class Catalog:
    """Reads what SQLAlchemy's reflection lacks or does one table at a time."""

    #: an unqualified name in a view of another schema reads that schema's table (SQLite's
    #: attached databases); PostgreSQL (search_path) and MySQL (the session's database)
    #: read the default schema's
    unqualified_in_view_schema: ClassVar[bool] = True

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def check_constraints(self, schema: str | None) -> dict[str, list[DbCheck]]:
        """table name -> its CHECK constraints, for every table of ``schema``."""
        inspector = inspect(self.connection)
        found: dict[str, list[DbCheck]] = defaultdict(list)
        for (_, table), checks in inspector.get_multi_check_constraints(schema=schema).items():
            for check in checks:
                found[table].append(DbCheck(name=check.get("name"), sqltext=check["sqltext"]))
        return dict(found)

    def default_schema(self) -> str | None:
        return self.connection.dialect.default_schema_name

    def schema_key(self, schema: str | None) -> str | None:
        return None if schema is None or schema == self.default_schema() else schema

    def read_key(self, ref_schema: str | None, view_schema: str | None, name: str) -> RelationKey:
        """The relation a view of ``view_schema`` reads when its SQL names ``ref_schema.name``."""
        if ref_schema is None and self.unqualified_in_view_schema:
            ref_schema = view_schema
        return (self.schema_key(ref_schema), name)

    def views(self, schemas: Iterable[str | None]) -> list[DbView]:
        """Every view of ``schemas``, with what it reads (parsed from its definition)."""
        inspector = inspect(self.connection)
        found = []
        for schema in schemas:
            for name in inspector.get_view_names(schema=schema):
                sql = inspector.get_view_definition(name, schema=schema) or ""
                found.append(self._parsed(schema, name, sql))
        return found

    def _parsed(self, schema: str | None, name: str, definition: str) -> DbView:
        dialect = self.connection.dialect.name
        reads: dict[RelationKey, frozenset[str]] = {}
        for (ref_schema, table), columns in referenced_relations(definition, dialect).items():
            key = self.read_key(ref_schema, schema, table)
            reads[key] = reads.get(key, frozenset()) | columns
        return DbView(self.schema_key(schema), name, definition, reads=reads)


@dataclass(frozen=True)
class ScratchRequest:
    """Ask the database to render ``sql`` as a CHECK on a copy of ``table``."""

    table: Table
    sql: str


@dataclass(frozen=True)
class ViewRequest:
    """Ask the database how it stores a view defined as ``sql``.

    Requests come in dependency order; ``schema`` None is the default schema.
    """

    name: str
    schema: str | None
    sql: str


@dataclass(frozen=True)
class CanonicalView:
    """A view definition as the database would store it, and its columns where known."""

    definition: str
    columns: tuple[tuple[str, str], ...] = ()
    #: the database's message where it refused to make the view
    rejected: str | None = None

    @classmethod
    def refused(cls, error: BaseException) -> CanonicalView:
        message = " ".join(str(getattr(error, "orig", None) or error).split())
        return cls("", rejected=message.split(" [SQL:")[0])


class CannotCanonicalize(Exception):
    """The database could not be asked (read-only, no privilege, unsupported)."""


class Canonicalizer:
    """Per-dialect: render model CHECK expressions the way the database stores them."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def check_definitions(self, requests: Sequence[ScratchRequest]) -> list[str | None]:
        """The database's text for each request (None where it has no rendering of its own).

        The default: the database keeps CHECK text as written (SQLite), so
        there is nothing to ask and parsing decides.
        """
        return [None] * len(requests)

    def view_definitions(self, requests: Sequence[ViewRequest]) -> list[CanonicalView | None]:
        """The database's stored text for each view definition (None where unknown).

        The default: the database keeps a view's text as written (SQLite).
        """
        return [CanonicalView(request.sql.strip().rstrip(";").strip()) for request in requests]

    @staticmethod
    def group_by_table(
        requests: Sequence[ScratchRequest],
    ) -> tuple[dict[int, list[int]], dict[int, Table]]:
        """Request indexes per model table (one scratch table each), and the tables."""
        groups: dict[int, list[int]] = {}
        tables: dict[int, Table] = {}
        for index, request in enumerate(requests):
            groups.setdefault(id(request.table), []).append(index)
            tables[id(request.table)] = request.table
        return groups, tables

    def quote(self, name: str) -> str:
        """``name`` quoted for scratch DDL, which goes through :func:`driver_sql` (that
        doubles ``%`` for format-style drivers, so the quoting must write it once)."""
        return named_dialect(self.connection.dialect).identifier_preparer.quote(name)

    def scratch_columns(self, table: Table) -> str:
        dialect = self.connection.dialect
        return ", ".join(
            f"{self.quote(column.name)} {column.type.compile(dialect=dialect)}"
            for column in table.columns
        )


SCRATCH = "alembic_guard_scratch_{}"
SCRATCH_VIEW = "alembic_guard_scratch_view_{}"


@contextmanager
def rolled_back(connection: Connection) -> Iterator[None]:
    """A savepoint (or transaction) that is always rolled back, whatever happens inside."""
    scope = connection.begin_nested() if connection.in_transaction() else connection.begin()
    try:
        yield
    finally:
        if scope.is_active:
            scope.rollback()


def own_connection(connection: Connection) -> Connection:
    """A second session to the same database, outside the caller's pool: a caller's pool
    may hold one connection only (and that one is busy with this comparison).  The new
    pool has the same creation arguments and pool events (``Pool.recreate``)."""
    engine = create_engine(connection.engine.url, pool=connection.engine.pool.recreate())
    return engine.connect()


@contextmanager
def rolled_back_on_error(connection: Connection) -> Iterator[None]:
    """A savepoint kept on success, rolled back (and the error re-raised) on failure."""
    savepoint = connection.begin_nested()
    try:
        yield
    except BaseException:
        savepoint.rollback()
        raise
    else:
        savepoint.commit()


def raise_if_lost(connection: Connection, exc: Exception, left: str = "") -> None:
    """A dead connection (killed, server gone) is not a refusal to fall back from: every
    later query would fail too.  Say so in one paragraph; ``left`` names what stayed."""
    if not is_lost(exc, connection):
        return
    raise ConnectionLost(
        f"alembic_guard lost the database connection while it asked the database how it "
        f"writes the models' CHECK expressions and views ({str(exc).splitlines()[0]}). "
        + (
            left
            or "Nothing was changed: the scratch objects it uses for that live only inside "
            "the lost session."
        )
        + " Run the command again once the database is reachable."
    ) from None


def is_privilege_error(exc: Exception) -> bool:
    message = str(exc).lower()
    return any(
        marker in message
        for marker in (
            "read-only",
            "read only",
            "permission denied",
            "access denied",
            "command denied",
        )
    )


class ViewDDL:
    """A database's SQL for views (the default: standard SQL)."""

    #: CREATE OR REPLACE VIEW exists (SQLite has none: replace is drop + create)
    has_or_replace: ClassVar[bool] = True

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.preparer = dialect.identifier_preparer

    def qualified(self, name: str, schema: str | None) -> str:
        quoted = self.preparer.quote(name)
        return f"{self.preparer.quote_schema(schema)}.{quoted}" if schema else quoted

    def create(self, name: str, schema: str | None, definition: str) -> list[str]:
        return [f"CREATE VIEW {self.qualified(name, schema)} AS {definition}"]

    def replace(self, name: str, schema: str | None, definition: str) -> list[str]:
        if not self.has_or_replace:
            return self.drop(name, schema) + self.create(name, schema, definition)
        return [f"CREATE OR REPLACE VIEW {self.qualified(name, schema)} AS {definition}"]

    def drop(self, name: str, schema: str | None) -> list[str]:
        return [f"DROP VIEW {self.qualified(name, schema)}"]

    def create_materialized(
        self,
        name: str,
        schema: str | None,
        definition: str,
        indexes: Sequence[ViewIndex],
        with_data: bool,
    ) -> list[str]:
        raise GuardError(
            f"materialized view {self.qualified(name, schema)}: {self.dialect.name} has no "
            f"materialized views (PostgreSQL has); declare it as a plain View there."
        )

    def drop_materialized(self, name: str, schema: str | None) -> list[str]:
        return self.create_materialized(name, schema, "", (), False)

    def refresh_materialized(self, name: str, schema: str | None, concurrently: bool) -> list[str]:
        return self.create_materialized(name, schema, "", (), False)


#: (table, the column a table operation takes away or rewrites or None for all of them,
#: why, whether it is taken away for good)
Disturbance = tuple[RelationKey, str | None, str, bool]
#: (schema, name) -> the comparison's RelationKey (the default schema as None)
KeyOf = Callable[[str | None, str], RelationKey]


class ViewPolicy:
    """What a database allows around views (the default: MySQL's and MariaDB's)."""

    #: a view dropped and created again takes the views reading it along (PostgreSQL:
    #: DROP VIEW fails while other views read it; SQLite: a table rebuild re-reads them)
    rebuild_readers: ClassVar[bool] = False
    #: the database expands ``SELECT *`` when the view is made (PostgreSQL, MySQL)
    expands_star: ClassVar[bool] = True

    def disturbances(self, op: ops.MigrateOperation, key: KeyOf) -> Iterable[Disturbance]:
        """(table, column or None, why) that views reading it cannot stay over."""
        if isinstance(op, ops.DropTableOp):
            yield key(op.schema, op.table_name), None, f"table {op.table_name} is dropped", True
        elif isinstance(op, ops.ModifyTableOps):
            for inner in op.ops:
                if isinstance(inner, ops.DropColumnOp):
                    yield (
                        key(op.schema, op.table_name),
                        inner.column_name,
                        f"column {op.table_name}.{inner.column_name} is dropped",
                        True,
                    )
                # a dropped column can rebuild the whole table too (SQLite's batch mode)
                yield from self.column_change(op, inner, key)

    def column_change(
        self, container: ops.ModifyTableOps, op: ops.MigrateOperation, key: KeyOf
    ) -> Iterable[Disturbance]:
        return ()

    def replace_in_place(self, db: DbView, canonical: CanonicalView | None) -> bool:
        """Whether ``CREATE OR REPLACE`` (or the op's own drop + create) can change the view
        without touching the views that read it."""
        return not db.materialized

    def reverse_in_place(self, db: DbView, canonical: CanonicalView | None) -> bool:
        """Whether the downgrade can replace the view back the same way."""
        return True


class Database:
    """What one database does differently, asked by the rest of the package (as Alembic
    asks its ``DefaultImpl``): its catalog reads, its own rendering of expressions and
    views, its view DDL and view policy, and the facts the comparators, the operations
    and the safety rules need.  One subclass per database in this package; pick it with
    :func:`database_for`.  The defaults are standard SQL's."""

    #: the SQLAlchemy dialect names it answers for
    names: ClassVar[tuple[str, ...]] = ()
    #: the safety rules' name for it (``Rule.dialects``; MariaDB is "mysql" there); ""
    #: for a database without a module here (the rules see its SQLAlchemy name)
    rule_name: ClassVar[str] = ""
    catalog: ClassVar[type[Catalog]] = Catalog
    canonicalizer: ClassVar[type[Canonicalizer]] = Canonicalizer
    view_ddl: ClassVar[type[ViewDDL]] = ViewDDL
    view_policy: ClassVar[type[ViewPolicy]] = ViewPolicy
    materialized_views: ClassVar[bool] = False
    #: ``lock_timeout`` / ``statement_timeout`` are session settings the guard can set
    #: around the migrations
    session_timeouts: ClassVar[bool] = False
    #: ALTER TABLE changes a column in place; False: the table is rebuilt (batch mode),
    #: which copies a named CHECK's reflected text verbatim
    alters_in_place: ClassVar[bool] = True
    #: a CHECK the model leaves unnamed gets a name in the database, by which it can be
    #: dropped (SQLite's keep none: they are rewritten through a batch rebuild)
    names_unnamed_checks: ClassVar[bool] = True
    #: the database creates an index behind a foreign key that has none (MySQL, MariaDB)
    indexes_foreign_keys: ClassVar[bool] = False
    #: a unique constraint is an index of the table (MySQL, MariaDB)
    unique_constraints_are_indexes: ClassVar[bool] = False
    #: Alembic asks for each SERIAL column's sequence with a query of its own
    probes_serial_sequences: ClassVar[bool] = False
    #: CAST(NULL AS <any column type>) works (MySQL's CAST knows a handful of types)
    casts_null_to_column_types: ClassVar[bool] = True
    #: BOOLEAN is stored as an integer type (MySQL's and MariaDB's TINYINT(1))
    stores_boolean_as_integer: ClassVar[bool] = False
    #: how a column type change runs, for messages (", rewriting the table ...")
    type_change_effect: ClassVar[str] = ""
    #: CREATE INDEX CONCURRENTLY builds an index without blocking writes
    builds_indexes_concurrently: ClassVar[bool] = False
    #: the SQL function giving a string's length in characters
    string_length_function: ClassVar[str] = "char_length"
    #: a value longer than its column's declared length is refused (SQLite keeps it)
    enforces_string_length: ClassVar[bool] = True
    #: ``DELETE`` / ``UPDATE ... LIMIT n`` exists: such a statement is one batch
    limits_dml: ClassVar[bool] = False
    #: what stands in for a bound parameter when raw SQL is parsed
    sql_placeholder: ClassVar[str] = "NULL"
    #: the parser for raw SQL: "pglast" (PostgreSQL's own) or "sqlglot"
    sql_parser: ClassVar[str] = "sqlglot"
    #: estimated rows of each table of a schema (``:schema`` bound, NULL for the default
    #: one), from the catalog's statistics; None: no statistics to read
    row_estimates_sql: ClassVar[str | None] = None
    #: Alembic's batch mode by default (``render_as_batch``): no ALTER for constraints
    renders_as_batch: ClassVar[bool] = False
    #: ``rename_index_sql`` / ``rename_constraint_sql`` give SQL (else: drop and create)
    renames_indexes: ClassVar[bool] = False
    renames_constraints: ClassVar[bool] = False

    def __init_subclass__(cls) -> None:
        for name in cls.names:
            _databases[name] = cls

    @property
    def label(self) -> str:
        """Its name in messages."""
        return self.names[0] if self.names else "this database"

    def begin_read_only(self, connection: Connection) -> None:
        """Make the connection's open transaction read-only, where the database can."""

    def column_query(
        self, relation: str, schema: str | None, table: str, column: str
    ) -> tuple[str, dict[str, Any]] | None:
        """A query for one column's (type as the database spells it, nullable) now;
        ``relation`` is the table's quoted, qualified name.  None: no such catalog."""
        return None

    def changes_type_in_place(
        self,
        old: TypeSig,
        new: TypeSig,
        server_version: tuple[int, ...] | None,
        *,
        mariadb: bool = False,
    ) -> bool:
        """``ALTER COLUMN ... TYPE`` from ``old`` to ``new`` touches only the catalog:
        no rewrite, no copy of the table (AG201)."""
        return False

    def set_not_null_uses_checks(self, server_version: tuple[int, ...] | None) -> bool:
        """SET NOT NULL skips its scan when a validated CHECK (col IS NOT NULL) exists."""
        return False

    def not_null_check_query(self, relation: str, column: str) -> tuple[str, dict[str, Any]] | None:
        """A query counting the table's validated CHECKs (col IS NOT NULL); None: none."""
        return None

    def volatile_functions_query(self, names: list[str]) -> tuple[str, dict[str, Any]] | None:
        """A query for which of ``names`` the database knows as volatile functions."""
        return None

    def rewrites_for_any_default(self, server_version: tuple[int, ...] | None) -> bool:
        """Adding a column with any default rewrites every row (PostgreSQL before 11)."""
        return False

    def drops_index_if_exists(self, dialect: Dialect) -> bool:
        """``DROP INDEX IF EXISTS`` exists on this server."""
        return True

    @contextmanager
    def bounded_reads(self, connection: Connection, timeout_ms: int) -> Iterator[None]:
        """Inside the caller's savepoint, which is always rolled back: statements read
        only where the database can enforce it, and each stops after ``timeout_ms``;
        session settings are given back after."""
        yield

    def rename_index_sql(
        self, preparer: Any, table: str, schema: str | None, old: str, new: str
    ) -> str:
        """SQL renaming an index (``table`` qualified and quoted; the names quoted)."""
        raise GuardError(
            f"{self.label} cannot rename an index ({old} -> {new}); drop it and create "
            f"it under the new name instead."
        )

    def rename_constraint_sql(self, table: str, old: str, new: str) -> str:
        """SQL renaming a constraint (``table`` qualified and quoted; the names quoted)."""
        raise GuardError(
            f"{self.label} cannot rename a constraint ({old} -> {new}); drop it and "
            f"create it under the new name instead."
        )


_databases: dict[str, type[Database]] = {}


def database_for(dialect: Dialect) -> Database:
    """What ``dialect``'s database does differently (the defaults for one the package
    has no module for)."""
    return database_named(dialect.name)


def database_named(name: str) -> Database:
    """The same, by SQLAlchemy dialect name (or the rules' name for it)."""
    return _databases.get(name, Database)()


def catalog_for(connection: Connection) -> Catalog:
    return database_for(connection.dialect).catalog(connection)


def canonicalizer_for(connection: Connection) -> Canonicalizer:
    return database_for(connection.dialect).canonicalizer(connection)
