use super::*;

fn id(n: u8) -> ShareId {
    ShareId::parse(&format!("{:A>22}", n)).unwrap()
}

fn page(bytes: usize, snapshot: Instant) -> Arc<CachedPage> {
    Arc::new(CachedPage::new(
        Bytes::from(vec![b'x'; bytes]),
        HeaderValue::from_static("text/html"),
        snapshot,
        None,
    ))
}

#[test]
fn only_the_editor_and_well_formed_share_pages_are_cached() {
    assert!(matches!(slot("/"), Some(Slot::Editor)));
    assert!(matches!(
        slot("/s/AAAAAAAAAAAAAAAAAAAAAA"),
        Some(Slot::Share(_))
    ));
    for other in [
        "/s/short",
        "/s/AAAAAAAAAAAAAAAAAAAAAA/export/csv",
        "/api/shares",
        "/pkg/x.js",
    ] {
        assert!(slot(other).is_none(), "{other}");
    }
}

#[test]
fn encodings_are_picked_from_accept_encoding() {
    let h = |v: &str| {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        m
    };
    assert_eq!(preferred_encoding(&h("gzip, deflate, br")), Some("br"));
    assert_eq!(preferred_encoding(&h("gzip")), Some("gzip"));
    assert_eq!(preferred_encoding(&h("br;q=0, gzip")), Some("gzip"));
    assert_eq!(preferred_encoding(&h("br; q=0.0, gzip")), Some("gzip"));
    assert_eq!(preferred_encoding(&h("identity")), None);
    assert_eq!(preferred_encoding(&HeaderMap::new()), None);
}

#[test]
fn the_budget_evicts_least_recently_used_pages() {
    let cache = PageCache::new(8_000);
    let now = Instant::now();
    for n in 0..5 {
        cache.put_share(&id(n), page(1_000, now));
    }
    assert!(cache.share(&id(0)).is_some(), "touch 0: now most recent");
    for n in 5..9 {
        cache.put_share(&id(n), page(1_000, now));
    }
    assert!(cache.share_bytes() <= 8_000);
    assert!(cache.share(&id(0)).is_some(), "recently used stays");
    assert!(cache.share(&id(1)).is_none(), "least recently used goes");
    // Too large to keep (over an eighth of the budget): not stored at all.
    cache.put_share(&id(20), page(1_001, now));
    assert!(cache.share(&id(20)).is_none());
}

#[test]
fn a_render_older_than_an_invalidation_is_not_stored() {
    let cache = PageCache::new(1 << 20);
    let before = Instant::now();
    cache.forget_share(&id(1));
    cache.put_share(&id(1), page(10, before));
    assert!(cache.share(&id(1)).is_none());
    cache.put_share(&id(1), page(10, Instant::now()));
    assert!(cache.share(&id(1)).is_some());
}

#[test]
fn expired_pages_are_purged() {
    let cache = PageCache::new(1 << 20);
    let old = Instant::now() - SHARE_PAGE_MAX_AGE - Duration::from_millis(1);
    cache.put_share(&id(1), page(100, old));
    cache.put_share(&id(2), page(100, Instant::now()));
    cache.purge_expired();
    assert_eq!(cache.share_pages(), 1);
    assert_eq!(cache.share_bytes(), 100);
}

#[test]
fn compressed_copies_decompress_to_the_page() {
    use std::io::Read;
    let plain = "<html>".repeat(1000);
    let gz = gzip(plain.as_bytes()).unwrap();
    let br = brotli(plain.as_bytes()).unwrap();
    let mut out = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, plain);
    let mut out = String::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, plain);
    assert!(br.len() < plain.len() / 10);
}
