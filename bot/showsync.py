"""The rules of following a show from TVmaze, as plain functions: what a sync changes in a server.

`plan_sync` takes what the server has (its episode schedule, and the countdowns it holds for the
show's episodes, with the ones a moderator edited by hand) and TVmaze's episode list, and returns a
`SyncPlan`. Applying the plan and planning again with the same list gives an empty plan. The rules:

- An episode's release instant is TVmaze's airstamp. Episodes without one are "date TBA": listed, no
  countdown. Specials (TVmaze numbers them not at all) are left out unless asked for.
- Episodes sharing one instant are one release, so a streaming drop is one countdown ("S1E1-E6",
  written with an en dash).
- A countdown whose release has passed is history: a sync never moves, reshapes or removes it, and
  no countdown is created for a release already past.
- A countdown a moderator edited by hand is never overwritten: the plan keeps it and reports
  TVmaze's time beside it. Its episodes keep its time in the schedule too.
- Every other countdown is matched to TVmaze's releases through the episodes they share. One that
  still matches a release exactly is left alone; one whose release moved, or whose episodes were
  regrouped, is moved (one notice, however many episodes it covers); a release nobody holds gets a
  new countdown (one notice, "dated" if its episodes were TBA); a countdown left over is removed with
  its reason (one notice, unless its episodes merely joined another countdown).
- Episodes outside the schedule's range (seasons 1-99, episodes 1-999; talk shows number seasons by
  year) and second copies of one episode code are skipped and reported, never half-written.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .episodes import MAX_EPISODE, MAX_SEASON, EpisodeCode
from .tvmaze import Episode, Show

__all__ = [
    "MAX_CHOICE",
    "Held",
    "Kept",
    "Move",
    "Notice",
    "Release",
    "Removal",
    "RemovalReason",
    "ScheduleRow",
    "Scheduled",
    "Slot",
    "Special",
    "SyncPlan",
    "choice_label",
    "choice_labels",
    "decode_slots",
    "encode_slots",
    "plan_sync",
    "release_label",
    "slot_order",
]

MAX_CHOICE = 100  # characters in an autocomplete choice's name (Discord's limit)
MAX_LABEL = 100  # a release label is a countdown title, and Discord event names stop at 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# -- slots: what a countdown can be for ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Special:
    """A special: TVmaze gives it a season but no number, so it is known by its TVmaze episode id."""

    season: int
    tvmaze_id: int

    def __str__(self) -> str:
        return f"S{self.season} special"


Slot = EpisodeCode | Special


def slot_order(slot: Slot) -> tuple[int, int, int]:
    """Season by season; numbered episodes in order, then the season's specials."""
    if isinstance(slot, Special):
        return (slot.season, 1, slot.tvmaze_id)
    return (slot.season, 0, slot.episode)


def _sorted(slots: Iterable[Slot]) -> tuple[Slot, ...]:
    return tuple(sorted(set(slots), key=slot_order))


_SLOT = re.compile(r"S([0-9]{1,2})(?:E([0-9]{1,3})|#([0-9]{1,19}))")


def encode_slots(slots: Iterable[Slot]) -> str:
    """How a countdown stores the episodes it covers: 'S1E1 S1E2 S5#13977' (a special by TVmaze id)."""
    return " ".join(
        f"S{s.season}#{s.tvmaze_id}" if isinstance(s, Special) else str(s) for s in _sorted(slots)
    )


def decode_slots(text: str) -> tuple[Slot, ...]:
    """The episodes `encode_slots` wrote, in slot order; ValueError for anything else."""
    slots: list[Slot] = []
    for token in text.split():
        found = _SLOT.fullmatch(token)
        if found is None:
            raise ValueError(f"not an episode of a countdown: {token!r}")
        season = int(found[1])
        if found[2] is not None:
            slots.append(EpisodeCode(season, int(found[2])))
        else:
            slots.append(Special(season, int(found[3])))
    return _sorted(slots)


