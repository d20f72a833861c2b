//! Settings from the environment, each with a working default.

use leptos::config::LeptosOptions;
use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen (`LEPTOS_SITE_ADDR`, default 127.0.0.1:3000).
    pub addr: SocketAddr,
    /// The built site: WASM, JS, CSS and public files (`LEPTOS_SITE_ROOT`, default target/site).
    pub site_root: String,
    /// The share store (`SYNCPLAN_DATABASE_URL`): a SQLite file by default, or `postgres://…`.
    pub database_url: String,
    /// The base of share links (`SYNCPLAN_PUBLIC_URL`, e.g. `https://plans.example.com`);
    /// when unset, links use the host the request came to.
    pub public_url: Option<String>,
    /// Share links one client may create per minute (`SYNCPLAN_SHARE_RATE_LIMIT`, default 30).
    pub share_rate_per_minute: u32,
    /// A header carrying the client's address when behind a proxy or load balancer
    /// (`SYNCPLAN_CLIENT_IP_HEADER`, e.g. `x-forwarded-for`); unset means the socket address.
    pub client_ip_header: Option<String>,
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
        let rate_text = env_or("SYNCPLAN_SHARE_RATE_LIMIT", "30");
        let share_rate_per_minute = rate_text.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            format!("SYNCPLAN_SHARE_RATE_LIMIT is \"{rate_text}\"; set it to a whole number of links per minute such as 30")
        })?;
        let database_url = env_or("SYNCPLAN_DATABASE_URL", DEFAULT_DATABASE_URL);
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(format!(
                "SYNCPLAN_DATABASE_URL is \"{database_url}\"; use sqlite://path/to/file.db?mode=rwc \
                 or postgres://user@host/database"
            ));
        }
        let public_url = std::env::var("SYNCPLAN_PUBLIC_URL")
            .ok()
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "SYNCPLAN_PUBLIC_URL is \"{url}\"; it must start with https:// or http://"
                ));
            }
        }
        Ok(Config {
            addr,
            site_root: env_or("LEPTOS_SITE_ROOT", "target/site"),
            database_url,
            public_url,
            share_rate_per_minute,
            client_ip_header: std::env::var("SYNCPLAN_CLIENT_IP_HEADER")
                .ok()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty()),
        })
    }

    /// Defaults for tests and tools: an in-memory-free temporary setup is the caller's job.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            addr: "127.0.0.1:0".parse().expect("a valid address"),
            site_root: "target/site".into(),
            database_url: database_url.into(),
            public_url: None,
            share_rate_per_minute: 30,
            client_ip_header: None,
        }
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

/// cargo-leptos writes `hash.txt` beside the server binary when file names are hashed.
fn hash_file_present() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file()))
        .unwrap_or(false)
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}
