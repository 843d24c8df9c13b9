"""Discord's AutoMod in the loopback: the rule endpoints, their limits, and blocking a member's message.

What it follows, from Discord's documentation (resources/auto-moderation) and change log:

- Every endpoint needs Manage Server (403 50013 without it).
- Rules per guild by trigger type: 6 KEYWORD, 1 each of SPAM, KEYWORD_PRESET, MENTION_SPAM and
  MEMBER_PROFILE. One more is refused with 400 50035 and the error Discord gives,
  AUTO_MODERATION_MAX_RULES_OF_TYPE_EXCEEDED, "Maximum number of rules with trigger type 1 is 6".
- The body is checked against the OpenAPI spec before it gets here (at most 1,000 keywords of 1 to 60
  characters, 50 exempt channels, 20 exempt roles); on top of it: `actions` and, for a keyword rule,
  `trigger_metadata` are required on create, a BLOCK_MESSAGE `custom_message` is at most 150
  characters (the docs' limit; the spec says 300), a TIMEOUT action needs Moderate Members.
- A rule is disabled unless created with `enabled: true`. `trigger_type` can't be changed.
- Keyword matching, as the docs' "Keyword Matching Strategies" give it: case-insensitive; `cat*` is a
  prefix (a word starting with it), `*cat` a suffix, `*cat*` anywhere, and `cat` a whole word or phrase
  "surrounded by whitespace". Runs of whitespace in the message count as one space. The docs say
  nothing about accents, so an accented letter is a different letter here: "hélly" does not match
  "helly". A `*` anywhere else in a keyword is an ordinary character.
- A MESSAGE_SEND rule is checked "when a member sends or edits a message". It blocks the message when
  it is enabled, a keyword or regex pattern matches, the channel is not exempt (a thread goes by its
  parent channel, a channel also by its category) and the member holds no exempt role. The member gets
  400 with 200000 "Message was blocked by automatic moderation", and nothing is stored or dispatched.
- Members with Administrator or Manage Server (and the owner) are not subject to AutoMod, as Discord's
  AutoMod help article says.

Not emulated: `allow_list` is stored but never exempts a match; regex patterns are matched with
Python's `re` (close to the Rust flavour for plain patterns); no AUTO_MODERATION_ACTION_EXECUTION event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from . import permissions as P
from .core import DiscordError, Request, route
from .gateway import Gateway
from .spec import validate_schema
from .state import Channel, Guild, Member

if TYPE_CHECKING:
    from .server import LoopbackDiscord

KEYWORD = 1
MESSAGE_SEND = 1
BLOCK_MESSAGE, SEND_ALERT_MESSAGE, TIMEOUT = 1, 2, 3
MAX_RULES_PER_TYPE = {KEYWORD: 6, 3: 1, 4: 1, 5: 1, 6: 1}
CUSTOM_MESSAGE_LIMIT = 150
BLOCKED_CODE, BLOCKED_MESSAGE = 200000, "Message was blocked by automatic moderation"
MODERATE_MEMBERS = discord.Permissions(moderate_members=True).value
# The spec's schema for an update of a rule of each trigger type (the route's own schema is a union of all).
UPDATE_SCHEMAS = {
    KEYWORD: "KeywordUpsertRequestPartial",
    3: "MLSpamUpsertRequestPartial",
    4: "DefaultKeywordListUpsertRequestPartial",
    5: "MentionSpamUpsertRequestPartial",
    6: "UserProfileUpsertRequestPartial",
}
_UPDATABLE = (
    "name",
    "event_type",
    "trigger_metadata",
    "actions",
    "enabled",
    "exempt_roles",
    "exempt_channels",
)


@dataclass
class AutoModRule:
    id: int
    guild_id: int
    creator_id: int
    name: str
    event_type: int
    trigger_type: int
    trigger_metadata: dict[str, Any] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = False
    exempt_roles: list[int] = field(default_factory=list)
    exempt_channels: list[int] = field(default_factory=list)

    def update(self, body: dict[str, Any]) -> None:
        for key in _UPDATABLE:
            if key not in body or body[key] is None:
                continue
            value = body[key]
            if key in ("exempt_roles", "exempt_channels"):
                value = [int(v) for v in value]
            elif key == "trigger_metadata":
                value = dict(value)
            elif key == "actions":
                value = [{"type": a["type"], "metadata": dict(a.get("metadata") or {})} for a in value]
            setattr(self, key, value)

    def to_dict(self) -> dict[str, Any]:
        """The rule as Discord returns it (KeywordRuleResponse and its siblings)."""
        metadata = dict(self.trigger_metadata)
        if self.trigger_type in (KEYWORD, 6):
            for key in ("keyword_filter", "regex_patterns", "allow_list"):
                metadata[key] = list(metadata.get(key) or [])
        return {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "creator_id": str(self.creator_id),
            "name": self.name,
            "event_type": self.event_type,
            "trigger_type": self.trigger_type,
            "trigger_metadata": metadata,
            "actions": [{"type": a["type"], "metadata": dict(a.get("metadata") or {})} for a in self.actions],
            "enabled": self.enabled,
            "exempt_roles": [str(r) for r in self.exempt_roles],
            "exempt_channels": [str(c) for c in self.exempt_channels],
        }

    @property
    def keywords(self) -> list[str]:
        return list(self.trigger_metadata.get("keyword_filter") or [])


# -- matching ---------------------------------------------------------------------------------------
def keyword_matches(keyword: str, content: str) -> bool:
    """Whether one AutoMod keyword matches `content`, by the documented matching strategies."""
    prefix_wild, suffix_wild = keyword.startswith("*"), keyword.endswith("*") and len(keyword) > 1
    core = keyword[1 if prefix_wild else 0 : len(keyword) - 1 if suffix_wild else len(keyword)]
    core = " ".join(core.lower().split())
    if not core:
        return False
    start = "" if prefix_wild else r"(?:^|(?<=\s))"
    end = "" if suffix_wild else r"(?=\s|$)"
    return re.search(start + re.escape(core) + end, " ".join(content.lower().split())) is not None


def _regex_matches(pattern: str, content: str) -> bool:
    try:
        return re.search(pattern, content) is not None
    except re.error:
        return False


def matched_keyword(rule: AutoModRule, content: str) -> str | None:
    """The keyword (or regex pattern) of `rule` that `content` trips, if any."""
    for keyword in rule.keywords:
        if keyword_matches(keyword, content):
            return keyword
    for pattern in rule.trigger_metadata.get("regex_patterns") or []:
        if _regex_matches(pattern, content):
            return str(pattern)
    return None


def _exempt_channel(rule: AutoModRule, guild: Guild, channel: Channel) -> bool:
    exempt = set(rule.exempt_channels)
    target = guild.channels.get(channel.parent_id) if channel.is_thread and channel.parent_id else channel
    ids = {channel.id}
    if target is not None:
        ids.add(target.id)
        if target.parent_id:
            ids.add(target.parent_id)  # the category
    return bool(ids & exempt)


def blocking_rule(guild: Guild, member: Member, channel: Channel, content: str) -> AutoModRule | None:
    """The first enabled MESSAGE_SEND rule that blocks `member`'s message in `channel`, if any."""
    if guild.base_permissions(member.user.id) & (P.ADMINISTRATOR | P.MANAGE_GUILD):
        return None
    for rule in guild.automod_rules.values():
        if not rule.enabled or rule.event_type != MESSAGE_SEND or rule.trigger_type != KEYWORD:
            continue
        if not any(a["type"] == BLOCK_MESSAGE for a in rule.actions):
            continue
        if _exempt_channel(rule, guild, channel) or set(member.role_ids) & set(rule.exempt_roles):
            continue
        if matched_keyword(rule, content) is not None:
            return rule
    return None


