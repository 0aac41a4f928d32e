"""The workspace schema's history as Alembic revisions, run by :mod:`planner.store.migrate`
(no ``alembic.ini`` needed). Each revision only adds: nothing a user entered is dropped."""
