-- Spoilers: the spoiler window and guard per server, spoiler words, watch progress, spoiler
-- channels, recaps (with the ids of the messages they were posted as) and "watched up to" roles.

ALTER TABLE guilds ADD COLUMN spoiler_window_seconds INTEGER NOT NULL DEFAULT 604800;
ALTER TABLE guilds ADD COLUMN spoiler_guard INTEGER NOT NULL DEFAULT 0;

-- Words moderators pick per episode (names, reveals). word_key is the casefolded, accent-free
-- form, so "Helly" and "HELLY" are one word.
CREATE TABLE spoiler_words (
    guild_id   INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    season     INTEGER NOT NULL CHECK (season BETWEEN 1 AND 99),
    number     INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999),
    word       TEXT    NOT NULL CHECK (length(word) BETWEEN 1 AND 100),
    word_key   TEXT    NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (guild_id, season, number, word_key)
);

-- How far each member has watched. No row: the member has not opted in, nothing is hidden.
CREATE TABLE watch_progress (
    guild_id   INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    season     INTEGER NOT NULL CHECK (season BETWEEN 1 AND 99),
    number     INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

CREATE TABLE spoiler_channels (
    guild_id   INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    added_by   INTEGER NOT NULL,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
) WITHOUT ROWID;

-- One recap per server and episode. channel_id is where its messages are (the spoiler channel,
-- or a thread in it: thread_id is set then and equals channel_id).
CREATE TABLE recaps (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    season     INTEGER NOT NULL CHECK (season BETWEEN 1 AND 99),
    number     INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999),
    author_id  INTEGER NOT NULL,
    body       TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    channel_id INTEGER NOT NULL,
    thread_id  INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (guild_id, season, number)
);

-- The messages a recap was posted as, in order (the header rides on the first).
CREATE TABLE recap_messages (
    recap_id   INTEGER NOT NULL REFERENCES recaps (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (recap_id, position)
) WITHOUT ROWID;

-- Optional "watched up to" roles: a member whose progress reaches the episode gets the role, so
-- spoiler channels can be gated with Discord's own permissions.
CREATE TABLE progress_roles (
    guild_id INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    season   INTEGER NOT NULL CHECK (season BETWEEN 1 AND 99),
    number   INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999),
    role_id  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, season, number),
    UNIQUE (guild_id, role_id)
) WITHOUT ROWID;
