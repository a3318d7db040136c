//! Who is calling. Until bearer-token validation is configured, every request acts for the
//! configured development tenant with full permissions.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::api::AppState;
use crate::error::ApiError;
use crate::model::TenantId;

/// The caller of a request: the tenant it acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The tenant whose profiles the request sees.
    pub tenant: TenantId,
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Principal {
            tenant: state.dev_tenant,
        })
    }
}
