//! The share store: shared plans in SQLite (one instance) or PostgreSQL (several), through
//! sqlx's runtime-selected driver, so both run the same migrations and the same queries.
//! Every write is one transaction whose conditions are part of its statements (owner,
//! not revoked, quota, store size), so no check can go stale before the write lands.

use super::client_addr::ClientKey;
use crate::model::Plan;
use crate::shared::ShareId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, Row, SqlSafeStr as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

/// The files of `migrations/`, embedded at compile time (a test checks none is missing).
macro_rules! embed_migrations {
    ($($file:literal),* $(,)?) => {
        [$(($file, include_str!(concat!("../../migrations/", $file)))),*]
    };
}
const MIGRATION_FILES: [(&str, &str); 4] = embed_migrations![
    "0001_shares.sql",
    "0002_limits.sql",
    "0003_live.sql",
    "0004_replicas.sql",
];

/// The schema as `sqlx::migrate!` would build it from `migrations/` (version and description
/// from the file name, checksum of the text), built here so the build does not compile sqlx's
/// macros and, with them, a second copy of sqlx's drivers and SQLite (~1 min of a first build).
fn migrator() -> &'static Migrator {
    static MIGRATOR: std::sync::OnceLock<Migrator> = std::sync::OnceLock::new();
    MIGRATOR.get_or_init(|| {
        Migrator::with_migrations(
            MIGRATION_FILES
                .iter()
                .map(|&(file, sql)| {
                    // `0001_shares.sql` → version 1, description "shares".
                    let (version, name) = file.split_once('_').expect("NNNN_name.sql");
                    Migration::new(
                        version.parse().expect("a numeric version"),
                        name.trim_end_matches(".sql").replace('_', " ").into(),
                        MigrationType::Simple,
                        sql.into_sql_str(),
                        sql.starts_with("-- no-transaction"),
                    )
                })
                .collect(),
        )
    })
}

const DAY_MS: i64 = 86_400_000;

fn new_share_id() -> Result<ShareId, StoreError> {
    Ok(ShareId::from_random(random_bytes::<16>()?))
}

/// The secret that lets its holder update or revoke a share: 256 random bits, base64url.
/// Shown once, to the creator; the store keeps only its SHA-256.
#[derive(Clone)]
pub struct OwnerToken(String);

impl std::fmt::Debug for OwnerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OwnerToken(…)")
    }
}

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

    pub(super) fn hash(&self) -> String {
        hex_sha256(self.0.as_bytes())
    }
}

pub(super) fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Internal(format!("the OS random source failed: {e}")))?;
    Ok(bytes)
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or refuses to write (disk full, read-only, down).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A bug or damaged data: a decode failure, a broken constraint.
    #[error("{0}")]
    Internal(String),
    /// The client created its share links for today.
    #[error("the client's daily share quota is used up")]
    DailyQuota { per_day: u32 },
    /// The store holds as much as it is allowed to.
    #[error("the share store is full")]
    Full,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        use sqlx::error::ErrorKind;
        match &e {
            // Our own statements breaking a rule, or data we cannot read: a bug, not an outage.
            sqlx::Error::Database(db)
                if matches!(
                    db.kind(),
                    ErrorKind::UniqueViolation
                        | ErrorKind::ForeignKeyViolation
                        | ErrorKind::NotNullViolation
                        | ErrorKind::CheckViolation
                ) =>
            {
                StoreError::Internal(e.to_string())
            }
            sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::Encode(_)
            | sqlx::Error::TypeNotFound { .. }
            | sqlx::Error::RowNotFound
            | sqlx::Error::Configuration(_) => StoreError::Internal(e.to_string()),
            // Connection, I/O, pool timeouts, and database errors such as "disk full",
            // "read-only" or "shutting down".
            _ => StoreError::Unavailable(e.to_string()),
        }
    }
}

/// Limits on what the store takes.
#[derive(Clone, Debug)]
pub struct StoreLimits {
    /// Share links one client may create per UTC day.
    pub shares_per_day: u32,
    /// The most plan bytes the store holds; creating past it answers 507.
    pub max_bytes: u64,
    /// Batches kept in a live plan's op log; a browser further behind gets the whole
    /// document.
    pub log_batches: u64,
    /// Bytes of op log kept per live plan before the oldest half is dropped.
    pub log_bytes: u64,
    /// Replicas (editor page loads) a live plan remembers; past it, those whose batches
    /// have left the op log are forgotten first.
    pub replicas_per_plan: u64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            shares_per_day: 500,
            max_bytes: 1024 * 1024 * 1024,
            log_batches: 5_000,
            log_bytes: 8 * 1024 * 1024,
            replicas_per_plan: 10_000,
        }
    }
}

/// A value bound to a statement.
#[derive(Clone)]
enum Arg {
    Text(String),
    Int(i64),
}

