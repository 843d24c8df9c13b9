-- Following a show from TVmaze (issue 13): the followed show per server, countdowns that cover a
-- streaming drop or a special, the by-hand mark a sync respects, and the per-show episode lists
-- kept across restarts. Times are UTC unix seconds, passed in by the code.

-- Every episode a countdown counts down to, when that is more than one (a drop, "S1E1 S1E2 S1E3")
-- or a special, which TVmaze does not number and knows by its episode id ("S5#13977"). season and
-- episode stay the first numbered episode, as before; NULL here means just that one (or none).
ALTER TABLE countdowns ADD COLUMN episodes TEXT;
-- 1 once a moderator changed the countdown's time or title with /countdown edit: a sync leaves it
-- as they set it ("kept as you set it") instead of moving it back to TVmaze's time.
ALTER TABLE countdowns ADD COLUMN by_hand BIGINT NOT NULL DEFAULT 0;

-- The show a server follows on TVmaze (one per server), and how its countdowns are made.
CREATE TABLE followed_shows (
    guild_id    INTEGER PRIMARY KEY REFERENCES guilds (guild_id) ON DELETE CASCADE,  -- sqlite only
    guild_id    BIGINT  PRIMARY KEY REFERENCES guilds (guild_id) ON DELETE CASCADE,  -- postgresql only
    show_id     BIGINT  NOT NULL,               -- TVmaze's show id
    name        TEXT    NOT NULL,               -- as the server's show name: "Severance"
    label       TEXT    NOT NULL,               -- as autocomplete reads it: "Severance (2022, Apple TV+)"
    network     TEXT,                           -- where it airs, for the Discord events' location
    specials    BIGINT  NOT NULL DEFAULT 0,     -- 1: specials get countdowns too
    titles      BIGINT  NOT NULL DEFAULT 0,     -- 1: countdown and event names carry episode titles
    channel_id  BIGINT,                         -- NULL: the server's announcement channel
    role_id     BIGINT,
    milestones  TEXT,                           -- NULL: 7d,1d,1h for a premiere, 1h for later episodes
    followed_by BIGINT  NOT NULL,
    followed_at BIGINT  NOT NULL,
    synced_at   BIGINT,                         -- the last sync that reached TVmaze and was applied
    syncs       BIGINT  NOT NULL DEFAULT 0,     -- syncs that changed something; numbers their notices
    tried_at    BIGINT,                         -- the last attempt, whether or not it worked
    sync_error  TEXT                            -- why that attempt failed; NULL when it worked
);

CREATE INDEX followed_shows_show ON followed_shows (show_id);

-- The last episode list fetched for each followed show, shared by every server following it, so a
-- restart starts from it instead of costing one TVmaze call per show. `episodes` is JSON.
CREATE TABLE tvmaze_episode_lists (
    show_id    INTEGER PRIMARY KEY,  -- sqlite only
    show_id    BIGINT  PRIMARY KEY,  -- postgresql only
    fetched_at BIGINT  NOT NULL,
    episodes   TEXT    NOT NULL
);
