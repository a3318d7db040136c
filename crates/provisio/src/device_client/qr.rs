//! From a provisioning QR code to what a DPC reads out of it: the PNG is decoded with `rqrr` (the
//! decoder the QR tests use), its text parsed as the provisioning JSON, and the admin extras
//! bundle searched for the enrollment token, the enrollment URL, the enrollment mode and the
//! protocol version.
//!
//! Which extras carry what:
//! - A code for Google's Android Device Policy carries the token under
//!   [`ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY`] and no URL.
//! - A code for the operator's own DPC carries them under keys the operator chose (the
//!   `aosp_dpc.token_extras_key` and `aosp_dpc.enrollment_url_extras_key` settings), which the
//!   code itself does not name. `--token-key` / `--url-key` name them; without them, the token is
//!   the one extras value that is a well-formed token (20 letters A–Z) and the URL the one that
//!   is an `http(s)` URL. No candidate, or several, is an error that lists the keys present.
//! - `provisio.enrollmentMode` and `provisio.protocolVersion` are read when present (codes drawn
//!   by older servers lack them).

use android_provisioning::{
    ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY, KEY_ADMIN_EXTRAS_BUNDLE, KEY_ENROLLMENT_MODE,
    KEY_PROTOCOL_VERSION,
};
use anyhow::{anyhow, bail, Context as _};
use serde_json::{Map, Value};

use crate::model::Sensitive;

/// The device protocol version this client speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// Length of an enrollment token (letters A–Z), as the service issues them.
const TOKEN_LENGTH: usize = 20;

/// Which DPC the code installs, as far as the client can tell from its extras.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// Google's Android Device Policy: the token only.
    AndroidDevicePolicy,
    /// The operator's own DPC.
    OwnDpc,
}

/// An extras value that was looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<T> {
    /// Exactly one, under this key.
    One {
        /// The admin-extras key.
        key: String,
        /// Its value.
        value: T,
    },
    /// None.
    Missing,
    /// Several candidates, under these keys.
    Ambiguous(Vec<String>),
}

/// What a DPC reads from a provisioning QR code.
#[derive(Debug)]
pub struct EnrollmentCode {
    /// Which DPC the code is for.
    pub kind: CodeKind,
    /// The enrollment token.
    pub token: Sensitive,
    /// The admin-extras key that carried the token.
    pub token_key: String,
    /// The enrollment URL (absent from a Google DPC code).
    pub url: Found<String>,
    /// `provisio.enrollmentMode`, when present.
    pub mode: Option<String>,
    /// The admin-extras keys, in the code's order (never their values: one is the token).
    pub keys: Vec<String>,
}

/// The operator's extras keys, when the user names them (`--token-key`, `--url-key`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtrasKeys<'a> {
    /// The key of the token.
    pub token: Option<&'a str>,
    /// The key of the enrollment URL.
    pub url: Option<&'a str>,
}

/// The text of the only QR code in a PNG image (any colour type or bit depth).
pub fn decode_png(png_bytes: &[u8]) -> anyhow::Result<String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().context("not a PNG image")?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| anyhow!("the PNG image is too large"))?;
    let mut raw = vec![0; size];
    let frame = reader
        .next_frame(&mut raw)
        .context("reading the PNG image")?;
    let (width, height) = (frame.width as usize, frame.height as usize);
    let channels = frame.color_type.samples();
    let luma = |x: usize, y: usize| -> u8 {
        let at = y * frame.line_size + x * channels;
        to_luma(&raw[at..at + channels])
    };
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    let grids = prepared.detect_grids();
    let grid = match grids.as_slice() {
        [one] => one,
        [] => bail!("no QR code found in the image"),
        more => bail!(
            "the image holds {} QR codes; crop it to the provisioning code",
            more.len()
        ),
    };
    let mut bytes = Vec::new();
    grid.decode_to(&mut bytes)
        .map_err(|e| anyhow!("the QR code cannot be read: {e}"))?;
    String::from_utf8(bytes).context("the QR code's text is not UTF-8")
}

/// One pixel's brightness from its 8-bit samples (gray, gray+alpha, RGB or RGBA), over white.
fn to_luma(px: &[u8]) -> u8 {
    let (gray, alpha) = match *px {
        [g] => (u32::from(g), 255),
        [g, a] => (u32::from(g), u32::from(a)),
        [r, g, b] => (weigh(r, g, b), 255),
        [r, g, b, a] => (weigh(r, g, b), u32::from(a)),
        _ => (255, 255),
    };
    // Transparent pixels show the white page behind them.
    u8::try_from((gray * alpha + 255 * (255 - alpha)) / 255).unwrap_or(u8::MAX)
}

