-- Roles the bot refused to give or take at the moment of granting (a "watched up to" or ping role
-- that gained a permission, or became the moderator role, after it was configured). The moderators
-- are told once per role; /config show lists them until a grant with the role goes through again.

CREATE TABLE role_refusals (
    guild_id   BIGINT  NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    role_id    BIGINT  NOT NULL,
    reason     TEXT    NOT NULL,
    refused_at BIGINT  NOT NULL,
    PRIMARY KEY (guild_id, role_id)
);
