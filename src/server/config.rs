//! Settings from the environment, each with a working default.

use leptos::config::LeptosOptions;
use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen (`LEPTOS_SITE_ADDR`, default 127.0.0.1:3000).
    pub addr: SocketAddr,
    /// The built site: WASM, JS, CSS and public files (`LEPTOS_SITE_ROOT`, default target/site).
    pub site_root: String,
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let addr_text = env_or("LEPTOS_SITE_ADDR", "127.0.0.1:3000");
        let addr = addr_text.parse().map_err(|_| {
            format!(
                "LEPTOS_SITE_ADDR is \"{addr_text}\"; set it to an address such as 127.0.0.1:3000"
            )
        })?;
        Ok(Config {
            addr,
            site_root: env_or("LEPTOS_SITE_ROOT", "target/site"),
        })
    }

    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("syncplan")
            .site_root(self.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(self.addr)
            .build()
    }
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}
