//! Content codings and byte responses: which coding a client takes, and one way to answer
//! with bytes (type, length, coding, no body for HEAD), used by the page cache and the
//! static files alike.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The content coding to answer with: brotli, else gzip, else none.
pub fn preferred_encoding(headers: &HeaderMap) -> Option<&'static str> {
    if accepts(headers, "br") {
        Some("br")
    } else if accepts(headers, "gzip") {
        Some("gzip")
    } else {
        None
    }
}

/// Whether `Accept-Encoding` offers `coding` (and not with `q=0`).
pub fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    accepted.split(',').any(|part| {
        let mut pieces = part.split(';');
        let name = pieces.next().unwrap_or_default().trim();
        let refused = pieces.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

/// `bytes` (in `encoding`, if any) as a 200 with its type and length; no body for HEAD.
pub fn bytes_response(
    bytes: Bytes,
    head_only: bool,
    content_type: HeaderValue,
    encoding: Option<&'static str>,
) -> Response {
    let length = bytes.len();
    let mut response = if head_only {
        Body::empty().into_response()
    } else {
        Body::from(bytes).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(e) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    response
}
