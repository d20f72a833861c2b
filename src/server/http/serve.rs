//! Accepting connections: HTTP/1.1 with upgrades (WebSockets), TCP_NODELAY, a cap on open
//! connections overall and per client address, a deadline for request headers (which also
//! closes keep-alive connections left idle between requests), an idle timeout for
//! connections that move no bytes at all, and graceful shutdown.
//!
//! Per client address, connections are counted by what they hold: those that have not sent
//! a request yet (what a slow-headers attack holds) against a small budget, those serving
//! requests against a larger one, and live-editing connections (an office behind one
//! address keeps a socket per open editor) against their own. Past a budget the client gets
//! a 503 with `Retry-After` and a sentence, never a bare reset.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

/// Limits on connections.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    /// Per peer address, connections that have not sent a request yet (eight times as
    /// many may be serving requests); `None` behind proxies (every peer is a proxy).
    pub max_per_client: Option<usize>,
    /// Per peer address, live-editing connections (WebSockets).
    pub max_live_per_client: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

/// How many connections of one address may be serving requests, per one that has not sent
/// any yet.
const SERVED_PER_WAITING: usize = 8;

/// What a client past its budget is told (and how soon to try again).
const BUSY_SECS: u64 = 5;
const BUSY_SENTENCE: &str = "This address has as many connections open as the server allows; try again in a few seconds. If many people share this address (an office network, a proxy), the server's operator can raise SYNCPLAN_MAX_CONNECTIONS_PER_CLIENT or SYNCPLAN_MAX_LIVE_CONNECTIONS_PER_CLIENT, or name the proxies in SYNCPLAN_TRUSTED_PROXIES.";

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Serves `app` on `listener` until `shutdown` resolves, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let per_client: Arc<Mutex<HashMap<IpAddr, Counts>>> = Arc::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Wait for room before accepting: past the cap, new clients wait in the backlog.
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Responses are written whole; Nagle's algorithm would hold back their last
        // segment until the client acknowledges (up to 40 ms with delayed ACKs).
        let _ = stream.set_nodelay(true);
        let Some(slot) = ClientSlot::take(&per_client, peer.ip(), &limits) else {
            // This address holds its share of connections that sent nothing yet: say so
            // and close.
            tokio::spawn(async move {
                tell_busy(stream).await;
                drop(permit);
            });
            continue;
        };
        let ticket = ConnectionTicket(Arc::new(Mutex::new(Ticket {
            slot,
            _permit: permit,
        })));
        let app = app.clone();
        let limits = limits.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, &limits, stop, ticket).await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it ends: all permits back means all done.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, open.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open when the shutdown grace period ended");
    }
    Ok(())
}

/// Writes a 503 with `Retry-After` on a connection that cannot be served, then closes it.
async fn tell_busy(mut stream: TcpStream) {
    use tokio::io::AsyncWriteExt as _;
    let body = format!("{{\"error\":\"{BUSY_SENTENCE}\"}}");
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: {BUSY_SECS}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// The 503 a request gets when its connection is past its address's budget.
fn busy_response() -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse as _;
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(crate::shared::api::ApiError::new(BUSY_SENTENCE)),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(BUSY_SECS));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// What a connection holds of the server's budgets (its place overall and its address's).
/// A request carries a copy in its extensions: a connection upgraded to a WebSocket keeps
/// its place for as long as the socket lives (the handler holds the copy).
#[derive(Clone)]
pub struct ConnectionTicket(Arc<Mutex<Ticket>>);

struct Ticket {
    slot: Option<ClientSlot>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: &ConnectionLimits,
    mut stop: watch::Receiver<bool>,
    ticket: ConnectionTicket,
) {
    let activity = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
        started,
    });
    let service = TowerToHyperService::new(tower::service_fn(
        move |mut request: axum::http::Request<Incoming>| {
            // A request arrived: the connection moves to the budget of its kind.
            let live = request
                .headers()
                .get(axum::http::header::UPGRADE)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
            let admitted = ticket
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .slot
                .as_mut()
                .is_none_or(|s| s.promote(if live { State::Live } else { State::Served }));
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(ticket.clone());
            let app = app.clone();
            async move {
                if !admitted {
                    return Ok(busy_response());
                }
                tower::ServiceExt::oneshot(app, request).await
            }
        },
    ));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service).with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let idle = idle_watch(activity, started, limits.idle_timeout);
    let mut idle = std::pin::pin!(idle);
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = &mut idle => {
                tracing::debug!("closing a connection idle for too long");
                return;
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    conn.as_mut().graceful_shutdown();
                    // Finish what is in flight, then the connection ends by itself.
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut()).await;
                    return;
                }
            }
        }
    }
}

