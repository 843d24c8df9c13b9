"""How theories look in Discord: headers, vote buttons' labels, list lines, outcome posts."""

from __future__ import annotations

import discord

from bot.episodes import EpisodeCode
from bot.text import escape

from .rules import TAG_EMOJI, TAG_NAMES, Status
from .store import Standing, Theory

__all__ = [
    "PAGE_SIZE",
    "header",
    "jump_url",
    "leaderboard_embed",
    "list_embed",
    "outcome_header",
    "outcome_text",
    "seen_status",
]

PAGE_SIZE = 10
PLAUSIBLE_EMOJI = "\N{THUMBS UP SIGN}"
DOUBTFUL_EMOJI = "\N{THINKING FACE}"


def jump_url(theory: Theory) -> str | None:
    if theory.thread_id is None or theory.deleted_at is not None:
        return None
    return f"https://discord.com/channels/{theory.guild_id}/{theory.thread_id}"


def header(theory: Theory) -> str:
    """The spoiler-safe first line of a theory's post: number, title, author and episode."""
    return (
        f"\N{LEFT-POINTING MAGNIFYING GLASS} **Theory #{theory.number} \N{MIDDLE DOT} {escape(theory.title)}**\n"
        f"by <@{theory.author_id}> \N{MIDDLE DOT} builds on {theory.episode}\n"
    )


def seen_status(theory: Theory, progress: EpisodeCode | None) -> Status:
    """The status this member may see: an outcome settled past their progress still looks open."""
    if theory.resolved_in is not None and progress is not None and theory.resolved_in > progress:
        return "open"
    return theory.status


def status_label(status: Status) -> str:
    return f"{TAG_EMOJI[status]} {TAG_NAMES[status]}"


def line(theory: Theory, progress: EpisodeCode | None) -> str:
    url = jump_url(theory)
    name = f"#{theory.number} \N{MIDDLE DOT} {escape(theory.title)}"
    title = f"[{name}]({url})" if url else f"{name} (thread deleted)"
    status = seen_status(theory, progress)
    settled = f" in {theory.resolved_in}" if status != "open" and theory.resolved_in else ""
    return (
        f"**{title}**\n{status_label(status)}{settled} \N{MIDDLE DOT} {PLAUSIBLE_EMOJI} {theory.plausible} "
        f"\N{MIDDLE DOT} {DOUBTFUL_EMOJI} {theory.doubtful} \N{MIDDLE DOT} by <@{theory.author_id}> "
        f"\N{MIDDLE DOT} {theory.episode}"
    )


def list_embed(
    items: list[Theory], *, title: str, page: int, pages: int, total: int, progress: EpisodeCode | None
) -> discord.Embed:
    embed = discord.Embed(title=title, colour=discord.Colour.dark_teal())
    if not items:
        embed.description = "No theories match." + (
            "" if progress is None else f" Theories past your progress ({progress}) are hidden."
        )
        return embed
    embed.description = "\n".join(line(t, progress) for t in items)
    hidden = f" \N{MIDDLE DOT} hiding what's past {progress}" if progress is not None else ""
    embed.set_footer(text=f"Page {page + 1} of {pages} \N{MIDDLE DOT} {total} theories{hidden}")
    return embed


def leaderboard_embed(rows: list[Standing], progress: EpisodeCode | None) -> discord.Embed:
    embed = discord.Embed(title="Theory leaderboard", colour=discord.Colour.gold())
    if not rows:
        embed.description = "No theories yet. Start one with `/theory new`."
        return embed
    medals = ["\N{FIRST PLACE MEDAL}", "\N{SECOND PLACE MEDAL}", "\N{THIRD PLACE MEDAL}"]
    lines = []
    for i, row in enumerate(rows):
        rank = medals[i] if i < len(medals) else f"**{i + 1}.**"
        lines.append(
            f"{rank} <@{row.author_id}> \N{MIDDLE DOT} {row.confirmed} confirmed \N{MIDDLE DOT} "
            f"{row.plausible} {PLAUSIBLE_EMOJI} received \N{MIDDLE DOT} {row.theories} "
            f"theor{'y' if row.theories == 1 else 'ies'}"
        )
    embed.description = "\n".join(lines)
    if progress is not None:
        embed.set_footer(text=f"Counting only outcomes up to your progress, {progress}.")
    return embed


def outcome_header(theory: Theory) -> str:
    """Spoiler-safe: says a theory was settled and in which episode, not how."""
    assert theory.resolved_in is not None  # noqa: S101 - only for resolved theories
    return (
        f"\N{SCROLL} **Theory #{theory.number} was settled in {theory.resolved_in}.** "
        "The outcome (spoiler):\n"
    )


def outcome_text(theory: Theory) -> str:
    assert theory.resolved_in is not None  # noqa: S101 - only for resolved theories
    return f"{TAG_NAMES[theory.status]} {TAG_EMOJI[theory.status]} (as of {theory.resolved_in})"
