//! Per-address limits on the code endpoints: joins (`POST /api/workshops/{id}/join`),
//! code lookups (`GET /api/codes/{code}`), and wrong codes with back-off.
//!
//! The client's address is the connection's peer, or, when the peer is a trusted proxy
//! (`--trusted-proxy`), the right-most address of `X-Forwarded-For` that is not itself a
//! trusted proxy. IPv6 clients are keyed by their /64 (one subscriber's block).
//!
//! - joins: `--join-rate-limit` a minute per address (bursts of as many);
//! - lookups: `--lookup-rate-limit` a minute per address (bursts of as many);
//! - wrong codes (a lookup answered 404, a join answered 401): after
//!   `--code-failure-limit` of them, the address is blocked from both endpoints for one
//!   minute, then two, four, … up to an hour each time the budget runs out again; an hour
//!   without a wrong code after the last block ends forgets the address.
//!
//! Refusals answer `429 rate_limited` with `Retry-After`. A rate of 0 turns that limit off.

use super::api::ApiError;
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::extract::ConnectInfo;
use axum::http::header::{HeaderValue, RETRY_AFTER};
use axum::http::{Extensions, HeaderMap};
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The first block after the wrong-code budget runs out; it doubles each time after.
pub const FIRST_BLOCK: Duration = Duration::from_secs(60);
/// The longest block.
pub const MAX_BLOCK: Duration = Duration::from_secs(3600);
/// An address without a wrong code for this long starts afresh.
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// The client's address as the limits key it (`None` without a peer address).
pub struct ClientAddr(pub Option<IpAddr>);

impl axum::extract::FromRequestParts<super::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &super::AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            state.addresses.client(&parts.extensions, &parts.headers),
        ))
    }
}

/// The settings, as configured (`src/config.rs`).
#[derive(Clone, Debug, Default)]
pub struct AddressSettings {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Joins a minute per address; 0: no limit.
    pub joins_per_minute: u32,
    /// Code lookups a minute per address; 0: no limit.
    pub lookups_per_minute: u32,
    /// Wrong codes before an address is blocked; 0: no limit.
    pub code_failures: u32,
}

/// Why a request was refused, and when to come back.
#[derive(Debug, Clone, Copy)]
pub struct Limited {
    pub retry_after: Duration,
}

impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        let seconds = self.retry_after.as_secs_f64().ceil().max(1.0) as u64;
        let message = format!("too many requests from this address: retry in {seconds} s");
        let mut response =
            ApiError::from(HubError::new(ErrorCode::RateLimited, message)).into_response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
        response
    }
}

#[derive(Debug)]
struct Failures {
    /// Wrong codes since the last block.
    count: u32,
    /// Blocks so far (the next one lasts `FIRST_BLOCK * 2^strikes`).
    strikes: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

/// The limiters, shared by every request.
pub struct AddressLimits {
    settings: AddressSettings,
    joins: Option<DefaultKeyedRateLimiter<IpAddr>>,
    lookups: Option<DefaultKeyedRateLimiter<IpAddr>>,
    failures: DashMap<IpAddr, Failures>,
    checks: AtomicU64,
}

fn per_minute(n: u32) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    let n = NonZeroU32::new(n)?;
    Some(RateLimiter::keyed(Quota::per_minute(n).allow_burst(n)))
}

impl AddressLimits {
    pub fn new(settings: AddressSettings) -> AddressLimits {
        AddressLimits {
            joins: per_minute(settings.joins_per_minute),
            lookups: per_minute(settings.lookups_per_minute),
            settings,
            failures: DashMap::new(),
            checks: AtomicU64::new(0),
        }
    }

    /// The client's address (see the module's doc); `None` when the request came without a
    /// peer address (in-process tests).
    pub fn client(&self, extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
        Some(key(client_address(
            peer,
            headers,
            &self.settings.trusted_proxies,
        )))
    }

    /// Checks a join from `client` against the join rate and the wrong-code block.
    pub fn check_join(&self, client: Option<IpAddr>) -> Result<(), Limited> {
        self.check(client, self.joins.as_ref(), "join")
    }

    /// Checks a code lookup from `client` against the lookup rate and the wrong-code block.
    pub fn check_lookup(&self, client: Option<IpAddr>) -> Result<(), Limited> {
        self.check(client, self.lookups.as_ref(), "lookup")
    }

