-- The core: per-server settings, bot metadata and the durable scheduler.
-- Times are UTC unix seconds throughout.

CREATE TABLE guilds (
    guild_id            INTEGER PRIMARY KEY,
    timezone            TEXT    NOT NULL DEFAULT 'UTC',
    show_name           TEXT,
    moderator_role_id   INTEGER,
    announce_channel_id INTEGER,
    created_at          INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    updated_at          INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);

-- Small key/value facts about this installation (for example the synced command hash).
CREATE TABLE bot_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per timed action. The row is the truth: claimed pending -> sending, then sent,
-- skipped or failed with a reason. A row left in 'sending' by a crash is retried with the
-- same nonce, so Discord drops the duplicate.
CREATE TABLE scheduled_jobs (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    series      TEXT,
    due_at      INTEGER NOT NULL,
    run_at      INTEGER NOT NULL,
    expires_at  INTEGER,
    payload     TEXT    NOT NULL DEFAULT '{}',
    state       TEXT    NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    reason      TEXT,
    result      TEXT,
    claimed_at  INTEGER,
    finished_at INTEGER,
    created_at  INTEGER NOT NULL,
    UNIQUE (guild_id, kind, key)
);

CREATE INDEX scheduled_jobs_pending ON scheduled_jobs (run_at) WHERE state = 'pending';
CREATE INDEX scheduled_jobs_sending ON scheduled_jobs (claimed_at) WHERE state = 'sending';
CREATE INDEX scheduled_jobs_guild_state ON scheduled_jobs (guild_id, state);
CREATE INDEX scheduled_jobs_series ON scheduled_jobs (guild_id, series, due_at) WHERE series IS NOT NULL;
