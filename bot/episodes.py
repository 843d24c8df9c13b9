"""Episode codes (S2E3, 2x03, s02e03) and checking them against a server's schedule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from .errors import UserError

__all__ = ["EpisodeCode", "parse_episode"]

MAX_SEASON = 99
MAX_EPISODE = 999

_PATTERNS = (
    re.compile(r"^s\s*(\d{1,3})\s*[ e.:-]?\s*e\s*(\d{1,4})$"),  # S2E3, s02e03, S2 E3, s2.e3
    re.compile(r"^(\d{1,3})\s*x\s*(\d{1,4})$"),  # 2x03
    re.compile(r"^season\s*(\d{1,3})\s*,?\s*episode\s*(\d{1,4})$"),  # season 2 episode 3
)
EXAMPLE_CODES = "`S2E3`, `2x03` or `s02e03`"


@total_ordering
@dataclass(frozen=True, slots=True)
class EpisodeCode:
    """A season and episode number; orders by season, then episode."""

    season: int
    episode: int

    def __str__(self) -> str:
        return f"S{self.season}E{self.episode}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, EpisodeCode):
            return NotImplemented
        return (self.season, self.episode) < (other.season, other.episode)

    def check_in_schedule(self, season_sizes: dict[int, int], example_command: str) -> None:
        """Refuse an episode past the end of a season the server has a schedule for."""
        size = season_sizes.get(self.season)
        if size is not None and self.episode > size:
            raise UserError(
                f"Season {self.season} has {size} episode{'s' if size != 1 else ''} in this server's schedule, "
                f"so there is no {self}.",
                example=example_command.replace("{code}", f"S{self.season}E{size}"),
            )


def parse_episode(text: str, *, example_command: str = "/progress set episode:{code}") -> EpisodeCode:
    """Read S2E3, 2x03, s02e03 or "season 2 episode 3"; raise a UserError with an example otherwise.

    `example_command` shows a correct use; `{code}` in it is replaced by a valid code.
    """
    cleaned = " ".join(text.strip().lower().split())
    for pattern in _PATTERNS:
        match = pattern.match(cleaned)
        if match is None:
            continue
        season, episode = int(match[1]), int(match[2])
        if season < 1 or episode < 1:
            raise UserError(
                f"`{_shown(text)}` is not an episode: seasons and episodes are numbered from 1.",
                example=example_command.replace("{code}", "S1E1"),
            )
        if season > MAX_SEASON or episode > MAX_EPISODE:
            raise UserError(
                f"`{_shown(text)}` is out of range: seasons go up to {MAX_SEASON} and episodes up to {MAX_EPISODE}.",
                example=example_command.replace("{code}", "S2E3"),
            )
        return EpisodeCode(season, episode)
    raise UserError(
        f"`{_shown(text)}` is not an episode code. Write it as {EXAMPLE_CODES}.",
        example=example_command.replace("{code}", "S2E3"),
    )


def _shown(text: str) -> str:
    """User text quoted back safely inside inline code."""
    flat = " ".join(text.split()).replace("`", "'")
    return (flat[:40] + "...") if len(flat) > 40 else (flat or "(empty)")
