-- Shared plans. Written for both SQLite and PostgreSQL: keep the types portable.
CREATE TABLE shares (
    id          TEXT PRIMARY KEY,
    -- SHA-256 of the owner token, hex; the token itself is never stored.
    owner_hash  TEXT NOT NULL,
    -- The plan document as JSON; emptied when the share is revoked.
    plan        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
