"""Theory rules that need no Discord and no database: names, markers and vote arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.forum_tags import season_tag_name

__all__ = [
    "DOUBTFUL",
    "PLAUSIBLE",
    "STATUSES",
    "Status",
    "VoteChange",
    "season_tag_name",
    "status_marker",
    "thread_name",
    "vote_change",
]

PLAUSIBLE = 1
DOUBTFUL = -1
Status = Literal["open", "confirmed", "debunked"]
STATUSES: tuple[Status, ...] = ("open", "confirmed", "debunked")
THREAD_NAME_MAX = 100

TAG_NAMES: dict[str, str] = {"open": "Open", "confirmed": "Confirmed", "debunked": "Debunked"}
TAG_EMOJI: dict[str, str] = {
    "open": "\N{LEFT-POINTING MAGNIFYING GLASS}",
    "confirmed": "\N{WHITE HEAVY CHECK MARK}",
    "debunked": "\N{CROSS MARK}",
}


def status_marker(status: Status) -> str:
    """The prefix a resolved theory's thread name carries in a text channel (forums use tags)."""
    return "" if status == "open" else TAG_EMOJI[status] + " "


def thread_name(number: int, title: str, status: Status = "open") -> str:
    """'#12 · <title>', with the outcome's marker once resolved, cut to Discord's 100 characters."""
    name = f"{status_marker(status)}#{number} \N{MIDDLE DOT} {title}"
    if len(name) <= THREAD_NAME_MAX:
        return name
    return name[: THREAD_NAME_MAX - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


@dataclass(frozen=True, slots=True)
class VoteChange:
    """What one click does to a member's vote and to the theory's two counts."""

    new: int | None  # the member's vote afterwards; None when withdrawn
    plausible: int  # change to the plausible count
    doubtful: int  # change to the doubtful count

    @property
    def kind(self) -> Literal["added", "changed", "withdrawn"]:
        if self.new is None:
            return "withdrawn"
        return "changed" if self.plausible and self.doubtful else "added"


def _counts(choice: int | None) -> tuple[int, int]:
    return (int(choice == PLAUSIBLE), int(choice == DOUBTFUL))


def vote_change(previous: int | None, clicked: int) -> VoteChange:
    """Clicking your current choice withdraws it; clicking the other one switches; else it counts."""
    if clicked not in (PLAUSIBLE, DOUBTFUL):
        raise ValueError(f"not a vote: {clicked!r}")
    new = None if previous == clicked else clicked
    before, after = _counts(previous), _counts(new)
    return VoteChange(new, after[0] - before[0], after[1] - before[1])