def release_label(slots: Sequence[Slot]) -> str:
    """'S2E4'; a drop 'S1E1-E6'; gaps 'S1E1-E3, S1E5'; across seasons 'S1E10, S2E1'; 'S5 special'.

    (The dash is an en dash.)"""
    parts: list[str] = []
    run: list[EpisodeCode] = []

    def close_run() -> None:
        if run:
            first, last = run[0], run[-1]
            parts.append(str(first) if first == last else f"{first}\N{EN DASH}E{last.episode}")
            run.clear()

    for slot in _sorted(slots):
        if isinstance(slot, Special):
            close_run()
            parts.append(str(slot))
        elif run and run[-1].season == slot.season and run[-1].episode + 1 == slot.episode:
            run.append(slot)
        else:
            close_run()
            run.append(slot)
    close_run()
    label = ", ".join(parts)
    if len(label) > MAX_LABEL:
        ordered = _sorted(slots)
        label = f"{ordered[0]}\N{EN DASH}{ordered[-1]} ({len(ordered)} episodes)"
    return label


# -- what the server has ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Scheduled:
    """A row of the server's episode schedule, as it is now."""

    title: str | None
    air_at: int | None


@dataclass(frozen=True, slots=True)
class Held:
    """A countdown the server holds for one or more episodes of the show (several: a drop)."""

    ref: int  # the countdown's id; the plan hands it back and never reads it
    slots: tuple[Slot, ...]
    release_at: int
    by_hand: bool = False  # a moderator edited it: a sync must not overwrite it


# -- the plan --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Release:
    """One countdown's worth: the episodes released at one instant."""

    slots: tuple[Slot, ...]  # in slot_order
    at: int

    @property
    def label(self) -> str:
        return release_label(self.slots)

    @property
    def is_drop(self) -> bool:
        return len(self.slots) > 1

    @property
    def premiere(self) -> bool:
        """Holds a season's first episode: it gets the premiere's milestones (7d, 1d, 1h)."""
        return any(isinstance(s, EpisodeCode) and s.episode == 1 for s in self.slots)


@dataclass(frozen=True, slots=True)
class Move:
    """A countdown to re-time and/or regroup; its pending milestones and its event move with it."""

    ref: int
    before: Release
    after: Release


class RemovalReason(enum.StrEnum):
    GONE = "TVmaze no longer lists it"
    TBA = "TVmaze no longer has a date for it"
    MERGED = "its episodes now belong to another countdown"
    SPECIALS_OFF = "specials are left out"


@dataclass(frozen=True, slots=True)
class Removal:
    """A countdown to cancel, with the reason to record."""

    ref: int
    release: Release  # as it was
    reason: RemovalReason
    into: Release | None = None  # MERGED: the countdown its episodes joined, if a sync made it

    @property
    def notify(self) -> bool:
        """Merged episodes are announced by the countdown they joined; specials-off was the mods' call."""
        return self.reason in (RemovalReason.GONE, RemovalReason.TBA)


@dataclass(frozen=True, slots=True)
class Kept:
    """A countdown a moderator set by hand, left as it is ("kept as you set it")."""

    ref: int
    release: Release
    tvmaze_at: int | None  # TVmaze's instant for its first episode; None when TBA or not listed

    @property
    def differs(self) -> bool:
        return self.tvmaze_at != self.release.at


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """A row to write into the episode schedule (air_at None: date TBA)."""

    code: EpisodeCode
    title: str | None
    air_at: int | None


@dataclass(frozen=True, slots=True)
class Notice:
    """One announcement-channel notice: 'S2E4 moved from <t:was_at:F> to <t:at:F>'."""

    kind: Literal["new", "dated", "moved", "removed"]
    label: str
    at: int | None  # the release instant now (None for a removal)
    was_at: int | None = None  # before (moved, removed)
    was_label: str | None = None  # before, when a move regrouped the episodes


