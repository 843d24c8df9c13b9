"""Fresh spoiler words as one AutoMod rule: keywords, the wanted rule, and the single change that fixes
Discord's copy. Bodies are checked against Discord's spec and the loopback's model of a rule."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.automod import (
    CUSTOM_MESSAGE_LIMIT,
    EXEMPT_CHANNEL_LIMIT,
    KEYWORD_LENGTH_LIMIT,
    KEYWORD_LIMIT,
    RULE_NAME,
    Create,
    Delete,
    RulePlan,
    Update,
    block_message,
    find_rule,
    is_rule_limit_error,
    keyword_problem,
    keywords_for,
    next_change,
    plan_rule,
    rule_status,
)
from bot.db.spoiler_words import SpoilerWord
from bot.episodes import EpisodeCode
from tests.harness import Harness
from tests.loopback.automod import (
    AutoModRule,
    add_rule_by_hand,
    delete_by_hand,
    edit_by_hand,
    keyword_matches,
)
from tests.loopback.spec import validate_body, validate_schema

GUILD, BOT = 42, 7
RULES = f"/guilds/{GUILD}/auto-moderation/rules"
S2E3, S2E4 = EpisodeCode(2, 3), EpisodeCode(2, 4)


def word(text: str, episode: EpisodeCode = S2E3) -> SpoilerWord:
    return SpoilerWord(GUILD, episode, text)


def as_discord_holds(change: Create | Update, current: dict[str, Any] | None) -> dict[str, Any]:
    """Discord's copy after the request, using the loopback's model of a rule."""
    if isinstance(change, Create):
        body = change.body
        rule = AutoModRule(99, GUILD, BOT, body["name"], body["event_type"], body["trigger_type"])
    else:
        assert current is not None
        rule = AutoModRule(
            int(current["id"]),
            GUILD,
            int(current["creator_id"]),
            current["name"],
            current["event_type"],
            current["trigger_type"],
        )
        rule.update(current)
    rule.update(change.body)
    return rule.to_dict()


def valid_request(change: Create | Update | Delete) -> None:
    if isinstance(change, Create):
        assert validate_body("POST", RULES, change.body) == []
    elif isinstance(change, Update):
        assert validate_body("PATCH", f"{RULES}/{change.rule_id}", change.body) == []
        assert validate_schema("KeywordUpsertRequestPartial", change.body) == []
    for action in (change.body.get("actions") or []) if not isinstance(change, Delete) else []:
        assert len(action["metadata"]["custom_message"]) <= CUSTOM_MESSAGE_LIMIT


# -- strategies -------------------------------------------------------------------------------------
letters = st.sampled_from(
    [*"abcdeHRxyz", "é", "ü", "ñ", "ß", "ﬁ", " ", "  ", "*", "-", "'", "\u200b", "\N{SPARKLES}"]
)
word_text = st.lists(letters, max_size=70).map("".join)
episodes = st.builds(EpisodeCode, st.integers(1, 3), st.integers(1, 12))
spoiler_words = st.lists(st.builds(word, word_text, episodes), max_size=40)
channel_ids = st.lists(st.integers(1, 2**62), max_size=60)


@st.composite
def discords_copy(draw: st.DrawFn, plan: RulePlan) -> dict[str, Any] | None:
    """None, or Cliffhanger's rule as a moderator may have left it after editing it by hand."""
    if draw(st.booleans()):
        return None
    base = next_change(None, plan, on=True)
    rule = AutoModRule(5, GUILD, BOT, RULE_NAME, 1, 1)
    if isinstance(base, Create):
        rule.update(base.body)
    edits = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.sampled_from(["Spoilers (ours)", RULE_NAME]),
                "enabled": st.booleans(),
                "trigger_metadata": st.fixed_dictionaries(
                    {"keyword_filter": st.lists(st.sampled_from(["gemma", "reghabi", "HELLY"]), max_size=3)},
                    optional={
                        "regex_patterns": st.lists(st.just("rh?egab"), max_size=1),
                        "allow_list": st.lists(st.just("reghabis"), max_size=1),
                    },
                ),
                "actions": st.sampled_from(
                    [
                        [{"type": 1, "metadata": {}}],
                        [
                            {"type": 1, "metadata": {"custom_message": "no spoilers!"}},
                            {"type": 2, "metadata": {"channel_id": "9"}},
                        ],
                    ]
                ),
                "exempt_roles": st.lists(st.integers(1, 99), max_size=3, unique=True),
                "exempt_channels": st.lists(st.integers(1, 99), max_size=3, unique=True),
            },
        )
    )
    rule.update(edits)
    return rule.to_dict()


