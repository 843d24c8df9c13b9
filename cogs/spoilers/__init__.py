"""Spoilers: spoiler channels and window, spoiler words and the optional guard, recaps, watch progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cog import Spoilers

if TYPE_CHECKING:
    from bot.core import Cliffhanger


async def setup(bot: Cliffhanger) -> None:
    await bot.add_cog(Spoilers(bot))
