"""/recap end to end through the loopback: writing, reading, editing and deleting, and every refusal."""

from __future__ import annotations

from typing import cast

import discord
import pytest

from bot.episodes import EpisodeCode
from cogs.recaps.store import RecapStore
from tests.cogs.support import recap_format, severance, write_recap
from tests.harness import Harness
from tests.loopback.components_v2 import IS_COMPONENTS_V2, texts
from tests.support import PING


def recaps(h: Harness) -> RecapStore:
    cog = h.bot.get_cog("Recaps")
    assert cog is not None
    return cast("RecapStore", cog.store)  # type: ignore[attr-defined]


TRICKY = "Mark meets || Reghabi || in the @everyone <@&1> room\n# Big reveal\n" + "Helly is Helena. " * 200


async def test_a_recap_thread_name_is_checked_too(harness: Harness) -> None:
    h = harness
    await severance(h)
    await h.mod.slash("spoilers words add", episode="S2E4", word="Severance")  # not aired: fresh
    reply = await h.mod.slash("recap write", episode="S2E3", thread=True)
    assert "spoiler word for S2E4" in reply.text


async def test_a_recap_is_posted_hidden_split_and_never_pings(harness: Harness) -> None:
    h = harness
    await severance(h)
    await recap_format(h, "tags")
    posted = await write_recap(h, "2x03", TRICKY)
    assert len(posted) > 1
    assert all(m.channel_id == h.world.spoilers.id for m in posted)
    assert posted[0].content.startswith("\N{CLAPPER BOARD} Recap: Severance S2E3, spoilers below\n||")
    for message in posted:
        assert len(message.content) <= 2000
        assert message.content.endswith("||")
        assert not message.pinged_everyone and not message.pinged_roles and not message.pinged_users
        assert not PING.search(message.content)
    assert "\\|\\| Reghabi \\|\\|" in posted[0].content
    recap = await recaps(h).get(h.guild.id, EpisodeCode(2, 3))
    assert recap is not None and recap.message_ids == tuple(m.id for m in posted)

    reply = await h.alice.slash("recap write", episode="S2E3")
    assert "already has a recap" in reply.text and "/recap edit episode:S2E3" in reply.text


async def test_recaps_only_go_in_spoiler_channels(harness: Harness) -> None:
    h = harness
    await severance(h, spoiler_channel=False)
    reply = await h.mod.slash("recap write", episode="S2E3")
    assert "no spoiler channel" in reply.text and "/spoilers channel add" in reply.text
    await h.owner.slash("spoilers channel add", channel=h.world.spoilers)
    reply = await h.mod.slash("recap write", episode="S2E3", channel=h.world.general)
    assert "isn't a spoiler channel" in reply.text
    h.lb.set_overwrite(h.world.spoilers, h.lb.bot_role(h.guild), deny=discord.Permissions(send_messages=True))
    await h.settle()
    reply = await h.mod.slash("recap write", episode="S2E3")
    assert "**Send Messages**" in reply.text


async def test_a_recap_in_a_thread(harness: Harness) -> None:
    h = harness
    await severance(h)
    posted = await write_recap(h, "S2E3", "Short recap.", thread=True)
    [message] = posted
    thread = h.lb.channels[message.channel_id]
    assert thread.parent_id == h.world.spoilers.id and thread.name == "Severance S2E3 recap"


async def test_read_edit_delete_and_who_may(harness: Harness) -> None:
    h = harness
    await severance(h)
    posted = await write_recap(h, "S2E3", "First draft. " * 200, actor=h.alice)
    reply = await h.bob.slash("recap read", episode="S2E3")
    assert reply.ephemeral and "First draft." in reply.text and "||" in reply.content

    reply = await h.bob.slash("recap edit", episode="S2E3")
    assert "Only the recap's author or a moderator" in reply.text
    reply = await h.bob.slash("recap delete", episode="S2E3")
    assert "Only the recap's author or a moderator" in reply.text

    reply = await h.alice.slash("recap edit", episode="S2E3")
    assert reply.kind == "modal"
    done = await h.alice.submit(reply, text="Second draft, shorter.")
    await done.wait_done()
    assert "updated in place" in done.text
    assert "Second draft" in posted[0].text and posted[0].history  # edited, not reposted
    assert all(m.deleted for m in posted[1:])  # the recap got shorter
    reply = await h.alice.slash("recap list")
    assert "**S2E3**" in reply.text

    reply = await h.mod.slash("recap delete", episode="S2E3")
    await reply.wait_done()
    assert "deleted" in reply.text
    assert posted[0].deleted
    reply = await h.alice.slash("recap read", episode="S2E3")
    assert "no recap of S2E3" in reply.text


