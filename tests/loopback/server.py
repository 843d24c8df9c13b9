"""A loopback Discord: REST under /api/v10 and a gateway websocket on 127.0.0.1.

The unmodified discord.py client connects to it. It keeps a small world (guilds, roles, members,
channels, threads, messages, scheduled events), enforces permissions the way Discord does, checks
every JSON body against Discord's OpenAPI spec and documented limits, and can inject faults.

`LoopbackDiscord` is assembled from one mixin per Discord resource; each registers its own routes
with `@route` (see core.py). A new resource is a new module and one more base class here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from .automod import AutoMod
from .channels import Channels
from .commands import Commands
from .core import BOT_TOKEN, DiscordError, Fault, LoopbackCore, Request, route
from .events import Events
from .gateway import Gateway
from .guilds import Guilds
from .interactions import Interaction, Interactions
from .messages import Messages
from .threads import Threads

__all__ = [
    "BOT_TOKEN",
    "DiscordError",
    "Fault",
    "Interaction",
    "LoopbackCore",
    "LoopbackDiscord",
    "Request",
    "route",
    "running",
]


class LoopbackDiscord(Channels, Threads, Interactions, Messages, Guilds, Events, AutoMod, Commands, Gateway):
    """The fake Discord. Build the world with the helpers, then serve it with `running(lb)`."""


@contextlib.asynccontextmanager
async def running(lb: LoopbackDiscord) -> AsyncIterator[LoopbackDiscord]:
    """Serve `lb` on 127.0.0.1 and point discord.py at it for the block."""
    await lb.start()
    lb.install()
    try:
        yield lb
    finally:
        lb.uninstall()
        await lb.stop()
