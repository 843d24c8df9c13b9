"""Countdown rules as plain functions: milestones, announcement wording, jobs and cadences."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bot.db.jobs import NewJob
from bot.errors import UserError
from bot.timeparse import Zone, format_duration, resolve_wall

__all__ = [
    "CADENCES",
    "DEFAULT_MILESTONES",
    "EPISODE_MILESTONES",
    "JOB_KIND",
    "LATE_RELEASE_LIMIT",
    "MAX_MILESTONES",
    "MilestonePlan",
    "describe_milestones",
    "episode_times",
    "episode_title",
    "explain_milestones",
    "headline",
    "job_key",
    "key_prefix",
    "milestone_label",
    "milestone_phrase",
    "parse_milestones",
    "plan_jobs",
    "release_milestones",
    "series_of",
]

JOB_KIND = "countdown"
WEEK, DAY, HOUR, MINUTE = 604_800, 86_400, 3600, 60
DEFAULT_MILESTONES: tuple[int, ...] = (WEEK, DAY, HOUR, 0)
# Episodes after a premiere: a weekly show's "one week to go" would land on the previous episode's
# release, so later episodes get the hour-before ping and the release only.
EPISODE_MILESTONES: tuple[int, ...] = (HOUR, 0)
MAX_MILESTONES = 10  # before the release, which is always announced
MAX_OFFSET = 52 * WEEK
LATE_RELEASE_LIMIT = DAY  # a release announcement is still posted up to a day late ("premiered ...")
LATE_GRACE = 60  # seconds late before an announcement is worded relative to now
CADENCES: dict[str, int] = {"daily": 1, "weekly": 7, "every two weeks": 14}

_MILESTONE = re.compile(r"^(?:\d{1,4}[mhdw])+$")
_MILESTONE_PART = re.compile(r"(\d{1,4})([mhdw])")
_MILESTONE_UNITS = {"m": MINUTE, "h": HOUR, "d": DAY, "w": WEEK}
_RELEASE_WORDS = {"0", "release", "out", "premiere", "0m"}


# -- milestones --------------------------------------------------------------------------------
def parse_milestones(
    text: str, *, example: str = "/countdown create ... milestones:14d,1d,10m"
) -> tuple[int, ...]:
    """Offsets in seconds before the release, longest first, always ending with the release (0).

    Written like `14d,1d,10m` (units m, h, d, w; `1d12h` combines). At most ten besides the
    release, no two the same, each between one minute and a year.
    """
    pieces = [p for p in re.split(r"[,;\s]+", text.strip().lower()) if p]
    if not pieces:
        raise UserError(
            "List at least one milestone, or leave the option out for the defaults.", example=example
        )
    offsets: dict[int, str] = {}
    for piece in pieces:
        if piece in _RELEASE_WORDS:
            continue  # the release is always announced
        if not _MILESTONE.match(piece):
            hint = (
                " Give it a unit: m, h, d or w."
                if piece.isdigit()
                else " Use minutes (m), hours (h), days (d) or weeks (w)."
            )
            raise UserError(f"`{piece[:20]}` is not a milestone.{hint}", example=example)
        seconds = sum(int(n) * _MILESTONE_UNITS[u] for n, u in _MILESTONE_PART.findall(piece))
        if seconds < MINUTE:
            raise UserError(
                f"`{piece}` is zero; milestones are at least 1m before the release.", example=example
            )
        if seconds > MAX_OFFSET:
            raise UserError(
                f"`{piece}` is more than a year before the release; use at most 52w.", example=example
            )
        if seconds in offsets:
            same = offsets[seconds]
            detail = (
                f"`{piece}` is listed twice" if same == piece else f"`{same}` and `{piece}` are the same time"
            )
            raise UserError(f"Milestones must differ: {detail}.", example=example)
        offsets[seconds] = piece
    if len(offsets) > MAX_MILESTONES:
        raise UserError(
            f"That is {len(offsets)} milestones; at most {MAX_MILESTONES} besides the release, or members stop reading them.",
            example=example,
        )
    return (*sorted(offsets, reverse=True), 0)


def release_milestones(premiere: bool, offsets: tuple[int, ...] | None) -> tuple[int, ...]:
    """An episode countdown's milestones: the moderator's, else a premiere's build-up (7d, 1d, 1h)
    and the hour before for later episodes."""
    return offsets or (DEFAULT_MILESTONES if premiere else EPISODE_MILESTONES)


def encode_milestones(offsets: tuple[int, ...]) -> str:
    return ",".join(str(o) for o in offsets)


def decode_milestones(text: str) -> tuple[int, ...]:
    values = sorted({int(p) for p in text.split(",") if p.strip()} | {0}, reverse=True)
    return tuple(values)


def milestone_label(offset: int) -> str:
    """'7d', '1h', '10m', or 'release'."""
    return "release" if offset == 0 else format_duration(offset)


def describe_milestones(offsets: tuple[int, ...]) -> str:
    """'7d · 1d · 1h · release'."""
    return " \N{MIDDLE DOT} ".join(milestone_label(o) for o in offsets)


def explain_milestones(offsets: tuple[int, ...]) -> str:
    """'7d, 1d and 1h before, and when it's out' (or just 'when it's out')."""
    before = [milestone_label(o) for o in offsets if o]
    if not before:
        return "when it's out"
    listed = before[0] if len(before) == 1 else ", ".join(before[:-1]) + " and " + before[-1]
    return f"{listed} before, and when it's out"


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'s' if n != 1 else ''}"


def milestone_phrase(offset: int) -> str:
    """What a milestone says: 'one week to go', 'tomorrow', 'in one hour', "it's out"."""
    named = {0: "it's out", WEEK: "one week to go", DAY: "tomorrow", HOUR: "in one hour"}
    if offset in named:
        return named[offset]
    parts = []
    left = offset
    for size, unit in ((WEEK, "week"), (DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")):
        if unit == "week" and left % WEEK:
            continue
        count, left = divmod(left, size)
        if count:
            parts.append(_count(count, unit))
    return " ".join(parts[:2]) + " to go"


def headline(offset: int, *, due_at: int, release_at: int, now: float) -> str:
    """The announcement's first line, worded for when it is actually posted: a release posted after
    downtime says 'premiered <t:..:R>', a late milestone says when the release is instead."""
    late = now - due_at > LATE_GRACE
    if offset == 0:
        return f"premiered <t:{release_at}:R>" if late else "it's out!"
    if late:
        return f"coming <t:{release_at}:R>"
    return milestone_phrase(offset)


# -- jobs --------------------------------------------------------------------------------------
def job_key(countdown_id: int, offset: int) -> str:
    return f"countdown:{countdown_id}:{offset}"


def key_prefix(countdown_id: int) -> str:
    """Every milestone key of one countdown starts with this (the trailing colon matters)."""
    return f"countdown:{countdown_id}:"


def series_of(countdown_id: int) -> str:
    return f"countdown:{countdown_id}"


@dataclass(frozen=True, slots=True)
class MilestonePlan:
    """The jobs a countdown needs now, and the milestones whose time has already gone."""

    jobs: list[NewJob] = field(default_factory=list)
    passed: list[int] = field(default_factory=list)

    @property
    def keys(self) -> set[str]:
        return {j.key for j in self.jobs}


def plan_jobs(
    guild_id: int, countdown_id: int, release_at: int, milestones: tuple[int, ...], now: float
) -> MilestonePlan:
    """One scheduler job per milestone still ahead. A milestone before the release expires at the
    release (it must not post after it); the release itself may post up to a day late."""
    plan = MilestonePlan()
    for offset in milestones:
        due = release_at - offset
        if due <= now:
            plan.passed.append(offset)
            continue
        expires = release_at + LATE_RELEASE_LIMIT if offset == 0 else release_at
        plan.jobs.append(
            NewJob(
                guild_id,
                JOB_KIND,
                job_key(countdown_id, offset),
                due,
                payload={"offset": offset},
                series=series_of(countdown_id),
                expires_at=expires,
            )
        )
    return plan


# -- episode countdowns ------------------------------------------------------------------------------
TITLE_MAX = 100


def episode_title(show: str | None, label: str, name: str | None = None) -> str:
    """An episode countdown's title: 'Severance S2E4' ('Episode S2E4' without a show name), or with
    the episode's own name when a moderator opted in ('Severance S2E4: Woe's Hollow'). The show's
    name is shortened, never the label, to fit Discord's 100 characters."""
    tail = f" {label}" + (f": {name}" if name else "")
    base = show or "Episode"
    if len(base) + len(tail) > TITLE_MAX:
        room = max(1, TITLE_MAX - len(tail) - 1)
        base = base[:room].rstrip() + "\N{HORIZONTAL ELLIPSIS}"
    return (base + tail)[:TITLE_MAX]


# -- seasons -----------------------------------------------------------------------------------
def episode_times(first: dt.datetime, zone: Zone, count: int, every_days: int) -> list[int]:
    """Air times of `count` episodes from a naive local `first`, every `every_days` days, keeping the
    local wall-clock time across daylight-saving changes (9 p.m. stays 9 p.m.)."""
    return [resolve_wall(first + dt.timedelta(days=every_days * n), zone) for n in range(count)]
