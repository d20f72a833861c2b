#![cfg(feature = "ssr")]
//! Against the real binary: slow clients cannot hold the server. A slowloris (hundreds of
//! sockets trickling request headers from one address) is cut off at the header deadline
//! and capped per address, while another client keeps getting `/healthz` at once. Also:
//! logs never carry share ids, owner tokens or database passwords.

use crate::common::{free_port, spawn_server};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

/// Connects from `source` (any 127.x.y.z address is this machine).
fn connect_from(source: &str, port: u16) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let local: SocketAddr = format!("{source}:0").parse().unwrap();
    socket.bind(&local.into())?;
    let remote: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    socket.connect_timeout(&remote.into(), Duration::from_secs(5))?;
    Ok(socket.into())
}

/// One `GET` on a fresh connection from `source`; the status and how long it took.
fn get_from(source: &str, port: u16, path: &str) -> std::io::Result<(u16, String, Duration)> {
    let started = Instant::now();
    let mut stream = connect_from(source, port)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, text, started.elapsed()))
}

fn start(port: u16, envs: &[(&str, &str)], log: Option<&std::path::Path>) -> Child {
    let db = format!(
        "sqlite://{}?mode=rwc",
        std::env::temp_dir()
            .join(format!("syncplan-slow-{port}.db"))
            .display()
    );
    let mut envs = envs.to_vec();
    envs.insert(0, ("RUST_LOG", "warn"));
    spawn_server(
        format!("127.0.0.1:{port}").parse().unwrap(),
        &db,
        &envs,
        log,
    )
}

#[test]
fn a_slowloris_is_cut_off_and_others_are_still_served() {
    let port = free_port();
    let mut server = start(
        port,
        &[
            ("SYNCPLAN_HEADER_TIMEOUT_SECS", "2"),
            ("SYNCPLAN_MAX_CONNECTIONS_PER_CLIENT", "64"),
        ],
        None,
    );
    // 600 sockets from one address, each sending a request line and then one header byte
    // every 300 ms: never a complete header.
    let mut slow = Vec::new();
    for _ in 0..600 {
        match connect_from("127.0.0.1", port) {
            Ok(mut s) => {
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
                s.set_nonblocking(true).unwrap();
                slow.push(s);
            }
            Err(_) => break,
        }
    }
    let opened = Instant::now();
    let mut worst = Duration::ZERO;
    let mut answered = 0;
    while opened.elapsed() < Duration::from_secs(4) {
        for s in &mut slow {
            let _ = s.write_all(b"a");
        }
        let (status, _, took) = get_from("127.0.0.2", port, "/healthz").expect("healthz answers");
        assert_eq!(status, 200);
        worst = worst.max(took);
        answered += 1;
        thread::sleep(Duration::from_millis(300));
    }
    println!("healthz answered {answered} times during the slowloris, worst {worst:?}");
    assert!(worst < Duration::from_secs(1), "healthz took {worst:?}");

    // Past the header deadline every slow socket has been closed by the server.
    let mut open = 0;
    for s in &mut slow {
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0u8; 256];
        let closed = loop {
            match s.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    break false
                }
                Err(_) => break true,
            }
        };
        if !closed {
            open += 1;
        }
    }
    println!(
        "{} slow sockets, {open} still open after the deadline",
        slow.len()
    );
    assert_eq!(open, 0, "slow sockets outlived the header deadline");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn logs_never_carry_share_ids_tokens_or_database_passwords() {
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut server = start(port, &[("RUST_LOG", "debug")], Some(log.path()));
    let body = syncplan::template::default_plan().to_json();
    let mut stream = connect_from("127.0.0.2", port).unwrap();
    write!(
        stream,
        "POST /api/shares HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let json = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let created: serde_json::Value = serde_json::from_str(json).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let token = created["owner_token"].as_str().unwrap().to_owned();
    // Editing on: the edit secret, the edit link's page, and live traffic that carries it.
    let raw = |request: String| {
        let mut stream = connect_from("127.0.0.2", port).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    let enabled = raw(format!(
        "POST /api/shares/{id}/edit HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n"
    ));
    let json = &enabled[enabled.find("\r\n\r\n").unwrap() + 4..];
    let edit: serde_json::Value = serde_json::from_str(json).unwrap();
    let edit = edit["edit_token"].as_str().unwrap().to_owned();
    let batch = syncplan::shared::wire::encode(&syncplan::shared::wire::ClientMsg::Ping(1));
    let sent = raw(format!(
        "POST /api/live/{id}/send HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         x-syncplan-edit-token: {edit}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\n\r\n",
        batch.len()
    ));
    assert!(sent.starts_with("HTTP/1.1 "), "{sent}");
    for path in [
        format!("/s/{id}"),
        format!("/api/shares/{id}"),
        format!("/s/{id}/export/csv"),
        format!("/s/{id}x"),
        format!("/e/{id}"),
        format!("/api/live/{id}"),
    ] {
        get_from("127.0.0.2", port, &path).unwrap();
    }
    let mut stream = connect_from("127.0.0.2", port).unwrap();
    write!(
        stream,
        "DELETE /api/shares/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 204"), "{response}");
    let _ = server.kill();
    let _ = server.wait();
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.len() > 100, "debug logs were written");
    assert!(!logged.contains(&id), "a share id in the logs");
    assert!(!logged.contains(&token), "an owner token in the logs");
    assert!(!logged.contains(&edit), "an edit secret in the logs");
    assert!(
        logged.contains("/e/…"),
        "the edit link's request was logged, redacted"
    );
    assert!(
        logged.contains("/api/live/…/send"),
        "live traffic was logged, redacted"
    );

    // A bad database URL is named by its scheme only.
    let output = Command::new(env!("CARGO_BIN_EXE_syncplan"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env(
            "SYNCPLAN_DATABASE_URL",
            "mysql://admin:hunter2@db.internal/plans",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SYNCPLAN_DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // An unreachable PostgreSQL: the server starts, logs why sharing is down, never the password.
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let file = std::fs::File::create(log.path()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_syncplan"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env(
            "SYNCPLAN_DATABASE_URL",
            "postgres://admin:hunter2@127.0.0.1:1/plans",
        )
        .env("RUST_LOG", "debug")
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok((503, _, _)) = get_from("127.0.0.2", port, "/healthz") {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.contains("health check failed"), "{logged}");
    assert!(!logged.contains("hunter2"), "{logged}");
}
