"""Watch progress: how far each member has watched, and the "watched up to" roles that follow it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cog import Progress

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Progress", "setup"]


async def setup(bot: Cliffhanger) -> None:
    await bot.add_cog(Progress(bot))
