//! Earlier versions of a live plan: rebuilt from the history's base (the plan as it was at
//! `history_from`, registers as in `share_cells`) and the ops logged after it, applied with
//! `Doc::apply` as the server applied them; and named versions, which keep their plan
//! whatever the retention. Read and named by editors and the owner.

use super::history::{self, may_read, rebuild};
use super::*;
use crate::shared::api::{NamedVersion, PlanVersion, VersionList};

/// Characters a version's name may have.
pub const MAX_VERSION_NAME_CHARS: usize = 80;

/// Why a version was not given or named.
#[derive(Debug, PartialEq, Eq)]
pub enum VersionRefusal {
    Refused(HistoryRefusal),
    /// After the newest point.
    NoSuchPoint {
        newest: u64,
    },
    /// Before the oldest point kept (and not named).
    TooOld {
        oldest: u64,
    },
    /// The plan keeps as many named versions as it may (`StoreLimits::named_versions`).
    TooMany {
        most: u64,
    },
    /// The store has no room for the plan the version keeps (`SYNCPLAN_MAX_STORE_MB`).
    NoRoom,
}

fn named_of(row: &sqlx::any::AnyRow) -> Result<NamedVersion, StoreError> {
    Ok(NamedVersion {
        seq: row.try_get::<i64, _>("seq")?.max(0) as u64,
        name: row.try_get("name")?,
        by: row.try_get("by_name")?,
        at: row.try_get("at")?,
    })
}

impl ShareStore {
    /// The plan as it was once the batch `seq` was logged (0: as shared), for whoever holds
    /// `secret` (the edit link's or the owner's).
    pub async fn version(
        &self,
        id: &ShareId,
        secret: &str,
        seq: u64,
    ) -> Result<Result<PlanVersion, VersionRefusal>, StoreError> {
        self.ready().await?;
        if let Err(refused) = may_read(self, id, secret).await? {
            return Ok(Err(VersionRefusal::Refused(refused)));
        }
        let named = sqlx::query(
            "SELECT seq, name, by_name, at, plan FROM share_versions WHERE share_id = $1 AND seq = $2",
        )
        .bind(id.as_str())
        .bind(seq.min(i64::MAX as u64) as i64)
        .fetch_optional(&self.pool())
        .await?;
        if let Some(row) = named {
            let json: String = row.try_get("plan")?;
            let plan: Plan =
                serde_json::from_str(&json).map_err(|e| unreadable("named version", e))?;
            return Ok(Ok(PlanVersion {
                seq,
                at: self.logged_at(id, seq).await?,
                name: Some(row.try_get("name")?),
                plan,
            }));
        }
        let mut tx = self.pool().begin().await?;
        let plan = match self.plan_at(&mut tx, id, seq).await? {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };
        tx.commit().await?;
        Ok(Ok(PlanVersion {
            seq,
            at: self.logged_at(id, seq).await?,
            name: None,
            plan,
        }))
    }

