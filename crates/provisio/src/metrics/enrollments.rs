//! Where device enrollments will be counted once devices enroll with this service (they do not
//! yet: the service issues enrollment profiles, tokens and QR codes, and a device that scans
//! one enrolls with its device policy controller elsewhere).
//!
//! [`Enrollments`] holds the two counters, `provisio_enrollments_total` and
//! `provisio_enrollment_failures_total{reason}`. They are not registered with `/metrics`
//! until the enrollment endpoint exists, so no scrape shows a counter that nothing could move;
//! that endpoint calls [`Enrollments::register`] from `Metrics::new` and [`Enrollments::enrolled`]
//! or [`Enrollments::failed`] once per attempt.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// Device enrollments, and failed ones by reason.
#[derive(Clone, Debug, Default)]
pub struct Enrollments {
    enrolled: Counter,
    failed: Family<ReasonLabels, Counter>,
}

impl Enrollments {
    /// Adds the two counters to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "provisio_enrollments",
            "Devices enrolled",
            self.enrolled.clone(),
        );
        registry.register(
            "provisio_enrollment_failures",
            "Enrollments refused, by reason",
            self.failed.clone(),
        );
    }

    /// Counts a device that enrolled.
    pub fn enrolled(&self) {
        self.enrolled.inc();
    }

    /// Counts a refused enrollment. The reason is a constant of the code (such as
    /// `token_expired`), never a value the device sent.
    pub fn failed(&self, reason: &'static str) {
        self.failed.get_or_create(&ReasonLabels { reason }).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_enrollments_and_failures_by_reason_once_registered() {
        let e = Enrollments::default();
        let mut registry = Registry::default();
        e.register(&mut registry);
        e.enrolled();
        e.enrolled();
        e.failed("token_expired");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
        assert!(text.contains("provisio_enrollments_total 2\n"), "{text}");
        assert!(
            text.contains("provisio_enrollment_failures_total{reason=\"token_expired\"} 1\n"),
            "{text}"
        );
    }
}
