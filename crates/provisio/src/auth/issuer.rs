//! Which `iss` values are accepted. A configured issuer is either exact, or a pattern in which
//! `{tenantid}` (or `{tid}`) stands for the token's own `tid` — the form Entra ID's multi-tenant
//! metadata uses (`https://login.microsoftonline.com/{tenantid}/v2.0`,
//! `https://sts.windows.net/{tenantid}/`). Either way, a tenant GUID in the issuer must be the
//! token's `tid`, so a token issued by one tenant can never act for another.

use anyhow::bail;
use uuid::Uuid;

const PLACEHOLDERS: [&str; 2] = ["{tenantid}", "{tid}"];

/// One accepted issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerPattern {
    /// This exact string.
    Exact(String),
    /// `prefix` + the token's tid (a lower-case GUID) + `suffix`.
    PerTenant {
        /// Text before the tenant id.
        prefix: String,
        /// Text after the tenant id.
        suffix: String,
    },
}

impl IssuerPattern {
    /// Parses a configured issuer.
    pub fn parse(issuer: &str) -> anyhow::Result<Self> {
        if issuer.trim().is_empty() {
            bail!("auth.issuers may not contain an empty value");
        }
        let found: Vec<(&str, usize)> = PLACEHOLDERS
            .iter()
            .flat_map(|p| issuer.match_indices(p).map(move |(i, _)| (*p, i)))
            .collect();
        match found.as_slice() {
            [] => Ok(IssuerPattern::Exact(issuer.to_owned())),
            [(p, at)] => Ok(IssuerPattern::PerTenant {
                prefix: issuer[..*at].to_owned(),
                suffix: issuer[at + p.len()..].to_owned(),
            }),
            _ => bail!("the issuer '{issuer}' names the tenant more than once"),
        }
    }

    /// Whether `iss` is accepted for a token whose `tid` is `tenant`.
    pub fn accepts(&self, iss: &str, tenant: Uuid) -> bool {
        match self {
            IssuerPattern::Exact(exact) => {
                iss == exact && embedded_tenant(iss).is_none_or(|t| t == tenant)
            }
            IssuerPattern::PerTenant { prefix, suffix } => iss
                .strip_prefix(prefix.as_str())
                .and_then(|rest| rest.strip_suffix(suffix.as_str()))
                .and_then(parse_guid)
                .is_some_and(|t| t == tenant),
        }
    }
}

/// A GUID in the hyphenated form (either case); nothing else.
pub fn parse_guid(s: &str) -> Option<Uuid> {
    (s.len() == 36).then(|| Uuid::try_parse(s).ok()).flatten()
}

/// The tenant of an issuer URL whose first path segment is a GUID, as Entra ID's are.
fn embedded_tenant(iss: &str) -> Option<Uuid> {
    let rest = iss
        .strip_prefix("https://")
        .or_else(|| iss.strip_prefix("http://"))?;
    let first = rest.split('/').nth(1)?;
    parse_guid(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3f1a6d2c-8b4e-4c5d-9e6f-0a1b2c3d4e5f";
    const B: &str = "b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e";

    fn t(s: &str) -> Uuid {
        Uuid::parse_str(s).unwrap()
    }

    #[test]
    fn per_tenant_patterns_need_the_tokens_own_tenant() {
        let v2 = IssuerPattern::parse("https://login.microsoftonline.com/{tenantid}/v2.0").unwrap();
        let v1 = IssuerPattern::parse("https://sts.windows.net/{tid}/").unwrap();
        assert!(v2.accepts(&format!("https://login.microsoftonline.com/{A}/v2.0"), t(A)));
        assert!(v1.accepts(&format!("https://sts.windows.net/{A}/"), t(A)));
        assert!(!v2.accepts(&format!("https://login.microsoftonline.com/{B}/v2.0"), t(A)));
        assert!(!v1.accepts(&format!("https://sts.windows.net/{B}/"), t(A)));
        assert!(!v1.accepts(&format!("https://sts.windows.net/{A}"), t(A)));
        assert!(!v2.accepts("https://login.microsoftonline.com/common/v2.0", t(A)));
        assert!(!v2.accepts(
            &format!("https://login.microsoftonline.com/{A}/x/v2.0"),
            t(A)
        ));
    }

    #[test]
    fn exact_issuers_with_a_tenant_still_need_it_to_match() {
        let single =
            IssuerPattern::parse(&format!("https://login.microsoftonline.com/{A}/v2.0")).unwrap();
        let iss = format!("https://login.microsoftonline.com/{A}/v2.0");
        assert!(single.accepts(&iss, t(A)));
        assert!(!single.accepts(&iss, t(B)));
        let plain = IssuerPattern::parse("https://idp.example.com").unwrap();
        assert!(plain.accepts("https://idp.example.com", t(B)));
        assert!(!plain.accepts("https://idp.example.com/", t(B)));
    }

    #[test]
    fn refuses_empty_and_doubled_placeholders() {
        assert!(IssuerPattern::parse(" ").is_err());
        assert!(IssuerPattern::parse("https://x/{tid}/{tenantid}").is_err());
    }
}
