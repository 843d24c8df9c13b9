"""Run Cliffhanger: `python main.py` starts the bot; `check`, `migrate`, `backup PATH` and
`copy-to-postgres URL` are offline tools."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
from pathlib import Path

import aiohttp
import discord

from bot import create_bot
from bot.config import ConfigError, Settings, check_database_path
from bot.db import DatabaseError, StorageError, is_database_url, load_migrations, open_database
from bot.db.backup import copy_database
from bot.db.migrate import too_new
from bot.db.sqlite import SQLiteDatabase
from bot.lock import InstanceLock, InstanceLocked
from bot.logs import setup_logging

log = logging.getLogger("cliffhanger")

EXIT_CONFIG = 2
# Seconds Discord gets to answer the first request. A firewall that drops packets, or a proxy that
# accepts the connection and never replies, would otherwise hold start-up silently for minutes.
CONNECT_TIMEOUT = 15.0


class Fatal(Exception):
    """Ends the run with one line on stderr and exit code 2."""


def database_setting(settings: Settings) -> str:
    """The setting that names the database, for error lines."""
    return "DATABASE_URL" if settings.database_url else "DATABASE_PATH"


async def reach_discord(seconds: float) -> None:
    """Fail in one line when nothing answers at Discord's address; any HTTP answer will do."""
    url = f"{discord.http.Route.BASE}/gateway"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session,
            session.get(url) as response,
        ):
            await response.read()
    except aiohttp.ClientConnectorError:
        raise  # refused, or no route or name: run_bot words it
    except (TimeoutError, aiohttp.ClientError) as exc:
        what = (
            f"no answer within {seconds:g} s"
            if isinstance(exc, TimeoutError)
            else f"the connection failed ({exc})"
        )
        raise Fatal(
            f"cannot reach Discord at {url}: {what}. A firewall or proxy between this machine and Discord "
            "drops or holds the connection: check that this machine can open https://discord.com."
        ) from None