async def test_progress_hides_a_recap_and_show_anyway_works_after_a_restart(harness: Harness) -> None:
    h = harness
    await severance(h)
    await write_recap(h, "S2E3", "Reghabi returns.")
    await write_recap(h, "S2E1", "The elevator.")
    await h.alice.slash("progress set", episode="S2E2")

    choices = await h.alice.autocomplete("recap read", "episode", episode="")
    assert [c["value"] for c in choices] == ["S2E1"]  # S2E3 is past her progress
    choices = await h.bob.autocomplete("recap read", "episode", episode="")
    assert [c["value"] for c in choices] == ["S2E1", "S2E3"]

    notice = await h.alice.slash("recap read", episode="S2E3")
    assert notice.ephemeral and "haven't reached it yet" in notice.text and "S2E2" in notice.text
    assert "Reghabi" not in notice.text

    await h.restart()
    shown = await h.alice.click(notice.message, "Show anyway")  # type: ignore[arg-type]
    assert shown.ephemeral and "Reghabi returns." in shown.text and "||" in shown.content

    # The recap deleted meanwhile: the button says so.
    await (await h.mod.slash("recap delete", episode="S2E3")).wait_done()
    gone = await h.alice.click(notice.message, "Show anyway")  # type: ignore[arg-type]
    assert "deleted" in gone.text


