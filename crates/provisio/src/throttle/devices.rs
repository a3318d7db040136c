//! The device endpoints' limits: failed attempts per client address, and enrollments per
//! enrollment token. The endpoints call [`DeviceThrottle`]; a refusal is answered 429
//! `TooManyRequests` with `Retry-After`. docs/DEPLOYMENT.md, "Device endpoints: address
//! throttling", is the user's view.
//!
//! Guessing a token is hopeless (20 letters, about 94 bits); what an address limit has to stop
//! is one client flooding the service with bad requests. So only failures count
//! ([`DeviceThrottle::failed`], called for a bad token or a malformed request), and a request
//! with a valid token never calls it: a staging desk behind one NAT keeps enrolling while a bad
//! actor behind the same address is refused. IPv6 clients count per /64 and IPv4-mapped IPv6
//! addresses as IPv4 ([`counted_as`]); behind trusted proxies the client is the hop the last of
//! them added ([`DeviceThrottle::client_address`]).
//!
//! Each limit is a keyed GCRA limiter from `governor`, as the Graph throttle's: a bucket of
//! `burst` places that refills at the rate per minute. The counts live in the process's memory
//! and are per process. They are bounded: at most `max_addresses` addresses are kept (and as
//! many tokens), in a [`Bounded`] store. Addresses that arrive when it is full share one
//! overflow count, so a flood from many addresses costs only the failures of addresses not
//! already counted, and never frees a refused address, which stays until its bucket is full
//! again. Tokens beyond the cap are not counted (only tokens that an administrator created and
//! a device presented reach the cap, and a valid enrollment should not be refused for others).
//! Keys whose bucket is full again are swept out on the next call after a minute has passed,
//! and at most once a second while the store is full; no background task is needed.

use std::fmt;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock, Reference as _};
use governor::{Quota, RateLimiter};
use uuid::Uuid;

use super::bounded::{Bounded, Overflow};
use super::client_address::{counted_as, ClientAddress};
use super::device_settings::DeviceThrottleSettings;
use crate::error::ApiError;

/// An enrollment token: its profile and its creation time.
pub type TokenKey = (Uuid, i64);

/// How often idle keys are swept out.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// How often at most while a store is full.
const FULL_SWEEP_EVERY: Duration = Duration::from_secs(1);

type Limiter<K, C> =
    RateLimiter<K, Bounded<K>, C, governor::middleware::NoOpMiddleware<<C as Clock>::Instant>>;

/// The device endpoints' limits of one process; cheap to clone.
#[derive(Clone)]
pub struct DeviceThrottle<C: Clock = DefaultClock> {
    inner: Arc<Inner<C>>,
}

struct Inner<C: Clock> {
    address: ClientAddress,
    failures: Option<Limiter<IpAddr, C>>,
    tokens: Option<Limiter<TokenKey, C>>,
    /// One place a minute per token: which refusals of a token's cap the audit trail records
    /// (the first of each refused burst, not every refused request).
    reported: Option<Limiter<TokenKey, C>>,
    cap: usize,
    clock: C,
    origin: C::Instant,
    /// Nanoseconds from `origin` to the last sweep, and to the last warning of a full store.
    last_sweep: AtomicU64,
    last_warning: AtomicU64,
}

impl DeviceThrottle {
    /// The limits of `settings`, which `Settings::validate` has checked (were the trusted
    /// proxies invalid, none would be trusted).
    pub fn new(settings: &DeviceThrottleSettings) -> Self {
        Self::with_clock(settings, DefaultClock::default())
    }
}

impl<C: Clock + Clone> DeviceThrottle<C> {
    /// The limits of `settings` on the given clock (tests move a fake one).
    pub fn with_clock(settings: &DeviceThrottleSettings, clock: C) -> Self {
        let cap = usize::try_from(settings.max_addresses).unwrap_or(usize::MAX);
        let per_minute =
            |rate: NonZeroU32, burst: NonZeroU32| Quota::per_minute(rate).allow_burst(burst);
        let failures = settings.failure_limit().map(|(rate, burst)| {
            RateLimiter::new(
                per_minute(rate, burst),
                Bounded::new(cap, Overflow::Shared),
                clock.clone(),
            )
        });
        let tokens = settings.token_limit().map(|rate| {
            RateLimiter::new(
                per_minute(rate, rate),
                Bounded::new(cap, Overflow::Admit),
                clock.clone(),
            )
        });
        let reported = tokens.as_ref().map(|_| {
            RateLimiter::new(
                Quota::per_minute(NonZeroU32::MIN),
                Bounded::new(cap, Overflow::Shared),
                clock.clone(),
            )
        });
        DeviceThrottle {
            inner: Arc::new(Inner {
                reported,
                address: ClientAddress {
                    trusted: settings.trusted().unwrap_or_default(),
                    header: settings.forwarded_header,
                },
                failures,
                tokens,
                cap,
                origin: clock.now(),
                clock,
                last_sweep: AtomicU64::new(0),
                last_warning: AtomicU64::new(0),
            }),
        }
    }

    /// The client's address: the peer, or behind trusted proxies the hop the last trusted
    /// proxy added to the forwarding header the settings name (read right to left, skipping
    /// trusted proxies). IPv4-mapped IPv6 addresses come back as IPv4.
    pub fn client_address(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        self.inner.address.of(peer, headers)
    }

