"""Fresh spoiler words as one Discord AutoMod rule per server: which words can be keywords, the rule
Cliffhanger wants, and the one change (if any) that brings Discord's copy of it in line. Pure: the
caller fetches the rule and sends the change.

Discord's rules (resources/auto-moderation): a keyword is at most 60 characters, a rule holds at most
1,000 of them, 50 exempt channels and 20 exempt roles, a block action's custom message is at most 150
characters, and a server holds at most 6 keyword rules. Keywords are case-insensitive, may be phrases,
and `*` at either end is a wildcard; Discord documents no way to match a literal `*`, so a word holding
one is refused here with a reason. Discord documents nothing about accents, so a word with accents is
sent twice, as written and without them ("Hélly" and "helly"), to block what the spoiler guard (which
ignores accents) would catch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .db.spoiler_words import SpoilerWord
from .episodes import EpisodeCode
from .folding import fold

__all__ = [
    "CUSTOM_MESSAGE_LIMIT",
    "EXEMPT_CHANNEL_LIMIT",
    "KEYWORD_LENGTH_LIMIT",
    "KEYWORD_LIMIT",
    "KEYWORD_RULE_LIMIT",
    "RULE_NAME",
    "Create",
    "Delete",
    "Refused",
    "RuleChange",
    "RulePlan",
    "Update",
    "block_message",
    "find_rule",
    "is_rule_limit_error",
    "keyword_problem",
    "keywords_for",
    "next_change",
    "plan_rule",
    "rule_status",
]

RULE_NAME = "Cliffhanger: fresh spoilers"
KEYWORD_LENGTH_LIMIT = 60
KEYWORD_LIMIT = 1000
EXEMPT_CHANNEL_LIMIT = 50
CUSTOM_MESSAGE_LIMIT = 150
KEYWORD_RULE_LIMIT = 6

TRIGGER_KEYWORD = 1
EVENT_MESSAGE_SEND = 1
ACTION_BLOCK_MESSAGE = 1


# -- words to keywords ---------------------------------------------------------------------------------
def _as_typed(word: str) -> str:
    return " ".join(word.split()).lower()


def keyword_problem(word: str) -> str | None:
    """Why `word` can't become an AutoMod keyword, as the end of a sentence a moderator reads
    ("... can't be an AutoMod keyword: <reason>"); None when it can."""
    keyword = _as_typed(word)
    if not keyword:
        return "it is empty."
    if "*" in keyword:
        return "it holds a `*`, which AutoMod reads as a wildcard, and Discord has no way to match a literal `*`."
    if len(keyword) > KEYWORD_LENGTH_LIMIT:
        return f"it is {len(keyword)} characters long, and an AutoMod keyword can be at most {KEYWORD_LENGTH_LIMIT}."
    return None


def keywords_for(word: str) -> tuple[str, ...]:
    """The keywords that block `word`: as written (spaces collapsed, lowercase) and, when it differs,
    without accents. Raises ValueError when `word` can't be a keyword (see keyword_problem)."""
    problem = keyword_problem(word)
    if problem is not None:
        raise ValueError(f"{word!r} can't be an AutoMod keyword: {problem}")
    keyword = _as_typed(word)
    plain = fold(word)
    if plain and plain != keyword and "*" not in plain and len(plain) <= KEYWORD_LENGTH_LIMIT:
        return (keyword, plain)
    return (keyword,)


# -- the rule Cliffhanger wants ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Refused:
    word: SpoilerWord
    reason: str  # from keyword_problem


@dataclass(frozen=True, slots=True)
class RulePlan:
    """The rule for a server's fresh spoiler words, and what could not go into it."""

    keywords: tuple[str, ...]  # sorted, unique, at most KEYWORD_LIMIT
    episodes: tuple[EpisodeCode, ...]  # sorted: the episodes with at least one keyword in the rule
    exempt_channels: tuple[int, ...]  # the spoiler channels, at most EXEMPT_CHANNEL_LIMIT
    custom_message: str  # names the episodes, never a word
    refused: tuple[Refused, ...] = ()  # words that can't be keywords
    no_room: tuple[SpoilerWord, ...] = ()  # words past the rule's 1,000 keywords
    not_exempt: tuple[int, ...] = ()  # spoiler channels past the rule's 50 exemptions


