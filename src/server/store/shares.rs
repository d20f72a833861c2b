//! Published plans: created by anyone (within a daily quota per client and the store's
//! size), updated and revoked by their owner, ended when nobody opens them for the retention
//! period.

use super::secret::{hex_sha256, random_bytes, same_hash, OwnerToken};
use super::{now_ms, Arg, Refusal, ShareStore, Step, StoreError};
use crate::model::Plan;
use crate::shared::ShareId;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What per-client limits count. One IPv6 user usually holds a whole /64 and can pick any
/// address in it, so IPv6 clients count per /64 prefix; IPv4-mapped IPv6 addresses count as
/// the IPv4 address they carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4(u32),
    V6Prefix(u64),
}

impl ClientKey {
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(u32::from(v4)),
                None => ClientKey::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ClientKey::V4(v4) => write!(f, "{}", Ipv4Addr::from(v4)),
            ClientKey::V6Prefix(prefix) => {
                write!(f, "{}/64", Ipv6Addr::from(u128::from(prefix) << 64))
            }
        }
    }
}

const DAY_MS: i64 = 86_400_000;

fn new_share_id() -> Result<ShareId, StoreError> {
    Ok(ShareId::from_random(random_bytes::<16>()?))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    pub id: ShareId,
    pub plan: Plan,
    /// Grows by one with every update.
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Edited together through an edit link (its page follows edits live).
    pub live: bool,
}

/// What of a share can change what its page shows, read without the plan: a page rendered
/// from a share with an equal stamp is the same page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareStamp {
    /// Grows with every update.
    version: i64,
    updated_at_ms: i64,
    live: bool,
    /// Grows with every edit made together (the cells hold at least this much).
    seq: i64,
}

#[derive(Debug, PartialEq)]
pub enum Lookup {
    Found(Share),
    Revoked,
    /// Ended by the retention policy.
    Expired,
    Missing,
}

/// The answer to an owner's update or revoke.
#[derive(Debug, PartialEq, Eq)]
pub enum OwnerAction {
    Done,
    /// The token does not match (or is missing).
    Forbidden,
    Missing,
    Revoked,
    /// The share is edited together: its content is its live document, not published.
    Live,
}

impl ShareStore {
    /// Stores `plan` as a new share created by `client`, within the client's daily quota
    /// and the store's size limit.
    pub async fn create(
        &self,
        plan: &Plan,
        client: ClientKey,
    ) -> Result<(ShareId, OwnerToken), StoreError> {
        self.ready().await?;
        let id = new_share_id()?;
        let token = OwnerToken::generate()?;
        let now = now_ms();
        let json = plan.to_json();
        let size = json.len() as i64;
        let steps = [
            // Counted per client and UTC day; only a hash of the client is kept, for two days.
            Step {
                sql: "INSERT INTO creation_counts (client, day, count) VALUES ($1, $2, 1) \
                      ON CONFLICT (client, day) DO UPDATE SET count = creation_counts.count + 1 \
                      WHERE creation_counts.count < $3",
                args: vec![
                    Arg::Text(hex_sha256(client.to_string().as_bytes())),
                    Arg::Int(now.div_euclid(DAY_MS)),
                    Arg::Int(i64::from(self.limits.shares_per_day)),
                ],
                required: Some(Refusal::Quota),
            },
            Step {
                sql: "UPDATE store_usage SET bytes = bytes + $1 WHERE id = 1 AND bytes + $1 <= $2",
                args: vec![
                    Arg::Int(size),
                    Arg::Int(self.limits.max_bytes.min(i64::MAX as u64) as i64),
                ],
                required: Some(Refusal::Full),
            },
            Step {
                sql: "INSERT INTO shares (id, owner_hash, plan, version, created_at, updated_at, size) \
                      VALUES ($1, $2, $3, 1, $4, $4, $5)",
                args: vec![
                    Arg::Text(id.as_str().to_owned()),
                    Arg::Text(token.hash()),
                    Arg::Text(json),
                    Arg::Int(now),
                    Arg::Int(size),
                ],
                required: None,
            },
        ];
        match self.transact(&steps).await? {
            Ok(()) => Ok((id, token)),
            Err(Refusal::Quota) => Err(StoreError::DailyQuota {
                per_day: self.limits.shares_per_day,
            }),
            Err(_) => Err(StoreError::Full),
        }
    }

