//! The refusal of a request whose `If-Match` the entity does not meet (the condition itself is
//! `model::IfMatch`): 412 `PreconditionFailed`.

use crate::error::ApiError;
use crate::model::PreconditionFailed;

impl From<PreconditionFailed> for ApiError {
    fn from(e: PreconditionFailed) -> Self {
        ApiError::PreconditionFailed(e.0)
    }
}
