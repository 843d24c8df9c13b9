"""Spoiler settings (moderators): spoiler channels, the spoiler window, spoiler words, the optional
guard and "watched up to" roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cog import Spoilers

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Spoilers", "setup"]


async def setup(bot: Cliffhanger) -> None:
    await bot.add_cog(Spoilers(bot))
