-- Plans edited together through edit links. Written for both SQLite and PostgreSQL.

-- SHA-256 of the edit link's secret, hex; NULL while editing is off.
ALTER TABLE shares ADD COLUMN edit_hash TEXT;
-- 1 once the share holds a live document (its cells below are then the plan).
ALTER TABLE shares ADD COLUMN live BIGINT NOT NULL DEFAULT 0;
-- The sequence of the last batch logged for the plan.
ALTER TABLE shares ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
-- Bytes of op log the plan holds (kept bounded by pruning the oldest batches).
ALTER TABLE shares ADD COLUMN log_bytes BIGINT NOT NULL DEFAULT 0;

-- The current document, one register per row: `field` is `title` (with `row_id` ''),
-- `alive`, `position`, `item`, `category`, `priority`, `owner`, `status` or `notes`;
-- `reg` is the register as JSON (`[value, [wall, count, replica]]`, or Notes' versions).
CREATE TABLE share_cells (
    share_id  TEXT NOT NULL,
    row_id    TEXT NOT NULL,
    field     TEXT NOT NULL,
    reg       TEXT NOT NULL,
    PRIMARY KEY (share_id, row_id, field)
);

-- The op log: every accepted batch once, in order. `batch_id` makes retries idempotent.
CREATE TABLE share_ops (
    share_id  TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    batch_id  TEXT NOT NULL,
    ops       TEXT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (share_id, seq),
    UNIQUE (share_id, batch_id)
);
