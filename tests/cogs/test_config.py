"""/config and /about end to end: the real bot, through the loopback Discord."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest

from bot.db.guilds import GuildStore
from tests.harness import Harness
from tests.loopback import ClientRefused


async def test_owner_sets_the_timezone(harness: Harness) -> None:
    reply = await harness.owner.slash("config timezone", zone="america/new_york")
    assert reply.ephemeral
    assert "Timezone set to **America/New_York**" in reply.content
    assert (await harness.bot.guild_store.get(harness.guild.id)).timezone == "America/New_York"


async def test_an_unknown_timezone_is_refused_with_a_suggestion(harness: Harness) -> None:
    reply = await harness.owner.slash("config timezone", zone="America/NewYork")
    assert reply.ephemeral
    assert "`America/NewYork` is not a timezone I know" in reply.content
    assert "Did you mean `America/New_York`" in reply.content
    assert "**Example:** `/config timezone zone:America/New_York`" in reply.content
    assert (await harness.bot.guild_store.get(harness.guild.id)).timezone == "UTC"


async def test_timezone_autocomplete(harness: Harness) -> None:
    empty = await harness.owner.autocomplete("config timezone", "zone")
    assert 1 <= len(empty) <= 25
    assert empty[0] == {"name": "UTC", "value": "UTC"}
    typed = await harness.owner.autocomplete("config timezone", "zone", zone="new_y")
    assert typed[0]["value"] == "America/New_York"
    many = await harness.owner.autocomplete("config timezone", "zone", zone="a")
    assert len(many) == 25


async def test_a_member_without_manage_server_is_refused_and_nothing_changes(harness: Harness) -> None:
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("config timezone", {"zone": "Europe/Paris"}),
        ("config show-name", {"name": "Severance"}),
        ("config show", {}),
        ("config announcements", {"channel": harness.world.announcements}),
    ]
    for path, options in attempts:
        reply = await harness.alice.slash(path, **options)
        assert reply.ephemeral
        assert "Only moderators can do that: it needs the Manage Server permission." in reply.content
    settings = await harness.bot.guild_store.get(harness.guild.id)
    assert (settings.timezone, settings.show_name, settings.announce_channel_id) == ("UTC", None, None)


async def test_the_moderator_role_grants_access_at_run_time(harness: Harness) -> None:
    refused = await harness.mod.slash("config show-name", name="Severance")
    assert "Only moderators" in refused.content
    set_role = await harness.owner.slash("config moderator-role", role=harness.world.mod_role)
    assert f"<@&{harness.world.mod_role.id}>" in set_role.content
    allowed = await harness.mod.slash("config show-name", name="  Severance  ")
    assert "This server follows **Severance**" in allowed.content
    # Once set, the refusal names the role to ask for.
    refused = await harness.alice.slash("config show")
    assert f"Manage Server permission or the <@&{harness.world.mod_role.id}> role" in refused.content
    cleared = await harness.owner.slash("config moderator-role")
    assert "Moderator role cleared" in cleared.content
    assert "Only moderators" in (await harness.mod.slash("config show")).content


async def test_the_moderator_role_reaches_every_moderator_group_with_no_override_in_discord(
    harness: Harness,
) -> None:
    """The README's story, through Discord's command visibility: setting the role is all it takes."""
    h = harness
    assert all(c.get("default_member_permissions") is None for c in h.lb.global_commands)
    assert h.lb.command_permissions == {}  # nobody touched Server Settings > Integrations
    await h.owner.slash("config moderator-role", role=h.world.mod_role)
    assert "Cliffhanger settings" in (await h.mod.slash("config show")).text
    reply = await h.mod.slash("spoilers channel add", channel=h.world.spoilers)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.content, reply.content
    # Members see the commands too, and are told they are for moderators.
    assert "Only moderators" in (await h.alice.slash("spoilers channel list")).content
    assert await h.bot.spoiler_channels.ids(h.guild.id) == {h.world.spoilers.id}


async def test_a_server_that_hides_moderator_commands_keeps_the_run_time_check(harness: Harness) -> None:
    """An admin hid /config from @everyone in Integrations but allowed a role that is no longer the
    moderator role: Discord delivers the command, and the bot still refuses it."""
    h = harness
    h.lb.set_command_permission(h.guild, "config", h.guild.everyone, False)
    h.lb.set_command_permission(h.guild, "config", h.world.mod_role, True)
    with pytest.raises(ClientRefused):
        await h.alice.slash("config show")
    assert "Only moderators" in (await h.mod.slash("config show")).content


async def test_everyone_and_bot_roles_cannot_be_the_moderator_role(harness: Harness) -> None:
    everyone = harness.guild.everyone
    reply = await harness.owner.slash("config moderator-role", role=everyone)
    assert "@everyone can't be the moderator role" in reply.content
    assert "**Example:**" in reply.content
    bot_role = harness.lb.bot_role(harness.guild)
    reply = await harness.owner.slash("config moderator-role", role=bot_role)
    assert "belongs to an integration or bot" in reply.content
    assert (await harness.bot.guild_store.get(harness.guild.id)).moderator_role_id is None


async def test_a_blank_show_name_is_refused(harness: Harness) -> None:
    reply = await harness.owner.slash("config show-name", name="   ")
    assert reply.ephemeral
    assert "can't be blank" in reply.content or "cannot be blank" in reply.content
    assert "**Example:** `/config show-name name:Severance`" in reply.content


async def test_announcement_channel_is_checked_for_the_bots_permissions(harness: Harness) -> None:
    channel = harness.world.announcements
    harness.lb.set_overwrite(
        channel,
        harness.lb.bot_role(harness.guild),
        deny=discord.Permissions(send_messages=True, embed_links=True),
    )
    await harness.settle()
    reply = await harness.owner.slash("config announcements", channel=channel)
    assert reply.ephemeral
    assert f"I'm missing **Send Messages** and **Embed Links** in <#{channel.id}>" in reply.content
    assert "**Example:**" in reply.content
    assert (await harness.bot.guild_store.get(harness.guild.id)).announce_channel_id is None

    harness.lb.set_overwrite(channel, harness.lb.bot_role(harness.guild))  # the moderator fixes it
    await harness.settle()
    reply = await harness.owner.slash("config announcements", channel=channel)
    assert f"Countdown announcements will go to <#{channel.id}>" in reply.content
    assert (await harness.bot.guild_store.get(harness.guild.id)).announce_channel_id == channel.id

    cleared = await harness.owner.slash("config announcements")
    assert "Announcement channel cleared" in cleared.content


async def test_config_show_lists_every_setting(harness: Harness) -> None:
    await harness.owner.slash("config timezone", zone="Europe/London")
    await harness.owner.slash("config show-name", name="Severance")
    await harness.owner.slash("config announcements", channel=harness.world.announcements)
    reply = await harness.owner.slash("config show")
    assert reply.ephemeral
    embed = reply.embeds[0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Show"] == "Severance"
    assert fields["Timezone"].startswith("Europe/London (now ")
    assert fields["Moderator role"] == "not set (Manage Server holders only)"
    assert fields["Announcements"] == f"<#{harness.world.announcements.id}>"


async def test_a_restart_keeps_every_setting(harness: Harness) -> None:
    await harness.owner.slash("config timezone", zone="Asia/Tokyo")
    await harness.owner.slash("config show-name", name="Severance")
    await harness.owner.slash("config moderator-role", role=harness.world.mod_role)
    await harness.owner.slash("config announcements", channel=harness.world.announcements)
    await harness.restart()
    settings = await harness.bot.guild_store.get(harness.guild.id)
    assert settings.timezone == "Asia/Tokyo"
    assert settings.show_name == "Severance"
    assert settings.moderator_role_id == harness.world.mod_role.id
    assert settings.announce_channel_id == harness.world.announcements.id
    # and the restarted bot still honours them
    reply = await harness.mod.slash("config show")
    assert reply.embeds[0]["fields"][0]["value"] == "Severance"


async def test_about_reports_health(harness: Harness) -> None:
    reply = await harness.alice.slash("about")
    assert reply.ephemeral
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Version"].startswith("0.1.0 (discord.py 2.")
    assert fields["Gateway latency"].endswith(" ms") or fields["Gateway latency"] == "measuring..."
    assert fields["Database"].startswith("OK, schema version ")
    assert fields["Scheduled"] == "0 announcements pending for this server"


async def test_an_unexpected_error_shows_an_incident_id_that_is_logged(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(self: GuildStore, guild_id: int) -> None:
        raise ZeroDivisionError("a bug")

    harness.bot.guild_store.invalidate()
    monkeypatch.setattr(GuildStore, "get", broken)
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        reply = await harness.owner.slash("config show")
    assert reply.ephemeral
    assert "Something went wrong on my side" in reply.content
    incident = reply.content.split("incident `")[1].split("`")[0]
    assert len(incident) == 8
    record = next(r for r in caplog.records if incident in r.getMessage())
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


async def test_commands_sync_only_when_they_change(harness: Harness) -> None:
    assert harness.lb.command_puts == 1
    assert harness.bot.synced is True
    names = {c["name"] for c in harness.lb.global_commands}
    assert {"config", "about"} <= names
    await harness.restart()
    assert harness.lb.command_puts == 1  # same command set: no sync, no daily-quota spend
    assert harness.bot.synced is False


async def test_dev_guild_sync_goes_to_that_guild(harness: Harness) -> None:
    from dataclasses import replace

    await harness.stop()
    harness.settings = replace(harness.settings, dev_guild_id=harness.guild.id)
    await harness.start()
    assert {c["name"] for c in harness.lb.guild_commands[harness.guild.id]} >= {"config", "about"}
    reply = await harness.owner.slash("config show-name", name="Severance")
    assert "Severance" in reply.content


async def test_resume_after_a_gateway_disconnect(harness: Harness) -> None:
    await harness.lb.disconnect()
    reply = await harness.owner.slash("config show-name", name="Severance")
    assert "Severance" in reply.content
    assert harness.lb.resume_count == 1
    assert harness.lb.identify_count == 1


async def test_commands_are_guild_only_and_carry_no_default_permissions(harness: Harness) -> None:
    """Moderator commands are checked when they run; a default permission would hide them from the
    moderator role (see the README, Commands)."""
    for command in harness.lb.global_commands:
        assert command.get("contexts") == [0], command["name"]
        assert command["default_member_permissions"] is None, command["name"]


# -- features' /config subcommands and /config show lines (bot.config_registry) ------------------
FEATURE_LINES = {"Countdowns", "Spoiler channels", "Spoilers", "Theories"}


async def show_fields(h: Harness) -> dict[str, str]:
    reply = await h.owner.slash("config show")
    return {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}


async def set_theories_channel(h: Harness) -> str:
    reply = await h.owner.slash("config theories", channel=h.world.general)
    await reply.wait_done()
    return reply.text


async def test_reloading_config_keeps_every_features_subcommands_and_lines(harness: Harness) -> None:
    h = harness
    await h.bot.reload_extension("cogs.config")
    assert "New theories go to" in await set_theories_channel(h)
    assert set(await show_fields(h)) >= FEATURE_LINES


async def test_reloading_a_feature_replaces_its_subcommand_and_unloading_removes_it(harness: Harness) -> None:
    h = harness
    await h.bot.reload_extension("cogs.theories")
    assert "New theories go to" in await set_theories_channel(h)
    await h.bot.unload_extension("cogs.theories")
    group = h.bot.tree.get_command("config")
    assert isinstance(group, discord.app_commands.Group)
    assert group.get_command("theories") is None
    assert "Theories" not in await show_fields(h)


async def test_features_loaded_before_config_still_get_their_subcommands(harness: Harness) -> None:
    h = harness
    order = sorted(h.bot.extensions, reverse=True)  # cogs.theories ... cogs.config
    assert order.index("cogs.theories") < order.index("cogs.config")
    await h.restart(extensions=order)
    assert "New theories go to" in await set_theories_channel(h)
    assert set(await show_fields(h)) >= FEATURE_LINES


async def test_a_members_use_of_a_feature_subcommand_is_refused(harness: Harness) -> None:
    h = harness
    reply = await h.alice.slash("config theories", channel=h.world.general)
    assert reply.ephemeral and "Only moderators can do that" in reply.text
