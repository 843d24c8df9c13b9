"""Spoiler formatting and rules every feature shares: escaping user text inside `||...||`, splitting
it into balanced messages, spoiler words, spoiler windows, watch progress and the "Show anyway" button."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from .db.spoiler_words import SpoilerWord
from .episodes import EpisodeCode
from .errors import UserError, report_error
from .folding import fold
from .lookup import row_id
from .text import defuse_mentions

if TYPE_CHECKING:
    from .core import Cliffhanger

__all__ = [
    "DEFAULT_WINDOW_SECONDS",
    "Resolver",
    "Reveal",
    "RevealButton",
    "RevealRegistry",
    "cut_point",
    "defuse_mentions",
    "ensure_title_safe",
    "escape_spoiler_text",
    "find_spoiler_word",
    "hidden_notice",
    "is_ahead",
    "is_fresh",
    "member_progress",
    "member_text_chunks",
    "plain_chunks",
    "safe_header",
    "spoiler",
    "spoiler_chunks",
    "unspoilered_text",
]

log = logging.getLogger(__name__)

DEFAULT_WINDOW_SECONDS = 7 * 86400

# Characters that could end the tag (`|`), escape its closing pipes (`\`) or open a code span that
# swallows them (`` ` ``). Each is backslash-escaped wherever it appears.
_ALWAYS_ESCAPED = frozenset("\\|`")
# Block markers at the start of a line (headings, quotes, subtext, lists) could lift a line out of
# the inline spoiler, so they are escaped too.
_LINE_MARKER = re.compile(r"(?m)^([ \t]*)(?:([#>*+-])|(\d+)([.)]))")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s")
_MIN_BODY = 40  # below this much room after the header, the body starts in the next message


def escape_spoiler_text(text: str) -> str:
    """User text made safe inside ||...||: a `|` cannot close the tag early, and @everyone, @here,
    <@id>, <@&id> are defused for display (AllowedMentions.none() stays the real guard)."""
    # Backslash first, so the escapes added for the others are not escaped again. str.replace runs in
    # C: a long recap is escaped a dozen times while it is split (measured 15x faster than a join).
    escaped = text.replace("\\", "\\\\")
    for c in _ALWAYS_ESCAPED - {"\\"}:
        escaped = escaped.replace(c, "\\" + c)

    def marker(match: re.Match[str]) -> str:
        indent, symbol, digits, dot = match.groups()
        return f"{indent}\\{symbol}" if symbol else f"{indent}{digits}\\{dot}"

    return defuse_mentions(_LINE_MARKER.sub(marker, escaped))


def spoiler(text: str) -> str:
    """Short member text (a word, an episode title) behind one spoiler tag it cannot close early.
    Longer text goes through `spoiler_chunks`, which also keeps each message under the limit."""
    return f"||{escape_spoiler_text(text)}||"


def safe_header(header: str) -> str:
    """A header with every bare `|` escaped (so it cannot open a spoiler that swallows the body's tag)
    and mentions defused. Markdown escapes already in it (`\\*`) are kept."""
    out: list[str] = []
    i = 0
    while i < len(header):
        c = header[i]
        if c == "\\":
            if i + 1 < len(header) and header[i + 1] not in "\r\n":
                out.append(header[i : i + 2])
                i += 2
                continue
            out.append("\\\\")
        elif c == "|":
            out.append("\\|")
        else:
            out.append(c)
        i += 1
    return defuse_mentions("".join(out))


def _fits(text: str, n: int, budget: int, render: Callable[[str], str]) -> bool:
    return len(render(text[:n].strip())) <= budget


def cut_point(text: str, budget: int, render: Callable[[str], str] = spoiler) -> int:
    """How many characters of `text` go into one message of `budget` characters once `render`ed
    (escaped and wrapped, by default): as many as fit, cut at a line break, else a sentence end, else
    a space, when one is in the latter half. 0 when not even one character fits."""
    if _fits(text, len(text), budget, render):
        return len(text)
    lo, hi = 0, len(text)
    while lo < hi:  # the largest n that fits (rendering only ever grows text, so this is monotone)
        mid = (lo + hi + 1) // 2
        if _fits(text, mid, budget, render):
            lo = mid
        else:
            hi = mid - 1
    n = lo
    while n > 0 and not _fits(text, n, budget, render):
        n -= 1
    if n == 0:
        return 0
    head = text[:n]
    half = n // 2
    line = head.rfind("\n")
    if line >= half:
        return line + 1
    sentence = max((m.end() for m in _SENTENCE_END.finditer(head)), default=-1)
    if sentence >= half:
        return sentence
    space = max(head.rfind(" "), head.rfind("\t"))
    if space >= half:
        return space + 1
    return n


def spoiler_chunks(text: str, *, header: str = "", limit: int = 2000) -> list[str]:
    """`header` (plain and spoiler-safe) starts the first message; the escaped text follows wrapped in
    ||...||. Every message is at most `limit` characters and balanced, split at line, then sentence,
    then word boundaries where possible. Empty text gives [header]."""
    if limit < 16:
        raise ValueError("limit is too small to hold a spoiler")
    head = safe_header(" ".join(header.split()))
    if len(head) > limit:
        head = safe_header(" ".join(header.split())[: limit // 2 - 1]) + "\N{HORIZONTAL ELLIPSIS}"
    chunks: list[str] = []
    prefix = f"{head}\n" if head else ""
    rest = text.strip()
    while rest:
        budget = limit - len(prefix)
        if prefix and budget < _MIN_BODY:
            chunks.append(head)
            prefix = ""
            continue
        n = cut_point(rest, budget)
        if n == 0:  # cannot happen with limit >= 16; never loop forever
            raise ValueError("could not fit any text into a message")
        chunks.append(prefix + spoiler(rest[:n].strip()))
        prefix = ""
        rest = rest[n:].strip()
    return chunks or [head]


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for raw in text.splitlines(keepends=True):
        rest = raw
        while len(rest) > limit:
            cut = rest.rfind(" ", 0, limit)
            cut = limit if cut <= 0 else cut + 1
            pieces.append(rest[:cut])
            rest = rest[cut:]
        if rest:
            pieces.append(rest)
    return pieces


def plain_chunks(text: str, *, header: str = "", limit: int = 2000) -> list[str]:
    """Text outside the spoiler window, packed into messages of at most `limit`, split at line
    (then space) boundaries. `header` starts the first one."""
    chunks: list[str] = []
    current = header
    for piece in _pieces(text, limit):
        if len(current) + len(piece) > limit:
            chunks.append(current)
            current = ""
        current += piece
    chunks.append(current)
    return [c.rstrip() or "\N{ZERO WIDTH SPACE}" for c in chunks]


def find_spoiler_word(text: str, words: Sequence[SpoilerWord]) -> SpoilerWord | None:
    """The first spoiler word that `text` contains as a whole word, ignoring case and accents."""
    folded = fold(text)
    for word in words:
        key = fold(word.word)
        if key and re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded):
            return word
    return None


def _code_end(content: str, i: int) -> int:
    """Where the code block or code span opening at `i` ends (just past its closing backticks), or -1
    when the backticks there open nothing. As Discord's renderer reads them: a code block is ``` to
    the next ```; a span is a run of backticks to the next run of exactly as many, with something
    other than a backtick just before it."""
    if content.startswith("```", i):
        close = content.find("```", i + 3)
        if close > i + 3:
            return close + 3
    run = len(content[i:]) - len(content[i:].lstrip("`"))
    j = i + run
    while True:
        close = content.find("`" * run, j + 1)
        if close < 0:
            return -1
        after = close + run
        if content[close - 1] != "`" and not content.startswith("`", after):
            return after
        j = close + 1


def unspoilered_text(content: str) -> str:
    """What a message shows without revealing anything, read as Discord renders it: its text with every
    closed `||...||` span removed. Code blocks and code spans win over `||` (their text shows, pipes
    and all), backslash escapes are respected, and an unclosed `||` hides nothing."""
    out: list[str] = []
    i = 0
    while i < len(content):
        char = content[i]
        if char == "\\" and i + 1 < len(content):
            out.append(content[i : i + 2])
            i += 2
            continue
        if char == "`":
            end = _code_end(content, i)
            if end > 0:
                out.append(content[i:end])
                i = end
                continue
        elif content.startswith("||", i):
            close = _spoiler_end(content, i + 2)
            if close > 0:
                out.append(" ")
                i = close + 2
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _spoiler_end(content: str, start: int) -> int:
    """Where the `||` closing a spoiler whose text starts at `start` is, or -1 when none closes it.
    Inside a spoiler everything is hidden, so only escapes matter on the way."""
    i = start
    while i < len(content):
        if content[i] == "\\":
            i += 2
        elif content.startswith("||", i) and i > start:
            return i
        else:
            i += 1
    return -1


def _now(bot: Cliffhanger) -> int:
    return int(bot.scheduler.clock.now())


async def ensure_title_safe(bot: Cliffhanger, guild_id: int, title: str, *, example: str) -> None:
    """Refuse a title holding a fresh episode's spoiler word. Titles (thread names, embed titles,
    event names, notifications) cannot be spoiler-tagged, so they must be neutral."""
    settings = await bot.guild_store.get(guild_id)
    words = await bot.spoiler_words.fresh_words(guild_id, _now(bot), settings.spoiler_window_seconds)
    hit = find_spoiler_word(title, words)
    if hit is not None:
        raise UserError(
            f"That title contains a spoiler word for {hit.episode}, which is still fresh in this server. "
            "Titles can't be hidden behind spoiler tags, so keep them neutral "
            f'(for example "Theory about {hit.episode}") and put the details in the text.',
            example=example,
        )


async def member_text_chunks(
    bot: Cliffhanger,
    guild_id: int,
    text: str,
    *,
    episode: EpisodeCode,
    header: str,
    spoiler_header: str,
) -> list[str]:
    """The messages that post text a member wrote (a theory's body, anything later) on their behalf.
    Checked now, at posting time: about an episode still in the spoiler window, or holding a fresh
    episode's spoiler word anywhere (even inside the member's own tags, which a split could break),
    the whole text goes behind spoiler tags after `spoiler_header`; otherwise it is posted as written
    after `header`. The one way member text reaches a public channel, so none skips the check."""
    if not await is_fresh(bot, guild_id, episode):
        settings = await bot.guild_store.get(guild_id)
        words = await bot.spoiler_words.fresh_words(guild_id, _now(bot), settings.spoiler_window_seconds)
        if find_spoiler_word(text, words) is None:
            return plain_chunks(text, header=header)
    return spoiler_chunks(text, header=spoiler_header)


async def is_fresh(bot: Cliffhanger, guild_id: int, code: EpisodeCode) -> bool:
    """Inside the spoiler window: not aired yet, aired less than the server's window ago, or with no
    air time in the schedule (unknown counts as fresh)."""
    episode = await bot.episodes.get(guild_id, code)
    if episode is None or episode.air_at is None:
        return True
    settings = await bot.guild_store.get(guild_id)
    return _now(bot) < episode.air_at + settings.spoiler_window_seconds


async def member_progress(bot: Cliffhanger, guild_id: int, user_id: int) -> EpisodeCode | None:
    """The last episode this member has watched, or None when they have not set their progress."""
    return await bot.progress.get(guild_id, user_id)


def is_ahead(progress: EpisodeCode | None, episode: EpisodeCode) -> bool:
    """True when something about `episode` must be hidden from a member at `progress`. A member with
    no progress set has not opted in, so nothing is hidden from them."""
    return progress is not None and episode > progress


def hidden_notice(
    episode: EpisodeCode, kind: str, item_id: int, *, progress: EpisodeCode | None = None
) -> tuple[str, discord.ui.View]:
    """The ephemeral "you haven't reached it yet" message and its "Show anyway" button."""
    where = f" (your progress: {progress})" if progress is not None else ""
    text = (
        f"\N{SEE-NO-EVIL MONKEY} This is about **{episode}**, and you haven't reached it yet{where}. "
        "Press **Show anyway** to read it here; only you will see it."
    )
    view = discord.ui.View(timeout=None)
    view.add_item(RevealButton(kind, item_id))
    return text, view


@dataclass(frozen=True, slots=True)
class Reveal:
    header: str  # spoiler-safe, e.g. "Recap: Severance S2E5"
    text: str  # the raw text; shown as spoiler_chunks(text, header=header)


Resolver = Callable[[discord.Interaction[Any], int], Awaitable[Reveal | None]]

_KIND = re.compile(r"[a-z]{1,20}")


class RevealRegistry:
    """Which feature resolves the item behind a "Show anyway" button, by kind ("recap", "theory")."""

    def __init__(self) -> None:
        self._resolvers: dict[str, Resolver] = {}

    def register(self, kind: str, resolver: Resolver) -> None:
        if not _KIND.fullmatch(kind):
            raise ValueError(f"reveal kinds are 1 to 20 lowercase letters, not {kind!r}")
        self._resolvers[kind] = resolver

    def unregister(self, kind: str) -> None:
        self._resolvers.pop(kind, None)

    def get(self, kind: str) -> Resolver | None:
        return self._resolvers.get(kind)


class RevealButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cliff:reveal:(?P<kind>[a-z]{1,20}):(?P<id>[0-9]{1,20})",
):
    """ "Show anyway": shows one hidden item to the member who pressed it, ephemerally. Persistent, so
    it works after a restart; the feature owning `kind` resolves the item when pressed."""

    def __init__(self, kind: str, item_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Show anyway",
                emoji="\N{EYES}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"cliff:reveal:{kind}:{item_id}",
            )
        )
        self.kind = kind
        self.item_id = item_id

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: re.Match[str],
        /,
    ) -> RevealButton:
        return cls(match["kind"], row_id(match["id"]))

    async def callback(self, interaction: discord.Interaction[Cliffhanger]) -> None:  # type: ignore[override]
        # discord.py only logs DynamicItem errors, so report them to the member here.
        try:
            await self.reveal(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def reveal(self, interaction: discord.Interaction[Cliffhanger]) -> None:
        resolver = interaction.client.reveals.get(self.kind)
        if resolver is None:
            raise UserError(
                "I can't show this right now: the feature it belongs to isn't running. Try again later."
            )
        found = await resolver(interaction, self.item_id)
        if found is None:
            raise UserError(f"That {self.kind} was deleted, so there is nothing to show any more.")
        chunks = spoiler_chunks(found.text, header=found.header)
        await interaction.response.send_message(chunks[0], ephemeral=True)
        for chunk in chunks[1:]:
            await interaction.followup.send(chunk, ephemeral=True)