    /// The plan at `seq`, rebuilt from the base (read in one transaction, so a commit
    /// folding the history meanwhile is not half seen).
    async fn plan_at(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: &ShareId,
        seq: u64,
    ) -> Result<Result<Plan, VersionRefusal>, StoreError> {
        let row = sqlx::query("SELECT seq, history_from FROM shares WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&mut **tx)
            .await?;
        let newest = row.try_get::<i64, _>("seq")?.max(0) as u64;
        let oldest = row.try_get::<i64, _>("history_from")?.max(0) as u64;
        if seq > newest {
            return Ok(Err(VersionRefusal::NoSuchPoint { newest }));
        }
        if seq < oldest {
            return Ok(Err(VersionRefusal::TooOld { oldest }));
        }
        if seq == newest {
            // The plan as it is: its cells, without going through the history.
            return Ok(Ok(read_doc(tx, Registers::Current, id).await?.plan()));
        }
        let built = rebuild(tx, id, oldest, seq).await?;
        Ok(Ok(built.doc.plan()))
    }

    /// When the batch `seq` was logged, while the history or the op log still has it.
    async fn logged_at(&self, id: &ShareId, seq: u64) -> Result<Option<i64>, StoreError> {
        if seq == 0 {
            return Ok(None);
        }
        let seq = seq.min(i64::MAX as u64) as i64;
        let at = sqlx::query(
            "SELECT at FROM share_history WHERE share_id = $1 AND seq = $2 \
             UNION ALL SELECT at FROM share_ops WHERE share_id = $1 AND seq = $2 LIMIT 1",
        )
        .bind(id.as_str())
        .bind(seq)
        .fetch_optional(&self.pool())
        .await?;
        Ok(at.map(|r| r.try_get("at")).transpose()?)
    }

    /// The named versions (newest first), and the points that can be rebuilt.
    pub async fn versions(
        &self,
        id: &ShareId,
        secret: &str,
    ) -> Result<Result<VersionList, HistoryRefusal>, StoreError> {
        self.ready().await?;
        if let Err(refused) = may_read(self, id, secret).await? {
            return Ok(Err(refused));
        }
        let rows = sqlx::query(
            "SELECT seq, name, by_name, at FROM share_versions WHERE share_id = $1 ORDER BY seq DESC",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool())
        .await?;
        let versions = rows.iter().map(named_of).collect::<Result<_, _>>()?;
        let row = sqlx::query("SELECT seq, history_from FROM shares WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&self.pool())
            .await?;
        Ok(Ok(VersionList {
            versions,
            restorable_from: row.try_get::<i64, _>("history_from")?.max(0) as u64,
            seq: row.try_get::<i64, _>("seq")?.max(0) as u64,
        }))
    }

    /// Names the point `seq` (the newest when `None`): its plan is kept from now on. Naming
    /// a named point again renames it. `name` and `by` are cleaned by the caller.
    pub async fn name_version(
        &self,
        id: &ShareId,
        secret: &str,
        seq: Option<u64>,
        name: &str,
        by: &str,
        now: i64,
    ) -> Result<Result<NamedVersion, VersionRefusal>, StoreError> {
        self.ready().await?;
        if let Err(refused) = may_read(self, id, secret).await? {
            return Ok(Err(VersionRefusal::Refused(refused)));
        }
        let _guard = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        // Locks the plan's row (PostgreSQL): no commit folds the history meanwhile.
        let newest: i64 = sqlx::query("UPDATE shares SET seq = seq WHERE id = $1 RETURNING seq")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get("seq")?;
        let seq = seq.unwrap_or(newest.max(0) as u64);
        let plan = match self.plan_at(&mut tx, id, seq).await? {
            Ok(plan) => plan,
            Err(refused) => {
                tx.rollback().await?;
                return Ok(Err(refused));
            }
        };
        // The other versions, and whether this point is named already (renaming it).
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN seq <> $2 THEN 1 ELSE 0 END), 0) AS others, \
             COALESCE(SUM(CASE WHEN seq = $2 THEN 1 ELSE 0 END), 0) AS this_one \
             FROM share_versions WHERE share_id = $1",
        )
        .bind(id.as_str())
        .bind(seq as i64)
        .fetch_one(&mut *tx)
        .await?;
        let counted: i64 = row.try_get("others")?;
        let renaming: i64 = row.try_get("this_one")?;
        let most = self.limits().named_versions;
        if counted.max(0) as u64 >= most {
            tx.rollback().await?;
            return Ok(Err(VersionRefusal::TooMany { most }));
        }
        // A new version keeps a copy of the plan, counted in the store's size.
        let json = plan.to_json();
        let used: i64 = sqlx::query("SELECT bytes FROM store_usage WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?
            .try_get("bytes")?;
        if renaming == 0 && used + json.len() as i64 > self.limits().max_bytes as i64 {
            tx.rollback().await?;
            return Ok(Err(VersionRefusal::NoRoom));
        }
        sqlx::query(
            "INSERT INTO share_versions (share_id, seq, name, by_name, at, plan) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (share_id, seq) DO UPDATE \
             SET name = excluded.name, by_name = excluded.by_name, at = excluded.at",
        )
        .bind(id.as_str())
        .bind(seq as i64)
        .bind(name)
        .bind(by)
        .bind(now)
        .bind(json)
        .execute(&mut *tx)
        .await?;
        history::recount(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Ok(NamedVersion {
            seq,
            name: name.to_owned(),
            by: by.to_owned(),
            at: now,
        }))
    }

    /// Takes the name off the point `seq`; whether it had one.
    pub async fn unname_version(
        &self,
        id: &ShareId,
        secret: &str,
        seq: u64,
    ) -> Result<Result<bool, HistoryRefusal>, StoreError> {
        self.ready().await?;
        if let Err(refused) = may_read(self, id, secret).await? {
            return Ok(Err(refused));
        }
        let _guard = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("DELETE FROM share_versions WHERE share_id = $1 AND seq = $2")
            .bind(id.as_str())
            .bind(seq.min(i64::MAX as u64) as i64)
            .execute(&mut *tx)
            .await?;
        history::recount(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Ok(done.rows_affected() > 0))
    }
}
