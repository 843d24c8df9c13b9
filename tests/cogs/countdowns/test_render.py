"""What countdown messages look like, and that member text cannot break out of them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.episodes import EpisodeCode
from cogs.countdowns.render import (
    DROP_LINKS_MAX,
    announcement,
    choice_name,
    countdown_embed,
    discussion_line,
    list_embed,
)
from cogs.countdowns.store import Countdown

RELEASE = 1_737_165_600


def countdown(**changes: object) -> Countdown:
    values: dict[str, object] = {
        "id": 12,
        "guild_id": 1,
        "title": "Severance S2E1",
        "release_at": RELEASE,
        "channel_id": None,
        "role_id": 99,
        "milestones": (3600, 0),
        "season": 2,
        "episode": 1,
        "event_id": None,
        "created_by": 5,
        "created_at": 0,
        "updated_at": 0,
    }
    values.update(changes)
    return Countdown(**values)  # type: ignore[arg-type]


def test_an_announcement_pings_in_content_and_hides_the_episode_title() -> None:
    content, embed = announcement(
        countdown(), 0, due_at=RELEASE, now=RELEASE + 1, episode_title="Hello, Ms. Cobel"
    )
    assert content == "<@&99> \N{CLAPPER BOARD} **Severance S2E1**: it's out!"
    assert embed.fields[0].value == "S2E1 \N{MIDDLE DOT} ||Hello, Ms. Cobel||"
    assert embed.footer.text == "Countdown #12"
    content, _ = announcement(
        countdown(role_id=None, title="*S2* _soon_"), 3600, due_at=RELEASE - 3600, now=RELEASE - 3600
    )
    assert content == "\N{ALARM CLOCK} **\\*S2\\* \\_soon\\_**: in one hour"


def test_cards_and_lists() -> None:
    upcoming = countdown_embed(countdown(), now=RELEASE - 100, default_channel_id=7)
    assert upcoming.description is not None and f"<t:{RELEASE}:R>" in upcoming.description
    fields = {f.name: f.value for f in upcoming.fields}
    assert fields["Announced"] == "1h before, and when it's out, in <#7> (the announcement channel)"
    assert fields["Pings"] is not None and fields["Pings"].startswith("<@&99>")
    released = countdown_embed(
        countdown(season=None, episode=None), now=RELEASE + 100, default_channel_id=None, details=False
    )
    assert released.description == f"Released <t:{RELEASE}:F> (<t:{RELEASE}:R>)"
    page = list_embed([countdown()], page=0, pages=3, total=25, which="upcoming", now=RELEASE - 1)
    assert page.footer.text == "Page 1 of 3 \N{MIDDLE DOT} 25 in all"
    assert page.description is not None and "`#12` **Severance S2E1** \N{MIDDLE DOT} S2E1" in page.description


def test_choice_names_keep_the_date_and_fit_discords_limit() -> None:
    ny = ZoneInfo("America/New_York")
    assert choice_name(countdown(), ny, RELEASE - 1) == "Severance S2E1 \N{MIDDLE DOT} Fri 17 Jan 2025 21:00"
    long = choice_name(countdown(title="x" * 100), ny, RELEASE + 1)
    assert len(long) <= 100 and long.endswith("released Fri 17 Jan 2025 21:00")
    assert EpisodeCode(2, 1) == countdown().code


def test_discussion_links_name_each_episode_of_a_drop_and_stay_bounded() -> None:
    assert discussion_line({}) is None
    assert discussion_line({EpisodeCode(2, 3): 7}) == "\N{SPEECH BALLOON} Talk about it in <#7>"
    drop = {EpisodeCode(1, n): 1_000_000_000_000_000_000 + n for n in (2, 1, 3)}
    assert discussion_line(drop) == (
        "\N{SPEECH BALLOON} Talk about each episode in its thread: "
        "S1E1 <#1000000000000000001> \N{MIDDLE DOT} S1E2 <#1000000000000000002> "
        "\N{MIDDLE DOT} S1E3 <#1000000000000000003>"
    )
    # A daily soap's whole season at once still fits the announcement (Discord: 4,096 characters).
    season = {EpisodeCode(1, n): 1_000_000_000_000_000_000 + n for n in range(1, 201)}
    line = discussion_line(season)
    assert line is not None and len(line) < DROP_LINKS_MAX + 60
    shown = line.count("<#")
    assert line.startswith("\N{SPEECH BALLOON} Talk about each episode in its thread: S1E1 <#")
    assert 0 < shown < 200 and line.endswith(f"\N{HORIZONTAL ELLIPSIS} and {200 - shown} more")