# -- words to keywords ------------------------------------------------------------------------------
def test_keywords_keep_phrases_collapse_spaces_and_add_the_unaccented_form() -> None:
    assert keywords_for("Reghabi") == ("reghabi",)
    assert keywords_for("  Helly   R.  ") == ("helly r.",)
    assert keywords_for("Hélly Riggs") == ("hélly riggs", "helly riggs")
    assert keywords_for("Straße") == ("straße", "strasse")


def test_words_that_cant_be_keywords_say_why() -> None:
    assert keyword_problem("M*A*S*H") == (
        "it holds a `*`, which AutoMod reads as a wildcard, and Discord has no way to match a literal `*`."
    )
    assert keyword_problem("x" * 61) == "it is 61 characters long, and an AutoMod keyword can be at most 60."
    assert keyword_problem("x" * 60) is None
    assert keyword_problem("   ") == "it is empty."
    with pytest.raises(ValueError, match="can't be an AutoMod keyword"):
        keywords_for("cat*")


def test_the_unaccented_form_is_what_blocks_a_member_who_types_without_accents() -> None:
    keywords = keywords_for("Hélly")
    assert any(keyword_matches(k, "so helly is back") for k in keywords)
    assert any(keyword_matches(k, "so HÉLLY is back") for k in keywords)
    assert not keyword_matches(keywords[0], "so helly is back")  # as written alone, it would not


@given(word_text)
def test_every_keyword_is_one_discord_accepts(text: str) -> None:
    if keyword_problem(text) is not None:
        return
    keywords = keywords_for(text)
    for keyword in keywords:
        assert 1 <= len(keyword) <= KEYWORD_LENGTH_LIMIT
        assert "*" not in keyword
        assert keyword == " ".join(keyword.split())
    assert keyword_matches(keywords[0], f"before {text} after")  # the word as a member types it


# -- the plan ---------------------------------------------------------------------------------------
@given(spoiler_words, channel_ids)
def test_each_word_is_placed_refused_or_out_of_room(words: list[SpoilerWord], channels: list[int]) -> None:
    plan = plan_rule(words, channels)
    refused = {r.word for r in plan.refused}
    placed = [w for w in words if w not in refused and w not in plan.no_room]
    for w in words:
        reason = keyword_problem(w.word)
        assert (w in refused) is (reason is not None)
    for r in plan.refused:
        assert r.reason == keyword_problem(r.word.word)
    assert set(plan.keywords) == {k for w in placed for k in keywords_for(w.word)}
    assert list(plan.keywords) == sorted(set(plan.keywords))
    assert len(plan.keywords) <= KEYWORD_LIMIT
    assert plan.episodes == tuple(sorted({w.episode for w in placed}))
    unique = list(dict.fromkeys(channels))
    assert plan.exempt_channels == tuple(unique[:EXEMPT_CHANNEL_LIMIT])
    assert plan.not_exempt == tuple(unique[EXEMPT_CHANNEL_LIMIT:])


