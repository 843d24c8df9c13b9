"""The test clocks: what the bot's waits rely on when a test moves time."""

from __future__ import annotations

import asyncio

from tests.clocks import ShiftedClock


async def test_a_sleep_wakes_on_a_jump_made_before_its_task_first_ran() -> None:
    # A loop that computes how long to sleep from now() and wraps the sleep in a task (to wait on it
    # beside a wake-up event) must still see a jump the test makes before that task starts.
    clock = ShiftedClock()
    sleeper = asyncio.ensure_future(clock.sleep(3600))
    clock.jump(7200)
    await asyncio.wait_for(sleeper, 10)


async def test_a_sleep_without_a_jump_lasts_its_time() -> None:
    clock = ShiftedClock()
    sleeper = asyncio.ensure_future(clock.sleep(3600))
    done, _ = await asyncio.wait({sleeper}, timeout=0.05)
    assert not done
    sleeper.cancel()