# -- the REST side ----------------------------------------------------------------------------------
def _form_error(field_path: list[str], code: str, message: str) -> dict[str, Any]:
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field_path):
        errors = {part: errors}
    return errors


class AutoMod(Gateway):
    """A guild's AutoMod rules behind Manage Server, and the check a member's message goes through."""

    def _automod_refuse(self, req: Request, field_path: list[str], code: str, message: str) -> DiscordError:
        """A body Discord refuses that the bot could have known better than to send."""
        self.violations.append(f"{req.method} {req.path}: {'/'.join(field_path)}: {message}")
        return DiscordError(400, 50035, "Invalid Form Body", _form_error(field_path, code, message))

    def _automod_guild(self, req: Request) -> Guild:
        guild = self._guild(req.params["guild"])
        self._require_guild(guild, P.MANAGE_GUILD)
        return guild

    @staticmethod
    def _automod_rule(guild: Guild, rule_id: str) -> AutoModRule:
        rule = guild.automod_rules.get(int(rule_id)) if rule_id.isdigit() else None
        if rule is None:
            # Discord documents no code for this one; go by the 404.
            raise DiscordError(404, 0, "Unknown Auto Moderation Rule")
        return rule

    def _automod_actions(self, req: Request, guild: Guild, actions: list[dict[str, Any]]) -> None:
        for i, action in enumerate(actions):
            metadata = action.get("metadata") or {}
            if action.get("type") == BLOCK_MESSAGE:
                message = metadata.get("custom_message")
                if isinstance(message, str) and len(message) > CUSTOM_MESSAGE_LIMIT:
                    raise self._automod_refuse(
                        req,
                        ["actions", str(i), "metadata", "custom_message"],
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {CUSTOM_MESSAGE_LIMIT} or fewer in length.",
                    )
            elif action.get("type") == SEND_ALERT_MESSAGE:
                if int(metadata.get("channel_id") or 0) not in guild.channels:
                    raise self._automod_refuse(
                        req,
                        ["actions", str(i), "metadata", "channel_id"],
                        "CHANNEL_INVALID",
                        "Unknown channel",
                    )
            elif (
                action.get("type") == TIMEOUT
                and not guild.base_permissions(self.bot_user.id) & MODERATE_MEMBERS
            ):
                raise DiscordError(403, 50013, "Missing Permissions")

    @route("GET", "/guilds/{guild}/auto-moderation/rules")
    async def handle_list_rules(self, req: Request) -> Any:
        return [rule.to_dict() for rule in self._automod_guild(req).automod_rules.values()]

    @route("GET", "/guilds/{guild}/auto-moderation/rules/{rule}")
    async def handle_get_rule(self, req: Request) -> Any:
        return self._automod_rule(self._automod_guild(req), req.params["rule"]).to_dict()

    @route("POST", "/guilds/{guild}/auto-moderation/rules")
    async def handle_create_rule(self, req: Request) -> Any:
        guild = self._automod_guild(req)
        body = req.body or {}
        trigger_type = int(body["trigger_type"])
        if not body.get("actions"):
            raise self._automod_refuse(req, ["actions"], "BASE_TYPE_REQUIRED", "This field is required")
        if trigger_type in (KEYWORD, 6) and body.get("trigger_metadata") is None:
            raise self._automod_refuse(
                req, ["trigger_metadata"], "BASE_TYPE_REQUIRED", "This field is required"
            )
        self._automod_actions(req, guild, body["actions"])
        limit = MAX_RULES_PER_TYPE.get(trigger_type, 1)
        if sum(r.trigger_type == trigger_type for r in guild.automod_rules.values()) >= limit:
            raise DiscordError(
                400,
                50035,
                "Invalid Form Body",
                _form_error(
                    ["0"],
                    "AUTO_MODERATION_MAX_RULES_OF_TYPE_EXCEEDED",
                    f"Maximum number of rules with trigger type {trigger_type} is {limit}",
                ),
            )
        rule = AutoModRule(
            self.ids.next(), guild.id, self.bot_user.id, body["name"], int(body["event_type"]), trigger_type
        )
        rule.update(body)
        return _created(self, guild, rule)

    @route("PATCH", "/guilds/{guild}/auto-moderation/rules/{rule}")
    async def handle_modify_rule(self, req: Request) -> Any:
        guild = self._automod_guild(req)
        rule = self._automod_rule(guild, req.params["rule"])
        body = req.body or {}
        if "trigger_type" in body and int(body["trigger_type"]) != rule.trigger_type:
            raise self._automod_refuse(
                req, ["trigger_type"], "BASE_TYPE_INVALID", "The trigger type can't be changed"
            )
        problems = validate_schema(UPDATE_SCHEMAS[rule.trigger_type], body) if self.validate else []
        if problems:
            self.violations.extend(f"{req.method} {req.path}: {p}" for p in problems)
            raise DiscordError(400, 50035, "Invalid Form Body", {"_errors": problems})
        self._automod_actions(req, guild, body.get("actions") or [])
        return _changed(self, guild, rule, body)

    @route("DELETE", "/guilds/{guild}/auto-moderation/rules/{rule}")
    async def handle_delete_rule(self, req: Request) -> Any:
        guild = self._automod_guild(req)
        delete_by_hand(self, guild, self._automod_rule(guild, req.params["rule"]))
        return None