    /// Records a failed attempt (bad token, malformed request) from `addr`, counted as
    /// [`counted_as`] says. `Err(retry_after_seconds)` (at least 1) when the address is over
    /// its failure limit: the endpoint then answers [`too_many_failures`] instead of the
    /// failure. A request with a valid token never calls this, so it is never refused for its
    /// address.
    pub fn failed(&self, addr: IpAddr) -> Result<(), u64> {
        let Some(limiter) = &self.inner.failures else {
            return Ok(());
        };
        self.inner.sweep_if_due();
        self.inner.check(limiter, &counted_as(addr))
    }

    /// One enrollment on `token` (its profile id and creation time). `Err(retry_after_seconds)`
    /// (at least 1) when the per-token cap is set and exceeded: the endpoint then answers
    /// [`too_many_enrollments`] and records the refused burst in the audit log.
    pub fn token_enrollment(&self, token: TokenKey) -> Result<(), u64> {
        let Some(limiter) = &self.inner.tokens else {
            return Ok(());
        };
        self.inner.sweep_if_due();
        self.inner.check(limiter, &token)
    }

    /// Whether a refusal of `token`'s cap is the first of a refused burst, which the audit trail
    /// records: true at most once a minute per token, so that a flood of refused enrollments
    /// writes a few events, not one per request.
    pub fn first_refusal(&self, token: TokenKey) -> bool {
        self.inner
            .reported
            .as_ref()
            .is_some_and(|l| self.inner.check(l, &token).is_ok())
    }

    /// Addresses and tokens whose counts are held (for tests of the bound).
    pub fn tracked(&self) -> (usize, usize) {
        (
            self.inner.failures.as_ref().map_or(0, RateLimiter::len),
            self.inner.tokens.as_ref().map_or(0, RateLimiter::len),
        )
    }

    /// Drops the keys whose bucket is full again.
    pub fn sweep(&self) {
        self.inner.sweep(true);
    }
}

impl<C: Clock> Inner<C> {
    fn check<K: Hash + Eq + Clone>(&self, limiter: &Limiter<K, C>, key: &K) -> Result<(), u64> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// Whether a store holds its cap of keys.
    fn full(&self) -> bool {
        let full = |len: Option<usize>| len.is_some_and(|n| n >= self.cap);
        full(self.failures.as_ref().map(RateLimiter::len))
            || full(self.tokens.as_ref().map(RateLimiter::len))
    }

    fn now(&self) -> u64 {
        self.clock.now().duration_since(self.origin).as_u64()
    }

    /// Sweeps when a minute has passed since the last sweep, or a second while a store is full.
    fn sweep_if_due(&self) {
        let now = self.now();
        let last = self.last_sweep.load(Ordering::Relaxed);
        let since = Duration::from_nanos(now.saturating_sub(last));
        let due = since >= SWEEP_EVERY || (since >= FULL_SWEEP_EVERY && self.full());
        // One caller sweeps; the others go on.
        if due
            && self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.sweep(since >= SWEEP_EVERY);
        }
    }

    fn sweep(&self, shrink: bool) {
        if let Some(l) = &self.failures {
            l.retain_recent();
            if shrink {
                l.shrink_to_fit();
            }
        }
        for l in [&self.tokens, &self.reported].into_iter().flatten() {
            l.retain_recent();
            if shrink {
                l.shrink_to_fit();
            }
        }
        self.warn_if_full();
    }

    fn warn_if_full(&self) {
        let now = self.now();
        let last = self.last_warning.load(Ordering::Relaxed);
        if self.full()
            && (last == 0 || Duration::from_nanos(now.saturating_sub(last)) >= SWEEP_EVERY)
            && self
                .last_warning
                .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                "the device throttle counts as many addresses or tokens as device_throttle.max_addresses allows; failures from further addresses share one count, enrollments on further tokens are not capped"
            );
        }
    }
}

impl<C: Clock> fmt::Debug for DeviceThrottle<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceThrottle")
            .field("address", &self.inner.address)
            .field(
                "failures",
                &self.inner.failures.as_ref().map(RateLimiter::len),
            )
            .field("tokens", &self.inner.tokens.as_ref().map(RateLimiter::len))
            .finish()
    }
}

/// The answer to a client over its failure limit.
pub fn too_many_failures(retry_after: u64) -> ApiError {
    refusal("Too many failed requests from this address", retry_after)
}

/// The answer to an enrollment over its token's cap.
pub fn too_many_enrollments(retry_after: u64) -> ApiError {
    refusal(
        "Too many enrollments with this enrollment token",
        retry_after,
    )
}

fn refusal(what: &str, retry_after: u64) -> ApiError {
    let retry_after = u32::try_from(retry_after.max(1)).unwrap_or(u32::MAX);
    let unit = if retry_after == 1 {
        "second"
    } else {
        "seconds"
    };
    ApiError::TooManyRequests {
        message: format!("{what}. Retry after {retry_after} {unit}."),
        retry_after,
    }
}

#[cfg(test)]
#[path = "devices_tests.rs"]
mod tests;
