//! Settings from the environment, each with a working default.

use super::http::client_addr::ProxySetup;
use super::store::StoreLimits;
use axum::http::HeaderName;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen (`LEPTOS_SITE_ADDR`, default 127.0.0.1:3000).
    pub addr: SocketAddr,
    /// The built site: WASM, JS, CSS and public files (`LEPTOS_SITE_ROOT`, default target/site).
    pub site_root: String,
    /// Hold the site's files in memory (`LEPTOS_ENV=PROD`; in development they change under
    /// a running server and are read from disk).
    pub static_in_memory: bool,
    /// The share store (`SYNCPLAN_DATABASE_URL`): a SQLite file by default, or `postgres://…`.
    pub database_url: String,
    /// The public base of links (`SYNCPLAN_PUBLIC_URL`, e.g. `https://plans.example.com`).
    /// When unset, pages are rendered with `http://<LEPTOS_SITE_ADDR>` and the browser puts
    /// in the address it actually loaded; a request's own headers never reach a cached page.
    pub public_url: Option<String>,
    /// Share links one client may create per minute (`SYNCPLAN_SHARE_RATE_LIMIT`, default 30).
    pub share_rate_per_minute: u32,
    /// Clients the rate limiter remembers at most (`SYNCPLAN_RATE_LIMIT_CLIENTS`, 100,000).
    pub rate_limit_clients: usize,
    /// How to find the client behind reverse proxies (`SYNCPLAN_TRUSTED_PROXIES`,
    /// `SYNCPLAN_CLIENT_IP_HEADER`).
    pub proxies: ProxySetup,
    /// Daily share quota per client and the store's size (`SYNCPLAN_SHARES_PER_DAY`,
    /// `SYNCPLAN_MAX_STORE_MB`).
    pub store_limits: StoreLimits,
    /// Shares nobody opened for this many days are ended (`SYNCPLAN_SHARE_RETENTION_DAYS`;
    /// unset: shares are kept until their owner revokes them).
    pub retention_days: Option<u32>,
    /// Requests that decode, export or render at the same time (`SYNCPLAN_MAX_HEAVY_REQUESTS`).
    pub max_heavy_requests: usize,
    /// Memory for rendered share pages (`SYNCPLAN_PAGE_CACHE_MB`, default 128).
    pub page_cache_bytes: usize,
    /// Open connections at most (`SYNCPLAN_MAX_CONNECTIONS`, default 4,096).
    pub max_connections: usize,
    /// Connections per client address that sent no request yet
    /// (`SYNCPLAN_MAX_CONNECTIONS_PER_CLIENT`, default 128; eight times as many may be
    /// serving requests; not applied behind trusted proxies, where every connection comes
    /// from a proxy).
    pub max_connections_per_client: usize,
    /// Live-editing connections per client address
    /// (`SYNCPLAN_MAX_LIVE_CONNECTIONS_PER_CLIENT`, default 2,048).
    pub max_live_connections_per_client: usize,
    /// A request's headers must arrive within this (`SYNCPLAN_HEADER_TIMEOUT_SECS`, 10).
    pub header_timeout: Duration,
    /// A connection with no request for this long is closed (`SYNCPLAN_IDLE_TIMEOUT_SECS`, 60).
    pub idle_timeout: Duration,
    /// Limits of live editing (edit links).
    pub live: LiveLimits,
}

/// Limits on plans edited together.
#[derive(Clone, Debug)]
pub struct LiveLimits {
    /// Open editor connections per plan (and instance).
    pub connections_per_plan: usize,
    /// Open read-only connections (live share pages) per plan, counted apart.
    pub viewers_per_plan: usize,
    /// Ops one editor (page) may send per second, sustained…
    pub ops_per_second: u32,
    /// …and in one burst (a large paste, a long offline queue).
    pub ops_burst: u32,
    /// What one client address may send, as a multiple of one editor's rate and burst.
    pub client_ops_factor: u32,
    /// Bytes a plan's document may hold, deleted rows and Notes versions included.
    pub plan_bytes: usize,
    /// Rate limits remembered (per editor and per address; least recently used first out).
    pub remembered: usize,
}