def plan_rule(words: Iterable[SpoilerWord], spoiler_channels: Iterable[int]) -> RulePlan:
    """The rule for `words` (fresh spoiler words; earlier ones win when there are more than 1,000
    keywords) with `spoiler_channels` exempt (the first 50)."""
    keywords: set[str] = set()
    episodes: set[EpisodeCode] = set()
    refused: list[Refused] = []
    no_room: list[SpoilerWord] = []
    for word in words:
        problem = keyword_problem(word.word)
        if problem is not None:
            refused.append(Refused(word, problem))
            continue
        wanted = set(keywords_for(word.word))
        if len(keywords | wanted) > KEYWORD_LIMIT:
            no_room.append(word)
            continue
        keywords |= wanted
        episodes.add(word.episode)
    channels = list(dict.fromkeys(spoiler_channels))
    ordered = tuple(sorted(episodes))
    return RulePlan(
        keywords=tuple(sorted(keywords)),
        episodes=ordered,
        exempt_channels=tuple(channels[:EXEMPT_CHANNEL_LIMIT]),
        custom_message=block_message(ordered),
        refused=tuple(refused),
        no_room=tuple(no_room),
        not_exempt=tuple(channels[EXEMPT_CHANNEL_LIMIT:]),
    )


def block_message(episodes: Sequence[EpisodeCode]) -> str:
    """What a member sees when the rule blocks them: the fresh episodes, never a word, at most 150
    characters (as many episodes as fit, then how many more)."""

    def message(named: str) -> str:
        return f"That looks like a spoiler for {named}, which is still fresh here. Please post it in a spoiler channel."

    if not episodes:
        return "That looks like a fresh spoiler. Please post it in a spoiler channel."
    codes = [str(code) for code in episodes]
    for shown in range(len(codes), 0, -1):
        rest = len(codes) - shown
        if rest == 0:
            named = codes[0] if shown == 1 else f"{', '.join(codes[:-1])} or {codes[-1]}"
        else:
            named = f"{', '.join(codes[:shown])} or {rest} more episode{'s' if rest != 1 else ''}"
        text = message(named)
        if len(text) <= CUSTOM_MESSAGE_LIMIT:
            return text
    return message(f"{len(codes)} fresh episodes")


# -- Discord's copy, and the one change that corrects it -------------------------------------------------
@dataclass(frozen=True, slots=True)
class Create:
    body: dict[str, Any]  # POST /guilds/{guild}/auto-moderation/rules


@dataclass(frozen=True, slots=True)
class Update:
    rule_id: int
    body: dict[str, Any]  # PATCH /guilds/{guild}/auto-moderation/rules/{rule_id}: only what differs


@dataclass(frozen=True, slots=True)
class Delete:
    rule_id: int


RuleChange = Create | Update | Delete


def find_rule(
    rules: Iterable[Mapping[str, Any]], *, bot_id: int, rule_id: int | None = None
) -> Mapping[str, Any] | None:
    """Cliffhanger's rule among a server's AutoMod rules (Discord's JSON): the one with the id it was
    created with, else the keyword rule the bot created under RULE_NAME."""
    keyword_rules = [r for r in rules if int(r.get("trigger_type") or 0) == TRIGGER_KEYWORD]
    if rule_id is not None:
        for rule in keyword_rules:
            if int(rule["id"]) == rule_id:
                return rule
    for rule in keyword_rules:
        if rule.get("name") == RULE_NAME and int(rule.get("creator_id") or 0) == bot_id:
            return rule
    return None


