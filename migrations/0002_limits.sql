-- Storage limits and retention. Written for both SQLite and PostgreSQL.

-- Bytes of plan JSON a share holds (0 once revoked), so the store's total can be kept.
ALTER TABLE shares ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
-- When the share page or JSON was last opened (at most one write per share and day).
ALTER TABLE shares ADD COLUMN visited_at BIGINT;
-- Why a share ended: 'owner' (revoked) or 'expired' (retention policy).
ALTER TABLE shares ADD COLUMN end_reason TEXT;
UPDATE shares SET size = LENGTH(plan);

-- The total of `shares.size`, kept by every write in the same transaction.
CREATE TABLE store_usage (
    id     INTEGER PRIMARY KEY,
    bytes  BIGINT NOT NULL
);
INSERT INTO store_usage (id, bytes) SELECT 1, COALESCE(SUM(size), 0) FROM shares;

-- Share links created per client and UTC day. `client` is a SHA-256 of the client's address
-- (IPv4, or IPv6 /64); rows older than yesterday are deleted.
CREATE TABLE creation_counts (
    client  TEXT NOT NULL,
    day     BIGINT NOT NULL,
    count   BIGINT NOT NULL,
    PRIMARY KEY (client, day)
);
