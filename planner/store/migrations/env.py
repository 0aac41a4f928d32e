"""Alembic's environment: migrate the connection planner hands over (in its own write
transaction, holding the workspace's write lock), never one of its own."""

from alembic import context

from planner.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
