-- A live plan's history is counted in the store's size (`store_usage`, what
-- `SYNCPLAN_MAX_STORE_MB` limits) beside its plan: its entries (`shares.history_bytes`, as
-- before) and what it keeps besides them (`history_kept_bytes`: the base and the named
-- versions, each with the plan it keeps). Written for both SQLite and PostgreSQL.
ALTER TABLE shares ADD COLUMN history_kept_bytes BIGINT NOT NULL DEFAULT 0;

UPDATE shares SET history_kept_bytes =
    (SELECT COALESCE(SUM(LENGTH(row_id) + LENGTH(field) + LENGTH(reg) + 48), 0)
     FROM share_history_base WHERE share_id = shares.id)
  + (SELECT COALESCE(SUM(LENGTH(name) + LENGTH(by_name) + LENGTH(plan) + 48), 0)
     FROM share_versions WHERE share_id = shares.id)
WHERE revoked_at IS NULL;

UPDATE store_usage SET bytes = bytes + CAST(
    (SELECT COALESCE(SUM(history_bytes + history_kept_bytes), 0) FROM shares
     WHERE revoked_at IS NULL) AS BIGINT)
WHERE id = 1;
