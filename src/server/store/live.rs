//! Live plans in the share store: the current document as one row per register
//! (`share_cells`), the op log with a per-plan sequence (`share_ops`), the replicas that
//! sent batches (`share_replicas`), and the edit link's hash. A group of batches is one
//! transaction that also checks the edit link, so nothing is written with a link the owner
//! has turned off, even by a request already in flight; what becomes of each batch is the
//! accept rule's decision (`model::accept`), which runs inside that transaction.

use super::notify::Note;
use super::secret::{hex_sha256, same_hash, EditToken, OwnerToken};
use super::shares::{share_from_row, share_from_row_meta, Lookup, OwnerAction};
use super::{ShareStore, StoreError};
use crate::model::{
    accept, doc_bytes, follows_on, replica_of, Doc, DocLimits, Field, LiveDoc, Logged, Notes, Op,
    Outcome, Plan, Position, Priority, Reg, ReplicaRecord, RowDoc, RowId, SentBatch, Status,
};
use crate::shared::ShareId;
use sqlx::Row as _;
use std::collections::{BTreeSet, HashMap};

mod commit;
pub(super) mod history;
mod versions;

pub use history::{HistoryQuery, HistoryRefusal, MAX_HISTORY_PAGE};
pub use versions::{VersionRefusal, MAX_VERSION_NAME_CHARS};

/// A live plan as stored.
#[derive(Clone, Debug)]
pub struct StoredLive {
    pub live: LiveDoc,
    /// The edit link's hash; `None` while editing is off.
    pub edit_hash: Option<String>,
    /// The owner secret's hash (a browser that proves it is told apart as the owner).
    pub owner_hash: String,
    /// The owner's display name as last seen ("" until then).
    pub owner_name: String,
}

#[derive(Debug)]
pub enum LiveLoad {
    Live(StoredLive),
    /// Shared, but not edited together (yet).
    NotLive,
    Ended,
    Missing,
}

/// What a group commit did.
#[derive(Debug)]
pub enum Commit {
    /// Batches other instances logged that this copy had not seen (applied first), and
    /// what became of each batch of the group, in order.
    Done {
        caught_up: Vec<Logged>,
        outcomes: Vec<Outcome>,
    },
    /// The edit link no longer works: nothing was written.
    Revoked,
    /// The copy is older than the op log reaches: read it afresh and try again. Nothing was
    /// written, and the copy is as it was.
    Behind,
}

