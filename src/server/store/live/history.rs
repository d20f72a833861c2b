//! A live plan's history (`share_history`): every value each register was given (with its
//! whole op), who gave it and when. Written by `commit` beside the op log, in its
//! transaction; bounded per plan by age and by bytes, what goes being folded into the base
//! (`share_history_base`: the plan at the oldest point kept), so every point kept can be
//! rebuilt; read a page at a time, newest first, for the whole plan or one cell, by editors
//! and the owner only.

use super::*;
use crate::shared::api::{HistoryEntry, HistoryPage};

/// Entries per page at most.
pub const MAX_HISTORY_PAGE: usize = 500;

/// Bytes one entry is counted as besides its texts (its ids and the index entry).
const ENTRY_OVERHEAD: i64 = 48;

/// What a history takes, as SQL over one row: an entry (`share_history`, as `record` counts
/// it), a register of the base (`share_history_base`), a named version (`share_versions`).
pub(in crate::server::store) const ENTRY_BYTES: &str =
    "LENGTH(row_id) + LENGTH(value) + LENGTH(name) + LENGTH(body) + 48";
pub(in crate::server::store) const BASE_BYTES: &str =
    "LENGTH(row_id) + LENGTH(field) + LENGTH(reg) + 48";
pub(in crate::server::store) const VERSION_BYTES: &str =
    "LENGTH(name) + LENGTH(by_name) + LENGTH(plan) + 48";

/// Why a history request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum HistoryRefusal {
    Missing,
    Ended,
    /// Shared, but never edited together: there is no history.
    NotLive,
    /// Neither the edit link's secret nor the owner's.
    NotAllowed,
}

/// What to read: a cell (`row`, `field`) or the whole plan; entries before `before`
/// (`(seq, op)`, newest first) and logged after the sequence `after`; `limit` of them at
/// most.
#[derive(Clone, Debug, Default)]
pub struct HistoryQuery {
    pub cell: Option<(RowId, String)>,
    pub before: Option<(u64, u32)>,
    pub after: Option<u64>,
    pub limit: usize,
}

/// One register written by a logged op: `(row, field, value)`.
fn entry_of(op: &Op) -> (String, &'static str, String) {
    let (row, field) = op.register();
    (row.to_owned(), field, op.written())
}

/// Rows a multi-row insert takes at once (10 values each, well under both databases' limits).
const INSERT_ROWS: usize = 100;

/// Writes the entries of a logged batch (each with its whole op, so earlier versions can be
/// rebuilt); the bytes they take.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &ShareId,
    logged: &Logged,
    name: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let entries: Vec<(usize, (String, &'static str, String), String)> = logged
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let body = serde_json::to_string(op).unwrap_or_default();
            (i, entry_of(op), body)
        })
        .collect();
    let mut bytes = 0i64;
    for chunk in entries.chunks(INSERT_ROWS) {
        let mut sql = String::from(
            "INSERT INTO share_history (share_id, seq, op, row_id, field, value, replica, name, at, body) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let marks: Vec<String> = (1..=10).map(|k| format!("${}", i * 10 + k)).collect();
            sql.push_str(&format!("({})", marks.join(", ")));
        }
        // Only placeholders were written into the text; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (op, (row, field, value), body) in chunk {
            bytes += (row.len() + value.len() + name.len() + body.len()) as i64 + ENTRY_OVERHEAD;
            query = query
                .bind(id.as_str())
                .bind(logged.seq as i64)
                .bind(*op as i64)
                .bind(row.as_str())
                .bind(*field)
                .bind(value.as_str())
                .bind(i64::from(replica_of(logged.batch)))
                .bind(name)
                .bind(now)
                .bind(body.as_str());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(bytes)
}

