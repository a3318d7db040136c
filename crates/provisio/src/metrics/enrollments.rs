//! Device enrollments through the device protocol (`POST /device/v1/enroll`):
//! `provisio_enrollments_total`, the devices enrolled (a new record; a retry answered with the
//! record it made before is not counted again), and
//! `provisio_enrollment_failures_total{reason}`, the refused attempts by the error code they
//! were answered with (`InvalidEnrollmentToken`, `EnrollmentTokenExpired`, `TooManyRequests`,
//! `BadRequest`, ...): a constant of the code, never a value a device sent.

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

    /// Counts a refused enrollment. The reason is the error code it was answered with (such
    /// as `EnrollmentTokenExpired`), a constant of the code, never a value the device sent.
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
        e.failed("EnrollmentTokenExpired");
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
        assert!(text.contains("provisio_enrollments_total 2\n"), "{text}");
        assert!(
            text.contains(
                "provisio_enrollment_failures_total{reason=\"EnrollmentTokenExpired\"} 1\n"
            ),
            "{text}"
        );
    }
}
