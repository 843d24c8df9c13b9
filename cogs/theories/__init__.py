"""Theory threads: one thread or forum post per theory, persistent votes, resolutions, a leaderboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cog import Theories

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Theories", "setup"]


async def setup(bot: Cliffhanger) -> None:
    await bot.add_cog(Theories(bot))
