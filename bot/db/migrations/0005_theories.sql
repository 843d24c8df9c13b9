-- Theory threads: one row per theory (kept when its thread is deleted), one row per member's vote,
-- the server's destination channel and the forum tags the bot created there.

CREATE TABLE theory_settings (
    guild_id    INTEGER PRIMARY KEY REFERENCES guilds (guild_id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL,                -- a text channel (threads) or a forum (posts)
    is_forum    INTEGER NOT NULL DEFAULT 0 CHECK (is_forum IN (0, 1)),
    updated_at  INTEGER NOT NULL
);

-- Forum tags the bot uses: key 'open', 'confirmed', 'debunked' or 's<season>'.
CREATE TABLE theory_tags (
    guild_id    INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL,
    tag_key     TEXT    NOT NULL,
    tag_id      INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id, tag_key)
) WITHOUT ROWID;

CREATE TABLE theories (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    number       INTEGER NOT NULL CHECK (number >= 1),      -- per server: "#12"
    author_id    INTEGER NOT NULL,
    title        TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    body         TEXT    NOT NULL,
    season       INTEGER NOT NULL CHECK (season BETWEEN 1 AND 99),    -- the latest episode it builds on
    episode      INTEGER NOT NULL CHECK (episode BETWEEN 1 AND 999),
    channel_id   INTEGER NOT NULL,                          -- the text channel or forum it went to
    thread_id    INTEGER,                                   -- NULL until Discord created it
    message_id   INTEGER,                                   -- the message carrying the vote buttons
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'debunked')),
    plausible    INTEGER NOT NULL DEFAULT 0 CHECK (plausible >= 0),  -- kept equal to theory_votes
    doubtful     INTEGER NOT NULL DEFAULT 0 CHECK (doubtful >= 0),
    resolved_season  INTEGER,
    resolved_episode INTEGER,
    resolved_by  INTEGER,
    resolved_at  INTEGER,
    deleted_at   INTEGER,                                   -- its thread was deleted; the theory stays
    created_at   INTEGER NOT NULL,
    CHECK ((status = 'open') = (resolved_season IS NULL)),
    CHECK ((resolved_season IS NULL) = (resolved_episode IS NULL))
);

-- Numbers and lookups by number; also the next number (MAX) without a scan.
CREATE UNIQUE INDEX theories_number ON theories (guild_id, number);
-- /theory top and list sorted by votes, with and without a status filter.
CREATE INDEX theories_votes ON theories (guild_id, plausible DESC, doubtful, number DESC);
CREATE INDEX theories_status_votes ON theories (guild_id, status, plausible DESC, doubtful, number DESC);
-- The leaderboard and the author filter, covering so the leaderboard never reads the table.
CREATE INDEX theories_author ON theories (
    guild_id, author_id, status, plausible, season, episode, resolved_season, resolved_episode
);
-- Counting (for page numbers) what a member with watch progress may see.
CREATE INDEX theories_progress ON theories (guild_id, season, episode);
-- A deleted thread finds its theory.
CREATE INDEX theories_thread ON theories (thread_id) WHERE thread_id IS NOT NULL;

-- One vote per member per theory; the primary key is the votes-by-theory index.
CREATE TABLE theory_votes (
    theory_id   INTEGER NOT NULL REFERENCES theories (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    choice      INTEGER NOT NULL CHECK (choice IN (1, -1)),    -- 1 plausible, -1 doubtful
    voted_at    INTEGER NOT NULL,
    PRIMARY KEY (theory_id, user_id)
) WITHOUT ROWID;