async def run_bot(settings: Settings) -> None:
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None  # noqa: S101 - we are inside asyncio.run
    with contextlib.suppress(NotImplementedError):  # Windows has no add_signal_handler
        loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    try:
        await reach_discord(CONNECT_TIMEOUT)
        async with bot:
            await bot.start(settings.discord_token)
    except discord.LoginFailure:
        raise Fatal(
            "DISCORD_TOKEN was rejected by Discord (401 Unauthorized): reset the token in Developer Portal > "
            "your app > Bot, then paste the new one into .env."
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise Fatal(
            "MESSAGE_CONTENT_INTENT is true but the Message Content intent is off for this application: turn it on "
            "in Developer Portal > your app > Bot > Privileged Gateway Intents, or set MESSAGE_CONTENT_INTENT=false."
        ) from None
    except (DatabaseError, InstanceLocked) as exc:
        raise Fatal(f"{database_setting(settings)}: {exc}") from None
    except aiohttp.ClientConnectorError as exc:
        raise Fatal(
            f"cannot reach Discord ({exc.os_error}): check this machine's internet connection."
        ) from None
    except asyncio.CancelledError:
        log.info("stopped")


async def migrate(settings: Settings) -> list[int]:
    """Apply pending migrations. SQLite: under the instance lock (a running bot refuses). PostgreSQL:
    under an advisory lock, so bots starting meanwhile wait for it and find nothing left to do."""
    db = open_database(settings.database_location)
    try:
        if isinstance(db, SQLiteDatabase):
            with InstanceLock(settings.database_path):
                await db.open()
                return await db.migrate()
        await db.open()
        return await db.migrate()
    except (StorageError, InstanceLocked) as exc:
        raise Fatal(f"{database_setting(settings)}: {exc}") from None
    finally:
        await db.close()


async def check_postgres(settings: Settings) -> str:
    """Connect, and read the schema version: the PostgreSQL half of `check`."""
    from bot.db.postgres import PostgresDatabase

    assert settings.database_url is not None  # noqa: S101 - only called with a URL
    db = PostgresDatabase(settings.database_url, pool_size=1)
    newest = load_migrations()[-1].version
    try:
        await db.open()
        migrated = await db.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        version = await db.schema_version() if migrated else 0
    except StorageError as exc:
        raise Fatal(f"DATABASE_URL: {exc}") from None
    finally:
        await db.close()
    if version > newest:
        raise Fatal(f"DATABASE_URL: {too_new(db.location, version, newest)}")
    return f"configuration OK; PostgreSQL at {db.location} is at schema version {version} ({_pending(version, newest)})"


def _pending(version: int, newest: int) -> str:
    pending = newest - version
    return (
        "up to date"
        if not pending
        else f"{pending} migration(s) pending; they run at start-up or with `migrate`"
    )


def check(settings: Settings) -> str:
    """Validate the configuration and the database without connecting to Discord."""
    if settings.database_url:
        return asyncio.run(check_postgres(settings))
    path = settings.database_path
    newest = load_migrations()[-1].version
    if not path.exists():
        return f"configuration OK; {path} does not exist yet and will be created at schema version {newest}"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone()
            version = (
                conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
                if has_table
                else 0
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise Fatal(
            f"DATABASE_PATH: {path} is not a usable SQLite database ({exc}); it was not changed. "
            "Restore it from a backup or move it aside."
        ) from None
    if integrity != "ok":
        raise Fatal(
            f"DATABASE_PATH: {path} failed SQLite's integrity check ({integrity}); restore it from a backup."
        )
    if version > newest:
        raise Fatal(f"DATABASE_PATH: {too_new(path, version, newest)}")
    return f"configuration OK; {path} is at schema version {version} ({_pending(version, newest)})"


def backup(settings: Settings, target: Path) -> str:
    """Copy the live database with SQLite's online backup API; safe while the bot runs. PostgreSQL has
    its own tool for that, and the error line gives its command."""
    if settings.database_url:
        from bot.db.postgres import describe_url

        raise Fatal(
            "backup: the database is PostgreSQL, which pg_dump backs up (consistent while the bot runs): "
            f"pg_dump --format=custom --file={target} '{describe_url(settings.database_url)}' "
            "(the password comes from PGPASSWORD or ~/.pgpass); restore with pg_restore --dbname=URL FILE."
        )
    source_path = settings.database_path
    if not source_path.exists():
        raise Fatal(f"DATABASE_PATH: {source_path} does not exist, so there is nothing to back up.")
    if target.exists():
        raise Fatal(f"backup: {target} already exists; choose a new file name so no backup is overwritten.")
    try:
        copy_database(source_path, target)
    except (sqlite3.Error, OSError) as exc:
        raise Fatal(f"backup: could not write {target}: {exc}") from None
    return f"backed up {source_path} to {target} ({target.stat().st_size} bytes)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py", description="Cliffhanger, a Discord bot for TV-show fan servers."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="start the bot (the default)")
    sub.add_parser("check", help="validate the configuration and the database without connecting")
    sub.add_parser("migrate", help="apply pending database migrations and exit")
    backup_parser = sub.add_parser("backup", help="copy the database to PATH while the bot may be running")
    backup_parser.add_argument(
        "path", type=Path, help="the new backup file, for example data/backups/2025-01-17.db"
    )
    copy_parser = sub.add_parser(
        "copy-to-postgres", help="copy the SQLite database at DATABASE_PATH into an empty PostgreSQL database"
    )
    copy_parser.add_argument(
        "url",
        help="the PostgreSQL database, for example postgresql://cliffhanger:secret@localhost/cliffhanger",
    )
    return parser


async def copy_to_postgres(settings: Settings, url: str) -> str:
    """Move an SQLite database to PostgreSQL, one way: migrate the target, copy every row in one
    transaction, compare the row counts. The bot must be stopped (its instance lock is taken)."""
    from bot.db.copy import CopyRefused
    from bot.db.copy import copy_to_postgres as copy_rows
    from bot.db.postgres import PostgresDatabase

    if not is_database_url(url):
        raise Fatal(
            f"copy-to-postgres: {url.split('://', maxsplit=1)[0] + '://...' if '://' in url else 'that'} is not a PostgreSQL "
            "address: for example python main.py copy-to-postgres postgresql://cliffhanger:secret@localhost/cliffhanger"
        )
    source = settings.database_path
    if not source.exists():
        raise Fatal(f"DATABASE_PATH: {source} does not exist, so there is nothing to copy.")
    target = PostgresDatabase(url, pool_size=2)
    try:
        with InstanceLock(source):
            await target.open()
            await target.migrate()
            counts = await copy_rows(source, target, progress=lambda line: log.info("copied %s", line))
    except InstanceLocked as exc:
        raise Fatal(f"DATABASE_PATH: {exc} Stop the bot before copying.") from None
    except CopyRefused as exc:
        raise Fatal(f"copy-to-postgres: {exc}") from None
    except StorageError as exc:
        raise Fatal(f"copy-to-postgres: {exc}") from None
    finally:
        await target.close()
    rows = sum(c.target for c in counts)
    return (
        f"copied {rows} rows in {len(counts)} tables from {source} to {target.location}; every table's row "
        "count matches. Set DATABASE_URL to this address (and keep the SQLite file as a backup)."
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = Settings.from_env(require_token=command in ("run", "check"))
        if command not in ("backup", "copy-to-postgres") and not settings.database_url:
            check_database_path(settings.database_path)
        # The running bot logs to stdout, where journald and `docker logs` keep it; the offline tools
        # print their answer on stdout, so their log lines go to stderr.
        setup_logging(
            settings.log_level,
            secrets=[settings.discord_token],
            stream=sys.stdout if command == "run" else sys.stderr,
        )
        if command == "run":
            asyncio.run(run_bot(settings))
        elif command == "check":
            print(check(settings))
        elif command == "migrate":
            applied = asyncio.run(migrate(settings))
            print(f"applied migrations {applied}" if applied else "the database is up to date")
        elif command == "copy-to-postgres":
            print(asyncio.run(copy_to_postgres(settings, args.url)))
        else:
            print(backup(settings, args.path))
    except (ConfigError, Fatal) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
