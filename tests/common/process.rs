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
