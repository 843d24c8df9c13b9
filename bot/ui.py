"""Shared interaction plumbing: views and modals that report errors the same way slash commands do,
re-check at submit time, and answer plainly once they are gone.

A form or a button is pressed long after the command that opened it: what it acts on may be gone,
and the member may have lost the right to act. So every `ReportingModal` and `ReportingView` declares
`recheck`, which runs before its callback and raises a UserError (shown to the member) when the thing
is gone or the member no longer may; a subclass without one is refused when it is defined. Their
custom_ids say what they are (`cliff:form:...`, `cliff:list:...`, `cliff:confirm:...`), so a press
that no live view claims (left over from before a restart, or after the view timed out) is answered
"This list has expired: run the command again" by `answer_expired` instead of with silence.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
from collections import OrderedDict
from typing import Any, ClassVar

import discord

from .errors import report_error

__all__ = ["Pager", "ReportingModal", "ReportingView", "answer_expired"]

log = logging.getLogger(__name__)

_EXPIRING_ID = re.compile(r"cliff:(?P<kind>list|confirm|form):[0-9a-f]{16}(?::[0-9]{1,2})?")
_NOUNS = {"list": "list", "confirm": "confirmation", "form": "form"}
# Interactions a live view or modal took (by interaction id); the rest with an expiring id expired.
_claimed: OrderedDict[int, None] = OrderedDict()
_CLAIMS_KEPT = 1000


def _mint(kind: str) -> str:
    return f"cliff:{kind}:{secrets.token_hex(8)}"


def _claim(interaction: discord.Interaction[Any]) -> None:
    _claimed[interaction.id] = None
    while len(_claimed) > _CLAIMS_KEPT:
        _claimed.popitem(last=False)


def _require_recheck(cls: type) -> None:
    if getattr(cls, "recheck", None) is Rechecked.recheck:
        raise TypeError(
            f"{cls.__name__} must define recheck(): what it acts on may be gone, or the member may no "
            "longer be allowed, by the time it is pressed"
        )


async def answer_expired(interaction: discord.Interaction[Any]) -> bool:
    """Answer a press on a form or button no live view took (the bot restarted, or it timed out).
    Called for every interaction; True when it answered."""
    if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
        return False
    data: dict[str, Any] = dict(interaction.data or {})
    match = _EXPIRING_ID.fullmatch(str(data.get("custom_id") or ""))
    if match is None:
        return False
    await asyncio.sleep(0)  # a live view's task was scheduled first: let it claim the interaction
    if interaction.id in _claimed or interaction.response.is_done():
        return False
    noun = _NOUNS[match["kind"]]
    await interaction.response.send_message(
        f"This {noun} has expired: run the command again.", ephemeral=True
    )
    return True


class Rechecked:
    """What forms and button views share: `recheck` runs before every submit or press."""

    async def recheck(self, interaction: discord.Interaction[Any]) -> None:
        """Raise a UserError when what this acts on is gone or the member may no longer act."""
        raise NotImplementedError

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        _claim(interaction)
        await self.recheck(interaction)
        return True


class ReportingView(Rechecked, discord.ui.View):
    """A view whose item errors reach the member as an ephemeral message, like command errors, that
    re-checks before every press (`recheck`) and whose leftovers answer that they expired. `kind`
    names it in that answer ("list" or "confirm")."""

    kind: ClassVar[str] = "list"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _require_recheck(cls)

    def __init__(self, *, timeout: float | None = 180) -> None:
        super().__init__(timeout=timeout)
        token = _mint(self.kind)
        for index, item in enumerate(self.children):
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.custom_id = f"{token}:{index}"

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error)


class Pager(ReportingView):
    """Previous/Next through an ephemeral list, one embed per page; only its member can press it.
    Subclasses say how a page looks (`render`). Set `origin` to the interaction that sent it, so the
    buttons are greyed out when the view expires instead of left not answering."""

    async def recheck(self, interaction: discord.Interaction[Any]) -> None:
        """Nothing to re-check: every page is read afresh from the database, and lists are for anyone."""

    def __init__(self, *, total: int, page_size: int, timeout: float = 600) -> None:
        super().__init__(timeout=timeout)
        self.total = total
        self.page_size = page_size
        self.page = 0
        self.pages = max(1, math.ceil(total / page_size))
        self.origin: discord.Interaction[Any] | None = None
        self._sync()

    @property
    def offset(self) -> int:
        return self.page * self.page_size

    async def render(self) -> discord.Embed:
        raise NotImplementedError

    def _sync(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    async def on_timeout(self) -> None:
        if self.origin is None:
            return
        self.previous.disabled = self.next.disabled = True
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            log.debug("could not close an expired %s", type(self).__name__, exc_info=True)

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = min(max(self.page + step, 0), self.pages - 1)
        self._sync()
        await interaction.response.edit_message(embed=await self.render(), view=self)

    @discord.ui.button(
        label="Previous", emoji="\N{BLACK LEFT-POINTING TRIANGLE}", style=discord.ButtonStyle.secondary
    )
    async def previous(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(
        label="Next", emoji="\N{BLACK RIGHT-POINTING TRIANGLE}", style=discord.ButtonStyle.secondary
    )
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, 1)


class ReportingModal(Rechecked, discord.ui.Modal):
    """A modal whose submit errors reach the member as an ephemeral message, that re-checks before
    its submit runs (`recheck`), and whose leftovers answer that the form expired."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _require_recheck(cls)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("custom_id", _mint("form"))
        super().__init__(**kwargs)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error)
