"""The README and .env.example tell the truth about the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.checks import INVITE_PERMISSIONS
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
