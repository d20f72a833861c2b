//! A group of batches committed in one transaction: the edit link checked, the plan's
//! replicas read, each batch decided by the accept rule, what was taken written (cells, op
//! log, replicas), the log pruned to its bounds, and the other instances told.

use super::*;

impl ShareStore {
    /// Decides (by the accept rule) and stores a group of batches (each with the name its
    /// writer gave, for the history) in one transaction,
    /// checked against the edit link `hash`, at `now` on the server's clock. `live` is
    /// brought up to date with what other instances logged first; on success it holds
    /// what was stored. On an error `live` may hold batches that were not stored: the
    /// caller reads the plan afresh.
    pub async fn commit(
        &self,
        id: &ShareId,
        hash: &str,
        live: &mut LiveDoc,
        batches: &[(SentBatch, String)],
        now: i64,
        limits: &DocLimits,
    ) -> Result<Commit, StoreError> {
        self.ready().await?;
        let _guard = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        // Locks the plan's row (PostgreSQL) until commit: groups from several instances
        // take turns, each seeing the one before.
        let row = sqlx::query(
            "UPDATE shares SET seq = seq WHERE id = $1 AND edit_hash = $2 AND revoked_at IS NULL \
             RETURNING seq, log_bytes, history_bytes",
        )
        .bind(id.as_str())
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(Commit::Revoked);
        };
        let stored_seq = row.try_get::<i64, _>("seq")? as u64;
        let log_bytes: i64 = row.try_get("log_bytes")?;
        let history_bytes: i64 = row.try_get("history_bytes")?;
        // What other instances logged since this copy last looked.
        let mut caught_up = Vec::new();
        if stored_seq > live.seq {
            let missing = read_log(&mut *tx, id, live.seq).await?;
            if live.catch_up(&missing, stored_seq).is_err() {
                tx.rollback().await?;
                return Ok(Commit::Behind);
            }
            caught_up = missing;
        }
        let mut book = read_replicas(&mut tx, id, batches.iter().map(|(b, _)| b)).await?;
        let before = book.clone();
        // The document may grow as far as its own budget, and the store's room allows.
        let used: i64 = sqlx::query("SELECT bytes FROM store_usage WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?
            .try_get("bytes")?;
        let room = (self.limits().max_bytes as i64 - used).max(0) as usize;
        let bytes_before = live.bytes();
        let limits = DocLimits {
            bytes: limits.bytes.min(bytes_before.saturating_add(room)),
            ..*limits
        };
        let limits = &limits;
        let now_u = now.max(0) as u64;
        let mut outcomes = Vec::with_capacity(batches.len());
        let mut touched: BTreeSet<(String, &'static str)> = BTreeSet::new();
        let mut logged_bytes = 0i64;
        let mut written_history = 0i64;
        let first_seq = live.seq;
        for (batch, name) in batches {
            let outcome = accept(live, &mut book, batch, &key_hash(batch.key), now_u, limits);
            if let Outcome::Logged { logged, .. } = &outcome {
                for op in &logged.ops {
                    touched.insert(register_of(op));
                }
                let json = serde_json::to_string(&logged.ops).unwrap_or_default();
                logged_bytes += json.len() as i64;
                sqlx::query(
                    "INSERT INTO share_ops (share_id, seq, batch_id, ops, at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id.as_str())
                .bind(logged.seq as i64)
                .bind(logged.batch.to_string())
                .bind(json)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                written_history += history::record(&mut tx, id, logged, name, now).await?;
            }
            outcomes.push(outcome);
        }
        for (replica, record) in &book {
            if before.get(replica) == Some(record) {
                continue;
            }
            sqlx::query(
                "INSERT INTO share_replicas (share_id, replica, key_hash, counter, seq, seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (share_id, replica) DO UPDATE \
                 SET counter = excluded.counter, seq = excluded.seq, seen_at = excluded.seen_at",
            )
            .bind(id.as_str())
            .bind(i64::from(*replica))
            .bind(&record.key_hash)
            .bind(i64::from(record.counter))
            .bind(record.seq as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let seq = live.seq;
        let mut notes = Vec::new();
        let grown = live.bytes() as i64 - bytes_before as i64;
        if grown != 0 {
            sqlx::query("UPDATE shares SET size = size + $2 WHERE id = $1")
                .bind(id.as_str())
                .bind(grown)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE store_usage SET bytes = bytes + $1 WHERE id = 1")
                .bind(grown)
                .execute(&mut *tx)
                .await?;
        }
        if seq > first_seq {
            write_registers(&mut tx, Registers::Current, id, &live.doc, Some(&touched)).await?;
            sqlx::query("UPDATE store_usage SET bytes = bytes + $1 WHERE id = 1")
                .bind(written_history)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE shares SET seq = $2, log_bytes = log_bytes + $3, updated_at = $4, \
                 history_bytes = history_bytes + $5 WHERE id = $1",
            )
            .bind(id.as_str())
            .bind(seq as i64)
            .bind(logged_bytes)
            .bind(now)
            .bind(written_history)
            .execute(&mut *tx)
            .await?;
            self.prune_log(&mut tx, id, seq, log_bytes + logged_bytes)
                .await?;
            history::prune(
                &mut tx,
                id,
                (first_seq, seq),
                history_bytes + written_history,
                self.limits(),
                now,
                used + grown + written_history > self.limits().max_bytes as i64,
            )
            .await?;
            let note = Note::Ops {
                id: id.clone(),
                seq,
            };
            self.notify(&mut tx, &note).await?;
            notes.push(note);
        }
        tx.commit().await?;
        self.tell_locally(notes);
        let logged: Vec<&Logged> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Logged { logged, .. } => Some(logged),
                _ => None,
            })
            .collect();
        self.tap_logged(id, &logged);
        Ok(Commit::Done {
            caught_up,
            outcomes,
        })
    }

    /// Keeps the log bounded: by batches, and by bytes (then the older half goes).
    async fn prune_log(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: &ShareId,
        seq: u64,
        bytes: i64,
    ) -> Result<(), StoreError> {
        let limits = self.limits();
        let cut = seq as i64 - limits.log_batches as i64;
        if cut > 0 {
            sqlx::query("DELETE FROM share_ops WHERE share_id = $1 AND seq <= $2")
                .bind(id.as_str())
                .bind(cut)
                .execute(&mut **tx)
                .await?;
        }
        if bytes > limits.log_bytes as i64 || cut > 0 {
            if bytes > limits.log_bytes as i64 {
                sqlx::query(
                    "DELETE FROM share_ops WHERE share_id = $1 AND seq <= \
                     (SELECT (MIN(seq) + MAX(seq)) / 2 FROM share_ops WHERE share_id = $1)",
                )
                .bind(id.as_str())
                .execute(&mut **tx)
                .await?;
            }
            sqlx::query(
                "UPDATE shares SET log_bytes = (SELECT COALESCE(SUM(LENGTH(ops)), 0) \
                 FROM share_ops WHERE share_id = $1) WHERE id = $1",
            )
            .bind(id.as_str())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// The replicas `batches` are sent in the name of, as the plan remembers them.
async fn read_replicas(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &ShareId,
    batches: impl Iterator<Item = &SentBatch>,
) -> Result<HashMap<u32, ReplicaRecord>, StoreError> {
    let wanted: BTreeSet<u32> = batches.map(|b| replica_of(b.id)).collect();
    let mut book = HashMap::new();
    for replica in wanted {
        let row = sqlx::query(
            "SELECT key_hash, counter, seq FROM share_replicas WHERE share_id = $1 AND replica = $2",
        )
        .bind(id.as_str())
        .bind(i64::from(replica))
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = row {
            book.insert(
                replica,
                ReplicaRecord {
                    key_hash: row.try_get("key_hash")?,
                    counter: row.try_get::<i64, _>("counter")? as u32,
                    seq: row.try_get::<i64, _>("seq")? as u64,
                },
            );
        }
    }
    Ok(book)
}
