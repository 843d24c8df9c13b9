"""Helpers every area of the tests shares: waiting for a condition, a migrated database, and the text
probes the spoiler and fuzz tests read messages with."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord

from bot.db import Database, open_database
from bot.text import ZWSP

if TYPE_CHECKING:
    from tests.harness import Harness


async def until(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> None:
    """Wait until `check()` (sync or async) is truthy; fail after a generous timeout (a passing wait
    returns at once, so the timeout only has to outlast a loaded CI machine running both backends).
    For waiting on something that must happen, never for showing that something did not."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def migrated(location: Path | str) -> AsyncIterator[Database]:
    """An open database (an SQLite file or a PostgreSQL URL) with every migration applied; closed
    afterwards."""
    database = open_database(location)
    await database.open()
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


# -- text probes ------------------------------------------------------------------------------------

# Member text that has broken a bot before: tags, mentions, markdown, escapes, invisible characters.
NASTY = [
    "||",
    "||spoiler||",
    "@everyone",
    "@here",
    "<@1>",
    "<@&1>",
    "<#1>",
    "**bold**",
    "`code`",
    "```block```",
    "\\",
    "\n",
    "\u200b",
    "\u202e",
    "🎬",
    "S2E3",
    "S0E0",
    "2x03",
    "in 3 days",
    "2025-01-17 21:00",
    "jan 17 9pm",
    "<t:1737165600:F>",
    "1737165600",
    "America/New_York",
    "Nowhere/Land",
    "0",
    "-1",
    "%",
    "'; DROP TABLE guilds; --",
]

PING = re.compile(r"@everyone|@here|<@!?\d|<@&\d", re.IGNORECASE)


def visible_outside_spoilers(message: str) -> str:
    """The characters Discord shows outside spoiler tags: `\\x` is a literal x, `||` toggles."""
    out: list[str] = []
    inside = False
    i = 0
    while i < len(message):
        if message[i] == "\\" and i + 1 < len(message):
            if not inside:
                out.append(message[i + 1])
            i += 2
        elif message.startswith("||", i):
            inside = not inside
            i += 2
        else:
            if not inside:
                out.append(message[i])
            i += 1
    assert not inside, f"unbalanced spoiler tags in {message!r}"
    return "".join(out)


def unescape(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body, flags=re.DOTALL).replace(ZWSP, "")


def squash(text: str) -> str:
    return "".join(text.replace(ZWSP, "").split())


STALL = 2.0  # the bot is busy elsewhere for this long after the member clicks
SLOW_READ = 1.5  # and then each database read takes this long: 3.5 s in all, past the deadline


def slow_bot(h: Harness, stall: float = STALL) -> None:
    """Stall the bot's event loop on the next channel creation, and slow its database reads."""

    async def on_guild_channel_create(channel: discord.abc.GuildChannel) -> None:
        time.sleep(stall)  # noqa: ASYNC251 - the point: the loop is blocked, as under overload

    h.bot.add_listener(on_guild_channel_create)
    db = h.bot.db
    for name in ("fetchone", "fetchall", "fetchval"):
        read = getattr(db, name)

        async def slowly(*args: Any, _read: Any = read, **kwargs: Any) -> Any:
            await asyncio.sleep(SLOW_READ)
            return await _read(*args, **kwargs)

        setattr(db, name, slowly)