@dataclass(frozen=True, slots=True)
class SyncPlan:
    new: tuple[Release, ...] = ()  # countdowns to create
    dated: tuple[Release, ...] = ()  # countdowns to create for episodes that were TBA
    moved: tuple[Move, ...] = ()
    removed: tuple[Removal, ...] = ()
    kept: tuple[Kept, ...] = ()  # report: by-hand countdowns, not a change
    tba: tuple[Slot, ...] = ()  # report: listed episodes without a date
    schedule: tuple[ScheduleRow, ...] = ()  # rows to add or change
    unscheduled: tuple[EpisodeCode, ...] = ()  # rows to delete
    specials_left_out: int = 0
    skipped: tuple[int, ...] = field(default=())  # TVmaze episode ids out of range or duplicated

    @property
    def is_empty(self) -> bool:
        """Nothing to write: the server already has what TVmaze says."""
        return not (self.new or self.dated or self.moved or self.removed or self.schedule or self.unscheduled)

    def notices(self) -> tuple[Notice, ...]:
        """One notice per countdown created, moved or removed for good, soonest first."""
        notices = [Notice("new", r.label, r.at) for r in self.new]
        notices += [Notice("dated", r.label, r.at) for r in self.dated]
        for move in self.moved:
            regrouped = move.before.slots != move.after.slots
            notices.append(
                Notice(
                    "moved",
                    move.after.label,
                    move.after.at,
                    move.before.at,
                    move.before.label if regrouped else None,
                )
            )
        notices += [Notice("removed", r.release.label, None, r.release.at) for r in self.removed if r.notify]
        return tuple(sorted(notices, key=lambda n: (n.at if n.at is not None else n.was_at or 0, n.label)))


# -- planning --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Listed:
    title: str | None
    at: int | None


def _listing(
    episodes: Iterable[Episode], include_specials: bool
) -> tuple[dict[Slot, _Listed], int, tuple[int, ...]]:
    """TVmaze's episodes by slot; specials left out unless asked; out-of-range and duplicates skipped."""
    listed: dict[Slot, _Listed] = {}
    specials_left_out = 0
    skipped: list[int] = []
    for episode in sorted(episodes, key=lambda e: e.id):  # the lowest id wins a duplicated code
        if episode.number is None and not include_specials:
            specials_left_out += 1
            continue
        in_range = 1 <= episode.season <= MAX_SEASON and (
            episode.number is None or 1 <= episode.number <= MAX_EPISODE
        )
        slot: Slot = (
            Special(episode.season, episode.id)
            if episode.number is None
            else EpisodeCode(episode.season, episode.number)
        )
        if not in_range or slot in listed:
            skipped.append(episode.id)
            continue
        listed[slot] = _Listed(episode.name or None, episode.airs_at)
    return listed, specials_left_out, tuple(skipped)


def _releases(listed: Mapping[Slot, _Listed], held: set[Slot]) -> list[Release]:
    """TVmaze's dated episodes grouped into releases: numbered ones by instant, each special alone."""
    by_instant: dict[int, list[Slot]] = {}
    releases: list[Release] = []
    for slot, item in listed.items():
        if item.at is None or slot in held:
            continue
        if isinstance(slot, Special):
            releases.append(Release((slot,), item.at))
        else:
            by_instant.setdefault(item.at, []).append(slot)
    releases += [Release(_sorted(slots), at) for at, slots in by_instant.items()]
    return sorted(releases, key=lambda r: (r.at, slot_order(r.slots[0])))


def _in_time_order(release: Release) -> tuple[int, tuple[int, int, int]]:
    return (release.at, slot_order(release.slots[0]))


