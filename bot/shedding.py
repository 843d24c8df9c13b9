"""Shedding load: past the point where the bot keeps up, interactions are deferred, not missed.

Discord drops an interaction that gets no response within 3 s. When the bot is overloaded, an
interaction can wait in the gateway's queue for most of that before its handler starts, and a
handler that then reads the database and replies answers too late: the member sees "The application
did not respond", and the reply itself fails (404 Unknown interaction), costing more work at the
worst moment. So a handler that starts more than DEFER_AFTER seconds after the interaction was
created defers first (one small request, ephemeral "thinking"), and its reply goes out as the
deferral's followup, which Discord accepts for 15 minutes.

Deferring alone does not keep the bot inside the deadline once it is saturated: the handlers of the
interactions it deferred keep the event loop busy, and the next interaction's deferral queues behind
their work until it too is past 3 s (measured: 109 of 6,000 missed at 600/s on PostgreSQL). So the
handlers of late interactions take turns (`LateWork`): a few run at once and the rest wait, already
deferred, while the loop stays free to defer whatever arrives next. The answers come later, not never.
While handlers wait for a turn the bot is past its knee, and every interaction is deferred and takes
its turn, however soon it was reached: the few at work and the scheduler's announcements then share
the loop with deferrals only, not with hundreds of handlers at once. The bot says so in its log, at
most once a minute.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

import discord
from discord.utils import MISSING

from .errors import UserError

__all__ = ["DEADLINE", "DEFER_AFTER", "LATE_AT_ONCE", "LateResponse", "LateWork", "answerable"]

log = logging.getLogger(__name__)

DEFER_AFTER = 1.0  # seconds an interaction may wait before its handler starts, before it is deferred
DEADLINE = 3.0  # Discord's: no first response after this, and the interaction is gone
LATE_AT_ONCE = 8  # handlers of deferred-because-late interactions running at the same time
OVERLOAD_LOG_EVERY = 60.0  # seconds between "overloaded" log lines


class Tally:
    """A count whose log line is written at most once every OVERLOAD_LOG_EVERY seconds, so a flood
    costs a counter, not a line each."""

    def __init__(self) -> None:
        self.count = 0
        self._logged_at: float | None = None  # loop time of the last line
        self._logged_count = 0

    def add(self) -> int | None:
        """Count one; when a line is due now, how many were counted since the last one (this
        included), else None."""
        self.count += 1
        now = asyncio.get_running_loop().time()
        if self._logged_at is not None and now - self._logged_at < OVERLOAD_LOG_EVERY:
            return None
        since, self._logged_at, self._logged_count = self.count - self._logged_count, now, self.count
        return since


class LateWork:
    """Turns for the handlers of interactions reached late, after their deferral: at most `limit`
    run at once, the others wait first come, first served. A turn lasts until the handler's task
    ends. One per bot."""

    def __init__(self, limit: int = LATE_AT_ONCE) -> None:
        self.limit = limit
        self._busy = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self.waits = Tally()  # handlers that had to wait for a turn
        self.drops = Tally()  # interactions reached past Discord's deadline, dropped

    @property
    def running(self) -> int:
        return self._busy

    @property
    def waited(self) -> int:
        return self.waits.count

    @property
    def dropped(self) -> int:
        return self.drops.count

    def backlogged(self) -> bool:
        """Whether handlers are waiting for a turn: the bot is past its knee."""
        return bool(self._waiting)

    async def turn(self) -> None:
        """Wait for a turn for the running task; it is given back when the task ends."""
        task = asyncio.current_task()
        if task is None:
            return
        if self._busy < self.limit and not self._waiting:
            self._busy += 1
        else:
            since = self.waits.add()
            if since is not None:
                log.warning(
                    "more interactions than the bot keeps up with: every one is deferred and answered in "
                    "turn, %d at a time (%d waited for a turn since the last such line)",
                    self.limit,
                    since,
                )
            ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append(ready)
            try:
                await ready  # the turn is handed over with the result, already counted
            except asyncio.CancelledError:
                if ready.done() and not ready.cancelled():
                    self._give_back()
                else:
                    self._waiting.remove(ready)
                raise
        task.add_done_callback(lambda _task: self._give_back())

    def _give_back(self) -> None:
        while self._waiting:
            ready = self._waiting.popleft()
            if not ready.done():
                ready.set_result(None)  # the turn passes straight on
                return
        self._busy -= 1


class LateResponse(discord.InteractionResponse[Any]):
    """The response of an interaction that was deferred because the bot was busy: the handler's
    reply goes out as the deferral's followup, as private as the deferral (Discord decides that by
    the deferral), so nothing meant for one member is shown to everyone."""

    async def send_message(  # type: ignore[override]
        self,
        content: Any | None = None,
        *,
        ephemeral: bool = False,
        delete_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        if not self.is_done():
            await super().send_message(content, ephemeral=ephemeral, delete_after=delete_after, **kwargs)
            return
        await self._parent.followup.send(MISSING if content is None else content, ephemeral=True, **kwargs)

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        # A command that defers on its own (most slow ones do) was deferred here already.
        if not self.is_done():
            await super().defer(ephemeral=ephemeral, thinking=thinking)

    async def send_modal(self, modal: discord.ui.Modal, /) -> None:  # type: ignore[override]
        if not self.is_done():
            await super().send_modal(modal)
            return
        raise UserError("I was too busy to open the form in time, sorry: run the command again.")


async def answerable(interaction: discord.Interaction[Any], now: float) -> bool:
    """Before a slash command or button press runs (`now` on the bot's clock): False when Discord's
    3 s deadline has already passed, so nothing can answer it any more (dropped with one log line,
    not a failed reply and a traceback); deferred first when it waited more than DEFER_AFTER s."""
    waited = now - interaction.created_at.timestamp()
    work: LateWork | None = getattr(interaction.client, "late_work", None)
    overloaded = work is not None and work.backlogged()
    if (waited < DEFER_AFTER and not overloaded) or interaction.response.is_done():
        return True
    if interaction.type not in (
        discord.InteractionType.application_command,
        discord.InteractionType.component,
    ):
        return True  # autocomplete cannot be deferred, and a modal's submit answers at once anyway
    if waited >= DEADLINE:
        since = 1 if work is None else work.drops.add()
        if since is not None:
            log.warning(
                "interaction %s reached %.1f s after it was created, past Discord's deadline; dropped "
                "(the bot is overloaded; %d dropped since the last such line)",
                interaction.id,
                waited,
                since,
            )
        return False
    late = LateResponse(interaction)
    interaction._cs_response = late  # type: ignore[attr-defined]  # the slot discord.py caches `response` in
    await late.defer(ephemeral=True, thinking=True)
    log.debug(
        "interaction %s reached %.1f s after it was created; deferred (the bot is busy)",
        interaction.id,
        waited,
    )
    if work is not None:
        await work.turn()
    return True
