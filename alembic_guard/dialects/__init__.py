"""Each database's differences, in one home per database (as Alembic's ``ddl/``):
``postgresql``, ``mysql`` (MariaDB and MySQL), ``sqlite``; :mod:`.base` holds the
interface the rest of the package asks through, and its defaults."""

from __future__ import annotations

from . import mysql, postgresql, sqlite  # noqa: F401  (each registers its classes)
from .base import Database, canonicalizer_for, catalog_for, database_for, database_named

__all__ = ["Database", "canonicalizer_for", "catalog_for", "database_for", "database_named"]
