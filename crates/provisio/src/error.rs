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
    /// 406 `NotAcceptable`: the request accepts no JSON the service can write.
    #[error("{0}")]
    NotAcceptable(String),
    /// 409 `Conflict`.
    #[error("{0}")]
    Conflict(String),
    /// 408 `RequestTimeout`: the request body did not arrive in time.
    #[error("{0}")]
    RequestTimeout(String),
    /// 412 `PreconditionFailed`.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413 `RequestEntityTooLarge`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 414 `UriTooLong`.
    #[error("{0}")]
    UriTooLong(String),
    /// 415 `UnsupportedMediaType`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429 `TooManyRequests`: over a throttling limit; retry after the given seconds.
    #[error("{message}")]
    TooManyRequests {
        /// Shown to the client: which limit.
        message: String,
        /// Seconds for `Retry-After`, until the request would be admitted.
        retry_after: u32,
    },
    /// 431 `RequestHeaderFieldsTooLarge`.
    #[error("{0}")]
    HeaderFieldsTooLarge(String),
    /// 503 `ServiceUnavailable`, retry after the given seconds.
    #[error("{message}")]
    Unavailable {
        /// Shown to the client.
        message: String,
        /// Seconds for `Retry-After`.
        retry_after: u32,
    },
    /// A refusal of the device protocol (`/device/v1`), with its own code.
    #[error("{}", .0.message())]
    Device(DeviceError),
    /// 500 `InternalServerError`: the cause is logged, never shown.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The refusals of the device protocol (docs/DEVICES.md, Errors): each has its own status and
/// Graph-style code, from [`DeviceError::status_and_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceError {
    /// 401: the enrollment token is unknown, malformed, revoked or replaced (one answer for all).
    InvalidEnrollmentToken,
    /// 410: the enrollment token expired.
    EnrollmentTokenExpired,
    /// 409: the token enrolled as many devices as it may.
    EnrollmentTokenUsageLimitReached,
    /// 422: the idempotency key came before with another request.
    IdempotencyKeyReused,
    /// 401: the device credential is unknown (a DPC must never wipe on it).
    InvalidDeviceCredential,
    /// 410: the device's record was deleted or retired.
    DeviceRemoved,
    /// 401: the user ID token of a user-associated enrollment did not verify.
    InvalidUserIdToken,
}

impl DeviceError {
    /// Every refusal, its status and code.
    pub const ALL: [(DeviceError, StatusCode, &'static str); 7] = [
        (
            DeviceError::InvalidEnrollmentToken,
            StatusCode::UNAUTHORIZED,
            "InvalidEnrollmentToken",
        ),
        (
            DeviceError::EnrollmentTokenExpired,
            StatusCode::GONE,
            "EnrollmentTokenExpired",
        ),
        (
            DeviceError::EnrollmentTokenUsageLimitReached,
            StatusCode::CONFLICT,
            "EnrollmentTokenUsageLimitReached",
        ),
        (
            DeviceError::IdempotencyKeyReused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "IdempotencyKeyReused",
        ),
        (
            DeviceError::InvalidDeviceCredential,
            StatusCode::UNAUTHORIZED,
            "InvalidDeviceCredential",
        ),
        (
            DeviceError::DeviceRemoved,
            StatusCode::GONE,
            "DeviceRemoved",
        ),
        (
            DeviceError::InvalidUserIdToken,
            StatusCode::UNAUTHORIZED,
            "InvalidUserIdToken",
        ),
    ];

    /// Its status and code.
    pub fn status_and_code(self) -> (StatusCode, &'static str) {
        Self::ALL
            .iter()
            .find(|(e, _, _)| *e == self)
            .map_or((StatusCode::BAD_REQUEST, "BadRequest"), |(_, s, c)| {
                (*s, *c)
            })
    }

    /// What the device is told.
    pub fn message(self) -> &'static str {
        match self {
            DeviceError::InvalidEnrollmentToken => {
                "The enrollment token is not valid: it is unknown, revoked or replaced by a newer one."
            }
            DeviceError::EnrollmentTokenExpired => "The enrollment token has expired.",
            DeviceError::EnrollmentTokenUsageLimitReached => {
                "The enrollment token has enrolled as many devices as it may."
            }
            DeviceError::IdempotencyKeyReused => {
                "The Idempotency-Key was used before with a different request."
            }
            DeviceError::InvalidDeviceCredential => "The device credential is not known.",
            DeviceError::DeviceRemoved => {
                "The device was removed from management (deleted or retired)."
            }
            DeviceError::InvalidUserIdToken => {
                "The user ID token is not valid: it must be an unexpired ID token of a user of \
                 the profile's tenant, signed by an accepted issuer for an accepted client."
            }
        }
    }
}

