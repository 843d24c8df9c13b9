"""How a feature adds its own `/config` subcommands and `/config show` lines.

The `/config` group belongs to cogs/config.py; features never reach into it. A feature registers a
section when its cog loads and drops it when it unloads. The registry attaches every registered
subcommand to whichever `/config` group is loaded, whenever it loads, so the order extensions load
in does not matter, and reloading cogs.config keeps every feature's subcommands.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

__all__ = ["ConfigRegistry", "ConfigSection", "ShowLines"]

log = logging.getLogger(__name__)

# `/config show` lines for one server: (field name, value) pairs.
ShowLines = Callable[[discord.Guild], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class ConfigSection:
    """What one feature adds to /config: subcommands, and lines for /config show."""

    commands: Sequence[app_commands.Command[Any, ..., Any]] = ()
    show_lines: ShowLines | None = None


class ConfigRegistry:
    """Feature sections by name ("countdowns", "theories"), and the /config group they attach to."""

    def __init__(self) -> None:
        self._sections: dict[str, ConfigSection] = {}
        self._group: app_commands.Group | None = None

    # -- features ----------------------------------------------------------------------------
    def add(self, name: str, section: ConfigSection) -> None:
        """Register (or replace) a feature's section; its commands join /config now if it is loaded."""
        self.remove(name)
        self._sections[name] = section
        if self._group is not None:
            self._attach(self._group, section)

    def remove(self, name: str) -> None:
        """Drop a feature's section and take its commands off /config."""
        section = self._sections.pop(name, None)
        if section is not None and self._group is not None:
            for command in section.commands:
                self._group.remove_command(command.name)

    # -- the /config cog ---------------------------------------------------------------------
    def attach(self, group: app_commands.Group) -> None:
        """The /config group loaded: give it every registered feature's subcommands."""
        self._group = group
        for section in self._sections.values():
            self._attach(group, section)

    def detach(self, group: app_commands.Group) -> None:
        """The /config group unloaded: features keep their sections for the next one."""
        if self._group is group:
            for section in self._sections.values():
                for command in section.commands:
                    group.remove_command(command.name)
            self._group = None

    async def show_lines(self, guild: discord.Guild) -> list[tuple[str, str]]:
        """Every feature's /config show lines, features in name order."""
        lines: list[tuple[str, str]] = []
        for name in sorted(self._sections):
            section = self._sections[name]
            if section.show_lines is not None:
                lines.extend(await section.show_lines(guild))
        return lines

    @staticmethod
    def _attach(group: app_commands.Group, section: ConfigSection) -> None:
        for command in section.commands:
            if group.get_command(command.name) is not None:
                log.warning("/config %s is registered twice; the later one wins", command.name)
            group.add_command(command, override=True)
