"""The recaps' plain rules: a spoiler-safe header and a thread name that fits."""

from __future__ import annotations

from bot.episodes import EpisodeCode
from cogs.recaps.rules import recap_header, recap_thread_name

S2E3 = EpisodeCode(2, 3)


def test_headers_and_thread_names_are_plain_and_short() -> None:
    assert recap_header("Severance", S2E3) == "\N{CLAPPER BOARD} Recap: Severance S2E3, spoilers below"
    assert recap_header("*Sev*", S2E3).count("\\*") == 2
    assert len(recap_thread_name("x" * 300, S2E3)) <= 100
    assert recap_thread_name("Severance", S2E3) == "Severance S2E3 recap"
