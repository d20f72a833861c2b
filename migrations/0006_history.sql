-- History of plans edited together: every value a register was given, who gave it and when.
-- Written with the op log, in the same transaction, but kept apart from it: the op log is
-- pruned for sync, the history only by age (`SYNCPLAN_HISTORY_DAYS`) and size per plan
-- (`SYNCPLAN_HISTORY_MB`). Written for both SQLite and PostgreSQL.
CREATE TABLE share_history (
    share_id  TEXT NOT NULL,
    -- The batch's sequence in the op log, and the op's place in it.
    seq       BIGINT NOT NULL,
    op        BIGINT NOT NULL,
    -- '' for the title.
    row_id    TEXT NOT NULL,
    -- `title`, `alive`, `position`, `item`, `category`, `priority`, `owner`, `status`, `notes`.
    field     TEXT NOT NULL,
    -- The value written: the text (a priority or status as the plan shows it), '1' or '0'
    -- for `alive`, '' for `position`.
    value     TEXT NOT NULL,
    replica   BIGINT NOT NULL,
    -- The name the writer gave when joining ('' when none).
    name      TEXT NOT NULL,
    -- When the server logged the batch (Unix ms).
    at        BIGINT NOT NULL,
    PRIMARY KEY (share_id, seq, op)
);
CREATE INDEX share_history_cell ON share_history (share_id, row_id, field, seq);

-- Bytes of history (the values and names) a plan holds.
ALTER TABLE shares ADD COLUMN history_bytes BIGINT NOT NULL DEFAULT 0;
