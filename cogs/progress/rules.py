"""Watch progress rules as plain functions: which "watched up to" roles a member should hold."""

from __future__ import annotations

from collections.abc import Sequence

from bot.db.progress import ProgressRole
from bot.episodes import EpisodeCode

__all__ = ["roles_for_progress"]


def roles_for_progress(
    roles: Sequence[ProgressRole], progress: EpisodeCode | None
) -> tuple[set[int], set[int]]:
    """(role ids the member should have, role ids they should not): every role up to their progress."""
    keep = {r.role_id for r in roles if progress is not None and r.episode <= progress}
    drop = {r.role_id for r in roles} - keep
    return keep, drop