def check_member_message(guild: Guild, member: Member, channel: Channel, content: str) -> None:
    """Refuse a member's message (or edit) that an AutoMod rule blocks, as Discord answers them."""
    if blocking_rule(guild, member, channel, content) is not None:
        raise DiscordError(400, BLOCKED_CODE, BLOCKED_MESSAGE)


# -- test-side helpers: what a moderator does in Server Settings > AutoMod ----------------------------
def add_rule_by_hand(
    lb: LoopbackDiscord,
    guild: Guild,
    name: str,
    *,
    keywords: list[str] | None = None,
    trigger_type: int = KEYWORD,
    enabled: bool = True,
    exempt_channels: list[int] | None = None,
    exempt_roles: list[int] | None = None,
    custom_message: str | None = None,
) -> AutoModRule:
    """A rule a moderator made in Discord's UI (so its creator is the owner, not the bot)."""
    metadata = {"custom_message": custom_message} if custom_message else {}
    rule = AutoModRule(
        lb.ids.next(),
        guild.id,
        guild.owner_id,
        name,
        MESSAGE_SEND,
        trigger_type,
        {"keyword_filter": list(keywords or [])} if trigger_type == KEYWORD else {},
        [{"type": BLOCK_MESSAGE, "metadata": metadata}],
        enabled,
        list(exempt_roles or []),
        list(exempt_channels or []),
    )
    _created(lb, guild, rule)
    return rule


def edit_by_hand(lb: LoopbackDiscord, guild: Guild, rule: AutoModRule, **changes: Any) -> None:
    """A moderator edits a rule in Discord's UI (fields as in the JSON body)."""
    _changed(lb, guild, rule, changes)


def _created(lb: Gateway, guild: Guild, rule: AutoModRule) -> dict[str, Any]:
    guild.automod_rules[rule.id] = rule
    lb.dispatch("AUTO_MODERATION_RULE_CREATE", rule.to_dict(), guild_id=guild.id)
    return rule.to_dict()


def _changed(lb: Gateway, guild: Guild, rule: AutoModRule, body: dict[str, Any]) -> dict[str, Any]:
    rule.update(body)
    lb.dispatch("AUTO_MODERATION_RULE_UPDATE", rule.to_dict(), guild_id=guild.id)
    return rule.to_dict()


def delete_by_hand(lb: Gateway, guild: Guild, rule: AutoModRule) -> None:
    """A moderator deletes a rule in Discord's UI."""
    guild.automod_rules.pop(rule.id, None)
    lb.dispatch("AUTO_MODERATION_RULE_DELETE", rule.to_dict(), guild_id=guild.id)
