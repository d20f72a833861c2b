//! Who a request comes from, for per-client limits. Behind reverse proxies the socket peer is
//! the nearest proxy, so the client is read from the forwarding header — from the right,
//! skipping exactly the configured number of trusted proxies, because everything to the left
//! of them was written by the client itself and may be forged.

use axum::http::{HeaderMap, HeaderName};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// How to find the client behind the proxies in front of this server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySetup {
    /// Reverse proxies between the internet and this server (0: clients connect directly).
    pub trusted_proxies: usize,
    /// The header each proxy appends its peer's address to (`x-forwarded-for`).
    pub header: HeaderName,
}

impl Default for ProxySetup {
    fn default() -> Self {
        ProxySetup {
            trusted_proxies: 0,
            header: HeaderName::from_static("x-forwarded-for"),
        }
    }
}

/// A forwarding header that a trusted proxy could not have written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadForwardedFor(pub String);

impl fmt::Display for BadForwardedFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\" is not an IP address", self.0)
    }
}

/// The client's address: the right-most hop that is not one of our trusted proxies.
///
/// The hops are the header's entries, left to right, then the socket peer. With `n` trusted
/// proxies the peer is the first of them, so the client is the `n`-th hop from the right.
/// When there are fewer hops than that (the request did not pass every proxy), the left-most
/// hop is the best we know. The hop chosen and every hop right of it were written by trusted
/// proxies, so each must be an IP address; entries left of it are the client's own and are
/// ignored whatever they hold.
pub fn client_ip(
    peer: IpAddr,
    headers: &HeaderMap,
    setup: &ProxySetup,
) -> Result<IpAddr, BadForwardedFor> {
    if setup.trusted_proxies == 0 {
        warn_of_untrusted_forwarding(headers, setup);
        return Ok(peer);
    }
    // Several header lines are one list, in order (RFC 9110, section 5.3).
    let mut entries: Vec<&str> = Vec::new();
    for value in headers.get_all(&setup.header) {
        let text = value
            .to_str()
            .map_err(|_| BadForwardedFor(String::from_utf8_lossy(value.as_bytes()).into()))?;
        entries.extend(text.split(',').map(str::trim));
    }
    // Hops right of the client: the header's last `trusted_proxies - 1` entries (the peer
    // is the last trusted proxy).
    let behind = setup.trusted_proxies - 1;
    if entries.len() <= behind {
        return match entries.first() {
            Some(first) => parse_hop(first),
            None => Ok(peer),
        };
    }
    let client_at = entries.len() - 1 - behind;
    for hop in &entries[client_at + 1..] {
        parse_hop(hop)?;
    }
    parse_hop(entries[client_at])
}

/// Requests carry forwarding headers while no proxy is trusted: every client then looks like
/// the proxy (sharing its limits). Said once, in the log, with the setting that helps.
fn warn_of_untrusted_forwarding(headers: &HeaderMap, setup: &ProxySetup) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let forwarded = headers.contains_key(&setup.header) || headers.contains_key("forwarded");
    if forwarded && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            header = %setup.header,
            "requests carry forwarding headers but SYNCPLAN_TRUSTED_PROXIES is 0: every \
             client behind the proxy counts as the proxy's address for per-client limits; \
             set SYNCPLAN_TRUSTED_PROXIES to the number of proxies in front"
        );
    }
}