def test_past_1000_keywords_the_later_words_wait() -> None:
    words = [word(f"hélly{i}", EpisodeCode(1 + i // 100, 1 + i % 100)) for i in range(600)]  # 2 keywords each
    plan = plan_rule(words, [])
    assert len(plan.keywords) == KEYWORD_LIMIT
    assert plan.no_room == tuple(words[500:])
    assert EpisodeCode(6, 1) not in plan.episodes  # its only word had no room
    # A word whose keywords are already in the rule takes no room.
    again = plan_rule([*words[:500], word("HÉLLY1", S2E4)], [])
    assert again.no_room == () and S2E4 in again.episodes


@given(spoiler_words, st.data())
def test_the_block_message_names_episodes_and_never_a_word(
    words: list[SpoilerWord], data: st.DataObject
) -> None:
    plan = plan_rule(words, [])
    assert len(plan.custom_message) <= CUSTOM_MESSAGE_LIMIT
    # It is made from the episodes alone: other words for the same episodes give the same message.
    others = [word(f"placeholder{i}", w.episode) for i, w in enumerate(words) if w.episode in plan.episodes]
    assert plan_rule(others, []).custom_message == plan.custom_message
    shown = data.draw(st.lists(episodes, unique=True, max_size=30).map(sorted))
    message = block_message(shown)
    assert len(message) <= CUSTOM_MESSAGE_LIMIT
    assert str(shown[0]) in message if shown else "fresh spoiler" in message
    if len(shown) > 1 and str(shown[-1]) not in message:
        assert "more episode" in message


def test_block_messages_read_well() -> None:
    assert block_message([S2E3]) == (
        "That looks like a spoiler for S2E3, which is still fresh here. Please post it in a spoiler channel."
    )
    assert "for S2E3 or S2E4, which" in block_message([S2E3, S2E4])
    many = block_message([EpisodeCode(2, n) for n in range(1, 13)])
    assert "S2E1, S2E2" in many and "more episodes" in many and len(many) <= CUSTOM_MESSAGE_LIMIT


# -- Discord's copy and the change ------------------------------------------------------------------
@settings(max_examples=200)
@given(spoiler_words, channel_ids, st.data())
def test_one_request_brings_any_copy_in_line(
    words: list[SpoilerWord], channels: list[int], data: st.DataObject
) -> None:
    plan = plan_rule(words, channels)
    current = data.draw(discords_copy(plan))
    change = next_change(current, plan, on=True)
    if change is None:
        assert current is not None or not plan.keywords
        return
    assert not isinstance(change, Delete)
    valid_request(change)
    after = as_discord_holds(change, current)
    assert next_change(after, plan, on=True) is None  # one request, and then nothing left to change
    if plan.keywords:
        assert after["enabled"] is True
        assert sorted(after["trigger_metadata"]["keyword_filter"]) == list(plan.keywords)
        assert after["actions"] == [{"type": 1, "metadata": {"custom_message": plan.custom_message}}]
        assert {int(c) for c in after["exempt_channels"]} == set(plan.exempt_channels)
        assert after["exempt_roles"] == [] and after["trigger_metadata"]["regex_patterns"] == []
    else:
        assert after["enabled"] is False
    if isinstance(change, Update):
        assert current is not None
        assert all(current[key] != after[key] for key in change.body)  # only what differs is sent


def test_no_request_when_nothing_would_change() -> None:
    plan = plan_rule([word("Reghabi"), word("Gemma", S2E4)], [11, 12])
    create = next_change(None, plan, on=True)
    assert isinstance(create, Create)
    held = as_discord_holds(create, None)
    assert next_change(held, plan, on=True) is None
    # Discord may hand the keywords back in another order or case, and ids as strings.
    shuffled = {
        **held,
        "trigger_metadata": {**held["trigger_metadata"], "keyword_filter": ["REGHABI", "gemma"]},
        "exempt_channels": ["12", "11"],
    }
    assert next_change(shuffled, plan, on=True) is None
    # A new word is one PATCH of the keywords and the message.
    grown = plan_rule([word("Reghabi"), word("Gemma", S2E4), word("Cobel", EpisodeCode(2, 5))], [11, 12])
    update = next_change(held, grown, on=True)
    assert isinstance(update, Update) and set(update.body) == {"trigger_metadata", "actions"}


def test_off_deletes_and_no_fresh_words_switch_the_rule_off() -> None:
    plan = plan_rule([word("Reghabi")], [])
    create = next_change(None, plan, on=True)
    assert isinstance(create, Create)
    held = as_discord_holds(create, None)
    assert next_change(held, plan, on=False) == Delete(99)
    assert next_change(None, plan, on=False) is None
    empty = plan_rule([], [])
    assert next_change(None, empty, on=True) is None  # nothing to block: no rule is made
    off = next_change(held, empty, on=True)
    assert isinstance(off, Update) and off.body["enabled"] is False
    assert "trigger_metadata" not in off.body  # the old keywords stay; Discord documents no empty list
    valid_request(off)


def test_finding_cliffhangers_rule() -> None:
    ours = {"id": "5", "name": RULE_NAME, "creator_id": str(BOT), "trigger_type": 1}
    renamed = {"id": "6", "name": "renamed by a mod", "creator_id": str(BOT), "trigger_type": 1}
    theirs = {"id": "7", "name": RULE_NAME, "creator_id": "1", "trigger_type": 1}
    spam = {"id": "8", "name": RULE_NAME, "creator_id": str(BOT), "trigger_type": 3}
    assert find_rule([theirs, spam, ours], bot_id=BOT) == ours
    assert find_rule([theirs, renamed], bot_id=BOT, rule_id=6) == renamed
    assert find_rule([theirs, spam], bot_id=BOT) is None
    assert find_rule([ours], bot_id=BOT, rule_id=99) == ours  # the id was lost; the name still finds it


def test_rule_status_lines() -> None:
    plan = plan_rule([word("Reghabi"), word("Gemma", S2E4)], [])
    create = next_change(None, plan, on=True)
    assert isinstance(create, Create)
    held = as_discord_holds(create, None)
    assert rule_status(held, plan, on=True) == "on; blocking 2 keywords for S2E3, S2E4"
    assert rule_status(held, plan, on=False) == "off"
    assert "missing" in rule_status(None, plan, on=True)
    assert "no rule yet" in rule_status(None, plan_rule([], []), on=True)
    assert "differs" in rule_status({**held, "enabled": False}, plan, on=True)


# -- against the loopback and the real client --------------------------------------------------------
async def test_the_wanted_rule_blocks_a_leak_and_a_full_server_is_recognised(harness: Harness) -> None:
    lb, world = harness.lb, harness.world
    role = lb.bot_role(world.guild)
    lb.set_role_permissions(
        role, discord.Permissions(role.permissions | discord.Permissions(manage_guild=True).value)
    )
    await harness.settle()
    plan = plan_rule([word("Hélly R"), word("Reghabi", S2E4)], [world.spoilers.id])
    change = next_change(None, plan, on=True)
    assert isinstance(change, Create)
    http = harness.bot.http
    held = await http.create_auto_moderation_rule(world.guild.id, reason="fresh spoiler words", **change.body)
    assert next_change(find_rule([held], bot_id=lb.bot_user.id), plan, on=True) is None
    alice = world.members["alice"]
    for leak in ("so helly r is back", "REGHABI did it", "hélly r again"):
        with pytest.raises(Exception, match="blocked by automatic moderation"):
            lb.post_as(alice, world.general, leak)
    lb.post_as(alice, world.spoilers, "reghabi did it")

    # A moderator switches it off and exempts a channel by hand: one PATCH puts it back.
    rule = world.guild.automod_rules[int(held["id"])]
    edit_by_hand(lb, world.guild, rule, enabled=False, exempt_channels=[world.general.id])
    lb.post_as(alice, world.general, "reghabi did it")
    current = find_rule(await http.get_auto_moderation_rules(world.guild.id), bot_id=lb.bot_user.id)
    fix = next_change(current, plan, on=True)
    assert isinstance(fix, Update) and set(fix.body) == {"enabled", "exempt_channels"}
    fixed = await http.edit_auto_moderation_rule(world.guild.id, fix.rule_id, reason=None, **fix.body)
    assert next_change(fixed, plan, on=True) is None
    with pytest.raises(Exception, match="blocked by automatic moderation"):
        lb.post_as(alice, world.general, "reghabi did it")
    # Deleted by hand: it is made again, as the sixth keyword rule; a seventh is refused.
    delete_by_hand(lb, world.guild, rule)
    assert find_rule(await http.get_auto_moderation_rules(world.guild.id), bot_id=lb.bot_user.id) is None
    assert next_change(None, plan, on=True) == change
    for i in range(5):
        add_rule_by_hand(lb, world.guild, f"moderators' rule {i}", keywords=[f"w{i}"])
    await http.create_auto_moderation_rule(world.guild.id, reason=None, **change.body)
    with pytest.raises(discord.HTTPException) as full:
        await http.create_auto_moderation_rule(world.guild.id, reason=None, **change.body)
    assert is_rule_limit_error(full.value.code, full.value.text)
    assert not is_rule_limit_error(50013, "Missing Permissions")
