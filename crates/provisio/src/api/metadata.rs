//! `GET /beta/$metadata`: the CSDL document of everything the service serves. It needs no
//! caller: OData clients load it before they authenticate.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::model::csdl;

/// The content type of the metadata document.
pub const APPLICATION_XML: &str = "application/xml";

static DOCUMENT: LazyLock<String> = LazyLock::new(csdl::document);

/// The document, built once.
pub async fn metadata() -> Response {
    let mut res = (StatusCode::OK, DOCUMENT.as_str()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(APPLICATION_XML),
    );
    res
}
