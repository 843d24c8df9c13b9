"""bot.checks: `moderator_only()` is the one way a command becomes moderators-only, and exactly the
commands the README lists for moderators carry it."""

from __future__ import annotations

import re
from pathlib import Path

from discord import app_commands

from bot.checks import requires_moderator
from tests.harness import Harness

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def readme_who() -> dict[str, str]:
    """Each command's "Who" column in the README's command table."""
    commands = README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `/([a-z -]+?)(?: [a-z_]+:.*?)?` \| ([^|]+) \|", commands, re.MULTILINE)
    return {path: who.strip() for path, who in rows}


async def test_exactly_the_readmes_moderator_commands_are_checked_at_run_time(harness: Harness) -> None:
    leaves = {
        command.qualified_name: command
        for command in harness.bot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
    }
    who = readme_who()
    assert set(leaves) == set(who), "the README's command table and the tree disagree"
    guarded = {name for name, command in leaves.items() if requires_moderator(command)}
    assert guarded == {name for name, w in who.items() if w == "moderators"}
    # Every subcommand of a group that defaults to Manage Server is checked when it runs, too.
    for name, command in leaves.items():
        if command.root_parent is not None and command.root_parent.default_permissions is not None:
            assert name in guarded, name
