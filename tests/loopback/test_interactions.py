"""The loopback's interactions behave as Discord's: the first followup after a deferral is the response."""

from __future__ import annotations

from typing import Any

from tests.harness import World
from tests.loopback import LoopbackDiscord


async def test_the_first_followup_after_a_deferral_replaces_it_whatever_its_flags(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    alice = world.members["alice"]
    inter = loopback.new_interaction(type=2, guild=world.guild, channel=world.general, member=alice, data={})
    callback = f"/interactions/{inter.id}/{inter.token}/callback"
    assert (await http("POST", callback, {"type": 5}))[0] == 200  # a public deferral
    followup = f"/webhooks/{loopback.app_id}/{inter.token}"
    status, first = await http("POST", followup, {"content": "secret error", "flags": 64})
    assert status == 200
    assert inter.original is not None and first["id"] == str(inter.original.id)
    # The ephemeral flag was ignored: the error is the public response, seen by the whole channel.
    assert [m.content for m in loopback.channel_messages(world.general)] == ["secret error"]
    assert not inter.original.ephemeral and not inter.original.flags & 128
    # The next followup is a message of its own, and its flags count.
    status, second = await http("POST", followup, {"content": "just for you", "flags": 64})
    assert second["id"] != first["id"] and loopback.messages[int(second["id"])].ephemeral
    # An ephemeral deferral stays ephemeral, even when the followup asks for a public message.
    quiet = loopback.new_interaction(type=2, guild=world.guild, channel=world.general, member=alice, data={})
    await http("POST", f"/interactions/{quiet.id}/{quiet.token}/callback", {"type": 5, "data": {"flags": 64}})
    await http("POST", f"/webhooks/{loopback.app_id}/{quiet.token}", {"content": "done"})
    assert quiet.original is not None and quiet.original.ephemeral and quiet.original.content == "done"
    assert [m.content for m in loopback.channel_messages(world.general)] == ["secret error"]


def test_autocomplete_choice_values_stop_at_100_characters_though_the_spec_allows_6000() -> None:
    from tests.loopback.spec import validate_body

    def answer(value: str, name: str = "S2E3") -> list[str]:
        return validate_body(
            "POST",
            "/interactions/1/t/callback",
            {"type": 8, "data": {"choices": [{"name": name, "value": value}]}},
        )

    assert answer("x" * 100) == []
    assert answer("x" * 101) == ["choices/0/value: 101 characters, the limit is 100"]
    assert answer("S2E3", name="n" * 101)  # names: the spec's own limit