    fn check(
        &self,
        client: Option<IpAddr>,
        rate: Option<&DefaultKeyedRateLimiter<IpAddr>>,
        limit: &'static str,
    ) -> Result<(), Limited> {
        let Some(client) = client else {
            return Ok(());
        };
        self.prune_now_and_then();
        if let Some(blocked) = self.blocked(client) {
            crate::metrics::rate_limited("code_failures");
            return Err(blocked);
        }
        if let Some(rate) = rate {
            rate.check_key(&client).map_err(|not_until| {
                crate::metrics::rate_limited(limit);
                Limited {
                    retry_after: not_until.wait_time_from(DefaultClock::default().now()),
                }
            })?;
        }
        Ok(())
    }

    fn blocked(&self, client: IpAddr) -> Option<Limited> {
        let entry = self.failures.get(&client)?;
        let until = entry.blocked_until?;
        let now = Instant::now();
        (until > now).then(|| Limited {
            retry_after: until - now,
        })
    }

    /// Counts a wrong code from `client`; blocks it when its budget runs out.
    pub fn failed(&self, client: Option<IpAddr>) {
        let (Some(client), Some(budget)) = (client, NonZeroU32::new(self.settings.code_failures))
        else {
            return;
        };
        let now = Instant::now();
        let mut entry = self.failures.entry(client).or_insert(Failures {
            count: 0,
            strikes: 0,
            last: now,
            blocked_until: None,
        });
        // Quiet since the last wrong code or the end of the last block, whichever is later.
        let quiet_since = entry
            .blocked_until
            .map_or(entry.last, |b| b.max(entry.last));
        if now.duration_since(quiet_since) > FORGET_AFTER {
            entry.count = 0;
            entry.strikes = 0;
        }
        entry.last = now;
        entry.count += 1;
        if entry.count >= budget.get() {
            let block = FIRST_BLOCK
                .saturating_mul(1u32 << entry.strikes.min(16))
                .min(MAX_BLOCK);
            entry.blocked_until = Some(now + block);
            entry.strikes = entry.strikes.saturating_add(1);
            entry.count = 0;
        }
    }

    /// Forgets, now and then, the addresses that are back at a full budget, so that the
    /// maps do not grow without bound.
    fn prune_now_and_then(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 != 4095 {
            return;
        }
        for limiter in [&self.joins, &self.lookups].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let now = Instant::now();
        self.failures.retain(|_, f| {
            let quiet_since = f.blocked_until.map_or(f.last, |b| b.max(f.last));
            now.duration_since(quiet_since) <= FORGET_AFTER
        });
    }
}

/// The client's address: the peer, or behind trusted proxies the right-most address of
/// `X-Forwarded-For` (all its headers, in order) that is not a trusted proxy.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if is_trusted(&ip) => client = ip,
            Some(ip) => return ip,
            // A hop that is not an address: believe nothing further left.
            None => return client,
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an IPv4 or IPv6 address, possibly with a port or brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse().ok())
}

/// The key an address is limited under: IPv4 as is, IPv6 by its /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A `--trusted-proxy` value: an address or a CIDR block.
pub fn parse_proxy(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{value}` is neither an IP address nor a CIDR block"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = vec![
            parse_proxy("10.0.0.0/8").unwrap(),
            parse_proxy("192.0.2.7").unwrap(),
        ];
        let h = headers(&["198.51.100.9, 10.1.2.3"]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &h, &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(
            client_address(ip("192.0.2.7"), &h, &trusted),
            ip("198.51.100.9")
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_address(ip("203.0.113.5"), &h, &trusted),
            ip("203.0.113.5")
        );
        // A client-written hop left of the first untrusted one is not believed.
        let spoofed = headers(&["1.2.3.4", "198.51.100.9"]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &spoofed, &trusted),
            ip("198.51.100.9")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &headers(&["[2001:db8::1]:443"]), &trusted),
            ip("2001:db8::1")
        );
        assert!(parse_proxy("not an address").is_err());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(key(ip("192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn wrong_codes_block_with_a_doubling_back_off() {
        let limits = AddressLimits::new(AddressSettings {
            code_failures: 3,
            ..AddressSettings::default()
        });
        let me = Some(ip("192.0.2.1"));
        for _ in 0..2 {
            limits.failed(me);
            assert!(limits.check_lookup(me).is_ok());
        }
        limits.failed(me);
        let first = limits.check_lookup(me).expect_err("blocked");
        assert!(first.retry_after <= FIRST_BLOCK && first.retry_after > FIRST_BLOCK / 2);
        assert!(limits.check_join(me).is_err());
        assert!(limits.check_join(Some(ip("192.0.2.2"))).is_ok());
        // The next block lasts twice as long.
        for _ in 0..3 {
            limits.failed(me);
        }
        let second = limits.check_lookup(me).expect_err("blocked again");
        assert!(second.retry_after > FIRST_BLOCK);
    }
}
