//! The payload drawn as a QR code in a PNG (`qrCodeImage`): error correction M, or L when the
//! text does not fit at M; a 4-module quiet zone; 8 px per module; black on white; 1-bit
//! grayscale.
//!
//! Because a module is 8 px wide and the PNG has one bit per pixel, every module of a pixel row
//! is exactly one byte (`0x00` black, `0xff` white): rows are written straight from the module
//! matrix, each repeated 8 times, with no intermediate image. The `Up` filter turns the 7
//! repeats into zero rows, which fdeflate's fast mode compresses to almost nothing.

use crate::mask;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use qrcode::bits::{encode_auto, Bits};

/// Width of the white border around the code, in modules.
pub const QUIET_ZONE_MODULES: usize = 4;

/// Side of one module, in pixels.
pub const PIXELS_PER_MODULE: usize = 8;

/// Most payload bytes that always fit: byte mode in a version 40 code at level L.
///
/// Text with long runs of digits or upper-case letters is packed more densely and may fit
/// a little more; [`check_capacity`] gives the exact answer.
pub const MAX_PAYLOAD_BYTES: usize = 2953;

/// Most payload bytes that always fit at level M (byte mode, version 40).
pub const MAX_PAYLOAD_BYTES_AT_M: usize = 2331;

/// QR error-correction level of a rendered code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcLevel {
    /// Low: about 7 % of the code can be restored; used only when the text does not fit at M.
    L,
    /// Medium: about 15 % can be restored; the default.
    M,
}

impl EcLevel {
    /// `"L"` or `"M"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::L => "L",
            Self::M => "M",
        }
    }

    fn to_qrcode(self) -> qrcode::EcLevel {
        match self {
            Self::L => qrcode::EcLevel::L,
            Self::M => qrcode::EcLevel::M,
        }
    }
}

impl std::fmt::Display for EcLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a payload could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The text fits in no QR code, even version 40 at level L.
    #[error("the QR payload is {bytes} bytes, more than a QR code holds (about {max_bytes})")]
    TooLarge {
        /// Length of the payload, in bytes.
        bytes: usize,
        /// [`MAX_PAYLOAD_BYTES`].
        max_bytes: usize,
    },
    /// The QR or PNG encoder failed in a way that should not happen; the text says how.
    #[error("QR image encoding failed: {0}")]
    Encoding(String),
}

/// A rendered QR code: the PNG file and what was chosen to draw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrImage {
    png: Vec<u8>,
    ec_level: EcLevel,
    version: u8,
    modules: usize,
}

impl QrImage {
    /// The PNG file.
    pub fn png(&self) -> &[u8] {
        &self.png
    }

    /// The PNG file, by value.
    pub fn into_png(self) -> Vec<u8> {
        self.png
    }

    /// The PNG as standard padded base64, the form of `qrCodeImage.value`.
    pub fn png_base64(&self) -> String {
        STANDARD.encode(&self.png)
    }

    /// The error-correction level used.
    pub fn ec_level(&self) -> EcLevel {
        self.ec_level
    }

    /// The QR version (1..=40).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Side of the code in modules, quiet zone excluded (`17 + 4 × version`).
    pub fn modules(&self) -> usize {
        self.modules
    }

    /// Side of the image in pixels: `(modules + 2 × 4) × 8`.
    pub fn width_px(&self) -> usize {
        (self.modules + 2 * QUIET_ZONE_MODULES) * PIXELS_PER_MODULE
    }
}

/// The level [`render_png`] would use for `content`, without drawing anything.
///
/// # Errors
/// [`QrError::TooLarge`] when it fits at neither M nor L.
pub fn check_capacity(content: &str) -> Result<EcLevel, QrError> {
    encode(content).map(|(_, level)| level)
}

/// Whether `content` fits in a QR code at all (at M or L).
pub fn fits(content: &str) -> bool {
    check_capacity(content).is_ok()
}

/// Segments `content` optimally into the smallest version at M, else at L.
fn encode(content: &str) -> Result<(Bits, EcLevel), QrError> {
    for level in [EcLevel::M, EcLevel::L] {
        match encode_auto(content.as_bytes(), level.to_qrcode()) {
            Ok(bits) => return Ok((bits, level)),
            Err(qrcode::types::QrError::DataTooLong) => {}
            Err(e) => return Err(QrError::Encoding(e.to_string())),
        }
    }
    Err(QrError::TooLarge {
        bytes: content.len(),
        max_bytes: MAX_PAYLOAD_BYTES,
    })
}