fn weigh(r: u8, g: u8, b: u8) -> u32 {
    (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000
}

/// Whether `value` has the shape of an enrollment token: 20 letters A–Z.
pub fn is_token(value: &str) -> bool {
    value.len() == TOKEN_LENGTH && value.bytes().all(|c| c.is_ascii_uppercase())
}

/// Whether `value` is an absolute `http` or `https` URL with a host.
pub fn is_http_url(value: &str) -> bool {
    url::Url::parse(value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// Reads token, URL and mode from a provisioning payload (module doc: how).
pub fn read_code(payload: &str, keys: ExtrasKeys<'_>) -> anyhow::Result<EnrollmentCode> {
    let json: Value = serde_json::from_str(payload)
        .context("the QR code is not an Android provisioning code (its text is not JSON)")?;
    let extras = json
        .get(KEY_ADMIN_EXTRAS_BUNDLE)
        .and_then(Value::as_object)
        .ok_or_else(|| {
            anyhow!("the QR code is not an enrollment code: it has no {KEY_ADMIN_EXTRAS_BUNDLE}")
        })?;
    let present: Vec<String> = extras.keys().cloned().collect();
    let listing = || present.join(", ");
    if let Some(version) = extras.get(KEY_PROTOCOL_VERSION) {
        let text = version
            .as_str()
            .map_or_else(|| version.to_string(), str::to_owned);
        if text != PROTOCOL_VERSION.to_string() {
            bail!("the QR code is for device protocol version {text}; this provisio speaks version {PROTOCOL_VERSION}");
        }
    }
    let mode = extras
        .get(KEY_ENROLLMENT_MODE)
        .and_then(Value::as_str)
        .map(str::to_owned);

    let google = extras.contains_key(ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY);
    let kind = if google && keys.token.is_none() {
        CodeKind::AndroidDevicePolicy
    } else {
        CodeKind::OwnDpc
    };
    let token_found = match (kind, keys.token) {
        (CodeKind::AndroidDevicePolicy, _) => named(extras, ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY),
        (CodeKind::OwnDpc, Some(key)) => named(extras, key),
        (CodeKind::OwnDpc, None) => detect(extras, is_token),
    };
    let (token_key, token) = match token_found {
        Found::One { key, value } => (key, value),
        Found::Missing => match keys.token {
            Some(key) => bail!(
                "the QR code's admin extras have no text value under {key} (--token-key); keys present: {}",
                listing()
            ),
            None => bail!(
                "no admin extras value of the QR code is an enrollment token (20 letters A–Z); keys present: {}. Name the token's key with --token-key",
                listing()
            ),
        },
        Found::Ambiguous(candidates) => bail!(
            "several admin extras values look like an enrollment token (keys {}); name the right one with --token-key",
            candidates.join(", ")
        ),
    };
    if !is_token(&token) {
        bail!("the value under {token_key} is not an enrollment token (20 letters A–Z)");
    }
    let url = match (kind, keys.url) {
        (_, Some(key)) => match named(extras, key) {
            Found::One { value, .. } if !is_http_url(&value) => {
                bail!("the value under {key} (--url-key) is not an http(s) URL")
            }
            Found::Missing => bail!(
                "the QR code's admin extras have no text value under {key} (--url-key); keys present: {}",
                listing()
            ),
            found => found,
        },
        (CodeKind::AndroidDevicePolicy, None) => Found::Missing,
        (CodeKind::OwnDpc, None) => detect(extras, is_http_url),
    };
    Ok(EnrollmentCode {
        kind,
        token: Sensitive::new(token),
        token_key,
        url,
        mode,
        keys: present,
    })
}

/// The text value under `key`.
fn named(extras: &Map<String, Value>, key: &str) -> Found<String> {
    match extras.get(key).and_then(Value::as_str) {
        Some(value) => Found::One {
            key: key.to_owned(),
            value: value.to_owned(),
        },
        None => Found::Missing,
    }
}

/// The one text value that passes `test`, leaving out provisio's own keys.
fn detect(extras: &Map<String, Value>, test: fn(&str) -> bool) -> Found<String> {
    let mut hits = extras.iter().filter_map(|(key, value)| {
        let value = value.as_str()?;
        let own = key == KEY_ENROLLMENT_MODE || key == KEY_PROTOCOL_VERSION;
        (!own && test(value)).then(|| (key.clone(), value.to_owned()))
    });
    match (hits.next(), hits.next()) {
        (None, _) => Found::Missing,
        (Some((key, value)), None) => Found::One { key, value },
        (Some((a, _)), Some((b, _))) => {
            let mut keys = vec![a, b];
            keys.extend(hits.map(|(key, _)| key));
            Found::Ambiguous(keys)
        }
    }
}

impl EnrollmentCode {
    /// The base URL to talk to: `server` when given, else the code's enrollment URL; an error
    /// saying what to pass when there is neither, or when the code holds several URLs.
    pub fn server_url(&self, server: Option<&str>) -> anyhow::Result<String> {
        if let Some(server) = server {
            if !is_http_url(server) {
                bail!("--server must be an http(s) URL, e.g. http://127.0.0.1:8080");
            }
            return Ok(server.to_owned());
        }
        match (&self.url, self.kind) {
            (Found::One { value, .. }, _) => Ok(value.clone()),
            (Found::Missing, CodeKind::AndroidDevicePolicy) => bail!(
                "this QR code is for Google's Android Device Policy, which carries no enrollment URL; pass --server with the provisio server's URL"
            ),
            (Found::Missing, CodeKind::OwnDpc) => bail!(
                "no admin extras value of the QR code is an http(s) URL (keys present: {}); pass --server, or name the URL's key with --url-key",
                self.keys.join(", ")
            ),
            (Found::Ambiguous(keys), _) => bail!(
                "several admin extras values are URLs (keys {}); name the enrollment URL's key with --url-key, or pass --server",
                keys.join(", ")
            ),
        }
    }
}

#[cfg(test)]
#[path = "qr_tests.rs"]
mod tests;
