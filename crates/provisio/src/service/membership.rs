//! Enrollment-time device membership targets: at most one static security group per profile that
//! enrolled devices join.

use serde_json::Value;

use super::{IfMatch, Profiles};
use crate::error::ApiError;
use crate::model::audit::Activity;
use crate::model::input::{json_kind, truncate};
use crate::model::{
    MembershipTarget, MembershipTargetType, Profile, ProfileId, TenantId, PROFILES,
};

/// The body of `setEnrollmentTimeDeviceMembershipTarget`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRequest {
    /// The target, or none to clear it.
    pub target: Option<(MembershipTargetType, String)>,
}

/// One target's validation outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetStatus {
    /// The target's id as sent or stored.
    pub target_id: String,
    /// `None` when the target passed validation.
    pub error_code: Option<&'static str>,
}

/// `enrollmentTimeDeviceMembershipTargetResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipResult {
    /// `validationSucceeded`.
    pub validation_succeeded: bool,
    /// `enrollmentTimeDeviceMembershipTargetValidationStatuses`.
    pub statuses: Vec<TargetStatus>,
}

const PARAM: &str = "enrollmentTimeDeviceMembershipTargets";

impl MembershipRequest {
    /// Reads `{"enrollmentTimeDeviceMembershipTargets":[{"targetType":..,"targetId":..}]}`.
    pub fn from_json(body: &Value) -> Result<Self, ApiError> {
        let bad = |m: String| ApiError::BadRequest(m);
        let Value::Object(map) = body else {
            return Err(bad(format!(
                "The body must be a JSON object with '{PARAM}', not {}.",
                json_kind(body)
            )));
        };
        if let Some(other) = map
            .keys()
            .find(|k| k.as_str() != PARAM && !k.starts_with('@'))
        {
            return Err(bad(format!(
                "The parameter '{}' does not exist on setEnrollmentTimeDeviceMembershipTarget; it takes only '{PARAM}'.",
                truncate(other, 80)
            )));
        }
        let items = match map.get(PARAM) {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => return Ok(MembershipRequest { target: None }),
            Some(other) => {
                return Err(bad(format!(
                    "'{PARAM}' must be an array, not {}.",
                    json_kind(other)
                )))
            }
        };
        if items.len() > 1 {
            return Err(bad(format!(
                "'{PARAM}' holds {} targets; a profile takes at most one.",
                items.len()
            )));
        }
        let Some(item) = items.first() else {
            return Ok(MembershipRequest { target: None });
        };
        let Value::Object(t) = item else {
            return Err(bad(format!(
                "Each of '{PARAM}' must be an object, not {}.",
                json_kind(item)
            )));
        };
        let mut target_type = None;
        let mut target_id = None;
        for (k, v) in t {
            match (k.as_str(), v) {
                ("targetType", Value::String(s)) => {
                    target_type = Some(MembershipTargetType::from_name(s).filter(|t| *t == MembershipTargetType::StaticSecurityGroup).ok_or_else(|| {
                        bad(format!("targetType '{}' is not supported; use 'staticSecurityGroup'.", truncate(s, 60)))
                    })?);
                }
                ("targetId", Value::String(s)) => target_id = Some(s.clone()),
                ("targetType" | "targetId", other) => {
                    return Err(bad(format!("'{k}' must be a string, not {}.", json_kind(other))))
                }
                (k, _) if k.starts_with('@') => {}
                (k, _) => {
                    return Err(bad(format!(
                        "The property '{}' does not exist on type 'microsoft.graph.enrollmentTimeDeviceMembershipTarget'.",
                        truncate(k, 80)
                    )))
                }
            }
        }
        let target_type = target_type.ok_or_else(|| bad("targetType is required.".into()))?;
        let target_id = target_id.ok_or_else(|| bad("targetId is required.".into()))?;
        Ok(MembershipRequest {
            target: Some((target_type, target_id)),
        })
    }
}

impl Profiles {
    /// `setEnrollmentTimeDeviceMembershipTarget`: validates the target (a group id must be a
    /// GUID), stores it when valid, and reports the outcome. An empty list clears the target.
    pub async fn set_membership_target(
        &self,
        tenant: TenantId,
        id: ProfileId,
        if_match: &IfMatch,
        request: MembershipRequest,
    ) -> Result<MembershipResult, ApiError> {
        let target = match request.target {
            Some((target_type, raw_id)) => match uuid::Uuid::try_parse(raw_id.trim()) {
                Ok(group) if raw_id.len() == 36 => Some(MembershipTarget {
                    target_type,
                    target_id: group.to_string(),
                }),
                _ => {
                    // The profile must exist even when the target is refused.
                    self.get(tenant, id).await?;
                    return Ok(MembershipResult {
                        validation_succeeded: false,
                        statuses: vec![TargetStatus {
                            target_id: raw_id,
                            error_code: Some("securityGroupNotFound"),
                        }],
                    });
                }
            },
            None => None,
        };
        let stored = self
            .doing(Activity::SetMembershipTarget)
            .modify(tenant, id, if_match, |p| {
                p.membership_target = target.clone();
                Ok(())
            })
            .await?;
        Ok(result_for(stored.membership_target.as_ref()))
    }

    /// `clearEnrollmentTimeDeviceMembershipTarget`: removes the target; nothing to remove is fine.
    pub async fn clear_membership_target(
        &self,
        tenant: TenantId,
        id: ProfileId,
        if_match: &IfMatch,
    ) -> Result<(), ApiError> {
        let current = self.get(tenant, id).await?;
        if current.membership_target.is_none() {
            return Ok(if_match.check(current.version, PROFILES.a_noun)?);
        }
        self.doing(Activity::ClearMembershipTarget)
            .modify(tenant, id, if_match, |p| {
                p.membership_target = None;
                Ok(())
            })
            .await?;
        Ok(())
    }
}

impl MembershipResult {
    /// `retrieveEnrollmentTimeDeviceMembershipTarget`: the target `profile` holds, if any.
    pub fn of(profile: &Profile) -> MembershipResult {
        result_for(profile.membership_target.as_ref())
    }
}

fn result_for(target: Option<&MembershipTarget>) -> MembershipResult {
    MembershipResult {
        validation_succeeded: true,
        statuses: target
            .map(|t| TargetStatus {
                target_id: t.target_id.clone(),
                error_code: None,
            })
            .into_iter()
            .collect(),
    }
}
