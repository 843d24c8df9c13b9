-- Issue 14: fresh spoiler words as a Discord AutoMod rule, recaps as spoiler cards, and a discussion
-- thread per episode. Portable SQL: BIGINT and TEXT columns, constant defaults, times passed in as
-- parameters.

-- /spoilers automod on|off, and the id Discord gave the rule the bot keeps (NULL: none made yet, or
-- switched off; a rule deleted by hand is found missing at the next change and made again).
ALTER TABLE guilds ADD COLUMN automod_spoilers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE guilds ADD COLUMN automod_rule_id BIGINT;

-- /spoilers format: how new recaps are posted, one spoiler card ('cards') or ||tags|| ('tags').
ALTER TABLE guilds ADD COLUMN recap_format TEXT NOT NULL DEFAULT 'cards';

-- /spoilers discussions: the text channel or forum where each episode gets a thread at release.
ALTER TABLE guilds ADD COLUMN discussion_channel_id BIGINT;

-- Each recap keeps the format it was posted in, so an edit updates it in kind. Recaps posted before
-- this migration were posted with spoiler tags.
ALTER TABLE recaps ADD COLUMN format TEXT NOT NULL DEFAULT 'tags';

-- One discussion thread per server and episode, ever. attempted_at is set before the bot first asks
-- Discord to create the thread (NULL: it never has): a later attempt that finds it set and no
-- thread_id looks for the thread among the server's active threads before creating one (Discord has
-- no nonce for threads). message_id is the opening message (a forum post's starter message, whose id
-- is the thread's). failure is the last reason it could not be made, once the moderators were told.
CREATE TABLE discussion_threads (
    guild_id     BIGINT  NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    season       BIGINT  NOT NULL CHECK (season BETWEEN 1 AND 99),
    number       BIGINT  NOT NULL CHECK (number BETWEEN 1 AND 999),
    channel_id   BIGINT  NOT NULL,
    thread_id    BIGINT,
    message_id   BIGINT,
    attempted_at BIGINT,
    failure      TEXT,
    PRIMARY KEY (guild_id, season, number)
);
