"""Shared interaction plumbing: views and modals that report errors the same way slash commands do."""

from __future__ import annotations

import logging
import math
from typing import Any

import discord

from .errors import report_error

__all__ = ["Pager", "ReportingModal", "ReportingView"]

log = logging.getLogger(__name__)


class ReportingView(discord.ui.View):
    """A view whose item errors reach the member as an ephemeral message, like command errors."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error)


class Pager(ReportingView):
    """Previous/Next through an ephemeral list, one embed per page; only its member can press it.
    Subclasses say how a page looks (`render`). Set `origin` to the interaction that sent it, so the
    buttons are greyed out when the view expires instead of left not answering."""

    def __init__(self, *, total: int, page_size: int, timeout: float = 600) -> None:
        super().__init__(timeout=timeout)
        self.total = total
        self.page_size = page_size
        self.page = 0
        self.pages = max(1, math.ceil(total / page_size))
        self.origin: discord.Interaction[Any] | None = None
        self._sync()

    @property
    def offset(self) -> int:
        return self.page * self.page_size

    async def render(self) -> discord.Embed:
        raise NotImplementedError

    def _sync(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    async def on_timeout(self) -> None:
        if self.origin is None:
            return
        self.previous.disabled = self.next.disabled = True
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            log.debug("could not close an expired %s", type(self).__name__, exc_info=True)

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = min(max(self.page + step, 0), self.pages - 1)
        self._sync()
        await interaction.response.edit_message(embed=await self.render(), view=self)

    @discord.ui.button(
        label="Previous", emoji="\N{BLACK LEFT-POINTING TRIANGLE}", style=discord.ButtonStyle.secondary
    )
    async def previous(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(
        label="Next", emoji="\N{BLACK RIGHT-POINTING TRIANGLE}", style=discord.ButtonStyle.secondary
    )
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, 1)


class ReportingModal(discord.ui.Modal):
    """A modal whose submit errors reach the member as an ephemeral message."""

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error)
