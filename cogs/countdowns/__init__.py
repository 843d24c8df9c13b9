"""Countdowns to premieres and episode drops (/countdown), and following a show from TVmaze (/show):
commands, storage, announcements, schedule packs and syncing. The two cogs share one
`CountdownService`: the same lock per server, the same stores and the same event mirror."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cog import Countdowns
from .service import CountdownService
from .shows import Shows

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Countdowns", "Shows", "setup"]


async def setup(bot: Cliffhanger) -> None:
    service = CountdownService(bot)
    await bot.add_cog(Countdowns(bot, service))
    await bot.add_cog(Shows(bot, service))
