"""The loopback's latency mode: requests take a round trip as over the internet, interactions arrive late."""

from __future__ import annotations

import time
from typing import Any

from tests.harness import Harness, World
from tests.loopback import LoopbackDiscord

LOW, HIGH = 0.08, 0.25


async def test_each_request_takes_a_round_trip_and_the_deadline_runs_from_discord(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    loopback.latency = (LOW, HIGH)
    took = []
    for _ in range(5):
        start = time.monotonic()
        assert (await http("GET", "/users/@me"))[0] == 200
        took.append(time.monotonic() - start)
    assert all(LOW <= t < HIGH + 0.2 for t in took), took
    inter = loopback.new_interaction(
        type=2, guild=world.guild, channel=world.general, member=world.members["alice"], data={}
    )
    path = f"/interactions/{inter.id}/{inter.token}/callback"
    assert (await http("POST", path, {"type": 4, "data": {"content": "hi"}}))[0] == 200
    assert inter.answered_at is not None and inter.answered_at - inter.created >= LOW / 2


async def test_the_interaction_reaches_the_bot_half_a_round_trip_after_discord_made_it(
    harness: Harness,
) -> None:
    harness.lb.latency = (LOW, HIGH)
    reply = await harness.owner.slash("about")
    assert reply.interaction.answered_at is not None
    assert reply.interaction.answered_at - reply.interaction.created >= LOW  # there and back