    /// The stamp of a share that can be shown (`None`: missing, revoked or expired): one
    /// row read, without the plan or the cells of a plan edited together.
    pub async fn stamp(&self, id: &ShareId) -> Result<Option<ShareStamp>, StoreError> {
        self.ready().await?;
        let row = sqlx::query(
            "SELECT version, updated_at, live, seq FROM shares \
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(ShareStamp {
            version: row.try_get("version")?,
            updated_at_ms: row.try_get("updated_at")?,
            live: row.try_get::<i64, _>("live")? != 0,
            seq: row.try_get("seq")?,
        }))
    }

    /// `touch`, in the background (a visit must never slow a page down).
    pub fn touch_later(self: &std::sync::Arc<Self>, id: &ShareId) {
        let (store, id) = (self.clone(), id.clone());
        tokio::spawn(async move {
            if let Err(e) = store.touch(&id).await {
                tracing::debug!(error = %e, "a share visit could not be recorded");
            }
        });
    }

    /// Notes that the share was viewed (at most one write per share and day), so the
    /// retention policy keeps shares people still open.
    pub async fn touch(&self, id: &ShareId) -> Result<(), StoreError> {
        let now = now_ms();
        self.transact(&[Step {
            sql: "UPDATE shares SET visited_at = $1 \
                  WHERE id = $2 AND revoked_at IS NULL AND (visited_at IS NULL OR visited_at < $3)",
            args: vec![
                Arg::Int(now),
                Arg::Text(id.as_str().to_owned()),
                Arg::Int(now - DAY_MS),
            ],
            required: None,
        }])
        .await?
        .map_err(|_| StoreError::Internal("an unconditional write was refused".into()))
    }

    /// Publishes `plan` to the share, if `token` is its owner's and it is not revoked:
    /// checked by the same statement that writes.
    pub async fn update(
        &self,
        id: &ShareId,
        token: &OwnerToken,
        plan: &Plan,
    ) -> Result<OwnerAction, StoreError> {
        self.ready().await?;
        let json = plan.to_json();
        let size = json.len() as i64;
        let owned = [Arg::Text(id.as_str().to_owned()), Arg::Text(token.hash())];
        let steps = [
            Step {
                sql: "UPDATE store_usage SET bytes = bytes + $3 - (SELECT size FROM shares \
                      WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL) \
                      WHERE id = 1 AND EXISTS (SELECT 1 FROM shares \
                      WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL)",
                args: vec![owned[0].clone(), owned[1].clone(), Arg::Int(size)],
                required: None,
            },
            Step {
                sql: "UPDATE shares SET plan = $3, size = $4, version = version + 1, updated_at = $5 \
                      WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL AND live = 0",
                args: vec![
                    owned[0].clone(),
                    owned[1].clone(),
                    Arg::Text(json),
                    Arg::Int(size),
                    Arg::Int(now_ms()),
                ],
                required: Some(Refusal::NotOwnerOrGone),
            },
        ];
        match self.transact(&steps).await? {
            Ok(()) => Ok(OwnerAction::Done),
            Err(_) => self.why_refused(id, token).await,
        }
    }

    /// Ends the share: its plan is deleted and the link answers 410 from now on.
    pub async fn revoke(
        &self,
        id: &ShareId,
        token: &OwnerToken,
    ) -> Result<OwnerAction, StoreError> {
        self.ready().await?;
        let steps = [
            Step {
                sql: "UPDATE store_usage SET bytes = bytes - (SELECT size + history_bytes + \
                      history_kept_bytes FROM shares \
                      WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL) \
                      WHERE id = 1 AND EXISTS (SELECT 1 FROM shares \
                      WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL)",
                args: vec![Arg::Text(id.as_str().to_owned()), Arg::Text(token.hash())],
                required: None,
            },
            Step {
                sql:
                    "UPDATE shares SET plan = '', size = 0, revoked_at = $3, end_reason = 'owner', \
                      edit_hash = NULL, live = 0, log_bytes = 0, history_bytes = 0, \
                      history_kept_bytes = 0 \
                      WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL",
                args: vec![
                    Arg::Text(id.as_str().to_owned()),
                    Arg::Text(token.hash()),
                    Arg::Int(now_ms()),
                ],
                required: Some(Refusal::NotOwnerOrGone),
            },
            // A live plan's content goes with it.
            Step {
                sql: "DELETE FROM share_cells WHERE share_id = $1",
                args: vec![Arg::Text(id.as_str().to_owned())],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_ops WHERE share_id = $1",
                args: vec![Arg::Text(id.as_str().to_owned())],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_replicas WHERE share_id = $1",
                args: vec![Arg::Text(id.as_str().to_owned())],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_history WHERE share_id = $1",
                args: vec![Arg::Text(id.as_str().to_owned())],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_history_base WHERE share_id = $1",
                args: vec![Arg::Text(id.as_str().to_owned())],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_versions WHERE share_id = $1",
                args: vec![Arg::Text(id.as_str().to_owned())],
                required: None,
            },
        ];
        match self.transact(&steps).await? {
            Ok(()) => Ok(OwnerAction::Done),
            Err(_) => self.why_refused(id, token).await,
        }
    }

    /// Why an owner's write changed nothing. Only explains: the write itself was decided
    /// atomically by its own statement.
    pub(super) async fn why_refused(
        &self,
        id: &ShareId,
        token: &OwnerToken,
    ) -> Result<OwnerAction, StoreError> {
        let row = sqlx::query("SELECT owner_hash, revoked_at, live FROM shares WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(OwnerAction::Missing);
        };
        let stored: String = row.try_get("owner_hash")?;
        if !same_hash(&stored, &token.hash()) {
            return Ok(OwnerAction::Forbidden);
        }
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            return Ok(OwnerAction::Revoked);
        }
        if row.try_get::<i64, _>("live")? != 0 {
            return Ok(OwnerAction::Live);
        }
        // Changed between the write and this look (e.g. revoked meanwhile by the owner's
        // other tab): the write did not happen, so say it is gone.
        Ok(OwnerAction::Revoked)
    }

    /// Ends every live share that nobody opened (nor its owner updated) for `days` days.
    /// Returns how many were ended.
    pub async fn expire_unvisited(&self, days: u32) -> Result<u64, StoreError> {
        self.ready().await?;
        let cut = now_ms() - i64::from(days) * DAY_MS;
        let count: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM shares WHERE revoked_at IS NULL AND \
             (CASE WHEN visited_at IS NULL OR visited_at < updated_at \
              THEN updated_at ELSE visited_at END) < $1",
        )
        .bind(cut)
        .fetch_one(&self.pool())
        .await?
        .try_get("n")?;
        if count == 0 {
            return Ok(0);
        }
        self.transact(&[
            Step {
                sql: "UPDATE store_usage SET bytes = bytes - (SELECT COALESCE(SUM(size + \
                      history_bytes + history_kept_bytes), 0) FROM shares WHERE revoked_at IS NULL AND (CASE WHEN visited_at IS NULL \
                      OR visited_at < updated_at THEN updated_at ELSE visited_at END) < $1) \
                      WHERE id = 1",
                args: vec![Arg::Int(cut)],
                required: None,
            },
            Step {
                sql: "UPDATE shares SET plan = '', size = 0, revoked_at = $2, end_reason = 'expired' \
                      WHERE revoked_at IS NULL AND (CASE WHEN visited_at IS NULL \
                      OR visited_at < updated_at THEN updated_at ELSE visited_at END) < $1",
                args: vec![Arg::Int(cut), Arg::Int(now_ms())],
                required: None,
            },
            // Live plans that ended lose their document and log too.
            Step {
                sql: "DELETE FROM share_cells WHERE share_id IN \
                      (SELECT id FROM shares WHERE revoked_at IS NOT NULL AND live = 1)",
                args: vec![],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_ops WHERE share_id IN \
                      (SELECT id FROM shares WHERE revoked_at IS NOT NULL AND live = 1)",
                args: vec![],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_replicas WHERE share_id IN \
                      (SELECT id FROM shares WHERE revoked_at IS NOT NULL AND live = 1)",
                args: vec![],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_history WHERE share_id IN \
                      (SELECT id FROM shares WHERE revoked_at IS NOT NULL AND live = 1)",
                args: vec![],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_history_base WHERE share_id IN \
                      (SELECT id FROM shares WHERE revoked_at IS NOT NULL AND live = 1)",
                args: vec![],
                required: None,
            },
            Step {
                sql: "DELETE FROM share_versions WHERE share_id IN \
                      (SELECT id FROM shares WHERE revoked_at IS NOT NULL AND live = 1)",
                args: vec![],
                required: None,
            },
            Step {
                sql: "UPDATE shares SET live = 0, edit_hash = NULL, log_bytes = 0, history_bytes = 0, \
                      history_kept_bytes = 0 \
                      WHERE revoked_at IS NOT NULL AND live = 1",
                args: vec![],
                required: None,
            },
        ])
        .await?
        .map_err(|_| StoreError::Internal("an unconditional write was refused".into()))?;
        Ok(count as u64)
    }

    /// Forgets daily creation counts older than yesterday (they hold client hashes).
    pub async fn forget_old_counts(&self) -> Result<(), StoreError> {
        self.ready().await?;
        self.transact(&[Step {
            sql: "DELETE FROM creation_counts WHERE day < $1",
            args: vec![Arg::Int(now_ms().div_euclid(DAY_MS) - 1)],
            required: None,
        }])
        .await?
        .map_err(|_| StoreError::Internal("an unconditional write was refused".into()))
    }

    /// The store's size as kept (`store_usage`) and as counted afresh from every table it
    /// covers: plans, and the histories of live plans (entries, base, named versions). The
    /// two are equal unless the accounting has a hole; for tests and checks.
    pub async fn audit_usage(&self) -> Result<(i64, i64), StoreError> {
        self.ready().await?;
        use super::live::history::{BASE_BYTES, ENTRY_BYTES, VERSION_BYTES};
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT (SELECT bytes FROM store_usage WHERE id = 1) AS kept, \
             CAST((SELECT COALESCE(SUM(size), 0) FROM shares WHERE revoked_at IS NULL) AS BIGINT) \
             + (SELECT COALESCE(SUM({ENTRY_BYTES}), 0) FROM share_history) \
             + (SELECT COALESCE(SUM({BASE_BYTES}), 0) FROM share_history_base) \
             + (SELECT COALESCE(SUM({VERSION_BYTES}), 0) FROM share_versions) AS counted"
        )))
        .fetch_one(&self.pool())
        .await?;
        Ok((row.try_get("kept")?, row.try_get("counted")?))
    }

    /// Bytes a live plan's history takes in the store's size (entries, base, named versions).
    pub async fn history_bytes(&self, id: &ShareId) -> Result<i64, StoreError> {
        self.ready().await?;
        Ok(sqlx::query(
            "SELECT history_bytes + history_kept_bytes AS bytes FROM shares WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool())
        .await?
        .map(|row| row.try_get("bytes"))
        .transpose()?
        .unwrap_or(0))
    }

    /// Plan bytes the store holds (what `SYNCPLAN_MAX_STORE_MB` limits), histories included.
    pub async fn used_bytes(&self) -> Result<i64, StoreError> {
        self.ready().await?;
        Ok(sqlx::query("SELECT bytes FROM store_usage WHERE id = 1")
            .fetch_one(&self.pool())
            .await?
            .try_get("bytes")?)
    }
}

pub(super) fn share_from_row(row: &AnyRow) -> Result<Share, StoreError> {
    let json: String = row.try_get("plan")?;
    let plan: Plan = serde_json::from_str(&json)
        .map_err(|e| StoreError::Internal(format!("a stored plan is unreadable: {e}")))?;
    share_from_row_meta(row, plan)
}

pub(super) fn share_from_row_meta(row: &AnyRow, plan: Plan) -> Result<Share, StoreError> {
    let id: String = row.try_get("id")?;
    Ok(Share {
        id: ShareId::parse(&id)
            .ok_or_else(|| StoreError::Internal("a stored share id is malformed".into()))?,
        plan,
        version: row.try_get("version")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        live: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_long_random_base64url() {
        let a = new_share_id().unwrap();
        let b = new_share_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(ShareId::parse(a.as_str()), Some(a));
    }
}
