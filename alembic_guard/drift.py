"""Autogenerate diffs as lines a person reads: ``alembic check``'s summary.

Alembic's ``alembic check`` fails with the raw list of diff tuples
(``[('add_constraint', CheckConstraint(<...>)), ...]``).  Each diff kind has a
describer here; :func:`readable_diffs` wraps the tuples in :class:`Difference`,
a tuple (so code reading ``diffs`` sees what Alembic gives) whose ``repr`` is
its line, so Alembic's own ``FAILED:`` message becomes readable too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, UniqueConstraint
from sqlalchemy.sql.schema import Constraint

Describer = Callable[[tuple[Any, ...]], str]
_describers: dict[str, Describer] = {}


def describes(*kinds: str) -> Callable[[Describer], Describer]:
    def register(function: Describer) -> Describer:
        for kind in kinds:
            _describers[kind] = function
        return function

    return register


def _qualified(schema: str | None, name: Any) -> str:
    return f"{schema}.{name}" if schema else str(name)


def _sign(kind: str) -> str:
    if kind.startswith(("add", "create")):
        return "+"
    if kind.startswith(("remove", "drop")):
        return "-"
    return "~"


def _where(kind: str) -> str:
    if kind.startswith("add"):
        return "in the models, not in the database"
    if kind.startswith("remove"):
        return "in the database, not in the models"
    return ""


@describes("add_table", "remove_table")
def _table(diff: tuple[Any, ...]) -> str:
    table = diff[1]
    return f"{_sign(diff[0])} table {_qualified(table.schema, table.name)}: {_where(diff[0])}"


@describes("add_column", "remove_column")
def _column(diff: tuple[Any, ...]) -> str:
    _, schema, table, column = diff[:4]
    return (
        f"{_sign(diff[0])} column {_qualified(schema, table)}.{column.name} ({column.type}): "
        f"{_where(diff[0])}"
    )


@describes("modify_type", "modify_nullable", "modify_default", "modify_comment")
def _modify(diff: tuple[Any, ...]) -> str:
    kind, schema, table, column, _, old, new = diff[:7]
    what = kind.removeprefix("modify_")
    old_text = getattr(old, "arg", old)
    new_text = getattr(new, "arg", new)
    return (
        f"~ column {_qualified(schema, table)}.{column}: {what} is {old_text!s} in the "
        f"database, {new_text!s} in the models"
    )


def _constraint_text(constraint: Constraint | Index) -> str:
    table = getattr(constraint, "table", None)
    on = f" on {_qualified(table.schema, table.name)}" if table is not None else ""
    name = f" {constraint.name}" if constraint.name else " (unnamed)"
    if isinstance(constraint, CheckConstraint):
        return f"CHECK{name}{on}: {constraint.sqltext}"
    columns = ", ".join(getattr(c, "name", str(c)) for c in getattr(constraint, "columns", ()))
    if isinstance(constraint, Index):
        unique = "unique index" if constraint.unique else "index"
        return f"{unique}{name}{on} ({columns})"
    if isinstance(constraint, UniqueConstraint):
        return f"unique constraint{name}{on} ({columns})"
    if isinstance(constraint, ForeignKeyConstraint):
        return f"foreign key{name}{on} ({columns}) -> {constraint.referred_table.name}"
    return f"{type(constraint).__name__}{name}{on}"


@describes(
    "add_constraint", "remove_constraint", "add_index", "remove_index", "add_fk", "remove_fk"
)
def _constraint(diff: tuple[Any, ...]) -> str:
    return f"{_sign(diff[0])} {_constraint_text(diff[1])}: {_where(diff[0])}"


@describes("add_view", "add_materialized_view", "remove_view", "remove_materialized_view")
def _view(diff: tuple[Any, ...]) -> str:
    kind = "materialized view" if "materialized" in diff[0] else "view"
    return f"{_sign(diff[0])} {kind} {_qualified(diff[1], diff[2])}: {_where(diff[0])}"


@describes("replace_view")
def _replace_view(diff: tuple[Any, ...]) -> str:
    return f"~ view {_qualified(diff[1], diff[2])}: its definition differs from the database's"


@describes("change_view")
def _change_view(diff: tuple[Any, ...]) -> str:
    _, schema, name, old_kind, new_kind, old, new = diff[:7]
    if old_kind != new_kind:
        return f"~ {old_kind} {_qualified(schema, name)}: declared as a {new_kind} now"
    if squash_space(old) != squash_space(new):
        return (
            f"~ {new_kind} {_qualified(schema, name)}: its definition differs from the database's"
        )
    return (
        f"~ {new_kind} {_qualified(schema, name)}: dropped and created again around the "
        f"table changes it reads"
    )


def squash_space(sql: object) -> str:
    return " ".join(str(sql).split())


_VIEW_KINDS = {
    "remove_view": "view",
    "remove_materialized_view": "materialized view",
    "add_view": "view",
    "add_materialized_view": "materialized view",
}


def _merged_views(diffs: list[Any]) -> list[Any]:
    """A view dropped and created again in one revision is one change: one ``~`` line."""
    added = {
        (d[1], d[2]): d
        for d in diffs
        if isinstance(d, tuple)
        and len(d) > 3
        and str(d[0]).startswith("add_")
        and d[0] in _VIEW_KINDS
    }
    merged: list[Any] = []
    taken: set[tuple[Any, Any]] = set()
    for diff in diffs:
        if not (isinstance(diff, tuple) and len(diff) > 3 and diff[0] in _VIEW_KINDS):
            merged.append(diff)
            continue
        key = (diff[1], diff[2])
        if str(diff[0]).startswith("remove_") and key in added:
            twin = added[key]
            merged.append(
                (
                    "change_view",
                    diff[1],
                    diff[2],
                    _VIEW_KINDS[diff[0]],
                    _VIEW_KINDS[twin[0]],
                    diff[3],
                    twin[3],
                )
            )
            taken.add(key)
        elif str(diff[0]).startswith("add_") and key in taken:
            continue
        elif str(diff[0]).startswith("add_") and any(
            isinstance(d, tuple)
            and d[0] in _VIEW_KINDS
            and str(d[0]).startswith("remove_")
            and (d[1], d[2]) == key
            for d in diffs
        ):
            continue  # its drop, later in the list, takes it
        else:
            merged.append(diff)
    return merged


@describes("rename_table")
def _rename_table(diff: tuple[Any, ...]) -> str:
    return f"~ table {_qualified(diff[1], diff[2])} renamed to {diff[3]}"


@describes("rename_column")
def _rename_column(diff: tuple[Any, ...]) -> str:
    return f"~ column {_qualified(diff[1], diff[2])}.{diff[3]} renamed to {diff[4]}"


@describes("rename_index", "rename_constraint")
def _rename_named(diff: tuple[Any, ...]) -> str:
    what = diff[0].removeprefix("rename_")
    return f"~ {what} {diff[3]} on {_qualified(diff[1], diff[2])} renamed to {diff[4]}"


def describe(diff: tuple[Any, ...]) -> str:
    """One line for one of Alembic's (or the guard's) diff tuples."""
    kind = str(diff[0]) if diff else "?"
    describer = _describers.get(kind)
    if describer is not None:
        try:
            return describer(diff)
        except (AttributeError, IndexError, TypeError, ValueError):
            pass  # an unexpected shape: fall back to the raw form
    return f"~ {kind}: " + ", ".join(repr(part) for part in diff[1:])


class Difference(tuple):  # type: ignore[type-arg]
    """A diff tuple whose repr is its readable line."""

    def __repr__(self) -> str:
        return "\n  " + describe(tuple(self))


class DifferenceGroup(list):  # type: ignore[type-arg]
    """Alembic groups column changes in a list; its repr is its members' lines."""

    def __repr__(self) -> str:
        return "".join(repr(item) for item in self)


