"""The PostgreSQL test server: one per test session (planner.store.pgserver), one fresh
database per test that asks for one. A machine without the server binaries gets a test
ERROR naming the package to install, never a skip."""

from __future__ import annotations

import itertools
import os

from planner.store.pgserver import PgServer, start_server

_numbers = itertools.count(1)


def new_database(server: PgServer, prefix: str = "t") -> str:
    """A new empty database; returns its URL (no password in it)."""
    name = f"{prefix}{os.getpid()}_{next(_numbers)}"
    server.admin(f'CREATE DATABASE "{name}"')
    return server.url(name)


def session_server() -> PgServer:
    server = start_server()
    # Every planner opened by a test (and the processes they start) logs in with this.
    os.environ["PGPASSWORD"] = server.password
    return server