/// Resolves once no byte has moved either way for `timeout`.
async fn idle_watch(activity: Arc<AtomicU64>, started: Instant, timeout: Duration) {
    loop {
        let last = Duration::from_millis(activity.load(Ordering::Relaxed));
        let deadline = started + last + timeout;
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// A socket that notes when bytes last moved.
struct Watched {
    inner: TcpStream,
    /// Milliseconds after `started` of the last read or write.
    activity: Arc<AtomicU64>,
    started: Instant,
}

impl Watched {
    fn touch(&self) {
        self.activity
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What a connection holds, for its address's budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No request yet.
    Waiting,
    /// Serving requests (kept alive between them).
    Served,
    /// A live-editing WebSocket.
    Live,
}

/// One address's connections, by state.
#[derive(Default, Debug)]
struct Counts {
    waiting: usize,
    served: usize,
    live: usize,
}

impl Counts {
    fn of(&mut self, state: State) -> &mut usize {
        match state {
            State::Waiting => &mut self.waiting,
            State::Served => &mut self.served,
            State::Live => &mut self.live,
        }
    }

    fn is_empty(&self) -> bool {
        self.waiting + self.served + self.live == 0
    }
}

/// One of a client address's connections; gives its place back when dropped.
struct ClientSlot {
    counts: Arc<Mutex<HashMap<IpAddr, Counts>>>,
    ip: IpAddr,
    state: State,
    /// The budgets: waiting, served, live.
    caps: [usize; 3],
}

impl ClientSlot {
    /// A place for a new connection from `ip`, if it holds fewer than the budget of
    /// connections that sent nothing yet (always, without a budget: behind proxies).
    fn take(
        counts: &Arc<Mutex<HashMap<IpAddr, Counts>>>,
        ip: IpAddr,
        limits: &ConnectionLimits,
    ) -> Option<Option<ClientSlot>> {
        let Some(max) = limits.max_per_client else {
            return Some(None);
        };
        let mut map = counts.lock().unwrap_or_else(|e| e.into_inner());
        let held = map.entry(ip).or_default();
        if held.waiting >= max {
            if held.is_empty() {
                map.remove(&ip);
            }
            return None;
        }
        held.waiting += 1;
        Some(Some(ClientSlot {
            counts: counts.clone(),
            ip,
            state: State::Waiting,
            caps: [
                max,
                max.saturating_mul(SERVED_PER_WAITING),
                limits.max_live_per_client,
            ],
        }))
    }

    /// Moves the connection to `to`'s budget; false (and nothing moved) when it is full.
    fn promote(&mut self, to: State) -> bool {
        if to == self.state {
            return true;
        }
        let cap = self.caps[to as usize];
        let mut map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let held = map.entry(self.ip).or_default();
        if *held.of(to) >= cap {
            return false;
        }
        *held.of(to) += 1;
        *held.of(self.state) -= 1;
        self.state = to;
        true
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = map.get_mut(&self.ip) {
            *held.of(self.state) -= 1;
            if held.is_empty() {
                map.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_slots_are_capped_by_state_and_given_back() {
        let counts = Arc::default();
        let limits = ConnectionLimits {
            max_connections: 100,
            max_per_client: Some(2),
            max_live_per_client: 3,
            header_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
        };
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let take = || ClientSlot::take(&counts, ip, &limits).map(Option::unwrap);
        let mut a = take().unwrap();
        let b = take().unwrap();
        assert!(
            take().is_none(),
            "two sent nothing yet: the third is told to wait"
        );
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(ClientSlot::take(&counts, other, &limits).is_some());
        // A connection that sends a request leaves the waiting budget: room again.
        assert!(a.promote(State::Live));
        let mut c = take().unwrap();
        assert!(c.promote(State::Live));
        let mut d = take().unwrap();
        assert!(d.promote(State::Live));
        let mut e = take().unwrap();
        assert!(!e.promote(State::Live), "three live at most");
        assert!(e.promote(State::Served));
        drop((a, b, c, d, e));
        assert!(counts.lock().unwrap().is_empty(), "the map does not grow");
        assert!(ClientSlot::take(
            &counts,
            ip,
            &ConnectionLimits {
                max_per_client: None,
                ..limits.clone()
            }
        )
        .unwrap()
        .is_none());
    }
}
