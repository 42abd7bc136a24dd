"""Autogenerate comparators, one Alembic plugin module each (``setup(plugin)``)."""