/// Keeps a plan's history within its bounds: what is older than the retention goes (looked
/// at every 256 batches, and whenever the size is past its bound), and past the size bound
/// the older half. What goes is folded into the base (`fold`), so every point
/// still kept can be rebuilt.
pub(super) async fn prune(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &ShareId,
    (first_seq, seq): (u64, u64),
    bytes: i64,
    limits: &super::super::StoreLimits,
    now: i64,
    store_full: bool,
) -> Result<(), StoreError> {
    // A full store: the history gives way (its older half is folded), so plans keep room.
    let over = bytes > limits.history_bytes as i64 || store_full;
    let sweep = first_seq / 256 != seq / 256;
    if !over && !sweep {
        return Ok(());
    }
    let horizon = now - (limits.history_days as i64).saturating_mul(86_400_000);
    let mut cut: Option<i64> =
        sqlx::query("SELECT MAX(seq) AS cut FROM share_history WHERE share_id = $1 AND at < $2")
            .bind(id.as_str())
            .bind(horizon)
            .fetch_one(&mut **tx)
            .await?
            .try_get("cut")?;
    let left: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(SUM({ENTRY_BYTES}), 0) AS left_bytes FROM share_history \
         WHERE share_id = $1 AND seq > $2"
    )))
    .bind(id.as_str())
    .bind(cut.unwrap_or(-1))
    .fetch_one(&mut **tx)
    .await?
    .try_get("left_bytes")?;
    if left > limits.history_bytes as i64 || (store_full && left > 0) {
        let half: Option<i64> = sqlx::query(
            "SELECT (MIN(seq) + MAX(seq)) / 2 AS half FROM share_history \
             WHERE share_id = $1 AND seq > $2",
        )
        .bind(id.as_str())
        .bind(cut.unwrap_or(-1))
        .fetch_one(&mut **tx)
        .await?
        .try_get("half")?;
        cut = cut.max(half);
    }
    if let Some(cut) = cut {
        fold(tx, id, cut.max(0) as u64).await?;
    }
    recount(tx, id).await
}

