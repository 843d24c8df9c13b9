"""Buttons: the persistent "Notify me" toggle, the list pager and the delete confirmation."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ensure_moderator
from bot.errors import UserError, report_error
from bot.lookup import row_id
from bot.roles import change_roles
from bot.text import escape
from bot.ui import Pager, ReportingView

from . import render
from .store import Countdown, CountdownStore, Which

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["ConfirmDelete", "ConfirmFollow", "ListPager", "NotifyButton", "notify_view"]

log = logging.getLogger(__name__)

NOTIFY_ID = "countdown:notify:{id}"


class NotifyButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"countdown:notify:(?P<id>[0-9]{1,19})",
):
    """Gives or takes the countdown's ping role. Persistent: the custom_id carries the countdown id,
    so a button posted months ago still works after any number of restarts."""

    def __init__(self, countdown_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Notify me",
                emoji="\N{BELL}",
                style=discord.ButtonStyle.primary,
                custom_id=NOTIFY_ID.format(id=countdown_id),
            )
        )
        self.countdown_id = countdown_id

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Cliffhanger],
        item: discord.ui.Button[discord.ui.View],
        match: re.Match[str],
        /,
    ) -> NotifyButton:
        return cls(row_id(match["id"]))

    async def callback(self, interaction: discord.Interaction[Cliffhanger]) -> None:  # type: ignore[override]
        # discord.py only logs DynamicItem errors, so report them to the member here.
        try:
            await toggle_ping_role(interaction, self.countdown_id)
        except Exception as exc:
            await report_error(interaction, exc)


def notify_view(countdown_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(NotifyButton(countdown_id))
    return view


async def toggle_ping_role(interaction: discord.Interaction[Cliffhanger], countdown_id: int) -> None:
    guild = interaction.guild
    member = interaction.user
    if guild is None or not isinstance(member, discord.Member):
        raise UserError("This button only works inside the server.")
    client = interaction.client
    countdown = await CountdownStore(client.db, client.guild_store).get(guild.id, countdown_id)
    if countdown is None:
        raise UserError("That countdown was deleted, so there is nothing to be notified about.")
    edit = f"/countdown edit countdown:{countdown.id} role:@Severance pings"
    if countdown.role_id is None:
        raise UserError(
            f"**{escape(countdown.title)}** doesn't ping anyone, so there is nothing to opt into. "
            "A moderator can add a ping role:",
            example=edit,
        )
    role = guild.get_role(countdown.role_id)
    if role is None:
        raise UserError(
            "The ping role of this countdown was deleted. A moderator can set a new one:", example=edit
        )
    title = escape(countdown.title)
    if member.get_role(role.id) is not None:
        problem = await change_roles(
            client, member, remove=[role], reason=f"Notify me turned off (countdown #{countdown.id})"
        )
        text = f"\N{BELL WITH CANCELLATION STROKE} You won't be pinged for **{title}** any more."
    else:
        problem = await change_roles(
            client, member, add=[role], reason=f"Notify me (countdown #{countdown.id})"
        )
        text = (
            f"\N{BELL} You'll be pinged as {role.mention} when **{title}** gets close and when it's out. "
            "Press **Notify me** again to stop."
        )
    if problem is not None:
        raise UserError(problem)
    await interaction.response.send_message(text, ephemeral=True)


class ListPager(Pager):
    """Previous/Next through /countdown list."""

    def __init__(self, store: CountdownStore, guild_id: int, which: Which, *, total: int, now: float) -> None:
        self.store = store
        self.guild_id = guild_id
        self.which = which
        self.now = now
        super().__init__(total=total, page_size=render.PAGE_SIZE)

    async def render(self) -> discord.Embed:
        items = await self.store.page(
            self.guild_id, int(self.now), self.which, limit=self.page_size, offset=self.offset
        )
        return render.list_embed(
            items, page=self.page, pages=self.pages, total=self.total, which=self.which, now=self.now
        )


class ConfirmDelete(ReportingView):
    """Asks before deleting a countdown; only the moderator who asked can answer, while they still
    are one and the countdown is still there."""

    kind = "confirm"

    def __init__(
        self,
        countdown: Countdown,
        owner_id: int,
        on_confirm: Callable[[discord.Interaction[Any], Countdown], Awaitable[str]],
        store: CountdownStore,
    ) -> None:
        super().__init__(timeout=120)
        self.countdown = countdown
        self.owner_id = owner_id
        self.on_confirm = on_confirm
        self.store = store
        self.origin: discord.Interaction[Any] | None = None

    async def recheck(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.owner_id:
            raise UserError("Only the moderator who asked can answer this.")
        await ensure_moderator(interaction)
        if await self.store.get(self.countdown.guild_id, self.countdown.id) is None:
            raise UserError(f"**{escape(self.countdown.title)}** was already deleted; nothing to do.")

    @discord.ui.button(label="Delete", emoji="\N{WASTEBASKET}", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ConfirmDelete]
    ) -> None:
        self.stop()
        await interaction.response.defer()
        text = await self.on_confirm(interaction, self.countdown)
        await interaction.edit_original_response(content=text, embed=None, view=None)

    @discord.ui.button(label="Keep it", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ConfirmDelete]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Kept **{escape(self.countdown.title)}**; nothing was deleted.",
            embed=None,
            view=None,
        )

    async def on_timeout(self) -> None:
        if self.origin is None:
            return
        try:
            await self.origin.edit_original_response(
                content="Nothing was deleted (no answer within two minutes).", embed=None, view=None
            )
        except discord.HTTPException:
            log.debug("could not close an expired delete confirmation", exc_info=True)


class ConfirmFollow(ReportingView):
    """Asks before a server's followed show is replaced by another; only the moderator who asked can
    answer, while they still are one and the server still follows the show they were asked about."""

    kind = "confirm"

    def __init__(
        self,
        *,
        owner_id: int,
        old_show: str,
        new_show: str,
        still_current: Callable[[], Awaitable[bool]],
        on_confirm: Callable[[discord.Interaction[Any]], Awaitable[tuple[str, list[discord.Embed]]]],
    ) -> None:
        super().__init__(timeout=120)
        self.owner_id = owner_id
        self.old_show = old_show
        self.new_show = new_show
        self.still_current = still_current
        self.on_confirm = on_confirm
        self.origin: discord.Interaction[Any] | None = None
        self.confirm.label = f"Follow {new_show}"[:80]
        self.cancel.label = f"Keep {old_show}"[:80]

    async def recheck(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.owner_id:
            raise UserError("Only the moderator who asked can answer this.")
        await ensure_moderator(interaction)
        if not await self.still_current():
            raise UserError(
                f"This server no longer follows **{escape(self.old_show)}**; run `/show follow` again."
            )

    @discord.ui.button(label="Follow", emoji="\N{TELEVISION}", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ConfirmFollow]
    ) -> None:
        self.stop()
        await interaction.response.defer()
        text, embeds = await self.on_confirm(interaction)
        await interaction.edit_original_response(content=text, embeds=embeds, view=None)

    @discord.ui.button(label="Keep", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[ConfirmFollow]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Kept **{escape(self.old_show)}**; nothing changed.", embed=None, view=None
        )

    async def on_timeout(self) -> None:
        if self.origin is None:
            return
        try:
            await self.origin.edit_original_response(
                content="Nothing changed (no answer within two minutes).", embed=None, view=None
            )
        except discord.HTTPException:
            log.debug("could not close an expired follow confirmation", exc_info=True)
