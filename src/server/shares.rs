//! The share store: shared plans in SQLite (one instance) or PostgreSQL (several), through
//! sqlx's runtime-selected driver, so both run the same migrations and the same queries.

use crate::model::Plan;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;
use tokio::sync::Mutex;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A share's public id: 128 random bits, base64url (22 characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareId(String);

impl ShareId {
    fn generate() -> Result<ShareId, StoreError> {
        Ok(ShareId(URL_SAFE_NO_PAD.encode(random_bytes::<16>()?)))
    }

    /// Accepts exactly what `generate` makes; anything else cannot name a share.
    pub fn parse(text: &str) -> Option<ShareId> {
        (text.len() == 22
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| ShareId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The secret that lets its holder update or revoke a share: 256 random bits, base64url.
/// Shown once, to the creator; the store keeps only its SHA-256.
#[derive(Clone, Debug)]
pub struct OwnerToken(String);

impl OwnerToken {
    fn generate() -> Result<OwnerToken, StoreError> {
        Ok(OwnerToken(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
    }

    pub fn from_header(text: &str) -> OwnerToken {
        OwnerToken(text.trim().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Internal(format!("the OS random source failed: {e}")))?;
    Ok(bytes)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    pub id: String,
    pub plan: Plan,
    /// Grows by one with every update.
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Debug, PartialEq)]
pub enum Lookup {
    Found(Share),
    Revoked,
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
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or refuses to write (disk full, read-only, down).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::Unavailable(e.to_string())
    }
}

/// A value bound to a write.
enum Arg {
    Text(String),
    Int(i64),
}

pub struct ShareStore {
    /// Replaced by a fresh pool after a failed write (see `reset_pool`).
    pool: std::sync::RwLock<AnyPool>,
    options: AnyPoolOptions,
    /// Set once the migrations have run; until then (database unreachable at start) every
    /// call tries again, so the store recovers without a restart.
    ready: tokio::sync::OnceCell<()>,
    /// SQLite allows one writer at a time; queueing writes here avoids "database is locked".
    write_lock: Option<Mutex<()>>,
    backend: &'static str,
    url: String,
}

impl ShareStore {
    /// Prepares the store and tries to connect and run the migrations. Only a malformed URL
    /// is an error: a database that cannot be reached yet (down, read-only, full disk) makes
    /// sharing answer 503 until it can be, while the rest of the app keeps working.
    pub async fn open(url: &str) -> Result<ShareStore, StoreError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let options = AnyPoolOptions::new()
            .max_connections(if sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(3))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        // WAL lets readers run beside the writer; FULL syncs every commit, so
                        // an acknowledged share survives a crash or power loss.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    Ok(())
                })
            });
        let pool = options
            .clone()
            .connect_lazy(url)
            .map_err(|e| StoreError::Internal(format!("the database URL is not usable: {e}")))?;
        let store = ShareStore {
            pool: std::sync::RwLock::new(pool),
            options,
            ready: tokio::sync::OnceCell::new(),
            write_lock: sqlite.then(|| Mutex::new(())),
            backend: if sqlite { "SQLite" } else { "PostgreSQL" },
            url: url.to_owned(),
        };
        if let Err(e) = store.ready().await {
            tracing::error!(error = %e, "the share store is not available yet; sharing answers 503 until it is");
        }
        Ok(store)
    }

    /// Runs the migrations once the database can be reached.
    async fn ready(&self) -> Result<(), StoreError> {
        self.ready
            .get_or_try_init(|| async {
                if self.url.starts_with("sqlite:") {
                    create_parent_dir(&self.url)?;
                }
                MIGRATOR
                    .run(&self.pool())
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("migrations failed: {e}")))
            })
            .await
            .map(|_| ())
    }

    fn pool(&self) -> AnyPool {
        self.pool.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// SQLite connections opened while the file could not be written (a read-only
    /// filesystem, say) stay read-only; replacing them lets sharing recover without a
    /// restart once the storage is writable again.
    fn reset_pool(&self) {
        if let Ok(fresh) = self.options.clone().connect_lazy(&self.url) {
            let old = std::mem::replace(
                &mut *self.pool.write().unwrap_or_else(|e| e.into_inner()),
                fresh,
            );
            tokio::spawn(async move { old.close().await });
        }
    }

    /// Runs one write; on SQLite, a failed write is tried once more on fresh connections.
    async fn write(&self, sql: &'static str, args: &[Arg]) -> Result<(), StoreError> {
        let mut retried = false;
        loop {
            let mut query = sqlx::query(sql);
            for arg in args {
                query = match arg {
                    Arg::Text(text) => query.bind(text.clone()),
                    Arg::Int(n) => query.bind(*n),
                };
            }
            match query.execute(&self.pool()).await {
                Ok(_) => return Ok(()),
                Err(e) if self.write_lock.is_some() && !retried => {
                    tracing::warn!(error = %e, "a share write failed; retrying on fresh connections");
                    self.reset_pool();
                    retried = true;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    async fn writing(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    /// Answers whether the database responds.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.ready().await?;
        sqlx::query("SELECT 1").execute(&self.pool()).await?;
        Ok(())
    }

    pub async fn create(&self, plan: &Plan) -> Result<(ShareId, OwnerToken), StoreError> {
        self.ready().await?;
        let id = ShareId::generate()?;
        let token = OwnerToken::generate()?;
        let now = now_ms();
        let _guard = self.writing().await;
        self.write(
            "INSERT INTO shares (id, owner_hash, plan, version, created_at, updated_at) \
             VALUES ($1, $2, $3, 1, $4, $4)",
            &[
                Arg::Text(id.as_str().to_owned()),
                Arg::Text(token.hash()),
                Arg::Text(plan.to_json()),
                Arg::Int(now),
            ],
        )
        .await?;
        Ok((id, token))
    }

    pub async fn get(&self, id: &ShareId) -> Result<Lookup, StoreError> {
        self.ready().await?;
        let row = sqlx::query(
            "SELECT id, plan, version, created_at, updated_at, revoked_at FROM shares WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(Lookup::Missing);
        };
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            return Ok(Lookup::Revoked);
        }
        Ok(Lookup::Found(share_from_row(&row)?))
    }

    /// Publishes `plan` to the share, if `token` is its owner's.
    pub async fn update(
        &self,
        id: &ShareId,
        token: &OwnerToken,
        plan: &Plan,
    ) -> Result<OwnerAction, StoreError> {
        self.ready().await?;
        let _guard = self.writing().await;
        let check = self.check_owner(id, token).await?;
        if check != OwnerAction::Done {
            return Ok(check);
        }
        self.write(
            "UPDATE shares SET plan = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND revoked_at IS NULL",
            &[
                Arg::Text(plan.to_json()),
                Arg::Int(now_ms()),
                Arg::Text(id.as_str().to_owned()),
            ],
        )
        .await?;
        Ok(OwnerAction::Done)
    }

    /// Ends the share: its plan is deleted and the link answers 410 from now on.
    pub async fn revoke(
        &self,
        id: &ShareId,
        token: &OwnerToken,
    ) -> Result<OwnerAction, StoreError> {
        self.ready().await?;
        let _guard = self.writing().await;
        let check = self.check_owner(id, token).await?;
        if check != OwnerAction::Done {
            return Ok(check);
        }
        self.write(
            "UPDATE shares SET plan = '', revoked_at = $1 WHERE id = $2",
            &[Arg::Int(now_ms()), Arg::Text(id.as_str().to_owned())],
        )
        .await?;
        Ok(OwnerAction::Done)
    }

    async fn check_owner(
        &self,
        id: &ShareId,
        token: &OwnerToken,
    ) -> Result<OwnerAction, StoreError> {
        let row = sqlx::query("SELECT owner_hash, revoked_at FROM shares WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(OwnerAction::Missing);
        };
        let stored: String = row.try_get("owner_hash")?;
        if !bool::from(stored.as_bytes().ct_eq(token.hash().as_bytes())) {
            return Ok(OwnerAction::Forbidden);
        }
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            return Ok(OwnerAction::Revoked);
        }
        Ok(OwnerAction::Done)
    }
}

fn share_from_row(row: &AnyRow) -> Result<Share, StoreError> {
    let json: String = row.try_get("plan")?;
    let plan: Plan = serde_json::from_str(&json)
        .map_err(|e| StoreError::Internal(format!("a stored plan is unreadable: {e}")))?;
    Ok(Share {
        id: row.try_get("id")?,
        plan,
        version: row.try_get("version")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

/// `sqlite://data/syncplan.db?mode=rwc` → creates `data/`.
fn create_parent_dir(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tokens_are_long_random_base64url() {
        let a = ShareId::generate().unwrap();
        let b = ShareId::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(ShareId::parse(a.as_str()), Some(a));
        let t = OwnerToken::generate().unwrap();
        assert_eq!(t.as_str().len(), 43);
        assert_eq!(t.hash().len(), 64);
    }

    #[test]
    fn only_well_formed_ids_parse() {
        for bad in [
            "",
            "short",
            "../../../../etc/passwd",
            &"a".repeat(23),
            "aaaaaaaaaaaaaaaaaaaaa!",
        ] {
            assert_eq!(ShareId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn parent_dirs_come_from_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nested/deeper/x.db");
        create_parent_dir(&format!("sqlite://{}?mode=rwc", db.display())).unwrap();
        assert!(db.parent().unwrap().is_dir());
        create_parent_dir("sqlite::memory:").unwrap();
    }
}
