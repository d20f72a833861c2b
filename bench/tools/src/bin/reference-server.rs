//! The throughput reference: fixed HTML bytes served from memory by a bare axum handler.
//! Usage: reference-server ADDR PATH=FILE [PATH=FILE …]

use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;
use axum::Router;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .expect("usage: reference-server ADDR PATH=FILE …");
    let mut app = Router::new();
    for spec in args {
        let (path, file) = spec.split_once('=').expect("PATH=FILE");
        let bytes = Bytes::from(std::fs::read(file).expect("readable page file"));
        app = app.route(
            path,
            get(move || {
                let bytes = bytes.clone();
                async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes) }
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!("reference server on http://{addr}");
    axum::serve(listener, app).await.expect("serve");
}
