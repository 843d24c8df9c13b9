"""/about: what is running, and whether it is healthy."""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

import bot as bot_package
from bot.db import StorageError

if TYPE_CHECKING:
    from bot.core import Cliffhanger

log = logging.getLogger(__name__)


def _uptime(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _latency(seconds: float) -> str:
    return "measuring..." if math.isnan(seconds) or math.isinf(seconds) else f"{seconds * 1000:.0f} ms"


def _average_latency(latencies: list[float]) -> str:
    """The mean over shards that have measured one yet (a shard is `inf` until its first heartbeat)."""
    measured = [s for s in latencies if math.isfinite(s)]
    return _latency(sum(measured) / len(measured) if measured else math.inf)


class Meta(commands.Cog):
    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot

    @app_commands.command(
        name="about", description="What Cliffhanger is, and whether it is healthy right now"
    )
    @app_commands.guild_only()
    async def about(self, interaction: discord.Interaction[Cliffhanger]) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        embed = discord.Embed(
            title="Cliffhanger",
            description="Countdowns, spoiler-safe recaps and theory threads for your show.",
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name="Version", value=f"{bot_package.__version__} (discord.py {discord.__version__})")
        latencies = dict(self.bot.latencies)
        embed.add_field(name="Gateway latency", value=_average_latency(list(latencies.values())))
        shard_id = interaction.guild.shard_id if interaction.guild is not None else 0
        embed.add_field(
            name="Shards",
            value=f"{self.bot.shard_count or 1}; this server is on shard {shard_id} "
            f"({_latency(latencies.get(shard_id, math.inf))})",
        )
        embed.add_field(name="Uptime", value=_uptime(time.monotonic() - self.bot.started_at))
        embed.add_field(name="Database", value=await self.database_status(), inline=False)
        pending = await self.bot.jobs.count_pending(interaction.guild_id)
        embed.add_field(
            name="Scheduled",
            value=f"{pending} announcement{'s' if pending != 1 else ''} pending for this server"
            + ("" if self.bot.scheduler.running else " \N{WARNING SIGN} the scheduler is stopped"),
            inline=False,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def database_status(self) -> str:
        started = time.perf_counter()
        try:
            version = await self.bot.db.schema_version()
        except StorageError as exc:
            log.warning("database check failed: %s", exc)
            return f"\N{WARNING SIGN} not answering ({type(exc).__name__})"
        elapsed = (time.perf_counter() - started) * 1000
        return f"OK, schema version {version}, answered in {elapsed:.1f} ms"


async def setup(bot: Cliffhanger) -> None:
    await bot.add_cog(Meta(bot))