/// The code and message an error response carries until the middleware renders the envelope.
#[derive(Clone, Debug)]
pub struct ErrorBody {
    /// The Graph error code, e.g. `BadRequest`.
    pub code: &'static str,
    /// The message for people.
    pub message: String,
}

/// Every error status the service answers with: its Graph error code, and the message used when
/// the response did not come from an [`ApiError`] (which brings its own). Both
/// [`ApiError::status_and_code`] and [`default_for_status`] read their codes from here.
const STATUS_CODES: [(StatusCode, &str, &str); 18] = [
    (
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The request is not valid.",
    ),
    (
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token is empty or invalid.",
    ),
    (
        StatusCode::FORBIDDEN,
        "Forbidden",
        "The caller may not do this.",
    ),
    (
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        "The resource was not found.",
    ),
    (
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "The HTTP method is not allowed on this resource.",
    ),
    (
        StatusCode::NOT_ACCEPTABLE,
        "NotAcceptable",
        "The service answers application/json only, which the request does not accept.",
    ),
    (
        StatusCode::REQUEST_TIMEOUT,
        "RequestTimeout",
        "The request took too long.",
    ),
    (
        StatusCode::CONFLICT,
        "Conflict",
        "The request conflicts with the current state.",
    ),
    (
        StatusCode::LENGTH_REQUIRED,
        "LengthRequired",
        "The request needs a Content-Length.",
    ),
    (
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        "A precondition of the request failed.",
    ),
    (
        StatusCode::FAILED_DEPENDENCY,
        "FailedDependency",
        "A request of the batch that this one depends on failed.",
    ),
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        "The request body is larger than the limit of 1 MiB.",
    ),
    (
        StatusCode::URI_TOO_LONG,
        "UriTooLong",
        "The request target is too long.",
    ),
    (
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
        "The request body must be sent with Content-Type: application/json.",
    ),
    (
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "RequestHeaderFieldsTooLarge",
        "The request's header fields are too many or too large.",
    ),
    (
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Too many requests; retry later.",
    ),
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalServerError",
        INTERNAL_MESSAGE,
    ),
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "The service is unavailable; retry later.",
    ),
];

/// What a client sees instead of the cause of an internal error.
const INTERNAL_MESSAGE: &str = "An internal error occurred.";

/// The code and default message for `status`: its row in [`STATUS_CODES`], or for a status not
/// listed there, the row of 500 (for any 5xx) or of 400 (for anything else).
fn row_for(status: StatusCode) -> (&'static str, &'static str) {
    let fallback = if status.as_u16() >= 500 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    let find = |wanted: StatusCode| STATUS_CODES.iter().find(|(s, _, _)| *s == wanted);
    // The first row (400) stands in should the fallback ever leave the table.
    let (_, code, message) = find(status)
        .or_else(|| find(fallback))
        .unwrap_or(&STATUS_CODES[0]);
    (code, message)
}