class _Components:
    """Union-find over countdowns and releases that share an episode."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(self, node: tuple[str, int]) -> tuple[str, int]:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def join(self, a: tuple[str, int], b: tuple[str, int]) -> None:
        self.parent[self.find(a)] = self.find(b)


@dataclass(slots=True)
class _Countdowns:
    """The server's countdowns sorted by what a sync may do with them."""

    live: list[Held] = field(default_factory=list)  # upcoming, not edited by hand: the sync's to keep true
    by_hand: list[Held] = field(default_factory=list)  # upcoming, edited by hand: kept as they are
    held: set[Slot] = field(default_factory=set)  # episodes a by-hand or past countdown covers
    hand_times: dict[EpisodeCode, int] = field(default_factory=dict)

    @classmethod
    def sort(cls, countdowns: Iterable[Held], now: int) -> _Countdowns:
        sorted_ = cls()
        for countdown in countdowns:
            if not countdown.slots:
                continue  # not an episode countdown: not the sync's business
            if countdown.release_at > now and not countdown.by_hand:
                sorted_.live.append(countdown)
                continue
            sorted_.held.update(countdown.slots)
            if countdown.release_at > now:
                sorted_.by_hand.append(countdown)
                for slot in countdown.slots:
                    if isinstance(slot, EpisodeCode):
                        sorted_.hand_times[slot] = countdown.release_at
        sorted_.live.sort(key=lambda c: (slot_order(min(c.slots, key=slot_order)), c.ref))
        sorted_.by_hand.sort(key=lambda c: (c.release_at, c.ref))
        return sorted_


@dataclass(slots=True)
class _Matcher:
    """Matches live countdowns to TVmaze's releases, one connected group at a time."""

    listed: Mapping[Slot, _Listed]
    schedule: Mapping[EpisodeCode, Scheduled]
    live: Sequence[Held]
    releases: Sequence[Release]
    held: set[Slot]
    now: int
    include_specials: bool
    owner: dict[Slot, int] = field(default_factory=dict)
    new: list[Release] = field(default_factory=list)
    dated: list[Release] = field(default_factory=list)
    moved: list[Move] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)

    def run(self) -> None:
        components = _Components()
        for index, release in enumerate(self.releases):
            components.find(("r", index))
            for slot in release.slots:
                self.owner[slot] = index
        for index, countdown in enumerate(self.live):
            components.find(("c", index))
            for slot in countdown.slots:
                if slot in self.owner:
                    components.join(("c", index), ("r", self.owner[slot]))
        groups: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        for index in range(len(self.live)):
            groups.setdefault(components.find(("c", index)), ([], []))[0].append(index)
        for index in range(len(self.releases)):
            groups.setdefault(components.find(("r", index)), ([], []))[1].append(index)
        for current_ids, release_ids in groups.values():
            self.match(current_ids, release_ids)

    def match(self, current_ids: list[int], release_ids: list[int]) -> None:
        """Each release (earliest first) takes the countdown sharing most of its episodes; releases
        left over become countdowns if upcoming, countdowns left over are removed."""
        used: set[int] = set()
        for r_index in release_ids:
            release = self.releases[r_index]
            wanted = set(release.slots)
            best = max(
                (c for c in current_ids if c not in used and wanted & set(self.live[c].slots)),
                key=lambda c: (len(wanted & set(self.live[c].slots)), -c),
                default=None,
            )
            if best is None:
                if release.at > self.now:
                    (self.dated if self.was_tba(release) else self.new).append(release)
                continue
            used.add(best)
            countdown = self.live[best]
            before = Release(_sorted(countdown.slots), countdown.release_at)
            if before != release:
                self.moved.append(Move(countdown.ref, before, release))
        for c_index in current_ids:
            if c_index not in used:
                self.removed.append(self.removal(self.live[c_index]))

    def was_tba(self, release: Release) -> bool:
        """Every episode of it was in the schedule without a date."""
        return all(
            isinstance(s, EpisodeCode) and s in self.schedule and self.schedule[s].air_at is None
            for s in release.slots
        )

    def removal(self, countdown: Held) -> Removal:
        release = Release(_sorted(countdown.slots), countdown.release_at)
        joined = [s for s in release.slots if s in self.owner or s in self.held]
        if joined:
            into = next((self.releases[self.owner[s]] for s in joined if s in self.owner), None)
            return Removal(countdown.ref, release, RemovalReason.MERGED, into)
        if all(s in self.listed and self.listed[s].at is None for s in release.slots):
            return Removal(countdown.ref, release, RemovalReason.TBA)
        if not self.include_specials and all(isinstance(s, Special) for s in release.slots):
            return Removal(countdown.ref, release, RemovalReason.SPECIALS_OFF)
        return Removal(countdown.ref, release, RemovalReason.GONE)