/// One statement of a write transaction. When `required` is set and the statement changes
/// no row, the transaction is rolled back and the write answers that refusal.
struct Step {
    sql: &'static str,
    args: Vec<Arg>,
    required: Option<Refusal>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Quota,
    Full,
    NotOwnerOrGone,
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
    limits: StoreLimits,
    /// Where notes go besides PostgreSQL's `NOTIFY` (instances in one process: tests).
    local_notes: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedSender<super::notify::Note>>>,
    /// Where every logged batch goes too, once committed (the simulation's ledger).
    log_tap: std::sync::Mutex<Option<LogTap>>,
}

/// Receives every batch the store logs, with its plan.
pub type LogTap = tokio::sync::mpsc::UnboundedSender<(ShareId, crate::model::Logged)>;

impl ShareStore {
    /// Prepares the store and tries to connect and run the migrations. Only a malformed URL
    /// is an error: a database that cannot be reached yet (down, read-only, full disk) makes
    /// sharing answer 503 until it can be, while the rest of the app keeps working.
    pub async fn open(url: &str, limits: StoreLimits) -> Result<ShareStore, StoreError> {
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
        // The URL may hold a password: it never goes into an error message.
        let pool = options.clone().connect_lazy(url).map_err(|e| {
            StoreError::Internal(format!(
                "the database URL is not usable ({})",
                error_class(&e)
            ))
        })?;
        let store = ShareStore {
            pool: std::sync::RwLock::new(pool),
            options,
            ready: tokio::sync::OnceCell::new(),
            write_lock: sqlite.then(|| Mutex::new(())),
            backend: if sqlite { "SQLite" } else { "PostgreSQL" },
            url: url.to_owned(),
            limits,
            local_notes: std::sync::Mutex::new(None),
            log_tap: std::sync::Mutex::new(None),
        };
        if let Err(e) = store.ready().await {
            tracing::error!(error = %e, "the share store is not available yet; sharing answers 503 until it is");
        }
        Ok(store)
    }

    /// Runs the migrations once the database can be reached.
    pub(super) async fn ready(&self) -> Result<(), StoreError> {
        self.ready
            .get_or_try_init(|| async {
                if self.url.starts_with("sqlite:") {
                    create_parent_dir(&self.url)?;
                }
                migrator()
                    .run(&self.pool())
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("migrations failed: {e}")))
            })
            .await
            .map(|_| ())
    }

    pub(super) fn pool(&self) -> AnyPool {
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

    /// Held around a write transaction: SQLite takes one writer at a time.
    pub(super) async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == "PostgreSQL"
    }

    /// The database URL (for PostgreSQL's listener connection). Never logged.
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    pub fn limits(&self) -> &StoreLimits {
        &self.limits
    }

    /// Hands every note this store makes (see `notify::Note`) to the returned receiver as
    /// well: for instances that share one database in one process (tests), where no
    /// `NOTIFY` carries them.
    pub fn notes_here(&self) -> tokio::sync::mpsc::UnboundedReceiver<super::notify::Note> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        *self.local_notes.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        rx
    }

    /// Hands every batch this store logs, once committed, to the returned receiver (the
    /// simulation keeps a ledger of them; the op log itself is pruned).
    pub fn logged_here(
        &self,
    ) -> tokio::sync::mpsc::UnboundedReceiver<(ShareId, crate::model::Logged)> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        *self.log_tap.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        rx
    }

    /// Passes committed batches on to the log tap, if one is set.
    pub(super) fn tap_logged(&self, id: &ShareId, logged: &[&crate::model::Logged]) {
        if let Some(tx) = self
            .log_tap
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            for l in logged {
                let _ = tx.send((id.clone(), (*l).clone()));
            }
        }
    }

    /// Passes notes on to the local receiver, if any (after the transaction that made them
    /// committed).
    pub(super) fn tell_locally(&self, notes: Vec<super::notify::Note>) {
        if let Some(tx) = self
            .local_notes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            for note in notes {
                let _ = tx.send(note);
            }
        }
    }

    /// Runs `steps` as one transaction. On SQLite, a transaction that fails with an error
    /// (not a refusal) is tried once more on fresh connections.
    async fn transact(&self, steps: &[Step]) -> Result<Result<(), Refusal>, StoreError> {
        let _guard = match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        };
        let mut retried = false;
        loop {
            match self.try_transact(steps).await {
                Err(StoreError::Unavailable(e)) if self.write_lock.is_some() && !retried => {
                    tracing::warn!(error = %e, "a share write failed; retrying on fresh connections");
                    self.reset_pool();
                    retried = true;
                }
                other => return other,
            }
        }
    }

    async fn try_transact(&self, steps: &[Step]) -> Result<Result<(), Refusal>, StoreError> {
        let mut tx = self.pool().begin().await?;
        for step in steps {
            let mut query = sqlx::query(step.sql);
            for arg in &step.args {
                query = match arg {
                    Arg::Text(text) => query.bind(text.clone()),
                    Arg::Int(n) => query.bind(*n),
                };
            }
            let done = query.execute(&mut *tx).await?;
            if let Some(refusal) = step.required {
                if done.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(Err(refusal));
                }
            }
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Answers whether the database responds.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.ready().await?;
        sqlx::query("SELECT 1").execute(&self.pool()).await?;
        Ok(())
    }

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
            if let super::live_store::LiveLoad::Live(stored) = self.load_live(id).await? {
                let mut share = share_from_row_meta(&row, stored.live.doc.plan())?;
                share.version += stored.live.seq as i64;
                share.live = true;
                return Ok(Lookup::Found(share));
            }
        }
        Ok(Lookup::Found(share_from_row(&row)?))
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
                sql: "UPDATE store_usage SET bytes = bytes - (SELECT size FROM shares \
                      WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL) \
                      WHERE id = 1 AND EXISTS (SELECT 1 FROM shares \
                      WHERE id = $1 AND owner_hash = $2 AND revoked_at IS NULL)",
                args: vec![Arg::Text(id.as_str().to_owned()), Arg::Text(token.hash())],
                required: None,
            },
            Step {
                sql:
                    "UPDATE shares SET plan = '', size = 0, revoked_at = $3, end_reason = 'owner', \
                      edit_hash = NULL, live = 0, log_bytes = 0 \
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
        if !super::live_store::same_hash(&stored, &token.hash()) {
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
                sql: "UPDATE store_usage SET bytes = bytes - (SELECT COALESCE(SUM(size), 0) \
                      FROM shares WHERE revoked_at IS NULL AND (CASE WHEN visited_at IS NULL \
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
                sql: "UPDATE shares SET live = 0, edit_hash = NULL, log_bytes = 0 \
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

    /// Plan bytes the store holds (what `SYNCPLAN_MAX_STORE_MB` limits).
    pub async fn used_bytes(&self) -> Result<i64, StoreError> {
        self.ready().await?;
        Ok(sqlx::query("SELECT bytes FROM store_usage WHERE id = 1")
            .fetch_one(&self.pool())
            .await?
            .try_get("bytes")?)
    }
}

/// A short, secret-free description of a sqlx error (its URL may contain a password).
fn error_class(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::Configuration(_) => "malformed URL or options",
        sqlx::Error::Io(_) => "I/O error",
        sqlx::Error::Tls(_) => "TLS error",
        _ => "unsupported URL",
    }
}

