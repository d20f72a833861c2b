//! Live plans in the share store: the current document as one row per register
//! (`share_cells`), the op log with a per-plan sequence (`share_ops`), and the edit link's
//! hash. A group of batches is one transaction that also checks the edit link, so nothing
//! is written with a link the owner has turned off, even by a request already in flight.

use super::shares::{
    hex_sha256, now_ms, random_bytes, OwnerAction, OwnerToken, ShareStore, StoreError,
};
use crate::model::{
    clamp, Batch, Clock, Doc, Field, Logged, Notes, Op, Plan, Position, Priority, Reg, RowDoc,
    RowId, Status, MAX_ROWS,
};
use crate::shared::wire::ErrorCode;
use crate::shared::ShareId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sqlx::Row as _;
use std::collections::{BTreeSet, HashMap};
use subtle::ConstantTimeEq;

/// Batches kept in a plan's log; a browser further behind gets the whole document.
pub const LOG_KEEP_BATCHES: i64 = 5_000;
/// Bytes of log kept per plan before the oldest half is dropped.
pub const LOG_MAX_BYTES: i64 = 8 * 1024 * 1024;
/// Rows a live document may hold, deleted ones included (they keep their registers so a
/// delete can be undone anywhere).
pub const MAX_DOC_ROWS: usize = 3 * MAX_ROWS;

/// The secret of an edit link: 256 random bits, base64url. The store keeps its SHA-256.
#[derive(Clone)]
pub struct EditToken(String);

impl std::fmt::Debug for EditToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EditToken(…)")
    }
}

impl EditToken {
    fn generate() -> Result<EditToken, StoreError> {
        Ok(EditToken(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash a client's secret is compared by.
    pub fn hash_of(secret: &str) -> String {
        hex_sha256(secret.trim().as_bytes())
    }
}

/// Compares two hashes in constant time.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A live plan as stored.
#[derive(Clone, Debug)]
pub struct LiveDoc {
    pub doc: Doc,
    pub seq: u64,
    /// The edit link's hash; `None` while editing is off.
    pub edit_hash: Option<String>,
}

#[derive(Debug)]
pub enum LiveLoad {
    Live(LiveDoc),
    /// Shared, but not edited together (yet).
    NotLive,
    Ended,
    Missing,
}

/// What became of one batch of a group.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Logged(Logged),
    /// Logged before (a retry): acknowledged with its first sequence.
    Duplicate(u64),
    /// Not stored.
    Refused(ErrorCode),
}

/// What a group commit did.
#[derive(Debug)]
pub struct Committed {
    /// Batches other instances logged that this one had not seen, applied first.
    pub caught_up: Vec<Logged>,
    pub outcomes: Vec<Outcome>,
}

/// A room's copy of a live plan, kept in step with the store by `commit` and `catch_up`.
#[derive(Clone, Debug)]
pub struct RoomDoc {
    pub doc: Doc,
    pub seq: u64,
    /// Stamps clocks far ahead are moved back to (see `clamp`).
    pub clock: Clock,
}

fn field_name(field: Field) -> &'static str {
    field.key()
}

/// The registers of `doc` as `(row, field, json)`; `only`: just these.
fn registers(
    doc: &Doc,
    only: Option<&BTreeSet<(String, &'static str)>>,
) -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    let mut push = |row: &str, field: &'static str, json: String| {
        if only.is_none_or(|o| o.contains(&(row.to_owned(), field))) {
            out.push((row.to_owned(), field, json));
        }
    };
    let json = |v: &dyn erased::Json| v.json();
    push("", "title", json(&doc.title));
    for (id, r) in &doc.rows {
        let id = id.as_str();
        push(id, "alive", json(&r.alive));
        push(id, "position", json(&r.position));
        push(id, field_name(Field::Item), json(&r.item));
        push(id, field_name(Field::Category), json(&r.category));
        push(id, field_name(Field::Priority), json(&r.priority));
        push(id, field_name(Field::Owner), json(&r.owner));
        push(id, field_name(Field::Status), json(&r.status));
        push(id, field_name(Field::Notes), json(&r.notes));
    }
    out
}

