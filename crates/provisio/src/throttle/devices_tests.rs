use std::net::Ipv4Addr;

use axum::http::HeaderValue;
use axum::response::IntoResponse as _;
use governor::clock::FakeRelativeClock;

use super::*;
use crate::throttle::ForwardedHeader;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an address")
}

fn settings(per_minute: u32, burst: u32) -> DeviceThrottleSettings {
    DeviceThrottleSettings {
        failures_per_minute: per_minute,
        failure_burst: burst,
        ..DeviceThrottleSettings::default()
    }
}

fn throttle(s: &DeviceThrottleSettings) -> (DeviceThrottle<FakeRelativeClock>, FakeRelativeClock) {
    let clock = FakeRelativeClock::default();
    (DeviceThrottle::with_clock(s, clock.clone()), clock)
}

/// How many failures from `addr` are admitted before the first refusal (at most `max`).
fn admitted(t: &DeviceThrottle<FakeRelativeClock>, addr: &str, max: usize) -> usize {
    (0..max).take_while(|_| t.failed(ip(addr)).is_ok()).count()
}

#[test]
fn is_cheap_to_share_between_threads() {
    fn shared<T: Clone + fmt::Debug + Send + Sync + 'static>() {}
    shared::<DeviceThrottle>();
    let t = DeviceThrottle::new(&DeviceThrottleSettings::default());
    let copy = t.clone();
    assert!(Arc::ptr_eq(&t.inner, &copy.inner));
    assert!(format!("{t:?}").starts_with("DeviceThrottle"));
}

#[test]
fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
    assert_eq!(counted_as(ip("198.51.100.7")), ip("198.51.100.7"));
    assert_eq!(counted_as(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    assert_eq!(counted_as(ip("2001:db8:1:2:a:b:c:d")), ip("2001:db8:1:2::"));
    let (t, _) = throttle(&settings(60, 3));
    // Two hosts of one /64 share a count...
    assert_eq!(admitted(&t, "2001:db8:1:2::a", 2), 2);
    assert_eq!(admitted(&t, "2001:db8:1:2:ffff::b", 10), 1);
    // ...the next /64 has its own.
    assert_eq!(admitted(&t, "2001:db8:1:3::a", 10), 3);
    // IPv4 addresses count one by one, mapped or not.
    assert_eq!(admitted(&t, "198.51.100.7", 1), 1);
    assert_eq!(admitted(&t, "::ffff:198.51.100.7", 10), 2);
    assert_eq!(admitted(&t, "198.51.100.8", 10), 3);
    assert_eq!(t.tracked().0, 4);
}

/// What a device endpoint does with the throttle: an invalid token is a failure of its
/// address; a valid one goes to the token's cap and never to the address.
fn enroll(t: &DeviceThrottle<FakeRelativeClock>, peer: &str, token: Option<TokenKey>) -> u16 {
    let addr = t.client_address(SocketAddr::new(ip(peer), 50_000), &HeaderMap::new());
    match token {
        None => match t.failed(addr) {
            Ok(()) => 401,
            Err(_) => 429,
        },
        Some(token) => match t.token_enrollment(token) {
            Ok(()) => 201,
            Err(_) => 429,
        },
    }
}

#[test]
fn a_bad_actor_behind_a_nat_never_locks_out_the_good_devices_there() {
    let (t, _) = throttle(&settings(60, 20));
    let nat = "203.0.113.50";
    let token = (Uuid::from_u128(7), 1_767_225_600);
    let mut answers = Vec::new();
    for _ in 0..1_000 {
        answers.push(enroll(&t, nat, None));
        // A device of the staging desk, same address, enrolls between the bad requests.
        assert_eq!(enroll(&t, nat, Some(token)), 201);
    }
    assert_eq!(answers.iter().filter(|a| **a == 401).count(), 20);
    assert_eq!(answers.iter().filter(|a| **a == 429).count(), 980);
    // Another address is not affected either.
    assert_eq!(enroll(&t, "203.0.113.51", None), 401);
}

#[test]
fn refused_failures_say_when_to_retry_and_the_bucket_refills() {
    // 6 per minute: one place every 10 s.
    let (t, clock) = throttle(&settings(6, 2));
    let a = ip("192.0.2.1");
    assert!(t.failed(a).is_ok() && t.failed(a).is_ok());
    assert_eq!(t.failed(a), Err(10));
    clock.advance(Duration::from_millis(9_500));
    assert_eq!(t.failed(a), Err(1), "half a second is said as 1");
    clock.advance(Duration::from_millis(500));
    assert_eq!(t.failed(a), Ok(()));
    assert_eq!(t.failed(a), Err(10));
    // The defaults: 20 at once, then one a second.
    let (t, _) = throttle(&DeviceThrottleSettings::default());
    assert_eq!(admitted(&t, "192.0.2.1", 100), 20);
    assert_eq!(t.failed(a), Err(1));
    // A rate far above one a second still says at least 1.
    let (t, _) = throttle(&settings(1_000_000, 1));
    assert!(t.failed(a).is_ok());
    assert_eq!(t.failed(a), Err(1));
    let e = too_many_failures(1);
    assert_eq!(
        e.to_string(),
        "Too many failed requests from this address. Retry after 1 second."
    );
    let res = too_many_enrollments(30).into_response();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "30");
}

