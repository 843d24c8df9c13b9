"""The loopback's Components V2: it must refuse the V2 messages Discord refuses, on create and on edit."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from tests.harness import Harness, World
from tests.loopback import LoopbackDiscord
from tests.loopback.components_v2 import IS_COMPONENTS_V2, texts
from tests.loopback.spec import validate_body

V2 = IS_COMPONENTS_V2
MESSAGES = "/channels/1/messages"


def text(content: str) -> dict[str, Any]:
    return {"type": 10, "content": content}


def card(*children: dict[str, Any], spoiler: bool = True) -> dict[str, Any]:
    return {"type": 17, "spoiler": spoiler, "components": list(children)}


def row() -> dict[str, Any]:
    return {"type": 1, "components": [{"type": 2, "style": 2, "label": "Show anyway", "custom_id": "x"}]}


def refused(body: dict[str, Any], fragment: str, *, method: str = "POST", path: str = MESSAGES) -> None:
    problems = validate_body(method, path, body)
    assert any(fragment in p for p in problems), problems


def expect_violation(lb: LoopbackDiscord, fragment: str) -> None:
    assert any(fragment in v for v in lb.violations), lb.violations
    lb.violations.clear()  # expected here; any other test with a violation fails


# -- bodies on their own ----------------------------------------------------------------------------
def test_a_v2_message_is_its_components_alone() -> None:
    good = {"flags": V2, "components": [text("Recap: S2E3"), card(text("# Heading\n- a list"))]}
    assert validate_body("POST", MESSAGES, good) == []
    assert (
        validate_body("POST", MESSAGES, {**good, "content": None, "embeds": []}) == []
    )  # reset values are fine
    refused({**good, "content": "hi"}, "content: not allowed with the IS_COMPONENTS_V2 flag")
    refused({**good, "embeds": [{"description": "x"}]}, "embeds: not allowed")
    refused({**good, "sticker_ids": ["1"]}, "sticker_ids: not allowed")
    refused(
        {**good, "poll": {"question": {"text": "q"}, "answers": [{"poll_media": {"text": "a"}}]}},
        "poll: not allowed",
    )


def test_v2_components_need_the_flag_and_legacy_messages_hold_five_rows() -> None:
    refused({"components": [card(text("x"))]}, "components/0: type 17 needs the IS_COMPONENTS_V2 flag")
    refused({"content": "x", "components": [text("x")]}, "type 10 needs the IS_COMPONENTS_V2 flag")
    refused({"content": "x", "components": [row()] * 6}, "6 action rows, the limit is 5")
    assert validate_body("POST", MESSAGES, {"content": "x", "components": [row()] * 5}) == []
    assert validate_body("POST", MESSAGES, {"flags": V2, "components": [row()] * 6}) == []


def test_at_most_40_components_counting_nested_ones() -> None:
    body = {"flags": V2, "components": [card(*[text("x")] * 39)]}  # 1 container + 39 text displays
    assert validate_body("POST", MESSAGES, body) == []
    body["components"] = [card(*[text("x")] * 38), row()]  # 1 + 38 + a row and its button = 41
    refused(body, "components: 41 in all (nested ones count), the limit is 40")


def test_text_displays_total_at_most_4000_characters() -> None:
    assert validate_body("POST", MESSAGES, {"flags": V2, "components": [text("a" * 4000)]}) == []
    refused({"flags": V2, "components": [text("a" * 4001)]}, "components/0")  # the spec: one is at most 4000
    split = {"flags": V2, "components": [text("h" * 100), card(text("a" * 3901))]}
    refused(split, "Text Displays total 4001 characters, the limit is 4000")
    refused({"flags": V2, "components": [card(text(""))]}, "components/0")  # an empty Text Display


def test_container_fields_follow_the_spec() -> None:
    refused(
        {"flags": V2, "components": [{"type": 17, "spoiler": "yes", "components": [text("x")]}]}, "spoiler"
    )
    refused({"flags": V2, "components": [{"type": 17, "spoiler": True, "components": []}]}, "components")
    refused({"flags": V2, "components": [card({"type": 2, "style": 2, "custom_id": "x"})]}, "components/0")


def test_every_route_that_carries_a_message_is_checked() -> None:
    v2_with_content = {"flags": V2, "content": "x", "components": [card(text("y"))]}
    refused({"type": 4, "data": v2_with_content}, "content: not allowed", path="/interactions/1/t/callback")
    refused(v2_with_content, "content: not allowed", path="/webhooks/1/t")
    refused(
        {"name": "S2E3 discussion", "message": v2_with_content},
        "content: not allowed",
        path="/channels/1/threads",
    )
    # A modal's Text Display is not a message's, and an update of the clicked message is an edit.
    modal = {"type": 9, "data": {"custom_id": "m", "title": "t", "components": [text("Write your recap")]}}
    assert validate_body("POST", "/interactions/1/t/callback", modal) == []
    update = {"type": 7, "data": {"components": [card(text("y"))]}}
    assert validate_body("POST", "/interactions/1/t/callback", update) == []


# -- through REST: create, edit, pings ---------------------------------------------------------------
async def test_create_and_edit_keep_v2_rules(loopback: LoopbackDiscord, world: World, http: Any) -> None:
    path = f"/channels/{world.spoilers.id}/messages"
    status, posted = await http(
        "POST", path, {"flags": V2, "components": [text("Recap"), card(text("**Helly** wins"))]}
    )
    assert status == 200 and posted["flags"] & V2 and posted["content"] == ""
    message = loopback.messages[int(posted["id"])]
    assert texts(message.components, spoiler=True) == ["**Helly** wins"]
    assert texts(message.components, spoiler=False) == ["Recap"]
    assert "**Helly** wins" in message.text
    edit = f"{path}/{posted['id']}"

    status, data = await http("PATCH", edit, {"content": "plain again"})
    assert (status, data["code"]) == (400, 50035)
    expect_violation(loopback, "content: not allowed on a message with the IS_COMPONENTS_V2 flag")
    status, _ = await http("PATCH", edit, {"flags": 0, "components": [row()]})
    assert status == 400
    expect_violation(loopback, "can't be removed")
    assert message.history == [] and texts(message.components) == ["Recap", "**Helly** wins"]
    status, _ = await http("PATCH", edit, {"components": [text("Recap"), card(text("edited"))]})
    assert status == 200 and texts(message.components, spoiler=True) == ["edited"] and message.flags & V2

    # A legacy message turns V2 only when its content is reset in the same edit.
    _, legacy = await http("POST", path, {"content": "old recap"})
    legacy_edit = f"{path}/{legacy['id']}"
    status, _ = await http("PATCH", legacy_edit, {"flags": V2, "components": [card(text("new"))]})
    assert status == 400
    expect_violation(loopback, "content: must be reset to null")
    status, _ = await http("PATCH", legacy_edit, {"components": [card(text("new"))]})
    assert status == 400
    expect_violation(loopback, "needs the IS_COMPONENTS_V2 flag")
    status, turned = await http(
        "PATCH", legacy_edit, {"flags": V2, "content": None, "components": [card(text("new"))]}
    )
    assert status == 200 and turned["content"] == "" and turned["flags"] & V2


async def test_mentions_in_text_displays_ping_as_allowed(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    alice = world.members["alice"].user.id
    path = f"/channels/{world.general.id}/messages"
    body = {"flags": V2, "components": [card(text(f"<@{alice}> look"))]}
    _, default = await http("POST", path, body)
    assert loopback.messages[int(default["id"])].pinged_users == [alice]
    _, quiet = await http("POST", path, {**body, "allowed_mentions": {"parse": []}})
    assert loopback.messages[int(quiet["id"])].pinged_users == []


async def test_the_real_client_posts_edits_and_deletes_a_spoiler_card(harness: Harness) -> None:
    lb, world = harness.lb, harness.world
    channel = harness.bot.get_channel(world.spoilers.id)
    assert isinstance(channel, discord.TextChannel)

    def layout(body: str) -> discord.ui.LayoutView:
        view = discord.ui.LayoutView(timeout=None)
        view.add_item(discord.ui.TextDisplay("Recap: S2E3"))
        view.add_item(discord.ui.Container(discord.ui.TextDisplay(body), spoiler=True))
        return view

    sent = await channel.send(
        view=layout("## What happened\n- Helly"), allowed_mentions=discord.AllowedMentions.none()
    )
    stored = lb.messages[sent.id]
    assert stored.flags & V2 and texts(stored.components, spoiler=True) == ["## What happened\n- Helly"]
    await sent.edit(view=layout("## What happened\n- Helly and Mark"))
    assert texts(stored.components, spoiler=True) == ["## What happened\n- Helly and Mark"]
    with pytest.raises(discord.HTTPException) as refusal:
        await sent.edit(content="now as tags")
    assert refusal.value.status == 400
    expect_violation(lb, "content: not allowed")
    await sent.delete()
    assert stored.deleted
