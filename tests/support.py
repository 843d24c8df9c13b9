"""Helpers every area of the tests shares: waiting for a condition, and a migrated database."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from bot.db import Database


async def until(check: Callable[[], Any], timeout: float = 8.0, what: str = "condition") -> None:
    """Wait until `check()` (sync or async) is truthy; fail after a generous timeout. For waiting on
    something that must happen, never for showing that something did not."""
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
async def migrated(path: Path) -> AsyncIterator[Database]:
    """An open database at `path` with every migration applied; closed afterwards."""
    database = Database(path)
    await database.open()
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()