impl Default for LiveLimits {
    fn default() -> Self {
        LiveLimits {
            connections_per_plan: 200,
            viewers_per_plan: 1_000,
            ops_per_second: 200,
            ops_burst: 20_000,
            client_ops_factor: 10,
            plan_bytes: crate::model::MAX_DOC_BYTES,
            remembered: 100_000,
        }
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/syncplan.db?mode=rwc";

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let addr_text = env_or("LEPTOS_SITE_ADDR", "127.0.0.1:3000");
        let addr = addr_text.parse().map_err(|_| {
            format!(
                "LEPTOS_SITE_ADDR is \"{addr_text}\"; set it to an address such as 127.0.0.1:3000"
            )
        })?;
        let database_url = env_or("SYNCPLAN_DATABASE_URL", DEFAULT_DATABASE_URL);
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            // The URL may carry a password: name only its scheme.
            let scheme: String = database_url
                .split(':')
                .next()
                .unwrap_or_default()
                .chars()
                .take(20)
                .collect();
            return Err(format!(
                "SYNCPLAN_DATABASE_URL starts with \"{scheme}:\"; use sqlite://path/to/file.db?mode=rwc \
                 or postgres://user@host/database"
            ));
        }
        let public_url = std::env::var("SYNCPLAN_PUBLIC_URL")
            .ok()
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &public_url {
            let valid = (url.starts_with("http://") || url.starts_with("https://"))
                && url
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"\"'<>\\`".contains(&b));
            if !valid {
                return Err(format!(
                    "SYNCPLAN_PUBLIC_URL is \"{url}\"; set it to an address such as \
                     https://plans.example.com"
                ));
            }
        }
        let header_name = env_or("SYNCPLAN_CLIENT_IP_HEADER", "");
        let header = if header_name.is_empty() {
            None
        } else {
            Some(
                HeaderName::from_str(&header_name.to_ascii_lowercase()).map_err(|_| {
                    format!(
                        "SYNCPLAN_CLIENT_IP_HEADER is \"{header_name}\"; set it to a header \
                         name such as x-forwarded-for"
                    )
                })?,
            )
        };
        // Naming a header alone (the setting's older meaning) trusts one proxy.
        let default_proxies = if header.is_some() { "1" } else { "0" };
        let trusted_proxies = number(
            "SYNCPLAN_TRUSTED_PROXIES",
            default_proxies,
            "a number of reverse proxies such as 1 (0 when clients connect directly)",
            0,
        )?;
        let proxies = ProxySetup {
            trusted_proxies,
            header: header.unwrap_or_else(|| ProxySetup::default().header),
        };
        let retention: u32 = number(
            "SYNCPLAN_SHARE_RETENTION_DAYS",
            "0",
            "a number of days such as 365, or 0 to keep shares until revoked",
            0,
        )?;
        Ok(Config {
            addr,
            site_root: env_or("LEPTOS_SITE_ROOT", "target/site"),
            static_in_memory: matches!(
                env_or("LEPTOS_ENV", "DEV").to_ascii_lowercase().as_str(),
                "prod" | "production"
            ),
            database_url,
            public_url,
            share_rate_per_minute: number(
                "SYNCPLAN_SHARE_RATE_LIMIT",
                "30",
                "a whole number of links per minute such as 30",
                1,
            )?,
            rate_limit_clients: number(
                "SYNCPLAN_RATE_LIMIT_CLIENTS",
                "100000",
                "a number of clients such as 100000",
                16,
            )?,
            proxies,
            store_limits: StoreLimits {
                shares_per_day: number(
                    "SYNCPLAN_SHARES_PER_DAY",
                    "500",
                    "a number of links per client and day such as 500",
                    1,
                )?,
                max_bytes: number::<u64>(
                    "SYNCPLAN_MAX_STORE_MB",
                    "1024",
                    "a size in MiB such as 1024",
                    1,
                )? * 1024
                    * 1024,
                history_days: number(
                    "SYNCPLAN_HISTORY_DAYS",
                    "90",
                    "a number of days such as 90",
                    1,
                )?,
                history_bytes: number::<u64>(
                    "SYNCPLAN_HISTORY_MB",
                    "4",
                    "a size in MiB such as 4",
                    1,
                )? * 1024
                    * 1024,
                named_versions: number(
                    "SYNCPLAN_NAMED_VERSIONS",
                    "50",
                    "a number of versions such as 50",
                    1,
                )?,
                ..StoreLimits::default()
            },
            retention_days: (retention > 0).then_some(retention),
            max_heavy_requests: number(
                "SYNCPLAN_MAX_HEAVY_REQUESTS",
                "8",
                "a number of requests such as 8",
                1,
            )?,
            page_cache_bytes: number::<usize>(
                "SYNCPLAN_PAGE_CACHE_MB",
                "128",
                "a size in MiB such as 128 (0 turns the share-page cache off)",
                0,
            )? * 1024
                * 1024,
            max_connections: number(
                "SYNCPLAN_MAX_CONNECTIONS",
                "4096",
                "a number of connections such as 4096",
                1,
            )?,
            max_connections_per_client: number(
                "SYNCPLAN_MAX_CONNECTIONS_PER_CLIENT",
                "128",
                "a number of connections such as 128",
                1,
            )?,
            max_live_connections_per_client: number(
                "SYNCPLAN_MAX_LIVE_CONNECTIONS_PER_CLIENT",
                "2048",
                "a number of connections such as 2048",
                1,
            )?,
            header_timeout: Duration::from_secs(number(
                "SYNCPLAN_HEADER_TIMEOUT_SECS",
                "10",
                "a number of seconds such as 10",
                1,
            )?),
            idle_timeout: Duration::from_secs(number(
                "SYNCPLAN_IDLE_TIMEOUT_SECS",
                "60",
                "a number of seconds such as 60",
                1,
            )?),
            live: LiveLimits {
                connections_per_plan: number(
                    "SYNCPLAN_LIVE_CONNECTIONS_PER_PLAN",
                    "200",
                    "a number of connections such as 200",
                    1,
                )?,
                viewers_per_plan: number(
                    "SYNCPLAN_LIVE_VIEWERS_PER_PLAN",
                    "1000",
                    "a number of connections such as 1000",
                    1,
                )?,
                plan_bytes: number::<usize>(
                    "SYNCPLAN_LIVE_PLAN_MB",
                    "8",
                    "a size in MiB such as 8",
                    1,
                )? * 1024
                    * 1024,
                ops_per_second: number(
                    "SYNCPLAN_LIVE_OPS_PER_SECOND",
                    "200",
                    "a number of edits per second such as 200",
                    1,
                )?,
                ops_burst: number(
                    "SYNCPLAN_LIVE_OPS_BURST",
                    "20000",
                    "a number of edits such as 20000",
                    1,
                )?,
                ..LiveLimits::default()
            },
        })
    }

    /// Defaults for tests and tools: an in-memory-free temporary setup is the caller's job.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            addr: "127.0.0.1:0".parse().expect("a valid address"),
            site_root: "target/site".into(),
            static_in_memory: false,
            database_url: database_url.into(),
            public_url: None,
            share_rate_per_minute: 30,
            rate_limit_clients: 100_000,
            proxies: ProxySetup::default(),
            store_limits: StoreLimits::default(),
            retention_days: None,
            max_heavy_requests: 8,
            page_cache_bytes: 128 * 1024 * 1024,
            max_connections: 4096,
            max_connections_per_client: 128,
            max_live_connections_per_client: 2048,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            live: LiveLimits::default(),
        }
    }

    /// The origin links are built from: the configured public URL, else the listen address.
    pub fn link_origin(&self) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}", self.addr),
        }
    }

    /// Whether the site is served over HTTPS (then browsers are told to keep to it).
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("syncplan")
            .site_root(self.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(self.addr)
            .hash_files(hash_file_present())
            .build()
    }
}