fn share_from_row(row: &AnyRow) -> Result<Share, StoreError> {
    let json: String = row.try_get("plan")?;
    let plan: Plan = serde_json::from_str(&json)
        .map_err(|e| StoreError::Internal(format!("a stored plan is unreadable: {e}")))?;
    share_from_row_meta(row, plan)
}

fn share_from_row_meta(row: &AnyRow, plan: Plan) -> Result<Share, StoreError> {
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

    /// Every file in `migrations/` is embedded, as sqlx would read it from the folder: same
    /// version, description, type and checksum (so databases migrated before keep validating).
    #[tokio::test]
    async fn the_embedded_schema_is_the_migrations_folder() {
        let folder = Migrator::new(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations"
        )))
        .await
        .unwrap();
        let key = |m: &Migration| {
            (
                m.version,
                m.description.to_string(),
                m.migration_type,
                m.checksum.to_vec(),
                m.no_tx,
            )
        };
        let embedded: Vec<_> = migrator().iter().map(key).collect();
        let on_disk: Vec<_> = folder.iter().map(key).collect();
        assert_eq!(embedded, on_disk, "add the new file to MIGRATION_FILES");
    }

    #[test]
    fn ids_and_tokens_are_long_random_base64url() {
        let a = new_share_id().unwrap();
        let b = new_share_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(ShareId::parse(a.as_str()), Some(a));
        let t = OwnerToken::generate().unwrap();
        assert_eq!(t.as_str().len(), 43);
        assert_eq!(t.hash().len(), 64);
        assert_eq!(format!("{t:?}"), "OwnerToken(…)", "tokens never reach logs");
    }

    #[test]
    fn parent_dirs_come_from_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nested/deeper/x.db");
        create_parent_dir(&format!("sqlite://{}?mode=rwc", db.display())).unwrap();
        assert!(db.parent().unwrap().is_dir());
        create_parent_dir("sqlite::memory:").unwrap();
    }

    #[test]
    fn outages_and_bugs_are_told_apart() {
        let outage = StoreError::from(sqlx::Error::PoolTimedOut);
        assert!(matches!(outage, StoreError::Unavailable(_)));
        let io = StoreError::from(sqlx::Error::Io(std::io::Error::other("refused")));
        assert!(matches!(io, StoreError::Unavailable(_)));
        let bug = StoreError::from(sqlx::Error::ColumnNotFound("plan".into()));
        assert!(matches!(bug, StoreError::Internal(_)));
        let bug = StoreError::from(sqlx::Error::RowNotFound);
        assert!(matches!(bug, StoreError::Internal(_)));
    }
}
