from tests.harness import Harness


async def test_config_timezone_smoke(harness: Harness) -> None:
    reply = await harness.owner.slash("config timezone", zone="America/New_York")
    assert reply.ephemeral, reply
    assert "America/New_York" in reply.content
    settings = await harness.bot.guild_store.get(harness.guild.id)
    assert settings.timezone == "America/New_York"
