//! Who a device is, within its tenant: its enterprise-specific id when the DPC sends one, else
//! its manufacturer, model and serial number, else its manufacturer, model and IMEI. Values are
//! trimmed; manufacturer and model compare case-insensitively (they are stored lower-cased), the
//! serial number, IMEI and enterprise-specific id exactly. A placeholder serial (what devices
//! report when they will not tell theirs) is no identity.

/// Serial numbers that are no identity (compared case-insensitively), besides the empty one and
/// any made of one repeated digit (`0000000`, `1111`).
pub const PLACEHOLDER_SERIALS: [&str; 4] = ["unknown", "0123456789abcdef", "null", "serial"];

/// A device's identity: a kind and up to three parts, stored as columns of their own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Identity {
    /// 1: enterprise-specific id; 2: manufacturer, model, serial; 3: manufacturer, model, IMEI.
    pub kind: i64,
    /// The enterprise-specific id, or the lower-cased manufacturer.
    pub a: String,
    /// Empty, or the lower-cased model.
    pub b: String,
    /// Empty, or the serial number or IMEI.
    pub c: String,
}

/// Why no identity could be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("The device has no usable identity: send device.enterpriseSpecificId, or device.serialNumber (a real one, not a placeholder such as 'unknown'), or device.imei.")]
pub struct IdentityError;

/// Whether a serial number or IMEI is a placeholder: empty, a known placeholder, or one digit
/// repeated.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let mut chars = v.chars();
    let one_digit = match chars.next() {
        Some(first) => first.is_ascii_digit() && chars.all(|c| c == first),
        None => true,
    };
    one_digit
        || PLACEHOLDER_SERIALS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(v))
}

impl Identity {
    /// The identity of a device that reports these facts (each already checked as text).
    pub fn of(
        enterprise_specific_id: Option<&str>,
        manufacturer: Option<&str>,
        model: Option<&str>,
        serial: Option<&str>,
        imei: Option<&str>,
    ) -> Result<Identity, IdentityError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        if let Some(esid) = present(enterprise_specific_id) {
            return Ok(Identity {
                kind: 1,
                a: esid.to_owned(),
                b: String::new(),
                c: String::new(),
            });
        }
        let lower = |v: Option<&str>| present(v).unwrap_or("").to_lowercase();
        fn real(v: Option<&str>) -> Option<&str> {
            present(v).filter(|v| !is_placeholder(v))
        }
        let (kind, c) = match (real(serial), real(imei)) {
            (Some(serial), _) => (2, serial),
            (None, Some(imei)) => (3, imei),
            (None, None) => return Err(IdentityError),
        };
        Ok(Identity {
            kind,
            a: lower(manufacturer),
            b: lower(model),
            c: c.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_prefers_esid_then_serial_then_imei() {
        let id = Identity::of(Some(" E1 "), Some("X"), None, Some("S"), None).unwrap();
        assert_eq!((id.kind, id.a.as_str()), (1, "E1"));
        let id = Identity::of(
            None,
            Some("Samsung"),
            Some("SM-G991B"),
            Some("R58N"),
            Some("35"),
        )
        .unwrap();
        assert_eq!(
            (id.kind, id.a.as_str(), id.b.as_str(), id.c.as_str()),
            (2, "samsung", "sm-g991b", "R58N")
        );
        let id = Identity::of(
            Some(""),
            Some("g"),
            Some("p"),
            Some("unknown"),
            Some("356938035643809"),
        )
        .unwrap();
        assert_eq!((id.kind, id.c.as_str()), (3, "356938035643809"));
        assert_eq!(
            Identity::of(None, None, None, None, None),
            Err(IdentityError)
        );
    }

    #[test]
    fn placeholders_are_no_identity() {
        for p in [
            "",
            "  ",
            "unknown",
            "UNKNOWN",
            "0123456789ABCDEF",
            "0",
            "0000000",
            "1111",
            "null",
        ] {
            assert!(is_placeholder(p), "{p:?}");
            assert!(
                Identity::of(None, Some("m"), Some("m"), Some(p), None).is_err(),
                "{p:?}"
            );
        }
        for real in ["R58N12345XY", "0000001", "12", "unknown1"] {
            assert!(!is_placeholder(real), "{real:?}");
        }
    }
}
