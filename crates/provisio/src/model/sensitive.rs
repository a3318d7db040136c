//! Values that must never reach a log line: enrollment tokens, Wi-Fi passwords, QR payloads that
//! carry a token.

use std::fmt;

/// A string whose `Debug` output is redacted. It has no `Display`, so it cannot slip into a
/// formatted message by accident; [`Sensitive::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive(String);

impl Sensitive {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Sensitive(value.into())
    }

    /// The secret value, for the places that must send or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Sensitive::new("WINFPMWZHDMYATCYIHVK");
        assert!(!format!("{s:?}").contains("WINF"));
        assert_eq!(s.expose(), "WINFPMWZHDMYATCYIHVK");
    }
}
