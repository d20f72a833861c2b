//! The real server binary as a process: a free address, a start that waits until
//! `/healthz` answers, and the defaults every suite wants (generous share limits, quiet logs).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    free_addr().port()
}

pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Starts the server binary on `addr` over `database_url`, with `envs` on top of the
/// defaults, its output in `log` (or nowhere), and returns once it is healthy.
pub fn spawn_server(
    addr: SocketAddr,
    database_url: &str,
    envs: &[(&str, &str)],
    log: Option<&Path>,
) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_syncplan"));
    command
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("SYNCPLAN_DATABASE_URL", database_url)
        .env("SYNCPLAN_SHARE_RATE_LIMIT", "1000000")
        .env("SYNCPLAN_SHARES_PER_DAY", "100000000")
        .env("RUST_LOG", "error")
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(path) = log {
        let file = std::fs::File::create(path).unwrap();
        command.stdout(file.try_clone().unwrap()).stderr(file);
    }
    let mut child = command.spawn().expect("the server binary starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if healthy(addr) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not become healthy");
}

/// `GET /healthz` answered 200 (from 127.0.0.2, so checks never count against the
/// per-address budgets tests measure on 127.0.0.1).
fn healthy(addr: SocketAddr) -> bool {
    let Ok(socket) = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
    else {
        return false;
    };
    let local: SocketAddr = "127.0.0.2:0".parse().unwrap();
    if socket.bind(&local.into()).is_err()
        || socket
            .connect_timeout(&addr.into(), Duration::from_secs(2))
            .is_err()
    {
        return false;
    }
    let mut stream: TcpStream = socket.into();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    response.starts_with(b"HTTP/1.1 200")
}

/// One HTTP/1.1 exchange with a server process (`Connection: close`): status and body.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let auth = auth
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_owned()))
}

/// Shares `plan` on the server at `addr` and turns editing on: (id, edit secret).
pub async fn live_plan_over_http(
    addr: SocketAddr,
    plan: &syncplan::model::Plan,
) -> (String, String) {
    let (status, body) = http(addr, "POST", "/api/shares", None, &plan.to_json())
        .await
        .unwrap();
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let owner = created["owner_token"].as_str().unwrap().to_owned();
    let path = format!("/api/shares/{id}/edit");
    let (status, body) = http(addr, "POST", &path, Some(&owner), "").await.unwrap();
    assert_eq!(status, 200, "{body}");
    let edit: serde_json::Value = serde_json::from_str(&body).unwrap();
    (id, edit["edit_token"].as_str().unwrap().to_owned())
}
