"""A throw-away PostgreSQL server for the tests and ``planner bench --workspace-scale``.

It runs the Debian package's ``initdb``/``pg_ctl`` in a temporary folder, listening on a free
port of 127.0.0.1 only, with its socket in that folder. ``initdb`` refuses to run as root: as
root the server processes run as the ``postgres`` OS user (which the package creates), and the
folder is handed to it. The superuser ``planner`` has a random password (``password``); TCP
logins need it (scram-sha-256), so wrong credentials are refused as on a real server.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "apt-get install postgresql"
SUPERUSER = "planner"


class PgServerMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: the newest ``/usr/lib/postgresql/*/bin``,
    else wherever ``initdb`` is on the PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    raise PgServerMissing(f"PostgreSQL server binaries (initdb, pg_ctl) not found: {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server; :meth:`stop` ends it and deletes its folder."""

    base: Path
    port: int
    password: str
    bindir: Path
    run_as: str | None

    @property
    def data(self) -> Path:
        return self.base / "data"

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        """A URL without the password (it comes from ``PGPASSWORD`` or the like)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def admin(self, sql: str, database: str = "postgres") -> None:
        """Run SQL as the superuser, outside a transaction (CREATE DATABASE, roles)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=self.password,
            dbname=database,
            autocommit=True,
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def start_server(*, durable: bool = False) -> PgServer:
    """Start a server in a new temporary folder. ``durable=False`` (tests) turns off fsync;
    the bench keeps it on, as SQLite's ``synchronous = FULL`` is."""
    bindir = find_bindir()
    run_as = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="planner-pg-"))
    password = secrets.token_hex(16)
    pwfile = base / "pw"
    pwfile.write_text(password + "\n")
    if run_as:
        shutil.chown(base, run_as)
        shutil.chown(pwfile, run_as)
    server = PgServer(base, free_port(), password, bindir, run_as)
    try:
        server._run(
            "initdb",
            "-D",
            str(server.data),
            "-U",
            SUPERUSER,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
        )
        pwfile.unlink()
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-c port={server.port}",
            f"-c unix_socket_directories={base}",
            "-c max_connections=100",
        ]
        if not durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        for _attempt in range(3):
            result = server._run(
                "pg_ctl",
                "-D",
                str(server.data),
                "-l",
                str(base / "log"),
                "-w",
                "-o",
                " ".join(options),
                "start",
                check=False,
            )
            if result.returncode == 0:
                return server
            # The port was taken between free_port() and the start: try another.
            server.port = free_port()
            options[1] = f"-c port={server.port}"
        log = (base / "log").read_text(errors="replace") if (base / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {result.stderr.strip()}\n{log[-2000:]}")
    except BaseException:
        server.stop()
        raise
