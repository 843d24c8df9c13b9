"""Spoiler cards: a recap as Components V2 messages that Discord accepts, with markdown kept and no pings."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.spoiler_cards import CARD_TEXT_LIMIT, card_texts, spoiler_cards
from bot.text import ZWSP
from tests.harness import Harness
from tests.loopback.components_v2 import IS_COMPONENTS_V2, texts
from tests.loopback.spec import validate_body

HEADER = "\N{CLAPPER BOARD} Recap: Severance S2E3, spoilers below"
PING = re.compile(r"@everyone|@here|<@!?\d|<@&\d", re.IGNORECASE)
RECAP = """# What happened
- **Helly** is back on the *severed* floor
- Mark finds the [map](https://example.com/map)

> Milchick: "Devour feculence."

```py
def reintegrate(mark):
    return mark
```
||the goat room|| and `the code`"""


def message_body(view: discord.ui.LayoutView) -> dict[str, Any]:
    """What discord.py sends for `channel.send(view=view)` with AllowedMentions.none()."""
    return {"flags": IS_COMPONENTS_V2, "components": view.to_components(), "allowed_mentions": {"parse": []}}


def check_cards(
    text: str, header: str, views: list[discord.ui.LayoutView]
) -> list[tuple[list[str], list[str]]]:
    """Every card is a V2 message Discord accepts, pings no one, and keeps the header outside the spoiler
    on the first card only; returns (shown, hidden) text of each."""
    out = []
    for i, view in enumerate(views):
        body = message_body(view)
        assert validate_body("POST", "/channels/1/messages", body) == []
        assert view.content_length() <= CARD_TEXT_LIMIT
        shown = texts(body["components"], spoiler=False)
        hidden = texts(body["components"], spoiler=True)
        assert len(shown) == (1 if i == 0 and header.strip() else 0)
        for part in shown + hidden:
            assert not PING.search(part), part
        for part in hidden:
            assert part.count("```") % 2 == 0  # a code block cut in two is closed on each card
        out.append((shown, hidden))
    return out


def test_a_recap_that_fits_is_one_blurred_card_with_its_markdown_intact() -> None:
    (view,) = spoiler_cards(RECAP, header=HEADER)
    components = view.to_components()
    assert components == [
        {"type": 10, "content": HEADER},
        {"type": 17, "accent_color": None, "spoiler": True, "components": [{"type": 10, "content": RECAP}]},
    ]
    check_cards(RECAP, HEADER, [view])


def test_mentions_are_defused_in_the_text_and_the_header() -> None:
    (view,) = spoiler_cards("@everyone look, <@123> and <@&456> and <@!789>", header="by <@42> @here")
    ((shown, hidden),) = check_cards("", "x", [view])
    assert hidden == [f"@{ZWSP}everyone look, <@{ZWSP}123> and <@{ZWSP}&456> and <@{ZWSP}!789>"]
    assert shown == [f"by <@{ZWSP}42> @{ZWSP}here"]


def test_the_longest_recap_continues_in_a_second_card() -> None:
    sentence = "Helly walks the long corridor again. "
    recap = (sentence * (4000 // len(sentence) + 1))[:4000]  # a modal holds at most 4,000 characters
    views = spoiler_cards(recap, header=HEADER)
    assert len(views) == 2
    cards = check_cards(recap, HEADER, views)
    joined = " ".join(hidden[0] for _shown, hidden in cards)
    assert joined.split() == recap.split()
    assert cards[0][1][0].endswith(".")  # cut at a sentence end


def test_a_code_block_cut_in_two_is_reopened_with_its_language() -> None:
    code = "```py\n" + "\n".join(f"x{i} = {i}" for i in range(800)) + "\n```\nafter the code"
    cards = card_texts(code, header=HEADER)
    assert len(cards) >= 2
    assert cards[0][1].endswith("\n```")
    assert cards[1][1].startswith("```py\n")
    assert cards[-1][1].endswith("after the code")
    check_cards(code, HEADER, spoiler_cards(code, header=HEADER))


def test_a_header_alone_and_nothing_at_all() -> None:
    assert card_texts("   ", header=HEADER) == [(HEADER, "")]
    (view,) = spoiler_cards("", header=HEADER)
    assert view.to_components() == [{"type": 10, "content": HEADER}]
    with pytest.raises(ValueError, match="needs a header or some text"):
        card_texts(" \n ", header=" ")


TOKENS = [
    *"ab \n\t#>-*_~|`\\.!?:é",
    "\N{SPARKLES}",
    "```",
    "```py\n",
    "@everyone",
    "@here",
    "<@",
    "<@&",
    "<@!",
    "123>",
]
hostile = st.lists(st.sampled_from([*TOKENS, "Helly " * 80, "x" * 700]), max_size=400).map(
    lambda t: "".join(t)[:4000]
)


@settings(max_examples=60, deadline=None)
@given(hostile, st.text(max_size=300), st.sampled_from([CARD_TEXT_LIMIT, 500, 100]))
def test_any_recap_becomes_cards_discord_accepts(text: str, header: str, limit: int) -> None:
    try:
        views = spoiler_cards(text, header=header, limit=limit)
    except ValueError:
        assert not text.strip() and not " ".join(header.split())
        return
    check_cards(text, header, views)
    for view in views:
        assert view.content_length() <= limit
    if "`" not in text:  # no fences added: the cards hold the text itself (spacing at the cuts aside)
        hidden = "".join(t for view in views for t in texts(message_body(view)["components"], spoiler=True))
        assert "".join(hidden.replace(ZWSP, "").split()) == "".join(text.split())


async def test_cards_are_posted_edited_and_deleted_through_the_real_client(harness: Harness) -> None:
    lb, world = harness.lb, harness.world
    channel = harness.bot.get_channel(world.spoilers.id)
    assert isinstance(channel, discord.TextChannel)
    alice = world.members["alice"].user.id
    recap = f"{RECAP}\n\n@everyone <@{alice}> <@&{world.mod_role.id}> " + "the end. " * 600
    posted = [
        await channel.send(view=v, allowed_mentions=discord.AllowedMentions.all())
        for v in spoiler_cards(recap, header=HEADER)
    ]
    assert len(posted) == 2
    stored = [lb.messages[m.id] for m in posted]
    for message in stored:
        assert message.flags & IS_COMPONENTS_V2 and message.content == ""
        assert (message.pinged_users, message.pinged_roles, message.pinged_everyone) == ([], [], False)
    assert texts(stored[0].components, spoiler=False) == [HEADER]
    assert texts(stored[0].components, spoiler=True)[0].startswith("# What happened\n- **Helly**")

    shorter = spoiler_cards("# What happened\n- only Helly", header=HEADER)
    await posted[0].edit(view=shorter[0])
    await posted[1].delete()
    assert texts(stored[0].components, spoiler=True) == ["# What happened\n- only Helly"]
    assert stored[1].deleted
    assert lb.violations == []
