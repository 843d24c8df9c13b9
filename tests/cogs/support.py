"""Helpers for the spoilers end-to-end tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.episodes import EpisodeCode
from tests.harness import Harness
from tests.loopback import Actor
from tests.loopback.gateway import INTENT_MESSAGE_CONTENT, PRIVILEGED
from tests.loopback.state import Message

DAY = 86_400


def now(h: Harness) -> int:
    return int(h.clock.now())


async def severance(h: Harness, *, spoiler_channel: bool = True) -> None:
    """Severance with a ten-episode season 2: S2E1..S2E3 aired (S2E3 yesterday), S2E4.. still to come."""
    reply = await h.owner.slash("config show-name", name="Severance")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.content
    reply = await h.owner.slash("config moderator-role", role=h.world.mod_role)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.content
    t = now(h)
    await h.bot.episodes.upsert(
        h.guild.id, [(EpisodeCode(2, n), None, t + (n - 4) * 7 * DAY + 6 * DAY) for n in range(1, 11)]
    )
    if spoiler_channel:
        reply = await h.owner.slash("spoilers channel add", channel=h.world.spoilers)
        assert "\N{WHITE HEAVY CHECK MARK}" in reply.content, reply.content


async def air_time(h: Harness, code: EpisodeCode) -> int:
    """When the episode airs, as the schedule says."""
    episode = await h.bot.episodes.get(h.guild.id, code)
    assert episode is not None and episode.air_at is not None
    return episode.air_at


async def recap_format(h: Harness, style: str) -> None:
    """A moderator picks how recaps are posted: "cards" (the default) or "tags"."""
    reply = await h.mod.slash(f"spoilers format {style}")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text


async def with_message_content(h: Harness) -> None:
    """The host enabled the Message Content intent in the portal and in .env, then restarted."""
    h.lb.app_flags |= PRIVILEGED[INTENT_MESSAGE_CONTENT]
    h.settings = replace(h.settings, message_content_intent=True)
    await h.restart()


async def write_recap(
    h: Harness, episode: str, text: str, *, actor: Actor | None = None, **options: Any
) -> list[Message]:
    """Run /recap write, fill in the modal, and return the messages it posted."""
    who = actor or h.mod
    before = set(h.lb.messages)
    reply = await who.slash("recap write", episode=episode, **options)
    assert reply.kind == "modal", reply.text
    done = await who.submit(reply, text=text)
    if done.kind == "deferred":
        await done.wait_done()
    assert "\N{WHITE HEAVY CHECK MARK}" in done.text, done.text
    return [
        m
        for m in h.lb.messages.values()
        if m.id not in before and not m.ephemeral and m.author.id == h.lb.bot_user.id
    ]