#[test]
fn no_failure_limit_keeps_nothing() {
    let (t, _) = throttle(&settings(0, 20));
    for n in 0..10_000u32 {
        assert!(t.failed(IpAddr::V4(Ipv4Addr::from(n))).is_ok());
    }
    assert_eq!(t.tracked(), (0, 0));
}

#[test]
fn the_state_is_bounded_and_a_flood_frees_no_refused_address() {
    let s = DeviceThrottleSettings {
        max_addresses: 1_000,
        ..settings(60, 3)
    };
    let (t, clock) = throttle(&s);
    let blocked = "198.51.100.1";
    assert_eq!(admitted(&t, blocked, 10), 3);
    // 50,000 other addresses fail once each.
    let mut refused = 0;
    for n in 0..50_000u32 {
        if t.failed(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)))
            .is_err()
        {
            refused += 1;
        }
    }
    assert_eq!(t.tracked().0, 1_000, "the store stays at its cap");
    // The first 999 got their own count; the rest share one bucket of 3.
    assert_eq!(refused, 50_000 - 999 - 3);
    assert!(
        t.failed(ip(blocked)).is_err(),
        "still refused after the flood"
    );
    // A minute later every bucket is full again: the sweep empties the store, and new
    // addresses get their own counts.
    clock.advance(Duration::from_secs(61));
    assert!(t.failed(ip("192.0.2.9")).is_ok());
    assert_eq!(t.tracked().0, 1);
    assert_eq!(admitted(&t, blocked, 10), 3);
}

#[test]
fn a_full_store_is_swept_at_most_once_a_second() {
    // One place every 60 µs: a key is idle again almost at once.
    let s = DeviceThrottleSettings {
        max_addresses: 100,
        ..settings(1_000_000, 1)
    };
    let (t, clock) = throttle(&s);
    let admitted = |from: u32| {
        (from..from + 100)
            .filter(|n| t.failed(IpAddr::V4(Ipv4Addr::from(*n))).is_ok())
            .count()
    };
    assert_eq!(admitted(0), 100);
    assert_eq!(t.tracked().0, 100);
    // The first 100 are idle, but the last sweep was less than a second ago: new addresses
    // share one count, whose one place the first of them takes.
    clock.advance(Duration::from_millis(1));
    assert_eq!(admitted(1_000), 1);
    assert_eq!(t.tracked().0, 100);
    // A second after the last sweep, the next failure sweeps the full store and gets a count
    // of its own.
    clock.advance(Duration::from_secs(1));
    assert!(t.failed(ip("192.0.2.200")).is_ok());
    assert_eq!(t.tracked().0, 1);
    // A sweep keeps a key that is not idle.
    let (t, _) = throttle(&settings(60, 2));
    assert!(t.failed(ip("192.0.2.1")).is_ok());
    t.sweep();
    assert_eq!(t.tracked().0, 1);
}

#[test]
fn the_token_cap_is_off_by_default() {
    let (t, _) = throttle(&DeviceThrottleSettings::default());
    let token = (Uuid::from_u128(1), 1);
    for _ in 0..10_000 {
        assert_eq!(t.token_enrollment(token), Ok(()));
    }
    assert_eq!(t.tracked(), (0, 0));
}

#[test]
fn the_token_cap_limits_each_token_when_set() {
    let s = DeviceThrottleSettings {
        token_enrollments_per_minute: 2,
        max_addresses: 10,
        ..DeviceThrottleSettings::default()
    };
    let (t, clock) = throttle(&s);
    let (a, b) = ((Uuid::from_u128(1), 100), (Uuid::from_u128(2), 100));
    assert!(t.token_enrollment(a).is_ok() && t.token_enrollment(a).is_ok());
    assert_eq!(t.token_enrollment(a), Err(30));
    // Another token, or a new token of the same profile, has its own count.
    assert!(t.token_enrollment(b).is_ok());
    assert!(t.token_enrollment((a.0, 101)).is_ok());
    clock.advance(Duration::from_secs(30));
    assert_eq!(t.token_enrollment(a), Ok(()));
    assert_eq!(t.tracked().1, 3);
    // Seven more tokens fill the store; tokens beyond it are not counted rather than refused.
    for n in 10..17 {
        assert!(t.token_enrollment((Uuid::from_u128(n), 1)).is_ok());
    }
    for n in 17..100 {
        let token = (Uuid::from_u128(n), 1);
        for _ in 0..5 {
            assert_eq!(t.token_enrollment(token), Ok(()));
        }
    }
    assert_eq!(t.tracked().1, 10);
}

