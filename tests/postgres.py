"""A throwaway PostgreSQL for the tests and benchmarks: `initdb` into a temporary folder, a private
port and socket directory, no TCP, and stopped (and its folder removed) at the end. Nothing else
starts it. Run as root, initdb and the server run as the `postgres` user, which initdb insists on.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

__all__ = ["Cluster", "binaries", "missing_reason"]

# Debian's postgresql package puts the server tools here, not on PATH.
_DEBIAN = Path("/usr/lib/postgresql")


def binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: PATH first, then Debian's newest version."""
    found = shutil.which("initdb")
    if found is not None:
        folder = Path(found).resolve().parent
        if (folder / "pg_ctl").exists() and (folder / "postgres").exists():
            return folder
    if _DEBIAN.is_dir():
        versions = sorted(
            (p for p in _DEBIAN.iterdir() if (p / "bin" / "initdb").exists()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
        )
        if versions:
            return versions[-1] / "bin"
    return None


def missing_reason() -> str | None:
    """Why a throwaway PostgreSQL cannot be started here, or None when it can."""
    if binaries() is None:
        return (
            "the PostgreSQL server binaries (initdb, pg_ctl) are not on this machine; "
            "install Debian's postgresql package (CI's .ci/run does)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user for initdb to run as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Cluster:
    """One PostgreSQL server of our own. `url(name)` addresses a database on it through its socket."""

    _names = itertools.count(1)

    def __init__(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError(missing_reason())
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="cliffhanger-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.running = False
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}\n{self.log_text()}"
            )

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def init(self) -> None:
        self.socket_dir.mkdir()
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            for path in (self.root, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        if not self.data.exists():
            self.init()
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.socket_dir}",
                "-c listen_addresses=''",
                # Throwaway data: nothing needs to survive a crash of the machine.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=400",
                "-c shared_buffers=64MB",
            ]
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start"
        )
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", mode, "stop")
            self.running = False

    def restart(self) -> None:
        """Stop hard (every connection is cut, as in a crash) and start again on the same data."""
        self.stop("immediate")
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    async def admin(self) -> asyncpg.Connection:
        deadline = time.monotonic() + 30
        while True:
            try:
                return await asyncpg.connect(self.url())
            except (OSError, asyncpg.CannotConnectNowError):
                if time.monotonic() > deadline:
                    raise
                await _sleep(0.1)

    async def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        conn = await self.admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        name = url.rsplit("/", maxsplit=1)[-1].split("?", maxsplit=1)[0]
        conn = await self.admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