/// The hash a replica's key is kept as.
pub fn key_hash(key: u64) -> String {
    hex_sha256(&key.to_le_bytes())
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
    let (row, field) = op.register();
    (row.to_owned(), field)
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

/// Where a plan's registers are read from.
#[derive(Clone, Copy)]
enum Registers {
    /// The plan as it is (`share_cells`).
    Current,
    /// The plan at the oldest point its history keeps (`share_history_base`).
    HistoryBase,
}

/// A plan's document from its stored registers.
async fn read_doc(
    conn: &mut sqlx::AnyConnection,
    from: Registers,
    id: &ShareId,
) -> Result<Doc, StoreError> {
    let sql = match from {
        Registers::Current => "SELECT row_id, field, reg FROM share_cells WHERE share_id = $1",
        Registers::HistoryBase => {
            "SELECT row_id, field, reg FROM share_history_base WHERE share_id = $1"
        }
    };
    let rows = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_all(&mut *conn)
        .await?;
    let mut cells = Vec::with_capacity(rows.len());
    for r in rows {
        cells.push((r.try_get("row_id")?, r.try_get("field")?, r.try_get("reg")?));
    }
    doc_from_cells(cells)
}

/// Writes `doc`'s registers (only those in `only`, when given) to `into`.
async fn write_registers(
    conn: &mut sqlx::AnyConnection,
    into: Registers,
    id: &ShareId,
    doc: &Doc,
    only: Option<&BTreeSet<(String, &'static str)>>,
) -> Result<(), StoreError> {
    let sql = match into {
        Registers::Current => {
            "INSERT INTO share_cells (share_id, row_id, field, reg) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (share_id, row_id, field) DO UPDATE SET reg = excluded.reg"
        }
        Registers::HistoryBase => {
            "INSERT INTO share_history_base (share_id, row_id, field, reg) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (share_id, row_id, field) DO UPDATE SET reg = excluded.reg"
        }
    };
    for (row_id, field, reg) in registers(doc, only) {
        sqlx::query(sql)
            .bind(id.as_str())
            .bind(row_id)
            .bind(field)
            .bind(reg)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl ShareStore {
    /// A share as its page, its JSON and its exports show it: a plan edited together is
    /// what its live document holds now.
    pub async fn get(&self, id: &ShareId) -> Result<Lookup, StoreError> {
        self.ready().await?;
        let row = sqlx::query(
            "SELECT id, plan, version, created_at, updated_at, revoked_at, end_reason, live, seq \
             FROM shares WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(Lookup::Missing);
        };
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            let reason: Option<String> = row.try_get("end_reason")?;
            return Ok(if reason.as_deref() == Some("expired") {
                Lookup::Expired
            } else {
                Lookup::Revoked
            });
        }
        if row.try_get::<i64, _>("live")? != 0 {
            // Edited together: the plan is what its live document holds now.
            if let LiveLoad::Live(stored) = self.load_live(id).await? {
                let mut share = share_from_row_meta(&row, stored.live.doc.plan())?;
                share.version += stored.live.seq as i64;
                share.live = true;
                return Ok(Lookup::Found(share));
            }
        }
        Ok(Lookup::Found(share_from_row(&row)?))
    }

    /// Turns on editing through an edit link (or replaces the link: the old one stops
    /// working at once). The first time, the shared plan becomes a live document; the
    /// `bool` says whether it was one already (editing turned on again, or a new link).
    pub async fn enable_editing(
        &self,
        id: &ShareId,
        owner: &OwnerToken,
    ) -> Result<Result<(EditToken, bool), OwnerAction>, StoreError> {
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
            write_registers(&mut tx, Registers::Current, id, &doc, None).await?;
            history::start(&mut tx, id, &doc).await?;
            sqlx::query("UPDATE shares SET live = 1, seq = 0, log_bytes = 0 WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            // From now on the plan takes what its document takes (see `commit`).
            let bytes = doc_bytes(&doc) as i64;
            sqlx::query(
                "UPDATE store_usage SET bytes = bytes + $2 - (SELECT size FROM shares WHERE id = $1) \
                 WHERE id = 1",
            )
            .bind(id.as_str())
            .bind(bytes)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE shares SET size = $2 WHERE id = $1")
                .bind(id.as_str())
                .bind(bytes)
                .execute(&mut *tx)
                .await?;
        }
        let note = Note::Revoke { id: id.clone() };
        self.notify(&mut tx, &note).await?;
        tx.commit().await?;
        self.tell_locally(vec![note]);
        Ok(Ok((token, live != 0)))
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
        let note = Note::Revoke { id: id.clone() };
        self.notify(&mut tx, &note).await?;
        tx.commit().await?;
        self.tell_locally(vec![note]);
        Ok(OwnerAction::Done)
    }

    /// On PostgreSQL, tells every instance (delivered when the transaction commits).
    async fn notify(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        note: &Note,
    ) -> Result<(), StoreError> {
        if self.is_postgres() {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::notify::CHANNEL)
                .bind(note.encode())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The live document of a share, read fresh.
    pub async fn load_live(&self, id: &ShareId) -> Result<LiveLoad, StoreError> {
        self.ready().await?;
        let row = sqlx::query(
            "SELECT live, seq, edit_hash, owner_hash, owner_name, revoked_at FROM shares \
             WHERE id = $1",
        )
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
        let owner_hash: String = row.try_get("owner_hash")?;
        let owner_name: String = row.try_get("owner_name")?;
        let mut conn = self.pool().acquire().await?;
        let doc = read_doc(&mut conn, Registers::Current, id).await?;
        Ok(LiveLoad::Live(StoredLive {
            live: LiveDoc::new(doc, seq as u64),
            edit_hash,
            owner_hash,
            owner_name,
        }))
    }

    /// Keeps the name the owner's browser gave (see `Hello::owner`).
    pub async fn set_owner_name(&self, id: &ShareId, name: &str) -> Result<(), StoreError> {
        self.ready().await?;
        sqlx::query("UPDATE shares SET owner_name = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(name)
            .execute(&self.pool())
            .await?;
        Ok(())
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

    /// The batches logged after `after`, at least up to `until`; `None` when the log no
    /// longer reaches back that far (send the whole document instead).
    pub async fn logged_since(
        &self,
        id: &ShareId,
        after: u64,
        until: u64,
    ) -> Result<Option<Vec<Logged>>, StoreError> {
        self.ready().await?;
        let log = read_log(&self.pool(), id, after).await?;
        Ok(follows_on(after, until, &log).then_some(log))
    }

    /// The plan's sequence and the batches logged after `after` (as many as the log
    /// holds: `LiveDoc::catch_up` tells whether they follow on).
    pub async fn log_after(
        &self,
        id: &ShareId,
        after: u64,
    ) -> Result<(u64, Vec<Logged>), StoreError> {
        self.ready().await?;
        let mut tx = self.pool().begin().await?;
        let seq: i64 = sqlx::query("SELECT seq FROM shares WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get("seq"))
            .transpose()?
            .unwrap_or(0);
        let log = read_log(&mut *tx, id, after).await?;
        tx.commit().await?;
        Ok((seq as u64, log))
    }

    /// Tells every instance something that happened outside a live commit (on PostgreSQL
    /// by `NOTIFY`; and to a local listener, when one is set).
    pub async fn announce(&self, note: &Note) -> Result<(), StoreError> {
        if self.is_postgres() {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::notify::CHANNEL)
                .bind(note.encode())
                .execute(&self.pool())
                .await?;
        }
        self.tell_locally(vec![note.clone()]);
        Ok(())
    }

    /// Binds `replica`'s key to the plan the first time the replica says hello (as an
    /// editor), so nobody who sees its id can send batches in its name. `Ok(false)`: the
    /// replica id is another page's (with another key).
    pub async fn bind_replica(
        &self,
        id: &ShareId,
        replica: u32,
        key: u64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.ready().await?;
        let hash = key_hash(key);
        let _guard = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO share_replicas (share_id, replica, key_hash, counter, seq, seen_at) \
             VALUES ($1, $2, $3, 0, 0, $4) ON CONFLICT (share_id, replica) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(i64::from(replica))
        .bind(&hash)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        let ok = if inserted {
            self.forget_replicas(&mut tx, id).await?;
            true
        } else {
            let row = sqlx::query(
                "SELECT key_hash FROM share_replicas WHERE share_id = $1 AND replica = $2",
            )
            .bind(id.as_str())
            .bind(i64::from(replica))
            .fetch_one(&mut *tx)
            .await?;
            same_hash(&row.try_get::<String, _>("key_hash")?, &hash)
        };
        tx.commit().await?;
        Ok(ok)
    }

    /// Keeps the plan's replicas within the limit: forgets the longest unseen of those whose
    /// batches have all left the op log (a retry of theirs could no longer be told from a
    /// new batch, but nor could its ops be logged twice with the same id).
    async fn forget_replicas(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: &ShareId,
    ) -> Result<(), StoreError> {
        let count: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM share_replicas WHERE share_id = $1")
                .bind(id.as_str())
                .fetch_one(&mut **tx)
                .await?
                .try_get("n")?;
        let over = count - self.limits().replicas_per_plan as i64;
        if over > 0 {
            sqlx::query(
                "DELETE FROM share_replicas WHERE share_id = $1 AND replica IN \
                 (SELECT replica FROM share_replicas WHERE share_id = $1 AND seq < \
                  COALESCE((SELECT MIN(seq) FROM share_ops WHERE share_id = $1), $3) \
                  ORDER BY seen_at LIMIT $2)",
            )
            .bind(id.as_str())
            .bind(over)
            .bind(i64::MAX)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// The batches logged after `after` (as many as the log holds).
async fn read_log<'e, E>(executor: E, id: &ShareId, after: u64) -> Result<Vec<Logged>, StoreError>
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
    Ok(out)
}
