//! Every path syncplan serves or links to, built and read in one place: the router's
//! patterns, the links pages and the API hand out, the browser's requests, and the one
//! classifier that tells what a path is (which page to render, which pages to cache, which
//! headers to send, what a log may show).

use crate::model::{EditToken, ShareId};

/// The router's patterns (axum's `{param}` syntax).
pub mod patterns {
    pub const EDITOR: &str = "/";
    pub const EDIT_LINK: &str = "/e/{id}";
    pub const SHARE: &str = "/s/{id}";
    pub const SHARE_EXPORT: &str = "/s/{id}/export/{format}";
    pub const HEALTH: &str = "/healthz";
    pub const EXPORT: &str = "/api/export/{format}";
    pub const EXPORT_TICKETS: &str = "/api/export/tickets/{format}";
    pub const IMPORT: &str = "/api/import";
    pub const SHARES: &str = "/api/shares";
    pub const SHARE_API: &str = "/api/shares/{id}";
    pub const SHARE_EDIT: &str = "/api/shares/{id}/edit";
    pub const SHARE_HISTORY: &str = "/api/shares/{id}/history";
    pub const SHARE_VERSIONS: &str = "/api/shares/{id}/versions";
    pub const SHARE_VERSION: &str = "/api/shares/{id}/versions/{seq}";
    pub const LIVE: &str = "/api/live/{id}";
    pub const LIVE_EVENTS: &str = "/api/live/{id}/events";
    pub const LIVE_SEND: &str = "/api/live/{id}/send";
}

/// `POST` here creates a share.
pub const SHARES: &str = patterns::SHARES;
/// `POST` a CSV or JSON file here to import it.
pub const IMPORT: &str = patterns::IMPORT;
/// The service worker's script (the page registers it; it gets its own CSP).
pub const SERVICE_WORKER: &str = "/sw.js";

/// Every edit link's path starts with this.
pub const EDIT_PREFIX: &str = "/e/";

/// A shared plan's read-only page.
pub fn share(id: &ShareId) -> String {
    format!("/s/{id}")
}

/// A shared plan as a file (`csv`, `markdown`, …); `csv` works with `=IMPORTDATA()`.
pub fn share_export(id: &ShareId, format: &str) -> String {
    format!("/s/{id}/export/{format}")
}

/// An edit link's page (the editor, which joins the plan).
pub fn edit(id: &ShareId) -> String {
    format!("/e/{id}")
}

/// The whole edit link: the secret follows `#`, so browsers never send it to a server.
pub fn edit_url(origin: &str, id: &ShareId, secret: &EditToken) -> String {
    format!("{origin}/e/{id}#{}", secret.as_str())
}

/// The share API's address of one share.
pub fn api_share(id: &ShareId) -> String {
    format!("/api/shares/{id}")
}

/// Turning editing on or off for a share.
pub fn api_share_edit(id: &ShareId) -> String {
    format!("/api/shares/{id}/edit")
}

/// A page of a live plan's history: `query` as `row=…&field=…&before=…&limit=…` (any of them).
pub fn api_share_history(id: &ShareId, query: &str) -> String {
    if query.is_empty() {
        format!("/api/shares/{id}/history")
    } else {
        format!("/api/shares/{id}/history?{query}")
    }
}

/// A live plan's named versions (`GET`), or naming one (`POST`).
pub fn api_share_versions(id: &ShareId) -> String {
    format!("/api/shares/{id}/versions")
}

/// A live plan as it was at the point `seq` (`GET`), or taking that point's name off
/// (`DELETE`).
pub fn api_share_version(id: &ShareId, seq: u64) -> String {
    format!("/api/shares/{id}/versions/{seq}")
}

/// A plan (sent in the body) as a file of `format`.
pub fn api_export(format: &str) -> String {
    format!("/api/export/{format}")
}

