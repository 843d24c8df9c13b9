"""Countdowns to premieres and episode drops: commands, storage, announcements and schedule packs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cog import Countdowns

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Countdowns", "setup"]


async def setup(bot: Cliffhanger) -> None:
    await bot.add_cog(Countdowns(bot))
