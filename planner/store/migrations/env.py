"""Alembic's environment: migrate the connection planner hands over (in its own write
transaction, holding the workspace's write lock), never one of its own. Imported outside a
migration (e.g. by a walk over the package) it does nothing."""

from alembic import context

from planner.store.schema import metadata


def _run() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


try:
    context.config  # noqa: B018 - set only while Alembic runs this file
except (NameError, AttributeError):
    pass
else:
    _run()
