//! Cross-origin requests from browser apps (docs/API.md, Browser apps (CORS)): the allowed
//! origins are a setting, none by default; tower-http's `CorsLayer` answers the preflights and
//! adds the `Access-Control-*` headers.

use std::time::Duration;

use anyhow::bail;
use axum::http::{HeaderName, HeaderValue, Method};
use clap::Args;
use serde::Deserialize;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The CORS settings (TOML table `[cors]`). A field's doc is its `--help` text.
#[derive(Clone, Debug, PartialEq, Eq, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsSettings {
    /// Origins of browser apps that may call the API (repeat, or separate with commas), written
    /// as browsers send them, e.g. https://admin.example.com or http://localhost:3000
    /// [default: none].
    #[arg(
        long = "cors-allowed-origins",
        env = "PROVISIO_CORS_ALLOWED_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
}

impl Default for CorsSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

/// The request headers a browser app may send: those the Graph SDKs send.
pub const ALLOWED_HEADERS: [&str; 7] = [
    "authorization",
    "content-type",
    "client-request-id",
    "sdkversion",
    "prefer",
    "consistencylevel",
    "if-match",
];

/// The response headers a browser app may read besides the ones every response exposes.
pub const EXPOSED_HEADERS: [&str; 5] = [
    "request-id",
    "client-request-id",
    "location",
    "etag",
    "retry-after",
];

/// The methods a browser app may use.
pub const ALLOWED_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// How long a browser may keep a preflight's answer.
pub const MAX_AGE: Duration = Duration::from_secs(3600);

impl CorsSettings {
    /// Checks that each origin is written as a browser sends it (`scheme://host[:port]`).
    pub fn validate(&self) -> anyhow::Result<()> {
        for origin in &self.allowed_origins {
            let parsed = url::Url::parse(origin).ok().filter(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.username().is_empty()
                    && u.password().is_none()
            });
            let Some(parsed) = parsed else {
                bail!("cors.allowed_origins: '{origin}' is not an http(s) origin such as https://admin.example.com");
            };
            let canonical = parsed.origin().ascii_serialization();
            if canonical != *origin {
                bail!("cors.allowed_origins: write '{origin}' as browsers send it: '{canonical}' (no path, no trailing slash, lower case, no default port)");
            }
        }
        Ok(())
    }
}

/// The layer for the allowed origins, or `None` when no origin is allowed (then responses carry
/// no CORS headers and browsers refuse cross-origin calls).
pub fn layer(settings: &CorsSettings) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = settings
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let names = |list: &[&'static str]| -> Vec<HeaderName> {
        list.iter().map(|n| HeaderName::from_static(n)).collect()
    };
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(ALLOWED_METHODS.to_vec())
            .allow_headers(names(&ALLOWED_HEADERS))
            .expose_headers(names(&EXPOSED_HEADERS))
            .max_age(MAX_AGE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(origins: &[&str]) -> anyhow::Result<()> {
        CorsSettings {
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        }
        .validate()
    }

    #[test]
    fn origins_are_written_as_browsers_send_them() {
        assert!(check(&[]).is_ok());
        assert!(check(&["https://admin.example.com", "http://127.0.0.2:3000"]).is_ok());
        let err = |o: &str| check(&[o]).unwrap_err().to_string();
        assert!(err("https://admin.example.com/").contains("'https://admin.example.com'"));
        assert!(err("https://Admin.example.com").contains("'https://admin.example.com'"));
        assert!(err("https://admin.example.com:443").contains("'https://admin.example.com'"));
        assert!(err("https://admin.example.com/app").contains("no path"));
        assert!(err("*").contains("not an http(s) origin"));
        assert!(err("ftp://x.example").contains("not an http(s) origin"));
        assert!(layer(&CorsSettings::default()).is_none());
    }
}
