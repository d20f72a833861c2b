-- The replicas (editor page loads) that sent batches to a plan edited together. Written for
-- both SQLite and PostgreSQL.
--
-- A batch is named by its replica and that replica's counter for the plan; the server takes a
-- replica's batches only with its key (kept here as a SHA-256, hex), each counter once and in
-- order. `counter` is the last one taken and `seq` the plan's sequence then, so a batch sent
-- again is recognised however long ago the op log was pruned.
CREATE TABLE share_replicas (
    share_id  TEXT NOT NULL,
    replica   BIGINT NOT NULL,
    key_hash  TEXT NOT NULL,
    counter   BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    seen_at   BIGINT NOT NULL,
    PRIMARY KEY (share_id, replica)
);
