-- Countdowns to premieres and episode drops. Each milestone announcement is a scheduled_jobs row
-- (kind 'countdown', key 'countdown:<id>:<offset seconds>', series 'countdown:<id>'), so the
-- scheduler's claim, nonce, supersession and expiry rules give exactly-once and catch-up.

CREATE TABLE countdowns (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    release_at  INTEGER NOT NULL,                -- UTC unix seconds
    channel_id  INTEGER,                         -- NULL: the server's announcement channel at send time
    role_id     INTEGER,                         -- the role announcements ping and "Notify me" toggles
    milestones  TEXT    NOT NULL DEFAULT '604800,86400,3600,0',  -- seconds before release, descending, ends in 0
    season      INTEGER CHECK (season BETWEEN 1 AND 99),
    episode     INTEGER CHECK (episode BETWEEN 1 AND 999),
    event_id    INTEGER,                         -- the Discord scheduled event mirroring it, if any
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK ((season IS NULL) = (episode IS NULL))
);

CREATE INDEX countdowns_guild_release ON countdowns (guild_id, release_at);
CREATE UNIQUE INDEX countdowns_episode ON countdowns (guild_id, season, episode) WHERE season IS NOT NULL;

-- A failed announcement is reported to moderators once per countdown and channel, not once per
-- milestone. The row goes when an announcement there succeeds again, so a new failure is reported.
CREATE TABLE countdown_failures (
    countdown_id INTEGER NOT NULL REFERENCES countdowns (id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL,              -- 0 when no channel was configured at all
    reason       TEXT    NOT NULL,
    failed_at    INTEGER NOT NULL,
    PRIMARY KEY (countdown_id, channel_id)
) WITHOUT ROWID;