/// The site build (scripts/build-site.mjs or cargo-leptos) writes `hash.txt` beside the server
/// binary when file names are hashed.
fn hash_file_present() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file()))
        .unwrap_or(false)
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A whole-number setting of at least `min`; `hint` says what to write instead.
fn number<T>(key: &str, default: &str, hint: &str, min: T) -> Result<T, String>
where
    T: FromStr + PartialOrd + Copy,
{
    let text = env_or(key, default);
    text.parse::<T>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| format!("{key} is \"{text}\"; set it to {hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_explain_what_to_write() {
        std::env::set_var("SYNCPLAN_TEST_NUMBER", "lots");
        let err = number::<u32>("SYNCPLAN_TEST_NUMBER", "3", "a number such as 3", 1).unwrap_err();
        assert_eq!(
            err,
            "SYNCPLAN_TEST_NUMBER is \"lots\"; set it to a number such as 3"
        );
        std::env::set_var("SYNCPLAN_TEST_NUMBER", "0");
        assert!(number::<u32>("SYNCPLAN_TEST_NUMBER", "3", "x", 1).is_err());
        std::env::remove_var("SYNCPLAN_TEST_NUMBER");
        assert_eq!(number::<u32>("SYNCPLAN_TEST_NUMBER", "3", "x", 1), Ok(3));
    }
}