/// A plan's rows as tickets of `format`, with the query's options.
pub fn api_export_tickets(format: &str, query: &str) -> String {
    if query.is_empty() {
        format!("/api/export/tickets/{format}")
    } else {
        format!("/api/export/tickets/{format}?{query}")
    }
}

/// The live-editing WebSocket, and the fallback's two routes.
pub fn live_socket(id: &ShareId) -> String {
    format!("/api/live/{id}")
}

pub fn live_events(id: &ShareId) -> String {
    format!("/api/live/{id}/events")
}

pub fn live_send(id: &ShareId) -> String {
    format!("/api/live/{id}/send")
}

/// What a path is. Ids are not checked here (`ShareId::parse` does that): a malformed one is
/// still a share path, answered 404 by its handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    Editor,
    EditLink(&'a str),
    Share(&'a str),
    ShareExport(&'a str, &'a str),
    /// `/api/shares` (create) and `/api/shares/{id}[/edit|/history]`.
    ShareApi(Option<&'a str>),
    /// `/api/live/{id}[/events|/send]`.
    Live(&'a str),
    ServiceWorker,
    /// Anything else: static files, the other API routes, unknown paths.
    Other,
}

/// One path segment: not empty, no `/`.
fn segment(text: &str) -> Option<&str> {
    (!text.is_empty() && !text.contains('/')).then_some(text)
}

impl<'a> Route<'a> {
    /// The one classifier (a trailing slash is allowed after an edit link's id).
    pub fn of(path: &'a str) -> Route<'a> {
        if path == "/" {
            return Route::Editor;
        }
        if path == SERVICE_WORKER {
            return Route::ServiceWorker;
        }
        if let Some(rest) = path.strip_prefix("/e/") {
            let id = rest.strip_suffix('/').unwrap_or(rest);
            return segment(id).map_or(Route::Other, Route::EditLink);
        }
        if let Some(rest) = path.strip_prefix("/s/") {
            return match rest.split_once('/') {
                None => segment(rest).map_or(Route::Other, Route::Share),
                Some((id, tail)) => match (segment(id), tail.strip_prefix("export/")) {
                    (Some(id), Some(format)) if segment(format).is_some() => {
                        Route::ShareExport(id, format)
                    }
                    _ => Route::Other,
                },
            };
        }
        if path == SHARES {
            return Route::ShareApi(None);
        }
        if let Some(rest) = path.strip_prefix("/api/shares/") {
            let id = match rest.split_once('/') {
                None => Some(rest),
                Some((id, "edit" | "history" | "versions")) => Some(id),
                Some((id, seq)) => seq
                    .strip_prefix("versions/")
                    .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .map(|_| id),
            };
            return id
                .and_then(segment)
                .map_or(Route::Other, |id| Route::ShareApi(Some(id)));
        }
        if let Some(rest) = path.strip_prefix("/api/live/") {
            let id = rest
                .strip_suffix("/events")
                .or_else(|| rest.strip_suffix("/send"))
                .unwrap_or(rest);
            return segment(id).map_or(Route::Other, Route::Live);
        }
        Route::Other
    }

    /// The share this path names, if any.
    pub fn share_id(self) -> Option<&'a str> {
        match self {
            Route::EditLink(id)
            | Route::Share(id)
            | Route::ShareExport(id, _)
            | Route::ShareApi(Some(id))
            | Route::Live(id) => Some(id),
            _ => None,
        }
    }

    /// Paths that show or hand out a shared plan (kept out of search engines and `Referer`
    /// headers).
    pub fn is_shared(self) -> bool {
        self.share_id().is_some() || self == Route::ShareApi(None)
    }
}

/// The path as logs may show it: a share id (which is all it takes to read a shared plan)
/// becomes `…`; overlong paths are cut.
pub fn redacted(path: &str) -> String {
    match Route::of(path).share_id() {
        Some(id) => path.replacen(id, "…", 1),
        None => path.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    fn id() -> ShareId {
        ShareId::parse(ID).unwrap()
    }

    #[test]
    fn what_is_built_is_read_back() {
        assert_eq!(Route::of(&share(&id())), Route::Share(ID));
        assert_eq!(
            Route::of(&share_export(&id(), "csv")),
            Route::ShareExport(ID, "csv")
        );
        assert_eq!(Route::of(&edit(&id())), Route::EditLink(ID));
        assert_eq!(Route::of(&format!("{}/", edit(&id()))), Route::EditLink(ID));
        assert_eq!(Route::of(&api_share(&id())), Route::ShareApi(Some(ID)));
        assert_eq!(Route::of(&api_share_edit(&id())), Route::ShareApi(Some(ID)));
        assert_eq!(
            Route::of(&api_share_history(&id(), "")),
            Route::ShareApi(Some(ID))
        );
        assert_eq!(
            Route::of(&api_share_versions(&id())),
            Route::ShareApi(Some(ID))
        );
        assert_eq!(
            Route::of(&api_share_version(&id(), 12)),
            Route::ShareApi(Some(ID))
        );
        assert_eq!(Route::of(SHARES), Route::ShareApi(None));
        for live in [live_socket(&id()), live_events(&id()), live_send(&id())] {
            assert_eq!(Route::of(&live), Route::Live(ID));
        }
        assert_eq!(
            edit_url("https://p.example", &id(), &EditToken::new("s3cret")),
            format!("https://p.example/e/{ID}#s3cret")
        );
        assert_eq!(
            api_export_tickets("jira-csv", ""),
            "/api/export/tickets/jira-csv"
        );
        assert_eq!(
            api_export_tickets("jira-csv", "open_only=1"),
            "/api/export/tickets/jira-csv?open_only=1"
        );
    }

    #[test]
    fn malformed_paths_are_nothing_of_ours() {
        for path in [
            "",
            "/e/",
            "/e//",
            "/s/",
            "/s/a/",
            "/s/a/b",
            "/e/a/b",
            "/x",
            "/index.html",
            "//",
            "/s/a/export/",
            "/s/a/export/csv/x",
            "/api/shares/",
            "/api/shares/a/versions/x",
            "/api/shares/a/other",
            "/api/live/",
        ] {
            assert!(
                matches!(Route::of(path), Route::Other),
                "{path}: {:?}",
                Route::of(path)
            );
        }
        assert_eq!(Route::of("/"), Route::Editor);
        assert_eq!(Route::of("/sw.js"), Route::ServiceWorker);
    }

    #[test]
    fn share_ids_never_reach_logs() {
        assert_eq!(redacted(&share(&id())), "/s/…");
        assert_eq!(redacted(&share_export(&id(), "csv")), "/s/…/export/csv");
        assert_eq!(redacted(&edit(&id())), "/e/…");
        assert_eq!(redacted(&live_events(&id())), "/api/live/…/events");
        assert_eq!(redacted(&api_share_edit(&id())), "/api/shares/…/edit");
        assert_eq!(
            redacted(&api_share_history(&id(), "")),
            "/api/shares/…/history"
        );
        assert_eq!(
            redacted(&api_share_version(&id(), 7)),
            "/api/shares/…/versions/7"
        );
        assert_eq!(redacted("/api/shares/abc"), "/api/shares/…");
        assert_eq!(redacted("/api/shares"), "/api/shares");
        assert_eq!(redacted("/"), "/");
        assert_eq!(redacted(&"/x".repeat(300)).chars().count(), 200);
    }

    #[test]
    fn shared_paths_are_told_apart() {
        for path in [
            share(&id()),
            edit(&id()),
            api_share(&id()),
            live_socket(&id()),
            SHARES.to_owned(),
        ] {
            assert!(Route::of(&path).is_shared(), "{path}");
        }
        for path in ["/", "/api/export/csv", "/pkg/x.js", "/sw.js"] {
            assert!(!Route::of(path).is_shared(), "{path}");
        }
    }
}