def plan_sync(
    episodes: Iterable[Episode],
    schedule: Mapping[EpisodeCode, Scheduled],
    countdowns: Iterable[Held],
    *,
    now: int,
    include_specials: bool = False,
) -> SyncPlan:
    """What to change so the server's schedule and countdowns say what TVmaze says (module rules)."""
    listed, specials_left_out, skipped = _listing(episodes, include_specials)
    server = _Countdowns.sort(countdowns, now)
    kept = tuple(
        Kept(
            c.ref,
            Release(_sorted(c.slots), c.release_at),
            listed[first].at if (first := _sorted(c.slots)[0]) in listed else None,
        )
        for c in server.by_hand
    )
    matcher = _Matcher(
        listed, schedule, server.live, _releases(listed, server.held), server.held, now, include_specials
    )
    matcher.run()
    rows, unscheduled = _schedule_changes(listed, schedule, server.held, server.hand_times)
    return SyncPlan(
        new=tuple(sorted(matcher.new, key=_in_time_order)),
        dated=tuple(sorted(matcher.dated, key=_in_time_order)),
        moved=tuple(sorted(matcher.moved, key=lambda m: _in_time_order(m.after))),
        removed=tuple(sorted(matcher.removed, key=lambda r: (r.release.at, r.ref))),
        kept=kept,
        tba=_sorted(slot for slot, item in listed.items() if item.at is None),
        schedule=rows,
        unscheduled=unscheduled,
        specials_left_out=specials_left_out,
        skipped=skipped,
    )


def _schedule_changes(
    listed: Mapping[Slot, _Listed],
    schedule: Mapping[EpisodeCode, Scheduled],
    held: set[Slot],
    hand_times: Mapping[EpisodeCode, int],
) -> tuple[tuple[ScheduleRow, ...], tuple[EpisodeCode, ...]]:
    """Schedule rows to write, and rows to delete. A by-hand countdown's time is its episodes' time;
    rows a kept or past countdown covers are never deleted."""
    rows: list[ScheduleRow] = []
    for slot, item in listed.items():
        if not isinstance(slot, EpisodeCode):
            continue  # the schedule numbers episodes; specials live only as countdowns
        air_at = hand_times.get(slot, item.at)
        if schedule.get(slot) != Scheduled(item.title, air_at):
            rows.append(ScheduleRow(slot, item.title, air_at))
    unscheduled = [code for code in schedule if code not in listed and code not in held]
    return tuple(sorted(rows, key=lambda r: r.code)), tuple(sorted(unscheduled))


# -- autocomplete ------------------------------------------------------------------------------
def choice_label(show: Show) -> str:
    """'Severance (2022, Apple TV+)': the show, the year it premiered and where it airs, within
    Discord's 100 characters (the name is shortened, never the part that tells two shows apart)."""
    name = " ".join(_CONTROL.sub(" ", show.name).split()) or f"TVmaze show {show.id}"
    details = [str(show.year)] if show.year is not None else []
    if show.channel is not None:
        details.append(" ".join(_CONTROL.sub(" ", show.channel.name).split()))
    suffix = f" ({', '.join(details)})" if details else ""
    if len(suffix) > MAX_CHOICE // 2:
        suffix = suffix[: MAX_CHOICE // 2 - 2] + "\N{HORIZONTAL ELLIPSIS})"
    room = MAX_CHOICE - len(suffix)
    if len(name) > room:
        name = name[: room - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"
    return name + suffix


def choice_labels(shows: Sequence[Show]) -> list[str]:
    """Labels for a list of choices, made unique: a second 'Shameless (2011, Showtime)' gets its TVmaze id."""
    labels = [choice_label(show) for show in shows]
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    unique = []
    for label, show in zip(labels, shows, strict=True):
        tag = f" #{show.id}" if seen[label] > 1 else ""
        unique.append(label[: MAX_CHOICE - len(tag)] + tag)
    return unique