mod erased {
    /// Serialises any register to JSON (registers hold strings and numbers only).
    pub trait Json {
        fn json(&self) -> String;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

/// The register `op` writes, as `(row, field)`.
fn register_of(op: &Op) -> (String, &'static str) {
    match op {
        Op::Title { .. } => (String::new(), "title"),
        Op::Alive { row, .. } => (row.0.clone(), "alive"),
        Op::Position { row, .. } => (row.0.clone(), "position"),
        Op::Cell { row, field, .. } => (row.0.clone(), field_name(*field)),
        Op::Notes { row, .. } => (row.0.clone(), field_name(Field::Notes)),
    }
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("a stored {what} is unreadable: {e}"))
}

/// Builds a document from its stored registers.
fn doc_from_cells(cells: Vec<(String, String, String)>) -> Result<Doc, StoreError> {
    let mut doc = Doc::from_plan(&Plan::new("", vec![]));
    for (row, field, json) in cells {
        if row.is_empty() {
            if field == "title" {
                doc.title = serde_json::from_str(&json).map_err(|e| unreadable("title", e))?;
            }
            continue;
        }
        let r = doc.rows.entry(RowId(row)).or_insert_with(RowDoc::unknown);
        let bad = |e: serde_json::Error| unreadable("cell", e);
        match field.as_str() {
            "alive" => r.alive = serde_json::from_str::<Reg<bool>>(&json).map_err(bad)?,
            "position" => r.position = serde_json::from_str::<Reg<Position>>(&json).map_err(bad)?,
            "item" => r.item = serde_json::from_str(&json).map_err(bad)?,
            "category" => r.category = serde_json::from_str(&json).map_err(bad)?,
            "owner" => r.owner = serde_json::from_str(&json).map_err(bad)?,
            "priority" => r.priority = serde_json::from_str::<Reg<Priority>>(&json).map_err(bad)?,
            "status" => r.status = serde_json::from_str::<Reg<Status>>(&json).map_err(bad)?,
            "notes" => r.notes = serde_json::from_str::<Notes>(&json).map_err(bad)?,
            _ => {}
        }
    }
    Ok(doc)
}

const UPSERT_CELL: &str =
    "INSERT INTO share_cells (share_id, row_id, field, reg) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (share_id, row_id, field) DO UPDATE SET reg = excluded.reg";

impl ShareStore {
    /// Turns on editing through an edit link (or replaces the link: the old one stops
    /// working at once). The first time, the shared plan becomes a live document.
    pub async fn enable_editing(
        &self,
        id: &ShareId,
        owner: &OwnerToken,
    ) -> Result<Result<EditToken, OwnerAction>, StoreError> {
        self.ready().await?;
        let token = EditToken::generate()?;
        let _guard = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "UPDATE shares SET edit_hash = $3 \
             WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL RETURNING live, plan",
        )
        .bind(id.as_str())
        .bind(owner.hash())
        .bind(EditToken::hash_of(token.as_str()))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(Err(self.why_refused(id, owner).await?));
        };
        let live: i64 = row.try_get("live")?;
        if live == 0 {
            let json: String = row.try_get("plan")?;
            let plan: Plan = serde_json::from_str(&json).map_err(|e| unreadable("plan", e))?;
            let doc = Doc::from_plan(&plan);
            for (row_id, field, reg) in registers(&doc, None) {
                sqlx::query(UPSERT_CELL)
                    .bind(id.as_str())
                    .bind(row_id)
                    .bind(field)
                    .bind(reg)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE shares SET live = 1, seq = 0, log_bytes = 0 WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        self.notify(&mut tx, &format!("revoke {id}")).await?;
        tx.commit().await?;
        Ok(Ok(token))
    }

    /// Turns editing off: the edit link stops working at once; the plan stays shared, as
    /// it is now, through its read-only link.
    pub async fn disable_editing(
        &self,
        id: &ShareId,
        owner: &OwnerToken,
    ) -> Result<OwnerAction, StoreError> {
        self.ready().await?;
        let _guard = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE shares SET edit_hash = NULL \
             WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL",
        )
        .bind(id.as_str())
        .bind(owner.hash())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return self.why_refused(id, owner).await;
        }
        self.notify(&mut tx, &format!("revoke {id}")).await?;
        tx.commit().await?;
        Ok(OwnerAction::Done)
    }

    /// On PostgreSQL, tells every instance (delivered when the transaction commits).
    async fn notify(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        payload: &str,
    ) -> Result<(), StoreError> {
        if self.is_postgres() {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::live::NOTIFY_CHANNEL)
                .bind(payload)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The live document of a share, read fresh.
    pub async fn load_live(&self, id: &ShareId) -> Result<LiveLoad, StoreError> {
        self.ready().await?;
        let row = sqlx::query("SELECT live, seq, edit_hash, revoked_at FROM shares WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(LiveLoad::Missing);
        };
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            return Ok(LiveLoad::Ended);
        }
        if row.try_get::<i64, _>("live")? == 0 {
            return Ok(LiveLoad::NotLive);
        }
        // The sequence first: cells read after it hold at least that much (ops applied
        // again later change nothing).
        let seq: i64 = row.try_get("seq")?;
        let edit_hash: Option<String> = row.try_get("edit_hash")?;
        let rows = sqlx::query("SELECT row_id, field, reg FROM share_cells WHERE share_id = $1")
            .bind(id.as_str())
            .fetch_all(&self.pool())
            .await?;
        let mut cells = Vec::with_capacity(rows.len());
        for r in rows {
            cells.push((r.try_get("row_id")?, r.try_get("field")?, r.try_get("reg")?));
        }
        Ok(LiveLoad::Live(LiveDoc {
            doc: doc_from_cells(cells)?,
            seq: seq as u64,
            edit_hash,
        }))
    }

    /// The current edit link hash (`Ok(None)`: editing is off or the share ended).
    pub async fn edit_hash(&self, id: &ShareId) -> Result<Option<String>, StoreError> {
        self.ready().await?;
        let row = sqlx::query("SELECT edit_hash FROM shares WHERE id = $1 AND revoked_at IS NULL")
            .bind(id.as_str())
            .fetch_optional(&self.pool())
            .await?;
        Ok(match row {
            Some(row) => row.try_get("edit_hash")?,
            None => None,
        })
    }

    /// The batches logged after `after`; `None` when the log no longer reaches back that
    /// far (send the whole document instead).
    pub async fn logged_since(
        &self,
        id: &ShareId,
        after: u64,
        until: u64,
    ) -> Result<Option<Vec<Logged>>, StoreError> {
        self.ready().await?;
        logged_since(&self.pool(), id, after, until).await
    }

    /// Tells every instance (PostgreSQL) something that happened outside a live commit.
    pub async fn announce(&self, payload: &str) -> Result<(), StoreError> {
        if self.is_postgres() {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::live::NOTIFY_CHANNEL)
                .bind(payload)
                .execute(&self.pool())
                .await?;
        }
        Ok(())
    }

    /// Logs a group of batches in one transaction, checked against the edit link `hash`
    /// (turned off or replaced: nothing is written) and the plan's limits, and brings `room`
    /// up to date with what other instances logged first. `Ok(None)`: the link no longer
    /// works.
    pub async fn commit(
        &self,
        id: &ShareId,
        hash: &str,
        room: &mut RoomDoc,
        batches: &[Batch],
    ) -> Result<Option<Committed>, StoreError> {
        self.ready().await?;
        let _guard = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        // Locks the plan's row (PostgreSQL) until commit: groups from several instances
        // take turns, each seeing the one before.
        let row = sqlx::query(
            "UPDATE shares SET seq = seq WHERE id = $1 AND edit_hash = $2 AND revoked_at IS NULL \
             RETURNING seq, log_bytes",
        )
        .bind(id.as_str())
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let stored_seq = row.try_get::<i64, _>("seq")? as u64;
        let log_bytes: i64 = row.try_get("log_bytes")?;
        // What other instances logged since this room last looked.
        let mut caught_up = Vec::new();
        if stored_seq > room.seq {
            match logged_since(&mut *tx, id, room.seq, stored_seq).await? {
                Some(missing) => {
                    for logged in &missing {
                        for op in &logged.ops {
                            room.doc.apply(op);
                        }
                    }
                    room.seq = stored_seq;
                    caught_up = missing;
                }
                None => {
                    // Too far behind: the caller reloads the room and tries again.
                    tx.rollback().await?;
                    return Err(StoreError::Internal(
                        "the room fell behind the op log".into(),
                    ));
                }
            }
        }
        let now = now_ms();
        let mut scratch = room.doc.clone();
        let mut clock = room.clock.clone();
        let mut seq = room.seq;
        let mut outcomes = Vec::with_capacity(batches.len());
        let mut touched: BTreeSet<(String, &'static str)> = BTreeSet::new();
        let mut logged_bytes = 0i64;
        let mut seen_here: HashMap<u64, u64> = HashMap::new();
        for batch in batches {
            if let Some(first) = seen_here.get(&batch.id) {
                outcomes.push(Outcome::Duplicate(*first));
                continue;
            }
            let earlier =
                sqlx::query("SELECT seq FROM share_ops WHERE share_id = $1 AND batch_id = $2")
                    .bind(id.as_str())
                    .bind(batch.id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(earlier) = earlier {
                outcomes.push(Outcome::Duplicate(earlier.try_get::<i64, _>("seq")? as u64));
                continue;
            }
            let (ops, _) = clamp(&batch.ops, now.max(0) as u64, &mut clock);
            if !within_limits(&scratch, &ops) {
                outcomes.push(Outcome::Refused(ErrorCode::PlanFull));
                continue;
            }
            for op in &ops {
                scratch.apply(op);
                touched.insert(register_of(op));
            }
            seq += 1;
            let json = serde_json::to_string(&ops).unwrap_or_default();
            logged_bytes += json.len() as i64;
            sqlx::query(
                "INSERT INTO share_ops (share_id, seq, batch_id, ops, at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.as_str())
            .bind(seq as i64)
            .bind(batch.id.to_string())
            .bind(json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            seen_here.insert(batch.id, seq);
            outcomes.push(Outcome::Logged(Logged {
                seq,
                batch: batch.id,
                ops,
            }));
        }
        if seq > room.seq {
            for (row_id, field, reg) in registers(&scratch, Some(&touched)) {
                sqlx::query(UPSERT_CELL)
                    .bind(id.as_str())
                    .bind(row_id)
                    .bind(field)
                    .bind(reg)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE shares SET seq = $2, log_bytes = log_bytes + $3, updated_at = $4 WHERE id = $1",
            )
            .bind(id.as_str())
            .bind(seq as i64)
            .bind(logged_bytes)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // Keep the log bounded: by batches, and by bytes (then the older half goes).
            let cut = seq as i64 - LOG_KEEP_BATCHES;
            if cut > 0 {
                sqlx::query("DELETE FROM share_ops WHERE share_id = $1 AND seq <= $2")
                    .bind(id.as_str())
                    .bind(cut)
                    .execute(&mut *tx)
                    .await?;
            }
            if log_bytes + logged_bytes > LOG_MAX_BYTES || cut > 0 {
                if log_bytes + logged_bytes > LOG_MAX_BYTES {
                    sqlx::query(
                        "DELETE FROM share_ops WHERE share_id = $1 AND seq <= \
                         (SELECT (MIN(seq) + MAX(seq)) / 2 FROM share_ops WHERE share_id = $1)",
                    )
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "UPDATE shares SET log_bytes = (SELECT COALESCE(SUM(LENGTH(ops)), 0) \
                     FROM share_ops WHERE share_id = $1) WHERE id = $1",
                )
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            }
            self.notify(&mut tx, &format!("ops {id} {seq}")).await?;
        }
        tx.commit().await?;
        room.doc = scratch;
        room.seq = seq;
        room.clock = clock;
        Ok(Some(Committed {
            caught_up,
            outcomes,
        }))
    }
}

/// Whether applying `ops` keeps the document within its row limits.
fn within_limits(doc: &Doc, ops: &[Op]) -> bool {
    let mut alive: HashMap<&RowId, Reg<bool>> = HashMap::new();
    let mut new_rows: BTreeSet<&RowId> = BTreeSet::new();
    for op in ops {
        if let Some(row) = op.row() {
            if !doc.rows.contains_key(row) {
                new_rows.insert(row);
            }
        }
        if let Op::Alive {
            row,
            alive: a,
            stamp,
        } = op
        {
            let reg = alive
                .entry(row)
                .or_insert_with(|| doc.row(row).map_or(Reg::unset(false), |r| r.alive.clone()));
            reg.merge(a, *stamp);
        }
    }
    if doc.rows.len() + new_rows.len() > MAX_DOC_ROWS {
        return false;
    }
    let mut live = doc.live_count() as i64;
    for (row, reg) in &alive {
        let was = doc.row(row).is_some_and(|r| r.alive.value);
        live += i64::from(reg.value) - i64::from(was);
    }
    live <= MAX_ROWS as i64
}

/// The batches logged after `after`, at least up to `until`; `None` when the log no longer
/// reaches back to `after`.
async fn logged_since<'e, E>(
    executor: E,
    id: &ShareId,
    after: u64,
    until: u64,
) -> Result<Option<Vec<Logged>>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT seq, batch_id, ops FROM share_ops WHERE share_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(id.as_str())
    .bind(after as i64)
    .fetch_all(executor)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let seq = row.try_get::<i64, _>("seq")? as u64;
        let batch: String = row.try_get("batch_id")?;
        let ops: String = row.try_get("ops")?;
        out.push(Logged {
            seq,
            batch: batch.parse().map_err(|e| unreadable("batch id", e))?,
            ops: serde_json::from_str(&ops).map_err(|e| unreadable("op", e))?,
        });
    }
    // The log must follow on from `after`, without a hole, and reach `until`.
    let complete = match (out.first(), out.last()) {
        (Some(first), Some(last)) => {
            first.seq == after + 1
                && last.seq >= until
                && last.seq - first.seq + 1 == out.len() as u64
        }
        _ => after >= until,
    };
    Ok(complete.then_some(out))
}
