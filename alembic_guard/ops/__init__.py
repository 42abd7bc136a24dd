"""Operation objects the guard adds to Alembic's, with their renderers."""
