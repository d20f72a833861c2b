//! The site's static files (the build's JS, WASM and CSS, favicons, robots.txt, the service
//! worker) read into memory at start-up and written out from there. tower-http's `ServeDir`
//! (behind Leptos' fallback) opens, stats and reads each file through blocking-pool hops on
//! every request, which cost a small file ~90 % of its throughput; here a request is a map
//! lookup. Brotli and gzip variants the build wrote beside a file are served to clients that
//! accept them, and each file has a strong ETag so a revalidation is answered 304.
//!
//! Only in production (`LEPTOS_ENV=PROD`, as `make run` sets): in development the files change
//! under a running server, and Leptos' fallback reads them fresh.

use crate::server::http::encoding::{accepts, bytes_response};
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// Files larger than this stay on disk (Leptos' fallback serves them).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// At most this much of the site is held in memory.
const MAX_TOTAL_BYTES: usize = 128 * 1024 * 1024;

struct File {
    plain: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
    content_type: HeaderValue,
    etag: HeaderValue,
}

#[derive(Default)]
pub struct StaticFiles {
    /// By URL path (`/robots.txt`, `/pkg/syncplan.….wasm`).
    files: HashMap<String, File>,
}

impl StaticFiles {
    /// Reads every file under `root` (a missing folder gives an empty set).
    pub fn load(root: &Path) -> StaticFiles {
        let mut files = HashMap::new();
        let mut total = 0usize;
        let mut pending = vec![root.to_path_buf()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    pending.push(path);
                    continue;
                }
                let name = path.to_string_lossy();
                if name.ends_with(".br") || name.ends_with(".gz") || meta.len() > MAX_FILE_BYTES {
                    continue;
                }
                let Some(url) = url_path(root, &path) else {
                    continue;
                };
                let Ok(plain) = std::fs::read(&path) else {
                    continue;
                };
                let variant = |ext: &str| {
                    std::fs::read(format!("{}.{ext}", path.display()))
                        .ok()
                        .map(Bytes::from)
                };
                let (br, gzip) = (variant("br"), variant("gz"));
                let size = plain.len()
                    + br.as_ref().map_or(0, Bytes::len)
                    + gzip.as_ref().map_or(0, Bytes::len);
                if total + size > MAX_TOTAL_BYTES {
                    tracing::warn!(
                        "the site is larger than the in-memory limit; the rest is served from disk"
                    );
                    return StaticFiles { files };
                }
                total += size;
                let mime = mime_guess::from_path(&path).first_or_octet_stream();
                let etag = format!("\"{}\"", hex(&Sha256::digest(&plain)[..12]));
                files.insert(
                    url,
                    File {
                        plain: Bytes::from(plain),
                        br,
                        gzip,
                        content_type: HeaderValue::from_str(mime.as_ref())
                            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                        etag: HeaderValue::from_str(&etag)
                            .expect("hex in quotes is a valid header"),
                    },
                );
            }
        }
        StaticFiles { files }
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The answer for a GET or HEAD of one of the files; `None`: not one of them.
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        let head_only = method == Method::HEAD;
        if !(head_only || method == Method::GET) {
            return None;
        }
        let file = self.files.get(path)?;
        let not_modified = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| {
                tags.split(',')
                    .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == file.etag)
            });
        if not_modified {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            response
                .headers_mut()
                .insert(header::ETAG, file.etag.clone());
            return Some(response);
        }
        let (bytes, encoding) = match (&file.br, &file.gzip) {
            (Some(br), _) if accepts(headers, "br") => (br.clone(), Some("br")),
            (_, Some(gz)) if accepts(headers, "gzip") => (gz.clone(), Some("gzip")),
            _ => (file.plain.clone(), None),
        };
        let mut response = bytes_response(bytes, head_only, file.content_type.clone(), encoding);
        let h = response.headers_mut();
        h.insert(header::ETAG, file.etag.clone());
        if file.br.is_some() || file.gzip.is_some() {
            h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        Some(response)
    }
}

/// `/a/b.txt` for `root/a/b.txt`; `None` for a name that is not plain UTF-8.
fn url_path(root: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root).ok()?;
    let mut url = String::new();
    for part in relative.components() {
        url.push('/');
        url.push_str(part.as_os_str().to_str()?);
    }
    Some(url)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, StaticFiles) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("robots.txt"), "User-agent: *\n").unwrap();
        std::fs::write(dir.path().join("robots.txt.br"), "BR").unwrap();
        std::fs::write(dir.path().join("robots.txt.gz"), "GZ").unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/app.abc.wasm"), [0u8, 97, 115, 109]).unwrap();
        let files = StaticFiles::load(dir.path());
        (dir, files)
    }

    fn get(
        files: &StaticFiles,
        path: &str,
        headers: &[(header::HeaderName, &str)],
    ) -> Option<Response> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        files.respond(&Method::GET, path, &map)
    }

    async fn body(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn files_are_served_with_their_type_encoding_and_etag() {
        let (_dir, files) = site();
        assert_eq!(files.len(), 2, "variants are not files of their own");
        let plain = get(&files, "/robots.txt", &[]).unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        assert_eq!(plain.headers()[header::CONTENT_TYPE], "text/plain");
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[header::VARY], "accept-encoding");
        let etag = plain.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_eq!(body(plain).await, b"User-agent: *\n");

        let br = get(
            &files,
            "/robots.txt",
            &[(header::ACCEPT_ENCODING, "gzip, deflate, br")],
        )
        .unwrap();
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(br.headers()[header::CONTENT_LENGTH], "2");
        assert_eq!(body(br).await, b"BR");
        let gz = get(&files, "/robots.txt", &[(header::ACCEPT_ENCODING, "gzip")]).unwrap();
        assert_eq!(body(gz).await, b"GZ");
        let refused = get(
            &files,
            "/robots.txt",
            &[(header::ACCEPT_ENCODING, "br;q=0")],
        )
        .unwrap();
        assert_eq!(body(refused).await, b"User-agent: *\n");

        let wasm = get(
            &files,
            "/pkg/app.abc.wasm",
            &[(header::ACCEPT_ENCODING, "br")],
        )
        .unwrap();
        assert_eq!(wasm.headers()[header::CONTENT_TYPE], "application/wasm");
        assert!(
            wasm.headers().get(header::CONTENT_ENCODING).is_none(),
            "no variant: plain"
        );

        let again = get(&files, "/robots.txt", &[(header::IF_NONE_MATCH, &etag)]).unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(body(again).await.is_empty());
        let other = get(
            &files,
            "/robots.txt",
            &[(header::IF_NONE_MATCH, "\"other\"")],
        )
        .unwrap();
        assert_eq!(other.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn only_the_site_files_and_only_reads() {
        let (_dir, files) = site();
        assert!(get(&files, "/robots.txt.br", &[]).is_none());
        assert!(get(&files, "/nope.txt", &[]).is_none());
        assert!(get(&files, "/pkg/../robots.txt", &[]).is_none());
        assert!(files
            .respond(&Method::POST, "/robots.txt", &HeaderMap::new())
            .is_none());
        let head = files
            .respond(&Method::HEAD, "/robots.txt", &HeaderMap::new())
            .unwrap();
        assert_eq!(head.headers()[header::CONTENT_LENGTH], "14");
        assert!(body(head).await.is_empty());
        assert!(StaticFiles::load(Path::new("/no/such/folder")).is_empty());
    }
}