async def test_a_refused_post_saves_nothing_and_says_why(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.mod.slash("recap write", episode="S2E3")
    h.lb.inject(403, method="POST", path=r"/channels/\d+/messages$")
    done = await h.mod.submit(reply, text="A recap.")
    await done.wait_done()
    assert "wouldn't let me post" in done.text and "Nothing was saved" in done.text
    assert await recaps(h).get(h.guild.id, EpisodeCode(2, 3)) is None
    assert not [m for m in h.lb.channel_messages(h.world.spoilers) if not m.deleted]


@pytest.mark.parametrize(("style", "long"), [("tags", "Long. " * 600), ("cards", "Long. " * 666)])
async def test_an_edit_that_grows_posts_more_and_replaces_messages_removed_by_hand(
    harness: Harness, style: str, long: str
) -> None:
    h = harness
    await severance(h)
    await recap_format(h, style)
    [first] = await write_recap(h, "S2E3", "Short.")
    reply = await h.mod.slash("recap edit", episode="S2E3")
    done = await h.mod.submit(reply, text=long)
    await done.wait_done()
    recap = await recaps(h).get(h.guild.id, EpisodeCode(2, 3))
    assert recap is not None and len(recap.message_ids) == 2 and recap.message_ids[0] == first.id
    assert first.history and "Long." in first.text
    # A moderator removes the first message by hand; the next edit reposts that part.
    h.lb._delete_message(first)
    reply = await h.mod.slash("recap edit", episode="S2E3")
    done = await h.mod.submit(reply, text="Back to short.")
    await done.wait_done()
    recap = await recaps(h).get(h.guild.id, EpisodeCode(2, 3))
    assert recap is not None and len(recap.message_ids) == 1 and recap.message_ids[0] != first.id
    assert "Back to short." in h.lb.messages[recap.message_ids[0]].text


async def test_an_open_edit_form_rechecks_the_recap_and_the_member_at_submit(harness: Harness) -> None:
    """Deleted meanwhile: the old text used to be posted again. Demoted meanwhile: a moderator's open
    form still overwrote a member's recap."""
    h = harness
    await severance(h)
    await write_recap(h, "S2E3", "Alice's recap.", actor=h.alice)
    form = await h.alice.slash("recap edit", episode="S2E3")
    assert form.kind == "modal"
    gone = await h.mod.slash("recap delete", episode="S2E3")
    await gone.wait_done()
    before = {m.id for m in h.lb.channel_messages(h.world.spoilers)}
    done = await h.alice.submit(form, text="Edited after the delete.")
    assert done.ephemeral and "was deleted while you were editing it" in done.text, done.text
    assert {m.id for m in h.lb.channel_messages(h.world.spoilers)} == before
    assert await recaps(h).get(h.guild.id, EpisodeCode(2, 3)) is None

    [posted] = await write_recap(h, "S2E3", "Alice's second recap.", actor=h.alice)
    form = await h.mod.slash("recap edit", episode="S2E3")
    assert form.kind == "modal"
    await h.owner.slash("config moderator-role")  # the Moderators role no longer counts
    done = await h.mod.submit(form, text="Overwritten by a former moderator.")
    assert done.ephemeral and "you no longer are either" in done.text, done.text
    assert "Alice's second recap." in posted.text and not posted.history


async def test_editing_a_recap_to_blank_text_is_refused(harness: Harness) -> None:
    h = harness
    await severance(h)
    [posted] = await write_recap(h, "S2E3", "Something happened.")
    form = await h.mod.slash("recap edit", episode="S2E3")
    done = await h.mod.submit(form, text=" \n \n ")
    assert done.ephemeral and "The recap is empty" in done.text, done.text
    assert "Something happened." in posted.text and not posted.history


async def test_edit_in_a_locked_recap_thread_says_what_it_needs_and_changes_nothing(harness: Harness) -> None:
    """A moderator locked (and Discord archived) the recap's thread, and the bot's role has no Manage
    Threads in that channel: Discord refuses edits there (160005). /recap edit says so up front."""
    h = harness
    await severance(h)
    posted = await write_recap(h, "S2E3", "Short recap.", thread=True)
    thread = h.lb.channels[posted[0].channel_id]
    h.lb.archive_thread(thread, locked=True)
    h.lb.set_overwrite(
        h.world.spoilers, h.lb.bot_role(h.guild), deny=discord.Permissions(manage_threads=True)
    )
    await h.settle()
    reply = await h.mod.slash("recap edit", episode="S2E3")
    assert reply.kind == "message" and reply.ephemeral, reply
    assert f"<#{thread.id}> is locked" in reply.text and "**Manage Threads**" in reply.text
    assert "**Example:** `/recap edit episode:S2E3`" in reply.text
    assert "Short recap." in posted[0].text and not posted[0].history  # never edited
    recap = await recaps(h).get(h.guild.id, EpisodeCode(2, 3))
    assert recap is not None and recap.body == "Short recap."


async def test_edit_in_an_archived_recap_thread_reopens_it_and_edits_in_place(harness: Harness) -> None:
    h = harness
    await severance(h)
    posted = await write_recap(h, "S2E3", "Short recap.", thread=True)
    thread = h.lb.channels[posted[0].channel_id]
    h.lb.archive_thread(thread)  # a quiet week: Discord archived it
    await h.settle()
    modal = await h.mod.slash("recap edit", episode="S2E3")
    done = await h.mod.submit(modal, text="A longer recap.")
    await done.wait_done()
    assert "updated in place" in done.text, done.text
    assert "A longer recap." in posted[0].text and not thread.archived


MARKDOWN = (
    "# What happened\n- **Helly** is back\n- Mark finds the map\n\n> Devour feculence.\n<@&1> @everyone"
)


async def test_a_recap_is_one_spoiler_card_that_edits_and_deletes_in_kind(harness: Harness) -> None:
    """Cards by default: one V2 message, its markdown intact in a spoiler Container, the header outside
    it, nothing pinging (every body is checked against the spec and V2's limits by the loopback)."""
    h = harness
    await severance(h)
    [card] = await write_recap(h, "S2E3", MARKDOWN)
    assert card.flags & IS_COMPONENTS_V2 and card.content == "" and card.embeds == []
    assert texts(card.components, spoiler=False) == [
        "\N{CLAPPER BOARD} Recap: Severance S2E3, spoilers below"
    ]
    [hidden] = texts(card.components, spoiler=True)
    assert hidden.startswith("# What happened\n- **Helly** is back\n- Mark finds the map")  # markdown kept
    assert not PING.search(hidden) and not card.pinged_roles and not card.pinged_everyone
    recap = await recaps(h).get(h.guild.id, EpisodeCode(2, 3))
    assert recap is not None and recap.format == "cards"

    # The server goes back to tags: this recap stays a card when edited, a new one is tagged text.
    await recap_format(h, "tags")
    form = await h.mod.slash("recap edit", episode="S2E3")
    done = await h.mod.submit(form, text="## Short now")
    await done.wait_done()
    assert card.history and card.flags & IS_COMPONENTS_V2 and card.content == ""
    assert texts(card.components, spoiler=True) == ["## Short now"]
    [tagged] = await write_recap(h, "S2E4", "Cobel knew.")
    assert tagged.content.endswith("||Cobel knew.||") and not tagged.flags & IS_COMPONENTS_V2

    # ...and the other way round: a tagged recap stays tagged after the server picks cards again.
    await recap_format(h, "cards")
    form = await h.mod.slash("recap edit", episode="S2E4")
    done = await h.mod.submit(form, text="Cobel knew all along.")
    await done.wait_done()
    assert tagged.content.endswith("||Cobel knew all along.||") and not tagged.flags & IS_COMPONENTS_V2

    done = await h.mod.slash("recap delete", episode="S2E3")
    await done.wait_done()
    assert card.deleted and await recaps(h).get(h.guild.id, EpisodeCode(2, 3)) is None
