//! Throttling as Microsoft Graph does it: per application in a tenant and per tenant, limits on
//! writes and on all requests per window, answered with 429 `TooManyRequests` and a
//! `Retry-After` header (always; Intune sometimes leaves it out). docs/DEPLOYMENT.md lists the
//! settings, docs/API.md what clients see.
//!
//! Each limit is a keyed GCRA limiter from `governor`: a bucket of N requests that refills at N
//! per window, so a client may send N at once and then N per window. A request runs through
//! the limits that apply to it in a fixed order (application before tenant, writes before all
//! requests) and stops at the first that refuses it. A refused request does not count against
//! the limit that refused it nor against any after it; it has used a place in the limits
//! before it, all of which belong to the same application, so going over a limit costs only
//! the caller that did, never the other applications of its tenant.
//!
//! Only authenticated requests are counted (the tenant and application come from the token):
//! the layer sits behind the token check. Requests without a valid token are refused there
//! without touching the database; see docs/DEPLOYMENT.md for floods of those.
//!
//! The counts live in the process's memory. Keys that have been idle for a whole window are
//! indistinguishable from new ones and are swept out every window, so memory stays bounded by
//! the keys active in about two windows.

mod bounded;
mod client_address;
pub mod device_settings;
pub mod devices;
pub mod settings;

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub use client_address::counted_as;
pub use device_settings::{DeviceThrottleSettings, ForwardedHeader};
pub use devices::{too_many_enrollments, too_many_failures, DeviceThrottle, TokenKey};
pub use settings::{Limits, ThrottlePreset, ThrottleSettings};

use crate::auth::{Access, Identity};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::model::TenantId;

/// Whose budget a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One application in one tenant.
    App,
    /// All applications of one tenant.
    Tenant,
}

/// Which requests a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// POST, PATCH, PUT, DELETE: creates, changes, deletes and every action.
    Write,
    /// Every request.
    All,
}

impl Scope {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Scope::App => "app",
            Scope::Tenant => "tenant",
        }
    }
}

impl Kind {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Write => "write",
            Kind::All => "all",
        }
    }
}

/// A refused request: which limit, and when a request would be admitted again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Whose budget is used up.
    pub scope: Scope,
    /// Of which requests.
    pub kind: Kind,
    /// The limit.
    pub limit: u32,
    /// The window it counts in.
    pub window: Duration,
    /// Whole seconds until the request would be admitted (at least 1).
    pub retry_after: u32,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let whose = match r.scope {
            Scope::App => "this application in this tenant",
            Scope::Tenant => "this tenant",
        };
        let what = match r.kind {
            Kind::Write => "writes",
            Kind::All => "requests",
        };
        let unit = if r.retry_after == 1 {
            "second"
        } else {
            "seconds"
        };
        ApiError::TooManyRequests {
            message: format!(
                "Too many requests: {whose} may send {} {what} every {} seconds. Retry after {} {unit}.",
                r.limit,
                r.window.as_secs(),
                r.retry_after
            ),
            retry_after: r.retry_after,
        }
    }
}

/// An application in a tenant. Tokens without `appid`/`azp` share one key per tenant.
type AppKey = (TenantId, Arc<str>);

/// One limit over keys of type `K`.
#[derive(Debug)]
struct Limit<K: Hash + Eq + Clone> {
    scope: Scope,
    kind: Kind,
    max: u32,
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    fn new(scope: Scope, kind: Kind, max: Option<u32>, window: Duration) -> Option<Self> {
        let max = NonZeroU32::new(max?)?;
        // `window / max` is at least 3.6 ms for the largest number the settings allow.
        let quota = Quota::with_period(window / max.get())?.allow_burst(max);
        Some(Limit {
            scope,
            kind,
            max: max.get(),
            limiter: RateLimiter::keyed(quota),
        })
    }

    fn check(&self, key: &K, window: Duration) -> Result<(), Refusal> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Refusal {
                scope: self.scope,
                kind: self.kind,
                limit: self.max,
                window,
                retry_after: u32::try_from(seconds.max(1)).unwrap_or(u32::MAX),
            }
        })
    }

    fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The limits in force.
