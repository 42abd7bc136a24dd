"""PostgreSQL: its catalog reads (pg_catalog, one query per schema) and its own rendering
of CHECKs and views (temporary objects inside a savepoint that is always rolled back)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from alembic.operations import ops
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..column_types import TypeSig
from ..errors import GuardError
from ..sql_text import driver_sql
from ..views import ViewIndex
from .base import (
    SCRATCH,
    SCRATCH_VIEW,
    CannotCanonicalize,
    Canonicalizer,
    CanonicalView,
    Catalog,
    Database,
    DbCheck,
    DbView,
    Disturbance,
    KeyOf,
    RelationKey,
    ScratchRequest,
    ViewDDL,
    ViewPolicy,
    ViewRequest,
    is_privilege_error,
    log,
    raise_if_lost,
    rolled_back,
    rolled_back_on_error,
)


class PostgresqlCatalog(Catalog):
    unqualified_in_view_schema = False

    def check_constraints(self, schema: str | None) -> dict[str, list[DbCheck]]:
        rows = self.connection.execute(
            text(
                "SELECT c.relname, con.conname, "
                "pg_catalog.pg_get_constraintdef(con.oid) "
                "FROM pg_catalog.pg_constraint con "
                "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE con.contype = 'c' AND c.relkind IN ('r', 'p') "
                "AND n.nspname = coalesce(:schema, current_schema())"
            ),
            {"schema": schema},
        )
        found: dict[str, list[DbCheck]] = defaultdict(list)
        for table, name, definition in rows:
            sqltext, no_inherit, not_valid = parse_pg_check(definition)
            found[table].append(
                DbCheck(name=name, sqltext=sqltext, not_valid=not_valid, no_inherit=no_inherit)
            )
        return dict(found)

    def views(self, schemas: Iterable[str | None]) -> list[DbView]:
        names = self._schema_names(schemas)
        rows = self.connection.execute(
            text(
                "SELECT n.nspname, c.relname, c.relkind = 'm', "
                "pg_catalog.pg_get_viewdef(c.oid, false), "
                "ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid "
                "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), "
                "ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) "
                "FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid "
                "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) "
                "FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('v', 'm') "
                "AND n.nspname = ANY(:schemas) "
                # views an extension installed are the extension's, not the project's
                "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
                "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid "
                "AND d.deptype = 'e')"
            ),
            {"schemas": names},
        ).all()
        if not rows:
            return []
        indexes = self._materialized_indexes(names)
        reads = self._dependencies(names)
        found = []
        for schema, name, materialized, definition, column_names, types in rows:
            key = (self.schema_key(schema), name)
            found.append(
                DbView(
                    key[0],
                    name,
                    definition.strip().rstrip(";").strip(),
                    materialized=bool(materialized),
                    columns=tuple(zip(column_names, types, strict=True)),
                    indexes=tuple(indexes.get(key, ())),
                    reads=reads.get(key, {}),
                )
            )
        return found

    def _schema_names(self, schemas: Iterable[str | None]) -> list[str]:
        default = self.default_schema() or "public"
        return sorted({schema or default for schema in schemas})

    def _materialized_indexes(self, schemas: list[str]) -> dict[RelationKey, list[ViewIndex]]:
        rows = self.connection.execute(
            text(
                "SELECT n.nspname, t.relname, i.relname, ix.indisunique, "
                "ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, pos) "
                "JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                "ORDER BY k.pos) "
                "FROM pg_catalog.pg_index ix "
                "JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid "
                "JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid "
                "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
                "WHERE t.relkind = 'm' AND n.nspname = ANY(:schemas) ORDER BY i.relname"
            ),
            {"schemas": schemas},
        )
        found: dict[RelationKey, list[ViewIndex]] = defaultdict(list)
        for schema, view, index, unique, columns in rows:
            found[(self.schema_key(schema), view)].append(ViewIndex(index, columns, unique))
        return found

    def _dependencies(
        self, schemas: list[str]
    ) -> dict[RelationKey, dict[RelationKey, frozenset[str]]]:
        """What each view reads, from the rewrite rules' dependencies (not from parsing)."""
        rows = self.connection.execute(
            text(
                "SELECT DISTINCT vn.nspname, v.relname, rn.nspname, r.relname, a.attname "
                "FROM pg_catalog.pg_depend d "
                "JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid "
                "JOIN pg_catalog.pg_class v ON v.oid = w.ev_class "
                "JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace "
                "JOIN pg_catalog.pg_class r ON r.oid = d.refobjid "
                "JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace "
                "LEFT JOIN pg_catalog.pg_attribute a "
                "ON a.attrelid = r.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0 "
                "WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass "
                "AND d.refclassid = 'pg_catalog.pg_class'::regclass "
                "AND r.oid <> v.oid AND v.relkind IN ('v', 'm') "
                "AND vn.nspname = ANY(:schemas)"
            ),
            {"schemas": schemas},
        )
        found: dict[RelationKey, dict[RelationKey, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for view_schema, view, schema, relation, column in rows:
            columns = found[(self.schema_key(view_schema), view)][
                (self.schema_key(schema), relation)
            ]
            if column is not None:
                columns.add(column)
        return {
            view: {relation: frozenset(columns) for relation, columns in reads.items()}
            for view, reads in found.items()
        }


_CHECK_DEF = re.compile(r"^CHECK *\((.+)\)( NO INHERIT)?( NOT VALID)?$", re.DOTALL)


def parse_pg_check(definition: str) -> tuple[str, bool, bool]:
    """``pg_get_constraintdef`` text -> (expression, no_inherit, not_valid)."""
    match = _CHECK_DEF.match(definition.strip())
    if match is None:
        return definition, False, False
    return match.group(1), bool(match.group(2)), bool(match.group(3))


class PostgresqlCanonicalizer(Canonicalizer):
    def check_definitions(self, requests: Sequence[ScratchRequest]) -> list[str | None]:
        groups, tables = self.group_by_table(requests)
        results: list[str | None] = [None] * len(requests)
        try:
            with rolled_back(self.connection):
                created: list[str] = []
                for number, (key, indexes) in enumerate(groups.items()):
                    scratch = SCRATCH.format(number)
                    checks = ", ".join(
                        f"CONSTRAINT {self.quote(f'ck_{i}')} CHECK ({requests[i].sql})"
                        for i in indexes
                    )
                    statement = (
                        f"CREATE TEMPORARY TABLE {scratch} "
                        f"({self.scratch_columns(tables[key])}, {checks}) ON COMMIT DROP"
                    )
                    try:
                        with rolled_back_on_error(self.connection):
                            self.connection.exec_driver_sql(driver_sql(self.connection, statement))
                        created.append(scratch)
                    except Exception as exc:  # one bad expression spoils only its table
                        raise_if_lost(self.connection, exc)
                        if is_privilege_error(exc):
                            raise CannotCanonicalize(str(exc).splitlines()[0]) from None
                        log.info("alembic_guard: database rejected scratch %s: %s", scratch, exc)
                if created:
                    rows = self.connection.execute(
                        text(
                            "SELECT con.conname, pg_catalog.pg_get_constraintdef(con.oid) "
                            "FROM pg_catalog.pg_constraint con "
                            "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
                            "WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() "
                            "AND c.relname = ANY(:names) AND con.contype = 'c'"
                        ),
                        {"names": created},
                    )
                    for name, definition in rows:
                        results[int(name[3:])] = parse_pg_check(definition)[0]
        except (CannotCanonicalize, GuardError):
            raise
        except Exception as exc:
            raise_if_lost(self.connection, exc)
            raise CannotCanonicalize(str(exc).splitlines()[0]) from None
        return results

    def view_definitions(self, requests: Sequence[ViewRequest]) -> list[CanonicalView | None]:
        """Temporary views, in dependency order, inside a savepoint that is always rolled back.

        A view of the default schema gets its own name in ``pg_temp`` (searched
        first), so a view reading another declared view reads the new
        definition, and ``pg_get_viewdef`` writes names as it would for the
        real view.  Other schemas' views get scratch names.
        """
        names = [
            request.name if request.schema is None else SCRATCH_VIEW.format(index)
            for index, request in enumerate(requests)
        ]
        if len(set(names)) != len(names):
            raise CannotCanonicalize("two declared views share a name")
        statements = [
            driver_sql(
                self.connection,
                f"CREATE TEMPORARY VIEW {self.quote(name)} AS {request.sql}",
            )
            for name, request in zip(names, requests, strict=True)
        ]
        results: list[CanonicalView | None] = [None] * len(requests)
        try:
            with rolled_back(self.connection):
                try:
                    # one round trip for all of them; on any error, one at a time
                    with rolled_back_on_error(self.connection):
                        self.connection.exec_driver_sql(";\n".join(statements))
                except Exception as exc:
                    raise_if_lost(self.connection, exc)
                    if is_privilege_error(exc):
                        raise CannotCanonicalize(str(exc).splitlines()[0]) from None
                    for index, statement in enumerate(statements):
                        try:
                            with rolled_back_on_error(self.connection):
                                self.connection.exec_driver_sql(statement)
                        except Exception as one:
                            raise_if_lost(self.connection, one)
                            log.info("alembic_guard: database rejected scratch view: %s", one)
                            results[index] = CanonicalView.refused(one)
                rows = self.connection.execute(
                    text(
                        "SELECT c.relname, pg_catalog.pg_get_viewdef(c.oid, false), "
                        "ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute a "
                        "WHERE a.attrelid = c.oid AND a.attnum > 0 ORDER BY a.attnum), "
                        "ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) "
                        "FROM pg_catalog.pg_attribute a "
                        "WHERE a.attrelid = c.oid AND a.attnum > 0 ORDER BY a.attnum) "
                        "FROM pg_catalog.pg_class c "
                        "WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() "
                        "AND c.relkind = 'v' AND c.relname = ANY(:names)"
                    ),
                    {"names": names},
                ).all()
        except (CannotCanonicalize, GuardError):
            raise
        except Exception as exc:
            raise_if_lost(self.connection, exc)
            raise CannotCanonicalize(str(exc).splitlines()[0]) from None
        position = {name: index for index, name in enumerate(names)}
        for name, definition, column_names, types in rows:
            results[position[name]] = CanonicalView(
                definition.strip().rstrip(";").strip(),
                tuple(zip(column_names, types, strict=True)),
            )
        return results


class PostgresqlViewDDL(ViewDDL):
    def index(self, index: ViewIndex, name: str, schema: str | None) -> str:
        unique = "UNIQUE " if index.unique else ""
        columns = ", ".join(self.preparer.quote(c) for c in index.columns)
        return (
            f"CREATE {unique}INDEX {self.preparer.quote(index.name)} "
            f"ON {self.qualified(name, schema)} ({columns})"
        )

    def create_materialized(
        self,
        name: str,
        schema: str | None,
        definition: str,
        indexes: Sequence[ViewIndex],
        with_data: bool,
    ) -> list[str]:
        data = "WITH DATA" if with_data else "WITH NO DATA"
        create = f"CREATE MATERIALIZED VIEW {self.qualified(name, schema)} AS {definition} {data}"
        return [create] + [self.index(index, name, schema) for index in indexes]

    def drop_materialized(self, name: str, schema: str | None) -> list[str]:
        return [f"DROP MATERIALIZED VIEW {self.qualified(name, schema)}"]

    def refresh_materialized(self, name: str, schema: str | None, concurrently: bool) -> list[str]:
        how = "CONCURRENTLY " if concurrently else ""
        return [f"REFRESH MATERIALIZED VIEW {how}{self.qualified(name, schema)}"]


class PostgresqlViewPolicy(ViewPolicy):
    rebuild_readers = True

    def column_change(
        self, container: ops.ModifyTableOps, op: ops.MigrateOperation, key: KeyOf
    ) -> Iterable[Disturbance]:
        if isinstance(op, ops.AlterColumnOp) and op.modify_type is not None:
            yield (
                key(container.schema, container.table_name),
                op.column_name,
                f"PostgreSQL cannot change the type of column {container.table_name}."
                f"{op.column_name} while a view reads it",
                False,
            )

    def replace_in_place(self, db: DbView, canonical: CanonicalView | None) -> bool:
        # CREATE OR REPLACE VIEW may only add columns at the end: same names, same types
        if db.materialized or canonical is None or not canonical.columns or not db.columns:
            return False
        return canonical.columns[: len(db.columns)] == db.columns

    def reverse_in_place(self, db: DbView, canonical: CanonicalView | None) -> bool:
        # the reverse would take the appended columns away, which CREATE OR REPLACE refuses
        return canonical is not None and canonical.columns == db.columns


class PostgresqlDatabase(Database):
    names = ("postgresql",)
    rule_name = "postgresql"
    catalog = PostgresqlCatalog
    canonicalizer = PostgresqlCanonicalizer
    view_ddl = PostgresqlViewDDL
    view_policy = PostgresqlViewPolicy
    materialized_views = True
    session_timeouts = True
    probes_serial_sequences = True
    sql_placeholder = "$1"  # pglast reads $n parameters
    sql_parser = "pglast"
    type_change_effect = ", rewriting the table under an ACCESS EXCLUSIVE lock"

    row_estimates_sql = (
        "SELECT c.relname, c.reltuples::bigint FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = coalesce(:schema, current_schema())"
    )

    def column_query(
        self, relation: str, schema: str | None, table: str, column: str
    ) -> tuple[str, dict[str, Any]] | None:
        return (
            "SELECT format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
            "FROM pg_catalog.pg_attribute a "
            "WHERE a.attrelid = to_regclass(:rel) AND a.attname = :column "
            "AND a.attnum > 0 AND NOT a.attisdropped",
            {"rel": relation, "column": column},
        )

    builds_indexes_concurrently = True

    def changes_type_in_place(
        self,
        old: TypeSig,
        new: TypeSig,
        server_version: tuple[int, ...] | None,
        *,
        mariadb: bool = False,
    ) -> bool:
        # binary-coercible changes: see AG201's docstring for the list
        if old.name == "varchar" and new.name in ("varchar", "text"):
            return new.length is None or (old.length is not None and new.length >= old.length)
        if old.name == "text" and new.name == "varchar":
            return new.length is None
        if old.name == "numeric" and new.name == "numeric":
            if new.length is None:
                return True
            return (
                old.length is not None
                and new.length >= old.length
                and (new.scale or 0) == (old.scale or 0)
            )
        return False

    def set_not_null_uses_checks(self, server_version: tuple[int, ...] | None) -> bool:
        return server_version is not None and server_version >= (12,)

    def not_null_check_query(self, relation: str, column: str) -> tuple[str, dict[str, Any]] | None:
        return (
            "SELECT count(*) FROM pg_catalog.pg_constraint c "
            "WHERE c.conrelid = to_regclass(:rel) AND c.contype = 'c' AND c.convalidated "
            "AND lower(regexp_replace(pg_get_constraintdef(c.oid), '[()\\s\"]', '', 'g')) = :want",
            {"rel": relation, "want": f"check{column.lower()}isnotnull"},
        )

    def volatile_functions_query(self, names: list[str]) -> tuple[str, dict[str, Any]] | None:
        return (
            "SELECT DISTINCT proname FROM pg_catalog.pg_proc "
            "WHERE provolatile = 'v' AND proname = ANY(:names)",
            {"names": names},
        )

    def rewrites_for_any_default(self, server_version: tuple[int, ...] | None) -> bool:
        # PostgreSQL 11 stores a constant default in the catalog instead of every row
        return server_version is not None and server_version < (11,)

    def begin_read_only(self, connection: Connection) -> None:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")

    @contextmanager
    def bounded_reads(self, connection: Connection, timeout_ms: int) -> Iterator[None]:
        # both reverted with the caller's savepoint; read-only stops a pasted expression
        # (a CHECK condition) from calling nextval() or any other write
        connection.exec_driver_sql("SET LOCAL transaction_read_only = on")
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        yield

    renames_indexes = True
    renames_constraints = True

    def rename_index_sql(
        self, preparer: Any, table: str, schema: str | None, old: str, new: str
    ) -> str:
        # an index lives in its table's schema and is named without its table
        index = f"{preparer.quote_schema(schema)}.{old}" if schema else old
        return f"ALTER INDEX {index} RENAME TO {new}"

    def rename_constraint_sql(self, table: str, old: str, new: str) -> str:
        # a unique or primary key's index is renamed with it
        return f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}"
