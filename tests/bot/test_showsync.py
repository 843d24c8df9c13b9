"""The sync rules: what following a show changes in a server, planned from TVmaze's episode list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from collections.abc import Iterable, Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.episodes import EpisodeCode
from bot.showsync import (
    MAX_CHOICE,
    Held,
    Notice,
    Release,
    RemovalReason,
    Scheduled,
    Slot,
    Special,
    SyncPlan,
    choice_label,
    choice_labels,
    decode_slots,
    encode_slots,
    plan_sync,
    release_label,
    slot_order,
)
from bot.tvmaze import Channel, Episode, Externals, Show

NOW = 1_800_000_000
HOUR, DAY = 3600, 86_400
DASH = "\N{EN DASH}"
_ids = itertools.count(1)


def ep(
    season: int, number: int | None, at: int | None, *, name: str = "", episode_id: int | None = None
) -> Episode:
    return Episode(
        id=episode_id if episode_id is not None else next(_ids),
        season=season,
        number=number,
        type="regular" if number is not None else "significant_special",
        name=name or (f"Episode {number}" if number else "Special"),
        airs_at=at,
    )


def code(season: int, episode: int) -> EpisodeCode:
    return EpisodeCode(season, episode)


# -- a model of applying a plan: what the integration's transaction must leave -----------------
@dataclasses.dataclass
class Server:
    schedule: dict[EpisodeCode, Scheduled] = dataclasses.field(default_factory=dict)
    countdowns: dict[int, Held] = dataclasses.field(default_factory=dict)
    next_ref: int = 1

    def plan(self, episodes: Iterable[Episode], *, now: int = NOW, specials: bool = False) -> SyncPlan:
        return plan_sync(
            episodes, self.schedule, self.countdowns.values(), now=now, include_specials=specials
        )

    def apply(self, plan: SyncPlan) -> Server:
        countdowns = dict(self.countdowns)
        for removal in plan.removed:
            assert countdowns.pop(removal.ref).release_at == removal.release.at
        for move in plan.moved:
            old = countdowns[move.ref]
            assert (old.release_at, tuple(sorted(old.slots, key=str))) == (
                move.before.at,
                tuple(sorted(move.before.slots, key=str)),
            )
            countdowns[move.ref] = Held(old.ref, move.after.slots, move.after.at, old.by_hand)
        ref = self.next_ref
        for release in plan.new + plan.dated:
            countdowns[ref] = Held(ref, release.slots, release.at)
            ref += 1
        schedule = dict(self.schedule)
        for row in plan.schedule:
            schedule[row.code] = Scheduled(row.title, row.air_at)
        for gone in plan.unscheduled:
            del schedule[gone]
        return Server(schedule, countdowns, ref)

    def follow(self, episodes: Sequence[Episode], *, now: int = NOW, specials: bool = False) -> Server:
        return self.apply(self.plan(episodes, now=now, specials=specials))

    def covering(self, slot: Slot) -> list[Held]:
        return [c for c in self.countdowns.values() if slot in c.slots]


# -- following a show for the first time ---------------------------------------------------------
def test_first_follow_loads_the_schedule_and_counts_down_to_what_is_upcoming() -> None:
    episodes = [
        ep(1, 1, NOW - 300 * DAY, name="Good News About Hell"),
        ep(1, 2, NOW - 293 * DAY),
        ep(2, 1, NOW + 10 * DAY, name="Hello, Ms. Cobel"),
        ep(2, 2, NOW + 17 * DAY),
        ep(2, 3, None),
        ep(2, None, NOW + 5 * DAY, name="Behind the Scenes"),
    ]
    plan = Server().plan(episodes)
    assert [(r.label, r.at, r.premiere) for r in plan.new] == [
        ("S2E1", NOW + 10 * DAY, True),
        ("S2E2", NOW + 17 * DAY, False),
    ]
    assert not (plan.dated or plan.moved or plan.removed or plan.kept)
    assert plan.tba == (code(2, 3),)
    assert plan.specials_left_out == 1
    assert [(r.code, r.title, r.air_at) for r in plan.schedule] == [
        (code(1, 1), "Good News About Hell", NOW - 300 * DAY),
        (code(1, 2), "Episode 2", NOW - 293 * DAY),
        (code(2, 1), "Hello, Ms. Cobel", NOW + 10 * DAY),
        (code(2, 2), "Episode 2", NOW + 17 * DAY),
        (code(2, 3), "Episode 3", None),
    ]
    assert [n.kind for n in plan.notices()] == ["new", "new"]
    assert not plan.is_empty


def test_specials_when_asked_for() -> None:
    special = ep(2, None, NOW + 5 * DAY, name="Behind the Scenes")
    plan = Server().plan([special, ep(2, 1, NOW + 10 * DAY)], specials=True)
    assert [r.label for r in plan.new] == ["S2 special", "S2E1"]
    assert plan.new[0].slots == (Special(2, special.id),)
    assert plan.specials_left_out == 0
    assert [r.code for r in plan.schedule] == [code(2, 1)]  # the schedule numbers episodes only


def test_a_streaming_drop_is_one_countdown() -> None:
    drop = NOW + 3 * DAY
    server = Server().follow([ep(1, n, drop) for n in range(1, 7)] + [ep(2, 1, drop + 365 * DAY)])
    assert sorted(release_label(c.slots) for c in server.countdowns.values()) == [f"S1E1{DASH}E6", "S2E1"]
    (countdown,) = server.covering(code(1, 4))
    assert countdown.release_at == drop


def test_episodes_out_of_range_or_duplicated_are_skipped_not_half_written() -> None:
    talk_show = ep(2023, 232, NOW + DAY)  # TVmaze numbers talk-show seasons by year
    first, copy = ep(1, 1, NOW + DAY, episode_id=10), ep(1, 1, NOW + 2 * DAY, episode_id=11)
    plan = Server().plan([copy, talk_show, first, ep(1, 1000, NOW + DAY)])
    assert set(plan.skipped) == {talk_show.id, copy.id, plan.skipped[-1]} and len(plan.skipped) == 3
    assert [(r.label, r.at) for r in plan.new] == [("S1E1", NOW + DAY)]  # the lowest id wins


# -- staying true --------------------------------------------------------------------------------
def test_a_moved_episode_moves_its_countdown_with_one_notice() -> None:
    before = [ep(2, 1, NOW + 10 * DAY, episode_id=1), ep(2, 2, NOW + 17 * DAY, episode_id=2)]
    server = Server().follow(before)
    (countdown,) = server.covering(code(2, 2))
    after = [before[0], dataclasses.replace(before[1], airs_at=NOW + 24 * DAY)]
    plan = server.plan(after)
    assert [(m.ref, m.before.at, m.after.at) for m in plan.moved] == [
        (countdown.ref, NOW + 17 * DAY, NOW + 24 * DAY)
    ]
    assert not (plan.new or plan.removed)
    assert plan.notices() == (Notice("moved", "S2E2", NOW + 24 * DAY, NOW + 17 * DAY),)
    assert [(r.code, r.air_at) for r in plan.schedule] == [(code(2, 2), NOW + 24 * DAY)]
    assert server.apply(plan).plan(after).is_empty


def test_moving_a_drop_is_one_move() -> None:
    eps = [ep(1, n, NOW + 3 * DAY) for n in range(1, 7)]
    server = Server().follow(eps)
    plan = server.plan([dataclasses.replace(e, airs_at=NOW + 10 * DAY) for e in eps])
    assert len(plan.moved) == 1 and not (plan.new or plan.removed)
    assert plan.notices() == (Notice("moved", f"S1E1{DASH}E6", NOW + 10 * DAY, NOW + 3 * DAY),)


def test_a_tba_episode_that_gets_its_date_is_dated() -> None:
    tba = ep(3, 1, None, episode_id=7)
    server = Server().follow([tba])
    assert server.countdowns == {} and server.schedule[code(3, 1)].air_at is None
    plan = server.plan([dataclasses.replace(tba, airs_at=NOW + 30 * DAY)])
    assert not (plan.new) and [(r.label, r.at) for r in plan.dated] == [("S3E1", NOW + 30 * DAY)]
    assert [n.kind for n in plan.notices()] == ["dated"]


def test_removed_and_withdrawn_dates_cancel_with_a_reason() -> None:
    e1, e2 = ep(2, 1, NOW + DAY, episode_id=1), ep(2, 2, NOW + 8 * DAY, episode_id=2)
    server = Server().follow([e1, e2])
    plan = server.plan([dataclasses.replace(e2, airs_at=None)])
    assert {(r.release.label, r.reason) for r in plan.removed} == {
        ("S2E1", RemovalReason.GONE),
        ("S2E2", RemovalReason.TBA),
    }
    assert all(r.notify for r in plan.removed)
    assert plan.unscheduled == (code(2, 1),)
    assert [(r.code, r.air_at) for r in plan.schedule] == [(code(2, 2), None)]
    assert [n.kind for n in plan.notices()] == ["removed", "removed"]


def test_weekly_episodes_merged_into_a_drop_give_one_notice() -> None:
    eps = [ep(1, n, NOW + n * 7 * DAY, episode_id=n) for n in range(1, 4)]
    server = Server().follow(eps)
    (first,) = server.covering(code(1, 1))
    plan = server.plan([dataclasses.replace(e, airs_at=NOW + 2 * DAY) for e in eps])
    assert [(m.ref, m.after.label) for m in plan.moved] == [(first.ref, f"S1E1{DASH}E3")]
    assert {r.reason for r in plan.removed} == {RemovalReason.MERGED}
    assert all(r.into == plan.moved[0].after and not r.notify for r in plan.removed)
    assert plan.notices() == (Notice("moved", f"S1E1{DASH}E3", NOW + 2 * DAY, NOW + 7 * DAY, "S1E1"),)


def test_a_drop_split_in_two_is_one_move_and_one_new() -> None:
    eps = [ep(1, n, NOW + DAY, episode_id=n) for n in range(1, 7)]
    server = Server().follow(eps)
    later = [e if e.number <= 3 else dataclasses.replace(e, airs_at=NOW + 8 * DAY) for e in eps]  # type: ignore[operator]
    plan = server.plan(later)
    assert [(m.before.label, m.after.label, m.after.at) for m in plan.moved] == [
        (f"S1E1{DASH}E6", f"S1E1{DASH}E3", NOW + DAY)
    ]
    assert [(r.label, r.at) for r in plan.new] == [(f"S1E4{DASH}E6", NOW + 8 * DAY)]


def test_the_countdown_sharing_most_episodes_is_the_one_reused() -> None:
    premiere = ep(1, 1, NOW + DAY, episode_id=1)
    rest = [ep(1, n, NOW + 8 * DAY, episode_id=n) for n in range(2, 7)]
    server = Server().follow([premiere, *rest])
    (drop,) = server.covering(code(1, 4))
    (single,) = server.covering(code(1, 1))
    plan = server.plan([dataclasses.replace(premiere, airs_at=NOW + 8 * DAY), *rest])
    assert [(m.ref, m.before.label, m.after.label) for m in plan.moved] == [
        (drop.ref, f"S1E2{DASH}E6", f"S1E1{DASH}E6")
    ]
    assert [(r.ref, r.reason) for r in plan.removed] == [(single.ref, RemovalReason.MERGED)]


def test_a_countdown_set_by_hand_is_kept_with_tvmazes_time_beside_it() -> None:
    e1 = ep(2, 1, NOW + 10 * DAY, episode_id=1)
    server = Server().follow([e1])
    (countdown,) = server.countdowns.values()
    server.countdowns[countdown.ref] = dataclasses.replace(countdown, release_at=NOW + 11 * DAY, by_hand=True)
    plan = server.plan([dataclasses.replace(e1, airs_at=NOW + 12 * DAY)])
    assert not (plan.moved or plan.removed or plan.new)
    assert [(k.ref, k.release.at, k.tvmaze_at, k.differs) for k in plan.kept] == [
        (countdown.ref, NOW + 11 * DAY, NOW + 12 * DAY, True)
    ]
    # The schedule keeps the moderator's time for the episode, as the countdown does.
    assert [(r.code, r.air_at) for r in plan.schedule] == [(code(2, 1), NOW + 11 * DAY)]
    assert plan.notices() == ()


def test_a_countdown_already_released_is_history() -> None:
    e1 = ep(1, 1, NOW + HOUR, episode_id=1)
    server = Server().follow([e1])
    plan = server.plan([dataclasses.replace(e1, airs_at=NOW + 3 * DAY)], now=NOW + 2 * HOUR)
    assert not (plan.moved or plan.removed or plan.new or plan.kept)
    assert not (plan.unscheduled)
    plan = server.plan([], now=NOW + 2 * HOUR)
    assert not (plan.removed) and not (plan.unscheduled)  # nothing already stored is lost


def test_an_early_release_moves_the_countdown_into_the_past() -> None:
    e1 = ep(1, 1, NOW + DAY, episode_id=1)
    server = Server().follow([e1])
    plan = server.plan([dataclasses.replace(e1, airs_at=NOW - HOUR)])
    assert [(m.before.at, m.after.at) for m in plan.moved] == [(NOW + DAY, NOW - HOUR)]


def test_a_past_release_with_no_countdown_gets_none() -> None:
    plan = Server().plan([ep(1, 1, NOW - DAY), ep(1, 2, NOW)])
    assert not (plan.new or plan.dated)
    assert len(plan.schedule) == 2


def test_countdowns_that_are_not_for_episodes_are_left_alone() -> None:
    server = Server(countdowns={5: Held(5, (), NOW + DAY)})
    assert server.plan([]).is_empty


# -- labels ------------------------------------------------------------------------------------
def test_release_labels() -> None:
    assert release_label([code(2, 4)]) == "S2E4"
    assert release_label([code(1, n) for n in (3, 1, 2, 4, 5, 6)]) == f"S1E1{DASH}E6"
    assert release_label([code(1, 1), code(1, 2), code(1, 3), code(1, 5)]) == f"S1E1{DASH}E3, S1E5"
    assert release_label([code(2, 1), code(1, 10)]) == "S1E10, S2E1"
    assert release_label([Special(5, 13977)]) == "S5 special"
    many = [code(1, n) for n in range(1, 80, 2)]
    assert release_label(many) == f"S1E1{DASH}S1E79 (40 episodes)"
    assert Release((code(1, 1), code(1, 2)), NOW).is_drop


def show(name: str, premiered: str | None, channel: str | None, show_id: int = 1) -> Show:
    return Show(
        id=show_id,
        name=name,
        premiered=dt.date.fromisoformat(premiered) if premiered else None,
        status="Running",
        channel=None if channel is None else Channel(channel, None, True),
        schedule_time="",
        schedule_days=(),
        externals=Externals(),
        updated=NOW,
    )


def test_choice_labels_read_like_severance_2022_apple_tv() -> None:
    assert choice_label(show("Severance", "2022-02-18", "Apple TV+")) == "Severance (2022, Apple TV+)"
    assert choice_label(show("Severance", None, "Apple TV+")) == "Severance (Apple TV+)"
    assert choice_label(show("Severance", "2022-02-18", None)) == "Severance (2022)"
    assert choice_label(show("Severance", None, None)) == "Severance"
    assert choice_label(show(" \x00 ", None, None, show_id=7)) == "TVmaze show 7"
    long = choice_label(show("A" * 300, "2001-01-01", "BBC One"))
    assert len(long) == MAX_CHOICE and long.endswith("\N{HORIZONTAL ELLIPSIS} (2001, BBC One)")
    twins = choice_labels(
        [show("Shameless", "2011-01-09", "Showtime", 1), show("Shameless", "2011-01-09", "Showtime", 2)]
    )
    assert twins == ["Shameless (2011, Showtime) #1", "Shameless (2011, Showtime) #2"]


@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=300)), st.integers(1, 9999))
def test_a_choice_label_always_fits_discord(name: str, channel: str | None, year: int) -> None:
    label = choice_label(show(name, f"{year:04d}-01-01", channel))
    assert 1 <= len(label) <= MAX_CHOICE
    assert not any(ord(ch) < 32 for ch in label)


# -- properties --------------------------------------------------------------------------------
INSTANTS = [None, NOW - 2 * DAY, NOW - HOUR, NOW, NOW + HOUR, NOW + DAY, NOW + 2 * DAY, NOW + 7 * DAY]
SLOTS = [(s, n) for s in (1, 2) for n in (1, 2, 3, 4, 5)] + [(1, None), (2, None)]


@st.composite
def tvmaze_lists(draw: st.DrawFn) -> tuple[list[Episode], list[Episode]]:
    """Two successive TVmaze episode lists of one show: before, and after some changes."""
    chosen = draw(st.lists(st.sampled_from(SLOTS), max_size=10))
    before = [ep(s, n, draw(st.sampled_from(INSTANTS)), episode_id=i) for i, (s, n) in enumerate(chosen, 1)]
    after = []
    for episode in before:
        change = draw(st.sampled_from(["keep", "keep", "move", "remove"]))
        if change == "move":
            after.append(dataclasses.replace(episode, airs_at=draw(st.sampled_from(INSTANTS))))
        elif change == "keep":
            after.append(episode)
    added = draw(st.lists(st.sampled_from(SLOTS), max_size=3))
    after += [ep(s, n, draw(st.sampled_from(INSTANTS)), episode_id=100 + i) for i, (s, n) in enumerate(added)]
    return before, after


@st.composite
def servers(draw: st.DrawFn, before: list[Episode], specials: bool) -> Server:
    """A server that followed `before`, then had moderators edit some countdowns and time pass."""
    server = Server().follow(before, specials=specials)
    for ref in list(server.countdowns):
        if draw(st.booleans()) and draw(st.booleans()):
            shift = draw(st.sampled_from([0, HOUR, -HOUR, 3 * DAY]))
            old = server.countdowns[ref]
            server.countdowns[ref] = dataclasses.replace(old, release_at=old.release_at + shift, by_hand=True)
    return server


@st.composite
def arbitrary_servers(draw: st.DrawFn) -> Server:
    """Any state at all, overlapping countdowns included: the planner must still converge."""
    slots = [Special(s, 900 + s) if n is None else code(s, n) for s, n in SLOTS]
    countdowns = {}
    for ref in range(1, draw(st.integers(0, 6)) + 1):
        covered = tuple(draw(st.lists(st.sampled_from(slots), min_size=0, max_size=4, unique=True)))
        at = draw(st.sampled_from([i for i in INSTANTS if i is not None]))
        countdowns[ref] = Held(ref, covered, at, draw(st.booleans()))
    schedule = {
        c: Scheduled(draw(st.sampled_from([None, "Episode 1", "x"])), draw(st.sampled_from(INSTANTS)))
        for c in draw(
            st.lists(st.sampled_from([s for s in slots if isinstance(s, EpisodeCode)]), unique=True)
        )
    }
    return Server(schedule, countdowns, 100)


def check(server: Server, episodes: list[Episode], plan: SyncPlan, *, specials: bool, now: int = NOW) -> None:
    # Applying the plan and planning again gives an empty plan.
    done = server.apply(plan)
    again = done.plan(episodes, now=now, specials=specials)
    assert again.is_empty, again
    assert again.kept == plan.kept and again.tba == plan.tba

    live = {c.ref for c in server.countdowns.values() if c.slots and c.release_at > now and not c.by_hand}
    moved = [m.ref for m in plan.moved]
    removed = [r.ref for r in plan.removed]
    # No countdown is both moved and removed, none twice, and only live ones are touched.
    assert len(set(moved)) == len(moved) and len(set(removed)) == len(removed)
    assert not set(moved) & set(removed)
    assert set(moved) | set(removed) <= live
    assert not {k.ref for k in plan.kept} & (set(moved) | set(removed))
    # What a moderator set or what already happened is never changed.
    for ref, countdown in server.countdowns.items():
        if ref not in live and countdown.slots:
            assert done.countdowns[ref] == countdown

    # Every upcoming, dated episode that no kept or past countdown covers has exactly one countdown,
    # at TVmaze's time; TBA episodes and (unless asked) specials have none from the sync.
    held = {s for c in server.countdowns.values() if c.slots and c.ref not in live for s in c.slots}
    firsts: dict[tuple[int, int | None], Episode] = {}
    for episode in sorted(episodes, key=lambda e: e.id):
        key = (episode.season, episode.number if episode.number is not None else -episode.id)
        firsts.setdefault(key, episode)
    synced = [c for c in done.countdowns.values() if c.ref not in server.countdowns or c.ref in live]
    for episode in firsts.values():
        slot: Slot = (
            code(episode.season, episode.number) if episode.number else Special(episode.season, episode.id)
        )
        covering = [c for c in synced if slot in c.slots]
        if slot in held:
            continue
        if (episode.number is None and not specials) or episode.airs_at is None:
            assert covering == []
        elif episode.airs_at > now:
            assert [c.release_at for c in covering] == [episode.airs_at]
        else:
            assert all(c.release_at == episode.airs_at for c in covering)
    # No episode is covered twice by the sync's countdowns, and each covers one instant.
    covered = [s for c in synced for s in c.slots]
    assert len(covered) == len(set(covered))
    # New countdowns are upcoming. The schedule is TVmaze's, except that an episode a moderator's
    # countdown covers keeps that countdown's time, and rows a kept or past countdown covers stay.
    assert all(r.at > now for r in plan.new + plan.dated)
    hand = [c for c in server.countdowns.values() if c.by_hand and c.release_at > now]
    for episode in firsts.values():
        if episode.number is None or not (1 <= episode.number <= 999):
            continue
        at_hand = [c.release_at for c in hand if code(episode.season, episode.number) in c.slots]
        expected = at_hand[0] if len(at_hand) == 1 else episode.airs_at
        if len(at_hand) <= 1:
            assert done.schedule[code(episode.season, episode.number)] == Scheduled(episode.name, expected)
    listed = {code(e.season, e.number) for e in episodes if e.number is not None}
    assert set(done.schedule) == listed | (set(server.schedule) & held)
    assert len(plan.notices()) == len(plan.new) + len(plan.dated) + len(plan.moved) + sum(
        r.notify for r in plan.removed
    )


PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@PROPERTY
@given(data=st.data(), specials=st.booleans())
def test_planning_converges_from_a_followed_show(data: st.DataObject, specials: bool) -> None:
    before, after = data.draw(tvmaze_lists())
    server = data.draw(servers(before, specials))
    now = data.draw(st.sampled_from([NOW, NOW + HOUR, NOW + DAY]))
    check(server, after, server.plan(after, now=now, specials=specials), specials=specials, now=now)


@PROPERTY
@given(data=st.data(), specials=st.booleans())
def test_planning_converges_from_any_state(data: st.DataObject, specials: bool) -> None:
    _, after = data.draw(tvmaze_lists())
    server = data.draw(arbitrary_servers())
    check(server, after, server.plan(after, specials=specials), specials=specials)


@PROPERTY
@given(data=st.data())
def test_the_plan_does_not_depend_on_the_order_of_its_inputs(data: st.DataObject) -> None:
    before, after = data.draw(tvmaze_lists())
    server = data.draw(servers(before, True))
    shuffled = list(after)
    random.Random(data.draw(st.integers(0, 1000))).shuffle(shuffled)
    reordered = Server(dict(reversed(server.schedule.items())), dict(reversed(server.countdowns.items())))
    assert server.plan(after, specials=True) == reordered.plan(shuffled, specials=True)


@PROPERTY
@given(
    size=st.integers(2, 12),
    first=st.sampled_from([NOW + HOUR, NOW + DAY]),
    shift=st.integers(-HOUR, 30 * DAY),
)
def test_a_drop_is_one_countdown_and_moving_it_is_one_notice(size: int, first: int, shift: int) -> None:
    eps = [ep(3, n, first, episode_id=n) for n in range(1, size + 1)]
    server = Server().follow(eps)
    assert len(server.countdowns) == 1
    plan = server.plan([dataclasses.replace(e, airs_at=first + shift) for e in eps])
    if shift == 0:
        assert plan.is_empty
    else:
        assert len(plan.moved) == 1 and not (plan.new or plan.removed)
        assert len(plan.notices()) == 1


any_slot = st.one_of(
    st.builds(EpisodeCode, st.integers(1, 99), st.integers(1, 999)),
    st.builds(Special, st.integers(1, 99), st.integers(1, 10**12)),
)


@given(st.lists(any_slot, min_size=1, max_size=30))
def test_the_episodes_a_countdown_covers_are_stored_and_read_back_exactly(slots: list[Slot]) -> None:
    text = encode_slots(slots)
    assert decode_slots(text) == tuple(sorted(set(slots), key=slot_order))
    assert encode_slots(decode_slots(text)) == text


def test_stored_episodes_that_are_not_ours_are_refused() -> None:
    assert encode_slots([code(1, 2), code(1, 1), Special(5, 13977)]) == "S1E1 S1E2 S5#13977"
    for bad in ("S1E1,S1E2", "E1", "S1E1 x", "S100E1"):
        try:
            decode_slots(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was read")