#[derive(Debug)]
struct Limiters {
    window: Duration,
    app: Vec<Limit<AppKey>>,
    tenant: Vec<Limit<TenantId>>,
}

/// The request limits of one process; cheap to clone. With no limit set it admits everything.
#[derive(Clone, Debug, Default)]
pub struct Throttle {
    limiters: Option<Arc<Limiters>>,
}

impl Throttle {
    /// The limits of `settings`; with any in force, starts a task that sweeps idle keys out
    /// every window for as long as the throttle lives (so it must run inside a Tokio runtime).
    pub fn new(settings: &ThrottleSettings) -> Self {
        let limits = settings.limits();
        if !limits.any() {
            return Throttle::default();
        }
        let w = limits.window;
        // Writes before all requests: see the module doc.
        let limiters = Arc::new(Limiters {
            window: w,
            app: [
                Limit::new(Scope::App, Kind::Write, limits.app_writes, w),
                Limit::new(Scope::App, Kind::All, limits.app_requests, w),
            ]
            .into_iter()
            .flatten()
            .collect(),
            tenant: [
                Limit::new(Scope::Tenant, Kind::Write, limits.tenant_writes, w),
                Limit::new(Scope::Tenant, Kind::All, limits.tenant_requests, w),
            ]
            .into_iter()
            .flatten()
            .collect(),
        });
        tokio::spawn(sweep_every_window(Arc::downgrade(&limiters), w));
        Throttle {
            limiters: Some(limiters),
        }
    }

    /// Counts a request of `identity` that needs `access`, or says why it is refused.
    pub fn check(&self, identity: &Identity, access: Access) -> Result<(), Refusal> {
        let Some(l) = &self.limiters else {
            return Ok(());
        };
        let applies = |kind: Kind| kind == Kind::All || access == Access::Write;
        let app: AppKey = (
            identity.tenant,
            Arc::from(identity.app_id.as_deref().unwrap_or("")),
        );
        for limit in l.app.iter().filter(|limit| applies(limit.kind)) {
            limit.check(&app, l.window)?;
        }
        for limit in l.tenant.iter().filter(|limit| applies(limit.kind)) {
            limit.check(&identity.tenant, l.window)?;
        }
        Ok(())
    }

    /// The keys held, over all limits (for tests of the sweep).
    pub fn keys(&self) -> usize {
        self.limiters.as_ref().map_or(0, |l| {
            l.app.iter().map(|x| x.limiter.len()).sum::<usize>()
                + l.tenant.iter().map(|x| x.limiter.len()).sum::<usize>()
        })
    }

    /// Drops the keys whose bucket is full again (idle for a window).
    pub fn sweep(&self) {
        if let Some(l) = &self.limiters {
            l.app.iter().for_each(Limit::sweep);
            l.tenant.iter().for_each(Limit::sweep);
        }
    }
}

async fn sweep_every_window(limiters: Weak<Limiters>, window: Duration) {
    let mut tick = tokio::time::interval(window);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(limiters) = limiters.upgrade() else {
            return;
        };
        Throttle {
            limiters: Some(limiters),
        }
        .sweep();
    }
}

/// What the throttling layer needs.
#[derive(Clone, Debug)]
pub struct ThrottleLayer {
    /// The limits.
    pub throttle: Throttle,
    /// Where refusals are counted.
    pub metrics: Metrics,
}

/// The layer behind the token check: counts each authenticated request and answers 429 with
/// `Retry-After` to one over a limit. Requests without an [`Identity`] (those that need no
/// token) pass uncounted.
pub async fn enforce(State(layer): State<ThrottleLayer>, req: Request, next: Next) -> Response {
    if let Some(identity) = req.extensions().get::<Identity>() {
        if let Err(refusal) = layer
            .throttle
            .check(identity, Access::for_method(req.method()))
        {
            layer.metrics.throttled(refusal.scope, refusal.kind);
            return ApiError::from(refusal).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests;
