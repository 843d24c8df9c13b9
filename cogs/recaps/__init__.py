"""Recaps: one per episode, posted behind spoiler tags in a spoiler channel, hidden past a member's
progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cog import Recaps

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Recaps", "setup"]


async def setup(bot: Cliffhanger) -> None:
    await bot.add_cog(Recaps(bot))
