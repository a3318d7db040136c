//! Conditional requests (docs/API.md, ETags and lost updates): what an `If-Match` asks of the
//! entity a request changes. The service compares it with the version it read and makes its
//! write conditional on that same version, so the check and the write are one: a change that
//! lands in between makes the write find another version, and the next read fails the check.
//! Pure: the store's device transactions check it under their row lock too.

use super::output::etag;

/// What a request's `If-Match` asks: nothing (no header, or `*`), or that the entity still has
/// one of the listed versions. A tag that names no version of this service (another server's,
/// a typo) matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IfMatch(Option<Vec<i64>>);

impl IfMatch {
    /// No condition: no `If-Match`, or `If-Match: *` on an entity that exists.
    pub const ANY: IfMatch = IfMatch(None);

    /// The entity must have one of `versions` (empty: a condition nothing meets).
    pub fn versions(versions: Vec<i64>) -> Self {
        IfMatch(Some(versions))
    }

    /// Whether there is no condition.
    pub fn is_any(&self) -> bool {
        self.0.is_none()
    }

    /// Whether an entity at `version` meets the condition.
    pub fn allows(&self, version: i64) -> bool {
        self.0.as_ref().is_none_or(|v| v.contains(&version))
    }

    /// `Ok` when an entity at `version` meets the condition, else the refusal (answered 412
    /// `PreconditionFailed`) naming `a_noun` ("a profile") and its current ETag.
    pub fn check(&self, version: i64, a_noun: &str) -> Result<(), PreconditionFailed> {
        if self.allows(version) {
            return Ok(());
        }
        let noun = a_noun.split_once(' ').map_or(a_noun, |(_, n)| n);
        Err(PreconditionFailed(format!(
            "The {noun} was changed after the ETag in If-Match was read; its ETag is now {}. \
             Read it again and repeat the request with the new ETag.",
            etag(version)
        )))
    }
}

/// An `If-Match` the entity does not meet: the message for the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PreconditionFailed(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_allows_every_version_and_a_list_only_its_own() {
        assert!(IfMatch::ANY.allows(1) && IfMatch::ANY.is_any());
        let some = IfMatch::versions(vec![3, 5]);
        assert!(some.allows(5) && !some.allows(4) && !some.is_any());
        assert!(!IfMatch::versions(Vec::new()).allows(1));
        let e = some.check(7, "a profile").unwrap_err();
        assert!(e.to_string().starts_with("The profile was changed"), "{e}");
        assert!(e.to_string().contains("W/\"7\""), "{e}");
    }
}
