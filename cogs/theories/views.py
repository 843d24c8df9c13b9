"""The persistent vote buttons, the coalescing count editor, the list pager and the new-theory modal."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from bot.episodes import EpisodeCode
from bot.errors import report_error
from bot.lookup import row_id
from bot.shedding import answerable
from bot.text import TITLE_MAX
from bot.ui import Pager, ReportingModal

from . import render
from .rules import DOUBTFUL, PLAUSIBLE
from .store import Theory, TheoryQuery, TheoryStore

if TYPE_CHECKING:
    from bot.core import Cliffhanger
    from bot.scheduler import Clock

__all__ = ["EDIT_INTERVAL", "CountEditor", "TheoryModal", "TheoryPager", "VoteButton", "vote_view"]

log = logging.getLogger(__name__)

VOTE_ID = "theory:vote:{id}:{choice}"
CHOICE_CODES = {PLAUSIBLE: "p", DOUBTFUL: "d"}
# Discord publishes no per-message edit limit; about five edits per five seconds per channel is what
# its buckets allow. One edit per second per theory stays inside that, whatever the click rate.
EDIT_INTERVAL = 1.0
FLUSH_TIMEOUT = 5.0  # seconds the shutdown refresh of pending counts may take


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"theory:vote:(?P<id>[0-9]{1,19}):(?P<choice>[pd])",
):
    """Plausible or Doubtful on one theory. The custom_id carries the theory id, so the buttons
    work after any number of restarts; the count in the label is refreshed by `CountEditor`."""

    def __init__(self, theory_id: int, choice: int, *, count: int = 0, disabled: bool = False) -> None:
        plausible = choice == PLAUSIBLE
        super().__init__(
            discord.ui.Button(
                label=f"{'Plausible' if plausible else 'Doubtful'} \N{MIDDLE DOT} {count}",
                emoji=render.PLAUSIBLE_EMOJI if plausible else render.DOUBTFUL_EMOJI,
                style=discord.ButtonStyle.success if plausible else discord.ButtonStyle.secondary,
                custom_id=VOTE_ID.format(id=theory_id, choice=CHOICE_CODES[choice]),
                disabled=disabled,
            )
        )
        self.theory_id = theory_id
        self.choice = choice

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Cliffhanger],
        item: discord.ui.Button[discord.ui.View],
        match: re.Match[str],
        /,
    ) -> VoteButton:
        return cls(row_id(match["id"]), PLAUSIBLE if match["choice"] == "p" else DOUBTFUL)

    async def callback(self, interaction: discord.Interaction[Cliffhanger]) -> None:  # type: ignore[override]
        # discord.py only logs DynamicItem errors, so report them to the member here.
        try:
            if not await answerable(interaction, interaction.client.scheduler.clock.now()):
                return
            cog = interaction.client.get_cog("Theories")
            if cog is None:
                raise RuntimeError("the theories cog is not loaded")
            await cog.vote(interaction, self.theory_id, self.choice)  # type: ignore[attr-defined]
        except Exception as exc:
            await report_error(interaction, exc)


def vote_view(theory: Theory) -> discord.ui.View:
    """The two buttons with the theory's counts; disabled once the theory is settled."""
    view = discord.ui.View(timeout=None)
    closed = theory.status != "open"
    view.add_item(VoteButton(theory.id, PLAUSIBLE, count=theory.plausible, disabled=closed))
    view.add_item(VoteButton(theory.id, DOUBTFUL, count=theory.doubtful, disabled=closed))
    return view


