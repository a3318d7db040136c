//! Enrollment tokens: `createToken` and `revokeToken`, and keeping the QR code in step with the
//! profile.

use rand::distributions::{Distribution as _, Uniform};

use super::{IfMatch, Profiles};
use crate::error::ApiError;
use crate::model::audit::Activity;
use crate::model::{
    EnrollmentMode, Profile, ProfileId, Sensitive, TenantId, Timestamp, Token, PROFILES,
    TOKEN_USAGE_COUNT,
};
use crate::store::RowWrite;

/// Shortest token validity, in seconds.
pub const MIN_VALIDITY_SECONDS: i64 = 60;

/// Longest token validity for a mode, in seconds.
pub fn max_validity_seconds(mode: EnrollmentMode) -> i64 {
    match mode {
        // 90 days.
        EnrollmentMode::CorporateOwnedAospUserlessDevice
        | EnrollmentMode::CorporateOwnedAospUserAssociatedDevice => 7_776_000,
        // 65 years.
        EnrollmentMode::CorporateOwnedDedicatedDevice => 2_049_840_000,
        EnrollmentMode::CorporateOwnedFullyManaged | EnrollmentMode::CorporateOwnedWorkProfile => {
            i64::from(i32::MAX)
        }
    }
}

/// Length of an enrollment token.
pub const TOKEN_LENGTH: usize = 20;

/// A new token: 20 letters A–Z drawn from the operating system's CSPRNG.
pub fn new_token_value() -> Sensitive {
    let letters = Uniform::new_inclusive(b'A', b'Z');
    let mut rng = rand::rngs::OsRng;
    let bytes: Vec<u8> = (0..TOKEN_LENGTH)
        .map(|_| letters.sample(&mut rng))
        .collect();
    Sensitive::new(String::from_utf8_lossy(&bytes).into_owned())
}

fn check_validity(mode: EnrollmentMode, seconds: i64) -> Result<(), ApiError> {
    let max = max_validity_seconds(mode);
    if seconds < MIN_VALIDITY_SECONDS || seconds > max {
        return Err(ApiError::BadRequest(format!(
            "tokenValidityInSeconds must be from {MIN_VALIDITY_SECONDS} to {max} for {} profiles (got {seconds}).",
            mode.name()
        )));
    }
    Ok(())
}

impl Profiles {
    /// `createToken`: a new token replaces the old one at once, with its QR code, and the usage
    /// count starts again from 0 in the same transaction (an enrollment with the old token
    /// either counted before it, or finds its token gone). Concurrent calls leave exactly one
    /// token, all of whose members come from the same call.
    pub async fn create_token(
        &self,
        tenant: TenantId,
        id: ProfileId,
        if_match: &IfMatch,
        validity_seconds: i64,
    ) -> Result<Profile, ApiError> {
        let column = PROFILES
            .layout()
            .column_of(TOKEN_USAGE_COUNT)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no column for the usage count")))?;
        let reset = |p: &Profile| {
            vec![RowWrite::ResetCounter {
                layout: PROFILES.layout(),
                id: p.id.0,
                column,
            }]
        };
        self.doing(Activity::CreateToken)
            .modify_with(
                tenant,
                id,
                if_match,
                |p| {
                    check_validity(p.enrollment_mode, validity_seconds)?;
                    self.qr.check_mode(p)?;
                    let value = new_token_value();
                    let created = Timestamp::now();
                    let expires = created.plus_seconds(validity_seconds).ok_or_else(|| {
                        ApiError::BadRequest(
                            "tokenValidityInSeconds reaches past the year 9999.".into(),
                        )
                    })?;
                    let drawn = self.qr.draw(p, value.expose())?;
                    p.token = Some(Token {
                        id: uuid::Uuid::new_v4(),
                        value,
                        created,
                        expires,
                        qr_content: Sensitive::new(drawn.content),
                        qr_png: drawn.png,
                    });
                    p.token_usage_count = 0;
                    Ok(())
                },
                reset,
            )
            .await
    }

    /// `revokeToken`: the token, its QR code and its dates are cleared; the counts stay. Revoking
    /// when there is no token changes nothing.
    pub async fn revoke_token(
        &self,
        tenant: TenantId,
        id: ProfileId,
        if_match: &IfMatch,
    ) -> Result<Profile, ApiError> {
        let current = self.get(tenant, id).await?;
        if current.token.is_none() {
            if_match.check(current.version, PROFILES.a_noun)?;
            return Ok(current);
        }
        self.doing(Activity::RevokeToken)
            .modify(tenant, id, if_match, |p| {
                p.token = None;
                Ok(())
            })
            .await
    }

    /// Draws the QR code again when what it says changed.
    pub(super) fn redraw_if_changed(&self, p: &mut Profile) -> Result<(), ApiError> {
        let Some(token) = &p.token else { return Ok(()) };
        let content = self.qr.content(p, token.value.expose())?;
        if content != token.qr_content.expose() {
            let drawn = self.qr.draw(p, token.value.expose())?;
            if let Some(t) = p.token.as_mut() {
                t.qr_content = Sensitive::new(drawn.content);
                t.qr_png = drawn.png;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_twenty_capital_letters_and_differ() {
        let a = new_token_value();
        let b = new_token_value();
        assert_eq!(a.expose().len(), TOKEN_LENGTH);
        assert!(a.expose().bytes().all(|c| c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }

    #[test]
    fn validity_limits_per_mode() {
        use EnrollmentMode::*;
        assert!(check_validity(CorporateOwnedFullyManaged, 59).is_err());
        assert!(check_validity(CorporateOwnedFullyManaged, 60).is_ok());
        assert!(check_validity(CorporateOwnedWorkProfile, i64::from(i32::MAX)).is_ok());
        assert!(check_validity(CorporateOwnedAospUserlessDevice, 7_776_000).is_ok());
        let msg = check_validity(CorporateOwnedAospUserAssociatedDevice, 7_776_001)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("7776000"), "{msg}");
        assert!(check_validity(CorporateOwnedDedicatedDevice, 2_049_840_000).is_ok());
        assert!(check_validity(CorporateOwnedDedicatedDevice, 2_049_840_001).is_err());
    }
}
