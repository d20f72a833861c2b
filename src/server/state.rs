//! What every handler shares: settings, the share store, limits, caches.

use super::config::Config;
use super::http::error::AppError;
use super::http::rate_limit::RateLimiter;
use super::http::security_headers::PagePolicy;
use super::live::Live;
use super::pages::page_cache::{PageCache, PagesState};
use super::pages::static_files::StaticFiles;
use super::store::{ShareStore, StoreError};
use crate::shared::ShareId;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub store: Arc<ShareStore>,
    pub limiter: Arc<RateLimiter>,
    pub pages: Arc<PageCache>,
    /// Permits for requests that decode, export or render: memory stays bounded by what
    /// that many requests may do at once.
    pub heavy: Arc<Semaphore>,
    /// The Content-Security-Policy of HTML pages, from the scripts the app itself emits.
    pub policy: Arc<PagePolicy>,
    /// Rooms of the plans edited together on this instance.
    pub live: Arc<Live>,
    /// The site's static files, held in memory in production.
    pub files: Arc<StaticFiles>,
}

impl AppState {
    /// Prepares the share store and builds the state the router needs. Fails only on a
    /// configuration error; an unreachable database makes sharing answer 503 until it is back.
    pub async fn new(config: Config) -> Result<AppState, StoreError> {
        let store =
            Arc::new(ShareStore::open(&config.database_url, config.store_limits.clone()).await?);
        let leptos_options = config.leptos_options();
        let pages = Arc::new(PageCache::new(config.page_cache_bytes));
        let forget = Arc::downgrade(&pages);
        let live = Live::new(
            store.clone(),
            Arc::new(move |id| {
                if let Some(pages) = forget.upgrade() {
                    pages.forget_share(id);
                }
            }),
            config.live.clone(),
        );
        let files = if config.static_in_memory {
            let root = std::path::PathBuf::from(&config.site_root);
            tokio::task::spawn_blocking(move || StaticFiles::load(&root))
                .await
                .unwrap_or_default()
        } else {
            StaticFiles::default()
        };
        Ok(AppState {
            files: Arc::new(files),
            policy: Arc::new(PagePolicy::for_app(&leptos_options, config.is_https()).await),
            leptos_options,
            limiter: Arc::new(RateLimiter::new(
                config.share_rate_per_minute,
                Duration::from_secs(60),
                config.rate_limit_clients,
            )),
            pages,
            heavy: Arc::new(Semaphore::new(config.max_heavy_requests)),
            config: Arc::new(config),
            store,
            live,
        })
    }

    /// A permit to do heavy work now, waiting briefly for one; a burst beyond the cap gets
    /// 503 with `Retry-After` instead of queueing without bound.
    pub async fn heavy_permit(&self) -> Result<OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(HEAVY_WAIT, self.heavy.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::Busy { retry_after: 2 }),
        }
    }
}

/// How long a heavy request waits for a permit before it is told to come back.
const HEAVY_WAIT: Duration = Duration::from_secs(2);

impl AppState {
    /// Records that a share was seen (only when a retention period ends unvisited shares).
    pub fn visited(&self, id: &ShareId) {
        if self.config.retention_days.is_some() {
            self.store.touch_later(id);
        }
    }
}

impl FromRef<AppState> for PagesState {
    fn from_ref(state: &AppState) -> PagesState {
        PagesState {
            pages: state.pages.clone(),
            store: state.store.clone(),
            record_visits: state.config.retention_days.is_some(),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// Background upkeep: expired share pages out of memory, old daily counts out of the
/// database, and (when a retention period is set) shares nobody opened for that long ended.
pub fn spawn_maintenance(state: &AppState) {
    let pages = Arc::downgrade(&state.pages);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(super::pages::page_cache::SHARE_PAGE_MAX_AGE);
        loop {
            tick.tick().await;
            match pages.upgrade() {
                Some(pages) => pages.purge_expired(),
                None => return,
            }
        }
    });
    let store = state.store.clone();
    let retention = state.config.retention_days;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = store.forget_old_counts().await {
                tracing::warn!(error = %e, "old share counts could not be cleared");
            }
            if let Some(days) = retention {
                match store.expire_unvisited(days).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(shares = n, days, "ended shares nobody opened"),
                    Err(e) => tracing::warn!(error = %e, "the retention sweep failed"),
                }
            }
        }
    });
}