def readable_diffs(diffs: Iterable[Any]) -> list[Any]:
    readable: list[Any] = []
    for diff in _merged_views(list(diffs)):
        if isinstance(diff, list):
            readable.append(DifferenceGroup(readable_diffs(diff)))
        elif isinstance(diff, tuple):
            readable.append(Difference(diff))
        else:
            readable.append(diff)
    return readable


def flat_lines(diffs: Iterable[Any]) -> list[str]:
    lines: list[str] = []
    for diff in _merged_views(list(diffs)):
        if isinstance(diff, list):
            lines.extend(flat_lines(diff))
        elif isinstance(diff, tuple):
            lines.append(describe(tuple(diff)))
    return lines


def table_of(diff: tuple[Any, ...]) -> str | None:
    """The table a diff concerns, where it names one."""
    kind = str(diff[0]) if diff else ""
    if kind in ("add_table", "remove_table"):
        return str(diff[1].name)
    if kind.startswith(("add_column", "remove_column", "modify_", "rename_")) and len(diff) > 2:
        return str(diff[2])
    if kind.endswith(("_view",)) and len(diff) > 2:
        return str(diff[2])
    table = getattr(diff[1], "table", None) if len(diff) > 1 else None
    return str(table.name) if table is not None else None


def without_tables(diffs: Iterable[Any], patterns: Iterable[str]) -> list[Any]:
    """``diffs`` less those concerning a table matching one of the glob ``patterns``."""
    import fnmatch

    globs = list(patterns)
    kept: list[Any] = []
    for diff in diffs:
        if isinstance(diff, list):
            inner = without_tables(diff, globs)
            if inner:
                kept.append(inner)
            continue
        table = table_of(tuple(diff)) if isinstance(diff, tuple) else None
        if table is None or not any(fnmatch.fnmatchcase(table, g) for g in globs):
            kept.append(diff)
    return kept