def _wanted(plan: RulePlan, current_keywords: Sequence[str] | None) -> dict[str, Any]:
    # With no fresh words the rule is switched off and keeps its old keywords: Discord documents no
    # empty keyword list, and keeping the rule keeps the server's slot for the next fresh episode.
    keywords = list(plan.keywords) if plan.keywords else list(current_keywords or [])
    return {
        "name": RULE_NAME,
        "event_type": EVENT_MESSAGE_SEND,
        "trigger_type": TRIGGER_KEYWORD,
        "trigger_metadata": {"keyword_filter": keywords, "regex_patterns": [], "allow_list": []},
        "actions": [{"type": ACTION_BLOCK_MESSAGE, "metadata": {"custom_message": plan.custom_message}}],
        "enabled": bool(plan.keywords),
        "exempt_roles": [],
        "exempt_channels": [str(c) for c in plan.exempt_channels],
    }


def _actions_key(actions: Any) -> list[tuple[int, str | None]]:
    out = []
    for action in actions or []:
        metadata = action.get("metadata") or {}
        out.append((int(action.get("type") or 0), metadata.get("custom_message") or None))
    return out


def _metadata_key(metadata: Any) -> tuple[list[str], list[str], list[str]]:
    metadata = metadata or {}
    return (
        sorted(str(k).lower() for k in metadata.get("keyword_filter") or []),
        list(metadata.get("regex_patterns") or []),
        list(metadata.get("allow_list") or []),
    )


def _ids(values: Any) -> set[int]:
    return {int(v) for v in values or []}


def next_change(current: Mapping[str, Any] | None, plan: RulePlan, *, on: bool) -> RuleChange | None:
    """The single request that makes Discord hold the wanted rule, or None when it already does.
    `current` is Cliffhanger's rule as Discord returned it (None when there is none: never made, or
    deleted by hand); `on` is the server's /spoilers automod setting. Off deletes the rule. With no
    fresh words no rule is made, and an existing one is switched off."""
    if not on:
        return Delete(int(current["id"])) if current is not None else None
    if current is None:
        if not plan.keywords:
            return None
        body = _wanted(plan, None)
        return Create(body)
    current_metadata = current.get("trigger_metadata") or {}
    wanted = _wanted(plan, current_metadata.get("keyword_filter"))
    differs = {
        "name": current.get("name") != wanted["name"],
        "event_type": current.get("event_type") != wanted["event_type"],
        "trigger_metadata": _metadata_key(current_metadata) != _metadata_key(wanted["trigger_metadata"]),
        "actions": _actions_key(current.get("actions")) != _actions_key(wanted["actions"]),
        "enabled": bool(current.get("enabled")) != wanted["enabled"],
        "exempt_roles": _ids(current.get("exempt_roles")) != _ids(wanted["exempt_roles"]),
        "exempt_channels": _ids(current.get("exempt_channels")) != _ids(wanted["exempt_channels"]),
    }
    body = {key: wanted[key] for key, changed in differs.items() if changed}
    return Update(int(current["id"]), body) if body else None


def rule_status(current: Mapping[str, Any] | None, plan: RulePlan, *, on: bool) -> str:
    """One line for /config show: whether AutoMod blocks fresh spoiler words, and whether Discord's copy
    of the rule is as Cliffhanger left it."""
    if not on:
        return "off"
    if current is None and not plan.keywords:
        return "on; no rule yet (one is made when an episode has fresh spoiler words)"
    if current is None:
        return "on; the rule is missing (deleted by hand?) and is made again at the next change"
    if next_change(current, plan, on=on) is not None:
        return "on; Discord's copy of the rule differs (changed by hand?) and is corrected at the next change"
    if not plan.keywords:
        return "on; nothing to block (no fresh spoiler words)"
    episodes = ", ".join(str(e) for e in plan.episodes)
    return f"on; blocking {len(plan.keywords)} keyword{'s' if len(plan.keywords) != 1 else ''} for {episodes}"


def is_rule_limit_error(code: int, text: str) -> bool:
    """Whether Discord refused a new rule because the server already has 6 keyword rules (it answers
    50035 with "Maximum number of rules with trigger type 1 is 6")."""
    return code == 50035 and "Maximum number of rules" in text
