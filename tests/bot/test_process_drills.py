"""The bot as a separate process: killed with SIGKILL, restarted, and still consistent."""

from __future__ import annotations

from pathlib import Path

from tests.harness import World
from tests.loopback import Actor, LoopbackDiscord
from tests.loopback.process import BotProcess


async def test_sigkill_and_restart_keep_settings_and_release_the_lock(
    loopback: LoopbackDiscord, world: World, tmp_path: Path
) -> None:
    owner = Actor(loopback, world.guild, world.members["owner"], world.general)
    async with BotProcess(loopback.port, tmp_path / "proc.db") as bot:
        await bot.start()
        reply = await owner.slash("config show-name", name="Severance")
        assert "Severance" in reply.content
        await bot.kill()
        await bot.start()  # the kernel released the instance lock with the dead process
        reply = await owner.slash("config show")
        assert reply.embeds[0]["fields"][0]["value"] == "Severance"
        assert await bot.stop() == 0
