"""Slash-command option types shared by features: a time option that previews how it is read, and a
channel option for threads (a text channel or a forum)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from .errors import UserError
from .timeparse import When, describe, humanize_delta, read_when
from .timezones import resolve_zone

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from .core import Cliffhanger

__all__ = ["ThreadHome", "ThreadHomeTransformer", "WhenTransformer", "server_zone"]

log = logging.getLogger(__name__)

# Shown before the member types anything: each one previews what it means right now.
SUGGESTIONS = ("in 1 hour", "tomorrow 21:00", "friday 21:00", "in 1 week")


async def server_zone(interaction: discord.Interaction[Cliffhanger]) -> ZoneInfo:
    """The zone this server's times are read in (/config timezone), UTC outside a server."""
    if interaction.guild_id is None:
        return resolve_zone("UTC")
    settings = await interaction.client.guild_store.get(interaction.guild_id)
    return resolve_zone(settings.timezone)


def _now(interaction: discord.Interaction[Cliffhanger]) -> dt.datetime:
    return dt.datetime.fromtimestamp(interaction.client.scheduler.clock.now(), dt.UTC)


def _plain(message: str) -> str:
    return message.replace("`", "").replace("*", "")


class WhenTransformer(app_commands.Transformer["Cliffhanger"]):
    """A time typed in any form `bot.timeparse.read_when` knows, read in the server's timezone.

    While the member types, autocomplete shows how the bot reads it ("Fri 17 Jan 2025 21:00
    America/New_York · in 3 days"), or what is wrong with it, before they press enter.
    `example` is a correct use of the command; `{when}` in it is replaced by a time that works.
    """

    def __init__(self, example: str, *, allow_past: bool = False) -> None:
        self.example = example
        self.allow_past = allow_past

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    # discord.py sends a string option's min_value and max_value as min_length and max_length (a
    # property named max_length is ignored), so Discord refuses anything longer before it reaches us.
    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return 100

    async def transform(self, interaction: discord.Interaction[Cliffhanger], value: Any, /) -> When:
        zone = await server_zone(interaction)
        return read_when(
            str(value), now=_now(interaction), zone=zone, allow_past=self.allow_past, example=self.example
        )

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Cliffhanger], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        zone = await server_zone(interaction)
        now = _now(interaction)
        typed = str(value).strip()[:100]
        if not typed:
            choices = []
            for text in SUGGESTIONS:
                try:
                    when = read_when(text, now=now, zone=zone, allow_past=True)
                except UserError:
                    continue  # 21:00 skipped by a DST change in this zone tomorrow: just leave it out
                label = f"{text} \N{RIGHTWARDS ARROW} {describe(when.at, when.zone)}"
                choices.append(app_commands.Choice(name=label, value=text))
            return choices
        try:
            when = read_when(typed, now=now, zone=zone, allow_past=self.allow_past, example=self.example)
        except UserError as exc:
            name = f"\N{WARNING SIGN} {_plain(exc.message)}"
            return [app_commands.Choice(name=name if len(name) <= 100 else name[:97] + "...", value=typed)]
        label = f"{describe(when.at, when.zone)} \N{MIDDLE DOT} {humanize_delta(when.at - now.timestamp())}"
        return [app_commands.Choice(name=label[:100], value=typed)]


# Where a feature opens threads: a text channel (a public thread each) or a forum (a post each).
ThreadHome = discord.TextChannel | discord.ForumChannel


class ThreadHomeTransformer(app_commands.Transformer["Cliffhanger"]):
    """A text channel or a forum (not news, not media), resolved to the cached channel. `what` names
    what goes there ("Theories"); `example` is a correct use of the command."""

    def __init__(self, what: str, example: str) -> None:
        self.what = what
        self.example = example

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.forum]

    async def transform(self, interaction: discord.Interaction[Cliffhanger], value: Any, /) -> ThreadHome:
        channel = interaction.guild.get_channel(getattr(value, "id", 0)) if interaction.guild else None
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel) or channel.type not in (
            discord.ChannelType.text,
            discord.ChannelType.forum,
        ):
            raise UserError(f"{self.what} go to a text channel or a forum.", example=self.example)
        return channel