fn behind(trusted: &[&str], header: ForwardedHeader) -> DeviceThrottle<FakeRelativeClock> {
    let s = DeviceThrottleSettings {
        trusted_proxies: trusted.iter().map(|p| (*p).to_owned()).collect(),
        forwarded_header: header,
        ..DeviceThrottleSettings::default()
    };
    throttle(&s).0
}

fn client(t: &DeviceThrottle<FakeRelativeClock>, peer: &str, headers: &[(&str, &str)]) -> IpAddr {
    let mut h = HeaderMap::new();
    for (name, value) in headers {
        let name = axum::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        h.append(name, HeaderValue::from_str(value).expect("a header value"));
    }
    t.client_address(SocketAddr::new(ip(peer), 443), &h)
}

#[test]
fn x_forwarded_for_is_read_from_the_right_past_trusted_proxies_only() {
    let xff = |v| [("x-forwarded-for", v)];
    let spoofed = "6.6.6.6, 203.0.113.7, 10.0.0.1";
    // No trusted proxy: the header is ignored.
    let none = behind(&[], ForwardedHeader::XForwardedFor);
    assert_eq!(client(&none, "10.0.0.2", &xff(spoofed)), ip("10.0.0.2"));
    assert_eq!(client(&none, "::ffff:10.0.0.2", &[]), ip("10.0.0.2"));
    // One trusted proxy: the hop it added, whatever the client wrote before it.
    let one = behind(&["10.0.0.2"], ForwardedHeader::XForwardedFor);
    assert_eq!(
        client(&one, "10.0.0.2", &xff("6.6.6.6, 203.0.113.7")),
        ip("203.0.113.7")
    );
    assert_eq!(
        client(&one, "10.0.0.2", &xff(spoofed)),
        ip("10.0.0.1"),
        "10.0.0.1 is not trusted"
    );
    assert_eq!(
        client(&one, "198.51.100.4", &xff(spoofed)),
        ip("198.51.100.4"),
        "an untrusted peer"
    );
    assert_eq!(
        client(&one, "10.0.0.2", &[]),
        ip("10.0.0.2"),
        "no header: the proxy"
    );
    // Two trusted proxies (a network and an address): past both.
    let two = behind(
        &["10.0.0.0/30", "2001:db8::1"],
        ForwardedHeader::XForwardedFor,
    );
    assert_eq!(
        client(&two, "2001:db8::1", &xff(spoofed)),
        ip("203.0.113.7")
    );
    assert_eq!(
        client(
            &two,
            "::ffff:10.0.0.2",
            &[
                ("x-forwarded-for", "6.6.6.6"),
                ("x-forwarded-for", "[2001:db8::9]:5000, 10.0.0.1:80")
            ]
        ),
        ip("2001:db8::9"),
        "header lines in order, ports and brackets"
    );
    assert_eq!(
        client(&two, "10.0.0.2", &xff("10.0.0.3, 10.0.0.1")),
        ip("10.0.0.3"),
        "all trusted: the leftmost"
    );
    // A hop that is not an address stops at the proxy that wrote it.
    assert_eq!(
        client(&two, "10.0.0.2", &xff("6.6.6.6, unknown, 10.0.0.1")),
        ip("10.0.0.1")
    );
    assert_eq!(client(&two, "10.0.0.2", &xff("6.6.6.6,,")), ip("10.0.0.2"));
    // The other header is not read.
    assert_eq!(
        client(&two, "10.0.0.2", &[("forwarded", "for=6.6.6.6")]),
        ip("10.0.0.2")
    );
}

#[test]
fn forwarded_is_read_the_same_way_when_chosen() {
    let two = behind(&["10.0.0.1", "10.0.0.2"], ForwardedHeader::Forwarded);
    let fwd = |v| [("forwarded", v)];
    assert_eq!(
        client(
            &two,
            "10.0.0.2",
            &fwd("for=6.6.6.6, for=203.0.113.7;proto=https, for=10.0.0.1;by=10.0.0.2")
        ),
        ip("203.0.113.7")
    );
    assert_eq!(
        client(
            &two,
            "10.0.0.2",
            &fwd("for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\", For=10.0.0.1")
        ),
        ip("2001:db8:cafe::17")
    );
    assert_eq!(
        client(
            &two,
            "10.0.0.2",
            &fwd("for=6.6.6.6, for=_hidden, for=10.0.0.1")
        ),
        ip("10.0.0.1")
    );
    assert_eq!(
        client(&two, "10.0.0.2", &fwd("for=6.6.6.6, proto=https")),
        ip("10.0.0.2")
    );
    assert_eq!(
        client(&two, "10.0.0.2", &[("x-forwarded-for", "6.6.6.6")]),
        ip("10.0.0.2")
    );
}
