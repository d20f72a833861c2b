//! The share store: shared plans in SQLite (one instance) or PostgreSQL (several), through
//! sqlx's runtime-selected driver, so both run the same migrations and the same queries.
//! Every write is one transaction whose conditions are part of its statements (owner,
//! not revoked, quota, store size), so no check can go stale before the write lands.
//!
//! The bottom layer of the server: it knows no rooms, no HTTP and no caches. `shares` holds
//! published plans, `live` plans edited together, `notify` what instances tell each other,
//! `secret` the owner and edit secrets.

use crate::shared::ShareId;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, Row as _, SqlSafeStr as _};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

mod live;
mod notify;
mod secret;
mod shares;

pub use live::{
    key_hash, Commit, HistoryQuery, HistoryRefusal, LiveLoad, StoredLive, VersionRefusal,
    MAX_HISTORY_PAGE, MAX_VERSION_NAME_CHARS,
};
pub use notify::{Note, CHANNEL};
pub use secret::{same_hash, EditToken, OwnerToken};
pub use shares::{ClientKey, Lookup, OwnerAction, ShareStamp};

/// The files of `migrations/`, embedded at compile time (a test checks none is missing).
macro_rules! embed_migrations {
    ($($file:literal),* $(,)?) => {
        [$(($file, include_str!(concat!("../../migrations/", $file)))),*]
    };
}
const MIGRATION_FILES: [(&str, &str); 8] = embed_migrations![
    "0001_shares.sql",
    "0002_limits.sql",
    "0003_live.sql",
    "0004_replicas.sql",
    "0005_owner_name.sql",
    "0006_history.sql",
    "0007_versions.sql",
    "0008_history_in_quota.sql",
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

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
    /// Bytes of history (values written, and by whom) kept per live plan before the oldest
    /// half is dropped.
    pub history_bytes: u64,
    /// Days of history kept; older entries are dropped as the plan is written.
    pub history_days: u64,
    /// Named versions a live plan keeps (each holds the plan as it was).
    pub named_versions: u64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            shares_per_day: 500,
            max_bytes: 1024 * 1024 * 1024,
            log_batches: 5_000,
            log_bytes: 8 * 1024 * 1024,
            replicas_per_plan: 10_000,
            history_bytes: 4 * 1024 * 1024,
            history_days: 90,
            named_versions: 50,
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

/// One write's hold on the store. When it ends, every `CHECKPOINT_EVERY` writes on SQLite,
/// the WAL is copied back into the database by a checkpoint of its own: first `PASSIVE`
/// beside the writes (it waits for no reader and no writer, and writes go on meanwhile),
/// then once more between two writes, for the few pages written during the first. A log
/// copied back whole starts again from its beginning at the next write, so it stays about
/// as long as `CHECKPOINT_EVERY` writes, and no write ever waits for the bulk of a copy.
pub(crate) struct WriteGuard<'a> {
    _lock: Option<tokio::sync::MutexGuard<'a, ()>>,
    store: &'a ShareStore,
}

/// Writes between two checkpoints (SQLite's own default is about 1,000 pages).
const CHECKPOINT_EVERY: u64 = 64;
/// Log frames few enough to copy between two writes (a write is a handful of pages).
const CHECKPOINT_TAIL: i64 = 32;

#[derive(Default)]
struct Checkpoints {
    writes: std::sync::atomic::AtomicU64,
    running: std::sync::atomic::AtomicBool,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        if self.store.write_lock.is_none() {
            return;
        }
        let checkpoints = self.store.checkpoints.clone();
        let writes = checkpoints.writes.fetch_add(1, Ordering::Relaxed) + 1;
        if !writes.is_multiple_of(CHECKPOINT_EVERY)
            || checkpoints.running.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            checkpoints.running.store(false, Ordering::Release);
            return;
        };
        let pool = self.store.pool();
        let lock = self.store.write_lock.clone();
        runtime.spawn(async move {
            // Frames of the log not yet in the database after one pass (or an error).
            let copy = || async {
                let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(&pool)
                    .await?;
                let log: i64 = row.try_get(1)?;
                let copied: i64 = row.try_get(2)?;
                Ok::<i64, sqlx::Error>(log - copied)
            };
            let mut done = copy().await;
            // Beside the writes, until what is left is what a few writes add...
            for _ in 0..3 {
                if !matches!(done, Ok(left) if left > CHECKPOINT_TAIL) {
                    break;
                }
                done = copy().await;
            }
            // ...then that little between two writes, so the whole log is copied.
            if let (Ok(_), Some(lock)) = (&done, lock) {
                let _between_writes = lock.lock().await;
                done = copy().await;
            }
            if let Err(e) = done {
                tracing::warn!(error = %error_class(&e), "copying the WAL into the database failed; the next writes try again");
            }
            checkpoints.running.store(false, Ordering::Release);
        });
    }
}

pub struct ShareStore {
    /// Replaced by a fresh pool after a failed write (see `reset_pool`).
    pool: std::sync::RwLock<AnyPool>,
    options: AnyPoolOptions,
    /// Set once the migrations have run; until then (database unreachable at start) every
    /// call tries again, so the store recovers without a restart.
    ready: tokio::sync::OnceCell<()>,
    /// SQLite allows one writer at a time; queueing writes here avoids "database is locked".
    write_lock: Option<Arc<Mutex<()>>>,
    /// SQLite's WAL is copied back into the database by this store, beside the writes
    /// rather than inside one of them (see `WriteGuard`).
    checkpoints: Arc<Checkpoints>,
    backend: &'static str,
    url: String,
    limits: StoreLimits,
    /// Where notes go besides PostgreSQL's `NOTIFY` (instances in one process: tests).
    local_notes: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedSender<notify::Note>>>,
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
                        // No commit copies the WAL back itself (SQLite's default does, every
                        // 1,000 pages, holding every write behind it for the copy and its
                        // sync): the store does it beside the writes (`WriteGuard`).
                        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
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
            write_lock: sqlite.then(|| Arc::new(Mutex::new(()))),
            checkpoints: Arc::default(),
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
    pub(crate) async fn ready(&self) -> Result<(), StoreError> {
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

    pub(crate) fn pool(&self) -> AnyPool {
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
    pub(crate) async fn write_guard(&self) -> WriteGuard<'_> {
        WriteGuard {
            _lock: match &self.write_lock {
                Some(lock) => Some(lock.lock().await),
                None => None,
            },
            store: self,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == "PostgreSQL"
    }

    /// The database URL (for PostgreSQL's listener connection). Never logged.
    pub(crate) fn url(&self) -> &str {
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
    pub fn notes_here(&self) -> tokio::sync::mpsc::UnboundedReceiver<notify::Note> {
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
    pub(crate) fn tap_logged(&self, id: &ShareId, logged: &[&crate::model::Logged]) {
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
    pub(crate) fn tell_locally(&self, notes: Vec<notify::Note>) {
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
        let _guard = self.write_guard().await;
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
