"""Alembic revisions, oldest first: ``0001`` is schema version 1, ``0002`` version 2, ..."""
