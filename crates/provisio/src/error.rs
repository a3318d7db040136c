//! One error type for every failure the API reports, and the only place that picks status codes.
//!
//! An [`ApiError`] becomes a response that carries its code and message as an extension; the
//! request middleware (`api::middleware`) writes the Graph error envelope with the request ids.
//! Responses that other layers produce with an error status (an unknown method, a body over the
//! limit) get the same envelope there.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::model::InvalidInput;
use crate::store::StoreError;

/// A failure, as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `BadRequest`.
    #[error("{0}")]
    BadRequest(String),
    /// 401 `InvalidAuthenticationToken`; the reason is safe to show.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403 `Forbidden`.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `ResourceNotFound`.
    #[error("{0}")]
    NotFound(String),
    /// 409 `Conflict`.
    #[error("{0}")]
    Conflict(String),
    /// 412 `PreconditionFailed`.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413 `RequestEntityTooLarge`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415 `UnsupportedMediaType`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 503 `ServiceUnavailable`, retry after the given seconds.
    #[error("{message}")]
    Unavailable {
        /// Shown to the client.
        message: String,
        /// Seconds for `Retry-After`.
        retry_after: u32,
    },
    /// 500 `InternalServerError`: the cause is logged, never shown.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The code and message an error response carries until the middleware renders the envelope.
#[derive(Clone, Debug)]
pub struct ErrorBody {
    /// The Graph error code, e.g. `BadRequest`.
    pub code: &'static str,
    /// The message for people.
    pub message: String,
}

impl ApiError {
    /// The status and Graph code for this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "BadRequest"),
            ApiError::Unauthenticated(_) => {
                (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken")
            }
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "Forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "ResourceNotFound"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
            ApiError::PreconditionFailed(_) => {
                (StatusCode::PRECONDITION_FAILED, "PreconditionFailed")
            }
            ApiError::PayloadTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge")
            }
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType")
            }
            ApiError::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        }
    }

    /// The 404 for a profile id that does not exist for the caller's tenant.
    pub fn profile_not_found(id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!(
            "No androidDeviceOwnerEnrollmentProfile with id '{id}' exists."
        ))
    }
}

/// The Graph code and a plain message for an error status that no [`ApiError`] produced.
pub fn default_for_status(status: StatusCode) -> ErrorBody {
    let (code, message) = match status.as_u16() {
        400 => ("BadRequest", "The request is not valid."),
        401 => (
            "InvalidAuthenticationToken",
            "Access token is empty or invalid.",
        ),
        403 => ("Forbidden", "The caller may not do this."),
        404 => ("ResourceNotFound", "The resource was not found."),
        405 => (
            "MethodNotAllowed",
            "The HTTP method is not allowed on this resource.",
        ),
        408 => ("RequestTimeout", "The request took too long."),
        409 => ("Conflict", "The request conflicts with the current state."),
        411 => ("LengthRequired", "The request needs a Content-Length."),
        412 => (
            "PreconditionFailed",
            "A precondition of the request failed.",
        ),
        413 => (
            "RequestEntityTooLarge",
            "The request body is larger than the limit of 1 MiB.",
        ),
        415 => (
            "UnsupportedMediaType",
            "The request body must be sent with Content-Type: application/json.",
        ),
        429 => ("TooManyRequests", "Too many requests; retry later."),
        503 => (
            "ServiceUnavailable",
            "The service is unavailable; retry later.",
        ),
        s if s >= 500 => ("InternalServerError", "An internal error occurred."),
        _ => ("BadRequest", "The request is not valid."),
    };
    ErrorBody {
        code,
        message: message.to_owned(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "request failed");
                "An internal error occurred.".to_owned()
            }
            other => other.to_string(),
        };
        let mut res = status.into_response();
        if let ApiError::Unavailable { retry_after, .. } = &self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        if let ApiError::Unauthenticated(_) = &self {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        res.extensions_mut().insert(ErrorBody { code, message });
        res
    }
}

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        ApiError::BadRequest(e.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => ApiError::Unavailable {
                message: "The database is busy; retry the request.".into(),
                retry_after: 1,
            },
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Other(cause) => ApiError::Internal(cause),
        }
    }
}
