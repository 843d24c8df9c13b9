-- The show's schedule, per server: one row per episode. Countdowns create these; spoilers
-- and theories read them (episode codes, air times, spoiler windows).

CREATE TABLE episodes (
    guild_id BIGINT NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    season   BIGINT NOT NULL CHECK (season BETWEEN 1 AND 99),
    number   BIGINT NOT NULL CHECK (number BETWEEN 1 AND 999),
    title    TEXT,
    air_at   BIGINT,
    PRIMARY KEY (guild_id, season, number)
) WITHOUT ROWID;    -- sqlite only
);                  -- postgresql only

CREATE INDEX episodes_air ON episodes (guild_id, air_at) WHERE air_at IS NOT NULL;