impl ApiError {
    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::HeaderFieldsTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Device(e) => e.status_and_code().0,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The status and Graph code for this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        if let ApiError::Device(e) = self {
            return e.status_and_code();
        }
        let status = self.status();
        (status, row_for(status).0)
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
    let (code, message) = row_for(status);
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
                INTERNAL_MESSAGE.to_owned()
            }
            other => other.to_string(),
        };
        let mut res = status.into_response();
        if let ApiError::Unavailable { retry_after, .. }
        | ApiError::TooManyRequests { retry_after, .. } = &self
        {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        if let ApiError::Unauthenticated(_) = &self {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        if let ApiError::Device(DeviceError::InvalidDeviceCredential) = &self {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Device"));
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

/// `Retry-After` (seconds) of a query that ran out of time: the same query is worth retrying only
/// once the load that slowed it has passed.
const TIMED_OUT_RETRY_AFTER: u32 = 5;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        crate::metrics::database().error(&e);
        match e {
            StoreError::Busy => ApiError::Unavailable {
                message: "The database is busy; retry the request.".into(),
                retry_after: 1,
            },
            StoreError::Full => ApiError::Unavailable {
                message: "The service's storage is full: writes are refused until space is freed; reads still work.".into(),
                retry_after: crate::service::FULL_RETRY_AFTER_SECONDS,
            },
            StoreError::TimedOut(limit) => ApiError::Unavailable {
                message: format!(
                    "The query ran longer than the limit of {} ms and was stopped. Narrow it: \
                     fewer or more selective $filter conditions (eq, startswith or in rather \
                     than contains), a smaller $top, no $skip (follow @odata.nextLink \
                     instead), no $count; or retry later.",
                    limit.as_millis()
                ),
                retry_after: TIMED_OUT_RETRY_AFTER,
            },
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Other(cause) => ApiError::Internal(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_has_one_row_and_errors_share_the_codes_of_plain_statuses() {
        for (i, (status, _, _)) in STATUS_CODES.iter().enumerate() {
            assert!(
                STATUS_CODES[i + 1..].iter().all(|(s, _, _)| s != status),
                "{status} is listed twice"
            );
        }
        let errors = [
            ApiError::BadRequest(String::new()),
            ApiError::Unauthenticated(String::new()),
            ApiError::Forbidden(String::new()),
            ApiError::NotFound(String::new()),
            ApiError::NotAcceptable(String::new()),
            ApiError::Conflict(String::new()),
            ApiError::RequestTimeout(String::new()),
            ApiError::PreconditionFailed(String::new()),
            ApiError::PayloadTooLarge(String::new()),
            ApiError::UriTooLong(String::new()),
            ApiError::UnsupportedMediaType(String::new()),
            ApiError::TooManyRequests {
                message: String::new(),
                retry_after: 1,
            },
            ApiError::HeaderFieldsTooLarge(String::new()),
            ApiError::Unavailable {
                message: String::new(),
                retry_after: 1,
            },
            ApiError::Internal(anyhow::anyhow!("cause")),
        ];
        let codes: Vec<_> = errors.iter().map(|e| e.status_and_code()).collect();
        for (status, code) in &codes {
            assert_eq!(default_for_status(*status).code, *code);
        }
        assert_eq!(
            codes.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
            [
                "BadRequest",
                "InvalidAuthenticationToken",
                "Forbidden",
                "ResourceNotFound",
                "NotAcceptable",
                "Conflict",
                "RequestTimeout",
                "PreconditionFailed",
                "RequestEntityTooLarge",
                "UriTooLong",
                "UnsupportedMediaType",
                "TooManyRequests",
                "RequestHeaderFieldsTooLarge",
                "ServiceUnavailable",
                "InternalServerError",
            ]
        );
    }

    #[test]
    fn a_statement_out_of_time_is_503_naming_the_limit_and_how_to_narrow_the_query() {
        let e = ApiError::from(StoreError::TimedOut(std::time::Duration::from_millis(2500)));
        let text = e.to_string();
        assert!(text.contains("limit of 2500 ms"), "{text}");
        assert!(text.contains("$filter") && text.contains("$top"), "{text}");
        let res = e.into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        let busy = ApiError::from(StoreError::Busy).into_response();
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn unlisted_statuses_fall_back_by_class() {
        let teapot = default_for_status(StatusCode::IM_A_TEAPOT);
        assert_eq!(
            (teapot.code, teapot.message.as_str()),
            ("BadRequest", "The request is not valid.")
        );
        let gateway = default_for_status(StatusCode::BAD_GATEWAY);
        assert_eq!(
            (gateway.code, gateway.message.as_str()),
            ("InternalServerError", "An internal error occurred.")
        );
        let length = default_for_status(StatusCode::LENGTH_REQUIRED);
        assert_eq!(
            (length.code, length.message.as_str()),
            ("LengthRequired", "The request needs a Content-Length.")
        );
    }
}