@dataclass
class _Pending:
    dirty: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class CountEditor:
    """Keeps each vote message's counts current without editing faster than `interval`.

    One pending edit per theory: the first click edits at once, clicks while that edit (or the
    pause after it) is pending only mark it dirty, and a dirty theory is edited once more with the
    counts read fresh from the database. So 200 clicks in a second cost a handful of edits.

    A theory can be paused (Discord refused an edit of its hour-old message, error 30046): until
    then clicks edit nothing, and whoever paused it refreshes the counts when the pause ends.
    """

    def __init__(
        self, apply: Callable[[int], Awaitable[None]], *, clock: Clock, interval: float = EDIT_INTERVAL
    ) -> None:
        self.apply = apply
        self.clock = clock  # the bot's clock: tests let the interval pass without sitting it out
        self.interval = interval
        self._pending: dict[int, _Pending] = {}
        self._paused: dict[int, float] = {}  # theory id -> clock time its edits wait for

    def pause(self, theory_id: int, until: float) -> None:
        self._paused[theory_id] = until

    def resume(self, theory_id: int) -> None:
        self._paused.pop(theory_id, None)

    def paused_until(self, theory_id: int) -> float | None:
        """When edits of this theory's counts start again, or None when they are not paused."""
        until = self._paused.get(theory_id)
        if until is not None and self.clock.now() >= until:
            del self._paused[theory_id]
            return None
        return until

    def touch(self, theory_id: int) -> None:
        if self.paused_until(theory_id) is not None:
            return  # the catch-up after the pause reads the counts fresh
        pending = self._pending.get(theory_id)
        if pending is not None:
            pending.dirty = True
            return
        pending = _Pending()
        self._pending[theory_id] = pending
        pending.task = asyncio.create_task(self._run(theory_id, pending), name=f"theory-counts-{theory_id}")

    def pending(self) -> int:
        return len(self._pending)

    async def _run(self, theory_id: int, pending: _Pending) -> None:
        try:
            while True:
                pending.dirty = False
                try:
                    await self.apply(theory_id)
                except Exception:
                    log.exception("could not refresh the vote counts of theory %s", theory_id)
                if self.paused_until(theory_id) is not None:
                    return
                await self.clock.sleep(self.interval)
                if not pending.dirty:
                    return
        finally:
            self._pending.pop(theory_id, None)

    async def drain(self) -> None:
        """Wait for every pending edit (tests, and a clean shutdown)."""
        while self._pending:
            tasks = [p.task for p in self._pending.values() if p.task is not None]
            await asyncio.gather(*tasks, return_exceptions=True)

    async def flush(self) -> None:
        """On shutdown: stop waiting out the pause and edit every pending theory once more now, so
        the counts on the messages are current when the bot goes away."""
        ids = [i for i in self._pending if self.paused_until(i) is None]
        for pending in self._pending.values():
            if pending.task is not None:
                pending.task.cancel()
        self._pending.clear()
        if not ids:
            return
        results = asyncio.gather(*(self.apply(theory_id) for theory_id in ids), return_exceptions=True)
        try:
            await asyncio.wait_for(results, FLUSH_TIMEOUT)
        except TimeoutError:
            log.warning("vote counts of %d theories were not refreshed before shutdown", len(ids))


class TheoryPager(Pager):
    """Previous/Next through /theory list, top and search."""

    def __init__(
        self, store: TheoryStore, guild_id: int, query: TheoryQuery, *, title: str, total: int
    ) -> None:
        self.store = store
        self.guild_id = guild_id
        self.query = query
        self.title = title
        super().__init__(total=total, page_size=render.PAGE_SIZE)

    async def render(self) -> discord.Embed:
        items = await self.store.page(self.guild_id, self.query, limit=self.page_size, offset=self.offset)
        return render.list_embed(
            items,
            title=self.title,
            page=self.page,
            pages=self.pages,
            total=self.total,
            progress=self.query.progress,
        )


Submit = Callable[[discord.Interaction[Any], EpisodeCode, str, str], Awaitable[None]]


class TheoryModal(ReportingModal, title="New theory"):
    """Title and text of a new theory; the episode came with the command."""

    theory_title: discord.ui.TextInput[TheoryModal] = discord.ui.TextInput(
        label="Title (no spoilers: it names the thread)",
        custom_id="title",
        max_length=TITLE_MAX,
        placeholder="Helly and Helena are not who they seem",
    )
    text: discord.ui.TextInput[TheoryModal] = discord.ui.TextInput(
        label="Your theory",
        custom_id="text",
        style=discord.TextStyle.paragraph,
        max_length=4000,
        placeholder="Spoilers are fine here: recent episodes are hidden behind spoiler tags.",
    )

    def __init__(
        self,
        episode: EpisodeCode,
        on_submit: Submit,
        still_open: Callable[[discord.Interaction[Any]], Awaitable[None]],
    ) -> None:
        super().__init__(timeout=1800)
        self.episode = episode
        self._submit = on_submit
        self._still_open = still_open

    async def recheck(self, interaction: discord.Interaction[Any]) -> None:
        """Theories may still be posted here (the channel is set, there, and the bot may post)."""
        await self._still_open(interaction)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self._submit(interaction, self.episode, self.theory_title.value, self.text.value)
