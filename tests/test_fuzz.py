"""Fuzz every registered slash command through the loopback with hypothesis.

Whatever a member can type (random text, huge numbers, unicode, markdown, mentions, `||`), the bot
answers in time with a success or a clear ephemeral error, never an internal error, and never sends
Discord a request it would refuse. Commands are discovered from what the bot registered, so every
new command is fuzzed without touching this file.
"""

from __future__ import annotations

from typing import Any

import discord
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.text import EXCERPT_MAX
from tests.harness import Harness
from tests.loopback import Actor, ClientRefused, Reply
from tests.loopback.actor import BOOLEAN, CHANNEL, INTEGER, MENTIONABLE, NUMBER, ROLE, STRING, USER
from tests.support import NASTY


def text_for(definition: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = definition.get("min_length", 0), definition.get("max_length", 200)
    pieces = st.one_of(st.sampled_from(NASTY), st.text(min_size=0, max_size=30))
    joined = st.lists(pieces, min_size=1, max_size=6).map("".join)
    huge = st.just("x" * high)
    return (
        st.one_of(joined, st.text(max_size=high), huge)
        .map(lambda s: (s * 2)[:high])
        .filter(lambda s: len(s) >= low)
    )


def value_for(harness: Harness, definition: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = definition["type"]
    if definition.get("choices"):
        return st.sampled_from([c["value"] for c in definition["choices"]])
    if kind == STRING:
        return text_for(definition)
    if kind in (INTEGER, NUMBER):
        low, high = definition.get("min_value", -(2**53)), definition.get("max_value", 2**53)
        return st.integers(int(low), int(high)) if kind == INTEGER else st.floats(low, high, allow_nan=False)
    if kind == BOOLEAN:
        return st.booleans()
    world = harness.world
    if kind == USER:
        return st.sampled_from(list(world.members.values()))
    if kind == ROLE:
        return st.sampled_from(list(harness.guild.roles.values()))
    if kind == MENTIONABLE:
        return st.sampled_from([*world.members.values(), *harness.guild.roles.values()])
    if kind == CHANNEL:
        allowed = definition.get("channel_types")
        channels = [c for c in harness.guild.channels.values() if not allowed or c.type in allowed]
        return st.sampled_from(channels) if channels else st.nothing()
    return st.nothing()


def leaf_commands(harness: Harness) -> list[tuple[str, list[dict[str, Any]]]]:
    leaves: list[tuple[str, list[dict[str, Any]]]] = []

    def walk(path: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (1, 2)]
        if not subs:
            leaves.append((path, options))
        for sub in subs:
            walk(f"{path} {sub['name']}", sub.get("options") or [])

    for command in harness.lb.global_commands:
        walk(command["name"], command.get("options") or [])
    return sorted(leaves)


@st.composite
def invocations(draw: st.DrawFn, harness: Harness) -> tuple[str, str, dict[str, Any]]:
    path, definitions = draw(st.sampled_from(leaf_commands(harness)))
    who = draw(st.sampled_from(["owner", "mod", "alice"]))
    options: dict[str, Any] = {}
    for definition in definitions:
        if definition.get("required") or draw(st.booleans()):
            options[definition["name"]] = draw(value_for(harness, definition))
    return who, path, options


def assert_clean(reply: Reply, what: str, inputs: Any = ()) -> None:
    assert not reply.expired, f"{what}: no answer within the deadline"
    assert "Something went wrong on my side" not in reply.text, f"{what}: internal error: {reply.text}"
    if reply.kind == "message" and reply.content.startswith("\N{CROSS MARK}"):
        assert reply.ephemeral, f"{what}: a public error message"
        for value in inputs:
            assert not echoes(reply.content, value), f"{what}: the error echoes the input at length"


def echoes(text: str, value: Any) -> bool:
    """Whether `text` quotes more than an excerpt (bot.text.EXCERPT_MAX) of a typed value."""
    if not isinstance(value, str):
        return False
    flat = " ".join(value.split())
    n = EXCERPT_MAX + 1
    return any(flat[i : i + n] in text for i in range(len(flat) - n + 1))


async def fuzz_once(
    harness: Harness, who: str, path: str, options: dict[str, Any], data: st.DataObject
) -> None:
    actor: Actor = harness.actor(who)
    what = f"{who} /{path} {options!r}"
    try:
        reply = await actor.slash(path, **options)
    except ClientRefused:
        return
    if reply.kind == "deferred":
        await reply.wait_done()
    assert_clean(reply, what, options.values())
    if reply.kind == "modal":
        values: dict[str, Any] = {}
        for row in reply.modal.get("components") or []:
            for field in row.get("components") or ([row["component"]] if "component" in row else []):
                values[field["custom_id"]] = data.draw(
                    text_for({**field, "min_length": max(1, field.get("min_length", 0))})
                )
        try:
            submitted = await actor.submit(reply, **values)
        except ClientRefused:
            return
        if submitted.kind == "deferred":
            await submitted.wait_done()
        assert_clean(submitted, f"{what} modal {values!r}")
    message = reply.message
    buttons = [
        b
        for b in (message.buttons() if message else [])
        if b.get("type") == 2 and b.get("custom_id") and not b.get("disabled")
    ]
    if message is not None and buttons:
        button = data.draw(st.sampled_from(buttons))
        clicker = harness.actor(data.draw(st.sampled_from(["owner", "alice"])))
        try:
            clicked = await clicker.click(message, button["custom_id"])
        except ClientRefused:
            return
        if clicked.kind == "deferred":
            await clicked.wait_done()
        assert_clean(clicked, f"{what} then click {button.get('label')}")
    assert not harness.lb.violations, f"{what}: {harness.lb.violations}"


async def test_every_free_text_option_declares_its_length_to_discord(harness: Harness) -> None:
    """Discord's client enforces max_length; without it a member can paste 6,000 characters."""
    unbounded = [
        f"/{path} {d['name']}"
        for path, definitions in leaf_commands(harness)
        for d in definitions
        if d["type"] == STRING and not d.get("choices") and "max_length" not in d
    ]
    assert not unbounded, f"string options without max_length: {unbounded}"


async def test_every_slash_command_survives_fuzzed_options(harness: Harness) -> None:
    assert leaf_commands(harness), "no commands registered"

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        who, path, options = data.draw(invocations(harness))
        harness.run(fuzz_once(harness, who, path, options, data))

    await harness.in_thread(check)


async def test_every_autocomplete_survives_fuzzed_input(harness: Harness) -> None:
    targets = [
        (path, definition)
        for path, definitions in leaf_commands(harness)
        for definition in definitions
        if definition.get("autocomplete")
    ]
    if not targets:
        return

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        path, definition = data.draw(st.sampled_from(targets))
        typed = data.draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=100)))
        typed_options: dict[str, Any] = {definition["name"]: typed}
        choices = harness.run(harness.alice.autocomplete(path, definition["name"], **typed_options))
        assert len(choices) <= 25
        for choice in choices:
            assert 1 <= len(choice["name"]) <= 100
        assert not harness.lb.violations, harness.lb.violations

    await harness.in_thread(check)