/// One hop as proxies write it: `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
pub fn parse_hop(hop: &str) -> Result<IpAddr, BadForwardedFor> {
    let bad = || BadForwardedFor(hop.chars().take(64).collect());
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Ok(ip);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Ok(socket.ip());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<Ipv6Addr>().ok())
        .map(IpAddr::V6)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::ClientKey;
    use axum::http::HeaderValue;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn setup(n: usize) -> ProxySetup {
        ProxySetup {
            trusted_proxies: n,
            ..ProxySetup::default()
        }
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const PEER: &str = "10.0.0.2";

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let got = client_ip(ip(PEER), &xff(&["203.0.113.9"]), &setup(0));
        assert_eq!(got, Ok(ip(PEER)));
        let got = client_ip(ip(PEER), &xff(&["garbage"]), &setup(0));
        assert_eq!(got, Ok(ip(PEER)));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        // client -> proxy (peer): the proxy appended the client.
        let h = xff(&["forged, 198.51.100.4"]);
        assert_eq!(client_ip(ip(PEER), &h, &setup(1)), Ok(ip("198.51.100.4")));
        // client -> CDN -> balancer (peer).
        let h = xff(&["forged, 198.51.100.4, 192.0.2.10"]);
        assert_eq!(client_ip(ip(PEER), &h, &setup(2)), Ok(ip("198.51.100.4")));
        // Several header lines are one list.
        let h = xff(&["forged", "198.51.100.4", "192.0.2.10"]);
        assert_eq!(client_ip(ip(PEER), &h, &setup(2)), Ok(ip("198.51.100.4")));
    }

    #[test]
    fn garbage_left_of_the_client_is_ignored_but_not_in_trusted_hops() {
        let h = xff(&["<script>, not-an-ip, 198.51.100.4"]);
        assert_eq!(client_ip(ip(PEER), &h, &setup(1)), Ok(ip("198.51.100.4")));
        let h = xff(&["198.51.100.4, garbage"]);
        assert!(client_ip(ip(PEER), &h, &setup(1)).is_err());
        assert!(client_ip(ip(PEER), &h, &setup(2)).is_err());
        assert!(client_ip(ip(PEER), &xff(&[""]), &setup(1)).is_err());
    }

    #[test]
    fn too_few_hops_fall_back_to_the_left_most_or_the_peer() {
        assert_eq!(
            client_ip(ip(PEER), &HeaderMap::new(), &setup(1)),
            Ok(ip(PEER))
        );
        let h = xff(&["198.51.100.4"]);
        assert_eq!(client_ip(ip(PEER), &h, &setup(3)), Ok(ip("198.51.100.4")));
    }

    #[test]
    fn hops_with_ports_and_brackets_parse() {
        for (hop, want) in [
            ("203.0.113.7:4711", "203.0.113.7"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:4711", "2001:db8::1"),
        ] {
            assert_eq!(parse_hop(hop), Ok(ip(want)), "{hop}");
        }
        for bad in [
            "",
            "unknown",
            "1.2.3",
            "1.2.3.4.5",
            "[1.2.3.4]",
            "::g",
            "1.2.3.4:x",
        ] {
            assert!(parse_hop(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let a = ClientKey::of(ip("2001:db8:1:2:aaaa::1"));
        let b = ClientKey::of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let c = ClientKey::of(ip("2001:db8:1:3::1"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(
            ClientKey::of(ip("::ffff:198.51.100.4")),
            ClientKey::of(ip("198.51.100.4"))
        );
        assert_eq!(
            ClientKey::of(ip("198.51.100.4")).to_string(),
            "198.51.100.4"
        );
    }

    fn any_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<u32>().prop_map(|n| IpAddr::V4(Ipv4Addr::from(n))),
            any::<u128>().prop_map(|n| IpAddr::V6(Ipv6Addr::from(n))),
        ]
    }

    /// A hop as a proxy would write it, with or without a port.
    fn written(ip: IpAddr, port: Option<u16>) -> String {
        match (ip, port) {
            (IpAddr::V4(v4), Some(p)) => format!("{v4}:{p}"),
            (IpAddr::V6(v6), Some(p)) => format!("[{v6}]:{p}"),
            (ip, None) => ip.to_string(),
        }
    }

    proptest! {
        #[test]
        fn written_hops_parse_back(ip in any_ip(), port in proptest::option::of(any::<u16>())) {
            prop_assert_eq!(parse_hop(&written(ip, port)), Ok(ip));
        }

        /// Whatever the client writes in front, the trusted proxies' view wins.
        #[test]
        fn forged_prefixes_never_change_the_client(
            forged in "[ -~]{0,40}",
            client in any_ip(),
            proxies in proptest::collection::vec(any_ip(), 0..3),
        ) {
            let forged = forged.replace(',', " ");
            let mut list = vec![forged, written(client, None)];
            list.extend(proxies.iter().map(|p| p.to_string()));
            let h = xff(&[&list.join(", ")]);
            let got = client_ip(ip(PEER), &h, &setup(proxies.len() + 1));
            prop_assert_eq!(got, Ok(client));
        }

        #[test]
        fn arbitrary_headers_never_panic(value in "[ -~]{0,200}", n in 0usize..4) {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert("x-forwarded-for", v);
            }
            let _ = client_ip(ip(PEER), &h, &setup(n));
        }
    }
}