/// Counts again what the plan's history takes — its entries (`history_bytes`), its base and
/// named versions (`history_kept_bytes`) — and moves the store's size (`store_usage`) by
/// the difference: a history is counted in the store's quota beside its plan.
pub(super) async fn recount(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &ShareId,
) -> Result<(), StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT (SELECT COALESCE(SUM({ENTRY_BYTES}), 0) FROM share_history \
         WHERE share_id = $1) AS entries, \
         (SELECT COALESCE(SUM({BASE_BYTES}), 0) FROM share_history_base WHERE share_id = $1) \
         + (SELECT COALESCE(SUM({VERSION_BYTES}), 0) FROM share_versions WHERE share_id = $1) \
         AS kept, history_bytes, history_kept_bytes FROM shares WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_one(&mut **tx)
    .await?;
    let (entries, kept): (i64, i64) = (row.try_get("entries")?, row.try_get("kept")?);
    let before: i64 =
        row.try_get::<i64, _>("history_bytes")? + row.try_get::<i64, _>("history_kept_bytes")?;
    sqlx::query("UPDATE shares SET history_bytes = $2, history_kept_bytes = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(entries)
        .bind(kept)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE store_usage SET bytes = bytes + $1 WHERE id = 1")
        .bind(entries + kept - before)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether `secret` (the edit link's or the owner's) may read the live plan `id`'s
/// history.
pub(super) async fn may_read(
    store: &ShareStore,
    id: &ShareId,
    secret: &str,
) -> Result<Result<(), HistoryRefusal>, StoreError> {
    let row =
        sqlx::query("SELECT live, edit_hash, owner_hash, revoked_at FROM shares WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&store.pool())
            .await?;
    let Some(row) = row else {
        return Ok(Err(HistoryRefusal::Missing));
    };
    if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
        return Ok(Err(HistoryRefusal::Ended));
    }
    let hash = EditToken::hash_of(secret);
    let owner_hash: String = row.try_get("owner_hash")?;
    let edit_hash: Option<String> = row.try_get("edit_hash")?;
    let allowed =
        same_hash(&hash, &owner_hash) || edit_hash.as_deref().is_some_and(|h| same_hash(&hash, h));
    if !allowed {
        return Ok(Err(HistoryRefusal::NotAllowed));
    }
    if row.try_get::<i64, _>("live")? == 0 {
        return Ok(Err(HistoryRefusal::NotLive));
    }
    Ok(Ok(()))
}

impl ShareStore {
    /// A page of a live plan's history for whoever holds `secret` (the edit link's or the
    /// owner's), newest first.
    pub async fn history(
        &self,
        id: &ShareId,
        secret: &str,
        query: &HistoryQuery,
    ) -> Result<Result<HistoryPage, HistoryRefusal>, StoreError> {
        self.ready().await?;
        if let Err(refused) = may_read(self, id, secret).await? {
            return Ok(Err(refused));
        }
        let limit = query.limit.clamp(1, MAX_HISTORY_PAGE);
        let (seq, op) = query.before.map_or((i64::MAX, 0), |(s, o)| {
            (s.min(i64::MAX as u64) as i64, i64::from(o))
        });
        let after = query.after.map_or(-1, |a| a.min(i64::MAX as u64) as i64);
        let rows = match &query.cell {
            Some((row_id, field)) => {
                sqlx::query(concat!(
                    "SELECT seq, op, row_id, field, value, replica, name, at FROM share_history ",
                    "WHERE share_id = $1 AND row_id = $2 AND field = $3 AND ",
                    "(seq < $4 OR (seq = $4 AND op < $5)) AND seq > $6 ",
                    "ORDER BY seq DESC, op DESC LIMIT $7"
                ))
                .bind(id.as_str())
                .bind(row_id.as_str())
                .bind(field.as_str())
                .bind(seq)
                .bind(op)
                .bind(after)
                .bind(limit as i64 + 1)
                .fetch_all(&self.pool())
                .await?
            }
            None => {
                sqlx::query(concat!(
                    "SELECT seq, op, row_id, field, value, replica, name, at FROM share_history ",
                    "WHERE share_id = $1 AND (seq < $2 OR (seq = $2 AND op < $3)) AND seq > $4 ",
                    "ORDER BY seq DESC, op DESC LIMIT $5"
                ))
                .bind(id.as_str())
                .bind(seq)
                .bind(op)
                .bind(after)
                .bind(limit as i64 + 1)
                .fetch_all(&self.pool())
                .await?
            }
        };
        let mut entries = Vec::with_capacity(rows.len().min(limit));
        for r in rows.iter().take(limit) {
            entries.push(HistoryEntry {
                seq: r.try_get::<i64, _>("seq")? as u64,
                op: r.try_get::<i64, _>("op")? as u32,
                row: r.try_get("row_id")?,
                field: r.try_get("field")?,
                value: r.try_get("value")?,
                replica: r.try_get::<i64, _>("replica")? as u32,
                name: r.try_get("name")?,
                at: r.try_get("at")?,
            });
        }
        let more = rows.len() > limit;
        let oldest: Option<i64> = sqlx::query(
            "SELECT at FROM share_history WHERE share_id = $1 ORDER BY seq, op LIMIT 1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool())
        .await?
        .map(|r| r.try_get("at"))
        .transpose()?;
        Ok(Ok(HistoryPage {
            next: more
                .then(|| entries.last().map(|e| format!("{}.{}", e.seq, e.op)))
                .flatten(),
            entries,
            kept_since: oldest,
        }))
    }
}

/// Writes the base of a plan that has just become live: the plan as shared, at point 0.
pub(super) async fn start(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &ShareId,
    doc: &Doc,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM share_history_base WHERE share_id = $1")
        .bind(id.as_str())
        .execute(&mut **tx)
        .await?;
    write_registers(tx, Registers::HistoryBase, id, doc, None).await?;
    sqlx::query("UPDATE shares SET history_from = 0 WHERE id = $1")
        .bind(id.as_str())
        .execute(&mut **tx)
        .await?;
    recount(tx, id).await
}

/// The base and the ops logged after it up to `upto` (the registers they wrote too).
pub(super) async fn rebuild(
    conn: &mut sqlx::AnyConnection,
    id: &ShareId,
    from: u64,
    upto: u64,
) -> Result<Built, StoreError> {
    let mut doc = read_doc(conn, Registers::HistoryBase, id).await?;
    let rows = sqlx::query(
        "SELECT body FROM share_history WHERE share_id = $1 AND seq > $2 AND seq <= $3 \
         ORDER BY seq, op",
    )
    .bind(id.as_str())
    .bind(from as i64)
    .bind(upto as i64)
    .fetch_all(&mut *conn)
    .await?;
    let mut touched = BTreeSet::new();
    for row in rows {
        let body: String = row.try_get("body")?;
        let op: Op = serde_json::from_str(&body).map_err(|e| unreadable("history op", e))?;
        touched.insert(register_of(&op));
        doc.apply(&op);
    }
    Ok(Built { doc, touched })
}

pub(super) struct Built {
    pub(super) doc: Doc,
    touched: BTreeSet<(String, &'static str)>,
}

/// Folds the history up to `cut` into the base: the base moves to `cut` and the entries up
/// to it go. Points before `cut` can no longer be rebuilt (named ones keep their plan).
pub(super) async fn fold(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &ShareId,
    cut: u64,
) -> Result<(), StoreError> {
    let from = history_from(tx, id).await?;
    if cut > from {
        let built = rebuild(tx, id, from, cut).await?;
        write_registers(
            tx,
            Registers::HistoryBase,
            id,
            &built.doc,
            Some(&built.touched),
        )
        .await?;
        sqlx::query("UPDATE shares SET history_from = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(cut as i64)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM share_history WHERE share_id = $1 AND seq <= $2")
        .bind(id.as_str())
        .bind(cut as i64)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn history_from(conn: &mut sqlx::AnyConnection, id: &ShareId) -> Result<u64, StoreError> {
    let from: i64 = sqlx::query("SELECT history_from FROM shares WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(&mut *conn)
        .await?
        .try_get("history_from")?;
    Ok(from.max(0) as u64)
}
