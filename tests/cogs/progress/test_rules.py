"""Which "watched up to" roles a member holds, as a plain function."""

from __future__ import annotations

from bot.db.progress import ProgressRole
from bot.episodes import EpisodeCode
from cogs.progress.rules import roles_for_progress

S2E3 = EpisodeCode(2, 3)


def test_roles_up_to_progress() -> None:
    roles = [ProgressRole(EpisodeCode(2, 1), 1), ProgressRole(S2E3, 3), ProgressRole(EpisodeCode(2, 5), 5)]
    assert roles_for_progress(roles, EpisodeCode(2, 4)) == ({1, 3}, {5})
    assert roles_for_progress(roles, None) == (set(), {1, 3, 5})
