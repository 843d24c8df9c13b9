"""Shared interaction plumbing: views and modals that report errors the same way slash commands do."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import discord

from .errors import report_error

__all__ = ["ReportingModal", "ReportingView", "SettingsSection"]


@runtime_checkable
class SettingsSection(Protocol):
    """A cog that adds its own lines to `/config show`."""

    async def settings_fields(self, guild: discord.Guild) -> list[tuple[str, str]]: ...


class ReportingView(discord.ui.View):
    """A view whose item errors reach the member as an ephemeral message, like command errors."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error)


class ReportingModal(discord.ui.Modal):
    """A modal whose submit errors reach the member as an ephemeral message."""

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error)