/// Draws `content` as a QR code PNG (see the module docs for the rules).
///
/// The same text always gives the same bytes with the same build of this crate.
///
/// # Errors
/// [`QrError::TooLarge`] when the text fits at neither level; [`QrError::Encoding`] never in
/// practice.
pub fn render_png(content: &str) -> Result<QrImage, QrError> {
    let matrix = render_matrix(content)?;
    let png = encode_png(&matrix.dark, matrix.modules)?;
    Ok(QrImage {
        png,
        ec_level: matrix.ec_level,
        version: matrix.version,
        modules: matrix.modules,
    })
}

/// The modules of a QR code, without the quiet zone: what [`render_png`] draws, for callers
/// that draw the code themselves (a terminal, an SVG).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    dark: Vec<u8>,
    ec_level: EcLevel,
    version: u8,
    modules: usize,
}

impl QrMatrix {
    /// Modules per side, without the quiet zone.
    pub fn modules(&self) -> usize {
        self.modules
    }

    /// Whether the module in column `x`, row `y` is dark; outside the code (the quiet zone) it
    /// is not.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.modules && y < self.modules && self.dark[y * self.modules + x] == 1
    }

    /// The error-correction level chosen.
    pub fn ec_level(&self) -> EcLevel {
        self.ec_level
    }

    /// The QR version chosen.
    pub fn version(&self) -> u8 {
        self.version
    }
}

/// The module matrix of `content`, chosen as [`render_png`] chooses it (same level, version and
/// mask), so a code drawn from it reads the same as the PNG.
///
/// # Errors
/// As [`render_png`].
pub fn render_matrix(content: &str) -> Result<QrMatrix, QrError> {
    let (bits, ec_level) = encode(content)?;
    let version = match bits.version() {
        qrcode::Version::Normal(v) => u8::try_from(v).ok(),
        qrcode::Version::Micro(_) => None,
    }
    .ok_or_else(|| QrError::Encoding(format!("unexpected version {:?}", bits.version())))?;
    let modules = 17 + 4 * usize::from(version);
    let dark = mask::masked_matrix(bits, ec_level.to_qrcode())
        .map_err(|e| QrError::Encoding(e.to_string()))?;
    if dark.len() != modules * modules {
        return Err(QrError::Encoding(format!(
            "matrix of {} modules",
            dark.len()
        )));
    }
    Ok(QrMatrix {
        dark,
        ec_level,
        version,
        modules,
    })
}

/// Lays the module matrix (row-major, 1 = dark) out as 1-bit pixel rows and encodes them as a
/// PNG.
fn encode_png(dark: &[u8], modules: usize) -> Result<Vec<u8>, QrError> {
    let side_modules = modules + 2 * QUIET_ZONE_MODULES;
    // One byte per module in a row: 8 pixels of 1 bit, all 0 (black) or all 1 (white).
    let row_bytes = side_modules;
    let side_px = side_modules * PIXELS_PER_MODULE;
    let mut pixels = vec![0xffu8; row_bytes * side_px];
    for (y, module_row) in dark.chunks_exact(modules).enumerate() {
        let first_px_row = (y + QUIET_ZONE_MODULES) * PIXELS_PER_MODULE;
        let start = first_px_row * row_bytes;
        let (row, rest) = pixels[start..].split_at_mut(row_bytes);
        for (byte, module) in row[QUIET_ZONE_MODULES..].iter_mut().zip(module_row) {
            *byte = if *module == 1 { 0x00 } else { 0xff };
        }
        for copy in rest.chunks_exact_mut(row_bytes).take(PIXELS_PER_MODULE - 1) {
            copy.copy_from_slice(row);
        }
    }
    let side = u32::try_from(side_px).map_err(|e| QrError::Encoding(e.to_string()))?;
    let png_err = |e: png::EncodingError| QrError::Encoding(e.to_string());
    let mut out = Vec::with_capacity(pixels.len() / 16);
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    encoder.set_deflate_compression(png::DeflateCompression::FdeflateUltraFast);
    encoder.set_filter(png::Filter::Up);
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(&pixels).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}
