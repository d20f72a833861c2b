#![cfg(feature = "ssr")]
//! Runs the real server binary, creates shares from several clients, kills the process with
//! SIGKILL at random moments and restarts it: every share whose 201 arrived must come back
//! identical. (`SYNCPLAN_KILL_CYCLES` sets the number of cycles; default 100.)

use crate::common::{free_port, spawn_server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use syncplan::model::Plan;
use syncplan::template::default_plan;

/// A minimal HTTP/1.1 exchange (`Connection: close`); returns status and body.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("incomplete response"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let length: Option<usize> = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    });
    if length.is_some_and(|n| n != body.len()) {
        return Err(std::io::Error::other("truncated body"));
    }
    Ok((status, body.to_owned()))
}

fn start(port: u16, database_url: &str) -> Child {
    spawn_server(
        format!("127.0.0.1:{port}").parse().unwrap(),
        database_url,
        &[],
        None,
    )
}

/// xorshift: reproducible "random" kill moments from a printed seed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn acknowledged_shares_survive_sigkill() {
    let cycles: usize = std::env::var("SYNCPLAN_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("shares.db").display()
    );
    let port = free_port();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("kill-test seed {seed}");

    let acknowledged: Arc<Mutex<Vec<(String, Plan)>>> = Arc::default();
    let mut verified = 0;
    let mut attempts = 0usize;
    for cycle in 0..cycles {
        let mut server = start(port, &database_url);

        // Everything acknowledged before the last kill is back, unchanged.
        let list = acknowledged.lock().unwrap().clone();
        for (id, plan) in &list[verified..] {
            let (status, body) = http(port, "GET", &format!("/api/shares/{id}"), None)
                .expect("the restarted server answers");
            assert_eq!(status, 200, "share {id} lost after a kill (cycle {cycle})");
            let stored: Plan = serde_json::from_str(&body).unwrap();
            assert_eq!(&stored, plan, "share {id} changed after a kill");
        }
        verified = list.len();

        let stop = Arc::new(Mutex::new(false));
        let clients: Vec<_> = (0..4)
            .map(|client| {
                let acknowledged = acknowledged.clone();
                let stop = stop.clone();
                thread::spawn(move || {
                    let mut sent = 0;
                    while !*stop.lock().unwrap() {
                        let mut plan = default_plan();
                        plan.title = format!("cycle {cycle} client {client} share {sent}");
                        plan.rows[0].notes = "x".repeat(sent * 37 % 5000);
                        sent += 1;
                        match http(port, "POST", "/api/shares", Some(&plan.to_json())) {
                            Ok((201, body)) => {
                                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                                let id = v["id"].as_str().unwrap().to_owned();
                                acknowledged.lock().unwrap().push((id, plan));
                            }
                            Ok((status, body)) => panic!("unexpected {status}: {body}"),
                            // The kill cut this request off: it was never acknowledged.
                            Err(_) => break,
                        }
                    }
                    sent
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(5 + next(&mut seed) % 60));
        server.kill().expect("SIGKILL");
        let _ = server.wait();
        *stop.lock().unwrap() = true;
        for c in clients {
            attempts += c.join().expect("a client thread panicked");
        }
    }

    let mut server = start(port, &database_url);
    let list = acknowledged.lock().unwrap().clone();
    for (id, plan) in &list {
        let (status, body) = http(port, "GET", &format!("/api/shares/{id}"), None).unwrap();
        assert_eq!(status, 200, "share {id} lost");
        assert_eq!(&serde_json::from_str::<Plan>(&body).unwrap(), plan);
    }
    server.kill().unwrap();
    let _ = server.wait();
    println!(
        "kill test: {cycles} SIGKILL cycles, {attempts} creations attempted, {} acknowledged, 0 lost",
        list.len()
    );
    assert!(list.len() >= cycles, "shares were created in most cycles");
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("shares.db").display()
    );
    let port = free_port();
    let mut server = start(port, &database_url);

    // A request whose body is still arriving when the signal comes.
    let body = default_plan().to_json();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /api/export/csv HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    thread::sleep(Duration::from_millis(200));
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    thread::sleep(Duration::from_millis(200));
    stream.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        &response[..response.len().min(200)]
    );
    assert!(response.contains("#,Item,Category"));

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            assert!(status.success(), "clean exit after SIGTERM: {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        thread::sleep(Duration::from_millis(20));
    }
    // And it no longer accepts connections.
    assert!(http(port, "GET", "/healthz", None).is_err());
}