LIST_COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("config show", {}),
    ("spoilers channel list", {}),
    ("spoilers words list", {}),
    ("spoilers roles list", {}),
    ("recap list", {}),
    ("countdown list", {"show": "all"}),
    ("theory list", {}),
]


async def test_long_lists_always_fit_discords_limits(harness: Harness) -> None:
    """However many spoiler channels, words, roles and refusals pile up, every list reply is one
    Discord accepts (the loopback refuses field values past 1,024, more than 25 fields, 6,000
    characters across a message's embeds and content past 2,000)."""
    from bot.episodes import EpisodeCode

    h = harness
    await h.owner.slash("config moderator-role", role=h.world.mod_role)

    async def grow(channels: int, words: list[str], roles: int, name: str) -> None:
        for n in range(channels):
            channel = h.lb.add_channel(h.guild, f"{name}-{n}"[:100])
            if n % 3 == 0:
                h.lb.set_overwrite(
                    channel, h.lb.bot_role(h.guild), deny=discord.Permissions(send_messages=True)
                )
            await h.bot.spoiler_channels.add(h.guild.id, channel.id, h.owner.id, 0)
        for n, word in enumerate(words):
            await h.bot.spoiler_words.add_word(
                h.guild.id, EpisodeCode(1 + n % 3, 1 + n % 7), word, h.owner.id
            )
        for n in range(roles):
            role = h.lb.add_role(h.guild, f"{name}-{n}"[:100])
            await h.bot.progress.set_role(h.guild.id, EpisodeCode(1 + n % 5, 1 + n), role.id)
            await h.bot.role_refusals.note(
                h.guild.id, role.id, "it carries " + ", ".join(["Ban Members"] * 9), n
            )
        await h.settle()
        for path, options in LIST_COMMANDS:
            reply = await h.mod.slash(path, **options)
            if reply.kind == "deferred":
                await reply.wait_done()
            assert_clean(reply, f"/{path}")
            assert not h.lb.violations, f"/{path}: {h.lb.violations}"

    # No shrinking: each example grows the same server, so a smaller one would not replay the failure.
    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
    )
    @given(
        channels=st.integers(0, 25),
        words=st.lists(
            st.text(alphabet="abcdefghij |`*_", min_size=1, max_size=100).filter(str.strip), max_size=25
        ),
        roles=st.integers(0, 12),
        name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=90),
    )
    def check(channels: int, words: list[str], roles: int, name: str) -> None:
        harness.run(grow(channels, words, roles, name))

    await harness.in_thread(check)
