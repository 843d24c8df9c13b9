"""The README and .env.example tell the truth about the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import discord

from bot.checks import AUTOMOD_PERMISSIONS, INVITE_PERMISSIONS, OPTIONAL_PERMISSIONS, PERMISSION_NAMES
from tests.harness import Harness

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
SETTINGS = {
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "MESSAGE_CONTENT_INTENT",
    "TVMAZE_URL",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "SHARD_COUNT",
    "SHARD_IDS",
    "SHOW_SYNC_HOURS",
}


def test_every_setting_is_documented() -> None:
    read_in_code = set(re.findall(r'values.get\("([A-Z_]+)"', (ROOT / "bot" / "config.py").read_text()))
    assert read_in_code >= SETTINGS
    assert {
        line.split("=")[0] for line in ENV_EXAMPLE.splitlines() if "=" in line and not line.startswith("#")
    } == read_in_code
    for name in read_in_code:
        assert f"| `{name}` |" in README, name


def test_the_invite_link_asks_for_exactly_the_permissions_the_code_names() -> None:
    assert f"permissions={INVITE_PERMISSIONS.value}" in README
    assert "scope=bot+applications.commands" in README


# Flags the code reads that are not the bot's own needs: whether a member may moderate, and whether a
# ping would go through anyway (a warning only; the bot never needs to mention everyone).
NOT_BOT_NEEDS = {"manage_guild", "mention_everyone"}
# Permission sets that describe someone else: the powers a ping role must not hand out (and, after
# issue 10's merge, LABEL_PERMISSIONS in bot/roles.py: all a role the bot hands out may carry).
NOT_BOT_SETS = {"RISKY_PERMISSIONS", "LABEL_PERMISSIONS", "INVITE_PERMISSIONS"}
ALIASES = {"read_messages": "view_channel"}  # discord.py's two names for one flag


def checked_in_code() -> dict[str, set[str]]:
    """Every permission flag the bot's code asks of itself, with where: `discord.Permissions(...)`
    sets, `...guild_permissions.<flag>` and `...permissions_for(...).<flag>` reads, and the names
    passed to BotMissingPermissions."""
    flags = set(discord.Permissions.VALID_FLAGS)
    by_label = {label: flag for flag, label in PERMISSION_NAMES.items() if flag in flags}
    found: dict[str, set[str]] = {}
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]):
        tree = ast.parse(path.read_text())
        skipped: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in NOT_BOT_SETS for t in node.targets
            ):
                skipped |= {id(n) for n in ast.walk(node.value)}
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            where = str(path.relative_to(ROOT))
            if isinstance(node, ast.Call):
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name == "Permissions":
                    for keyword in node.keywords:
                        if keyword.arg in flags:
                            found.setdefault(ALIASES.get(keyword.arg, keyword.arg), set()).add(where)
                if name == "BotMissingPermissions":
                    for arg in node.args[1:2]:
                        for item in arg.elts if isinstance(arg, ast.List) else []:
                            if isinstance(item, ast.Constant) and item.value in by_label:
                                found.setdefault(by_label[item.value], set()).add(where)
            if isinstance(node, ast.Attribute) and node.attr in flags:
                owner = node.value
                reads_perms = (isinstance(owner, ast.Attribute) and owner.attr == "guild_permissions") or (
                    isinstance(owner, ast.Call)
                    and isinstance(owner.func, ast.Attribute)
                    and owner.func.attr == "permissions_for"
                )
                if reads_perms:
                    found.setdefault(ALIASES.get(node.attr, node.attr), set()).add(where)
    return found


def readme_permission_table(after: str = "what the features use:\n") -> set[str]:
    """The flags the README's invite table names (Discord's UI names, as PERMISSION_NAMES spells them);
    `after` is the line that introduces the table."""
    section = README.split(after, 1)[1].strip().split("\n\n", 1)[0]
    by_label = {label: flag for flag, label in PERMISSION_NAMES.items() if flag != "read_messages"}
    names: set[str] = set()
    for row in section.splitlines()[2:]:  # under the header and its --- line
        for label in row.split("|")[1].split(","):
            assert label.strip() in by_label, f"the README names an unknown permission {label.strip()!r}"
            names.add(by_label[label.strip()])
    return names


def test_the_permission_table_the_invite_and_the_code_checks_agree() -> None:
    invite = {ALIASES.get(flag, flag) for flag, on in INVITE_PERMISSIONS if on}
    assert readme_permission_table() == invite
    checked = checked_in_code()
    needs = set(checked) - NOT_BOT_NEEDS
    assert needs - invite == set(), {f: checked[f] for f in needs - invite}  # checked, never asked for
    assert invite - needs == set()  # asked for, never checked before use


def test_optional_permissions_stay_out_of_the_invite_and_have_their_own_link_and_table() -> None:
    """AutoMod is opt-in, so Manage Server is not asked for by default: the README's second link asks
    for it on top of the invite's, its own table names exactly it, and the code checks it before use."""
    optional = {flag for flag, on in OPTIONAL_PERMISSIONS if on}
    assert optional == {"manage_guild"} and AUTOMOD_PERMISSIONS <= OPTIONAL_PERMISSIONS
    assert not optional & {flag for flag, on in INVITE_PERMISSIONS if on}
    assert f"permissions={(INVITE_PERMISSIONS | OPTIONAL_PERMISSIONS).value}" in README
    assert readme_permission_table(after="The permission it adds:\n") == optional
    assert "bot/checks.py" in checked_in_code()["manage_guild"]  # AUTOMOD_PERMISSIONS, checked on itself
    cog = (ROOT / "cogs" / "spoilers" / "automod.py").read_text()
    assert "missing_permissions(guild.me.guild_permissions, AUTOMOD_PERMISSIONS)" in cog


def test_two_setup_commands_and_ci_runs_the_test_one() -> None:
    assert "\nmake run\n" in README
    assert "\nmake test\n" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\nmake test\n" in ci


async def test_every_slash_command_is_in_the_readme_and_within_discords_limits(harness: Harness) -> None:
    name_rule = re.compile(r"^[-_\w]{1,32}$")

    def walk(prefix: str, options: list[dict[str, Any]]) -> list[str]:
        leaves = []
        for option in options:
            assert 1 <= len(option["description"]) <= 100, option
            assert name_rule.match(option["name"]), option
            if option["type"] in (1, 2):
                leaves += walk(f"{prefix} {option['name']}", option.get("options") or [])
                assert len(option.get("options") or []) <= 25
        subcommands = [o for o in options if o["type"] in (1, 2)]
        return leaves if subcommands else [prefix]

    paths = []
    for command in harness.lb.global_commands:
        assert name_rule.match(command["name"]) and 1 <= len(command["description"]) <= 100
        paths += walk(f"/{command['name']}", command.get("options") or [])
    assert len(paths) == len(set(paths))
    for path in paths:
        assert f"`{path}" in README, f"{path} is not documented in README.md"
