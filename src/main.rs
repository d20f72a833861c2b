#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use syncplan::server::{app, serve, spawn_maintenance, AppState, Config, ConnectionLimits};
    use tracing_subscriber::EnvFilter;

    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = match Config::from_env() {
        Ok(c) => c,
        Err(why) => {
            eprintln!("syncplan cannot start: {why}");
            std::process::exit(2);
        }
    };
    let addr = config.addr;
    let state = match AppState::new(config).await {
        Ok(s) => s,
        Err(why) => {
            eprintln!("syncplan cannot open its share store: {why}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "syncplan cannot listen on {}: {e}. Is another server using that port? \
                 Set LEPTOS_SITE_ADDR to use another one.",
                addr
            );
            std::process::exit(2);
        }
    };
    tracing::info!(store = state.store.backend(), "share store ready");
    spawn_maintenance(&state);
    let limits = ConnectionLimits {
        max_connections: state.config.max_connections,
        // Behind proxies every connection comes from a proxy: count clients per request.
        max_per_client: (state.config.proxies.trusted_proxies == 0)
            .then_some(state.config.max_connections_per_client),
        max_live_per_client: state.config.max_live_connections_per_client,
        header_timeout: state.config.header_timeout,
        idle_timeout: state.config.idle_timeout,
    };
    println!("syncplan is running at http://{}", addr);
    if let Err(e) = serve(listener, app(state), limits, shutdown_signal()).await {
        eprintln!("syncplan stopped with an error: {e}");
        std::process::exit(1);
    }
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the server exits.
#[cfg(feature = "ssr")]
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser build starts from `hydrate()` in lib.rs.
}
