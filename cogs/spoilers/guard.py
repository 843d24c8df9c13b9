"""The optional spoiler guard: a message leaking a fresh spoiler word is removed and reposted behind
spoiler tags, and its author is told why by DM."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.db.spoiler_words import SpoilerWord
from bot.episodes import EpisodeCode
from bot.spoilers import find_spoiler_word, spoiler_chunks, unspoilered_text
from bot.text import escape

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["GUARD_PERMISSIONS", "SpoilerGuard"]

log = logging.getLogger(__name__)

GUARD_PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, manage_messages=True)


class SpoilerGuard:
    """Reads members' messages (with the Message Content intent) in servers that turned it on."""

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot

    async def check(self, message: discord.Message) -> None:
        """Guard one new or edited message: outside spoiler channels, a fresh spoiler word that is
        not already behind spoiler tags gets the message removed and reposted."""
        if message.guild is None or message.author.bot or not message.content:
            return
        settings = await self.bot.guild_store.get(message.guild.id)
        if not settings.spoiler_guard:
            return
        channel = message.channel
        # Spoilers are welcome in spoiler channels and discussion threads (and threads in them).
        allowed = set(await self.bot.spoiler_channels.ids(message.guild.id))
        if settings.discussion_channel_id is not None:
            allowed.add(settings.discussion_channel_id)
        parent_id = getattr(channel, "parent_id", None)
        if channel.id in allowed or parent_id in allowed:
            return
        words = await self.bot.spoiler_words.fresh_words(
            message.guild.id, int(self.bot.scheduler.clock.now()), settings.spoiler_window_seconds
        )
        hit = find_spoiler_word(unspoilered_text(message.content), words)
        if hit is not None:
            await self.repost(message, hit.episode, words)

    async def repost(self, message: discord.Message, code: EpisodeCode, words: Sequence[SpoilerWord]) -> None:
        """Remove a leaking message and repost it behind spoiler tags; tell the author privately."""
        assert message.guild is not None  # noqa: S101 - guild messages only
        try:
            await message.delete()
        except discord.NotFound:
            return  # already gone
        except discord.HTTPException as exc:
            log.warning(
                "spoiler guard could not remove message %s in %s: %s", message.id, message.channel.id, exc
            )
            return
        name = message.author.display_name
        # The header shows outside the tags, so a display name holding a spoiler word is left out.
        who = "a member" if find_spoiler_word(name, words) else f"@{escape(name)}"
        header = f"\N{SPEAKING HEAD IN SILHOUETTE} From {who}, with spoilers for {code} (tap to reveal):"
        reposted = True
        try:
            for chunk in spoiler_chunks(message.content, header=header):
                await message.channel.send(
                    chunk, allowed_mentions=discord.AllowedMentions.none(), suppress_embeds=True
                )
        except discord.HTTPException as exc:
            reposted = False
            log.warning("spoiler guard could not repost message %s: %s", message.id, exc)
        spoiler_channels = await self.bot.spoiler_channels.ordered(message.guild.id)
        where = f" or in <#{spoiler_channels[0]}>" if spoiler_channels else ""
        server = escape(message.guild.name)
        done = (
            "I reposted it behind spoiler tags."
            if reposted
            else "I couldn't repost it, so here it is for you to post again behind tags:"
        )
        try:
            await message.author.send(
                f"\N{SEE-NO-EVIL MONKEY} Your message in <#{message.channel.id}> mentioned something from "
                f"**{code}**, which is still fresh in **{server}**. {done} "
                f"Next time wrap spoilers in `||like this||`{where}."
            )
            if not reposted:
                for chunk in spoiler_chunks(message.content):
                    await message.author.send(chunk)
        except discord.HTTPException:
            log.debug("could not DM %s about a guarded message", message.author.id)
