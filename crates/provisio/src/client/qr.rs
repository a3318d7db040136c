//! A profile's QR code drawn for a terminal and as an SVG, and its DPC extras for zero-touch
//! enrollment — all from `qrCodeContent`.
//!
//! The modules come from `android_provisioning::render_matrix`, the encoder that draws the
//! server's `qrCodeImage`, so the terminal code and the SVG hold the same level, version and mask
//! as the PNG. Hand-written because each is a few lines over that matrix:
//! - **Terminal**: two module rows per text line with Unicode half blocks (`▀` upper, `▄` lower,
//!   `█` both, space neither) and the 4-module quiet zone QR readers need. A terminal draws the
//!   blocks in its text colour, so on a dark background (the default, `--background dark`) the
//!   blocks are the code's *light* modules and the background shows through as the dark ones, as
//!   `qrencode -t UTF8` does; `--background light` draws the dark modules instead.
//! - **SVG**: one black square path per dark module on a white rectangle, quiet zone included,
//!   8 user units per module (the PNG's pixels per module), with `shape-rendering="crispEdges"`.

use android_provisioning::{render_matrix, QrMatrix, KEY_ADMIN_EXTRAS_BUNDLE, QUIET_ZONE_MODULES};
use clap::ValueEnum;
use serde_json::{Map, Value};

/// The terminal's background colour.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Background {
    /// Light text on a dark background: the light modules are drawn.
    #[default]
    Dark,
    /// Dark text on a light background: the dark modules are drawn.
    Light,
}

/// The module matrix of a `qrCodeContent`.
fn matrix(content: &str) -> anyhow::Result<QrMatrix> {
    render_matrix(content).map_err(|e| anyhow::anyhow!("drawing the QR code: {e}"))
}

/// The code as half-block text, quiet zone included, one `\n` after every line.
pub fn terminal(content: &str, background: Background) -> anyhow::Result<String> {
    let matrix = matrix(content)?;
    let quiet = QUIET_ZONE_MODULES;
    let side = matrix.modules() + 2 * quiet;
    // Whether the module at (x, y) of the whole image, quiet zone included, is drawn.
    let drawn = |x: usize, y: usize| -> bool {
        let dark = x >= quiet && y >= quiet && y < side && matrix.is_dark(x - quiet, y - quiet);
        match background {
            Background::Dark => y < side && !dark,
            Background::Light => dark,
        }
    };
    let mut out = String::with_capacity(side * side);
    for y in (0..side).step_by(2) {
        for x in 0..side {
            out.push(match (drawn(x, y), drawn(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// The code as an SVG document.
pub fn svg(content: &str) -> anyhow::Result<String> {
    const UNIT: usize = android_provisioning::PIXELS_PER_MODULE;
    let matrix = matrix(content)?;
    let quiet = QUIET_ZONE_MODULES;
    let side = (matrix.modules() + 2 * quiet) * UNIT;
    let mut path = String::new();
    for y in 0..matrix.modules() {
        for x in 0..matrix.modules() {
            if matrix.is_dark(x, y) {
                path.push_str(&format!(
                    "M{} {}h{UNIT}v{UNIT}h-{UNIT}z",
                    (x + quiet) * UNIT,
                    (y + quiet) * UNIT
                ));
            }
        }
    }
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{side}\" height=\"{side}\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\n\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#ffffff\"/>\n\
         <path fill=\"#000000\" d=\"{path}\"/>\n\
         </svg>\n"
    ))
}

/// The DPC extras for Google's zero-touch portal: `{"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {...}}`
/// with the bundle of the QR code's payload, as Intune's exported token gives. With `knox`,
/// only the bundle, which Samsung Knox Mobile Enrollment takes as its custom JSON.
pub fn zero_touch_extras(content: &str, knox: bool) -> anyhow::Result<Value> {
    let payload: Value = serde_json::from_str(content)
        .map_err(|e| anyhow::anyhow!("qrCodeContent is not JSON ({e})"))?;
    let Some(Value::Object(bundle)) = payload.get(KEY_ADMIN_EXTRAS_BUNDLE) else {
        anyhow::bail!("qrCodeContent has no {KEY_ADMIN_EXTRAS_BUNDLE} object");
    };
    if knox {
        return Ok(Value::Object(bundle.clone()));
    }
    let mut out = Map::new();
    out.insert(
        KEY_ADMIN_EXTRAS_BUNDLE.to_owned(),
        Value::Object(bundle.clone()),
    );
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The half-block text read back into modules (true = dark), as a phone's camera would see
    /// a dark-background terminal.
    fn modules_of(text: &str, background: Background) -> Vec<Vec<bool>> {
        let mut rows = Vec::new();
        for line in text.lines() {
            let (mut top, mut bottom) = (Vec::new(), Vec::new());
            for c in line.chars() {
                let (t, b) = match c {
                    '█' => (true, true),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    _ => (false, false),
                };
                let dark = |drawn: bool| (background == Background::Light) == drawn;
                top.push(dark(t));
                bottom.push(dark(b));
            }
            rows.push(top);
            rows.push(bottom);
        }
        rows
    }

    #[test]
    fn both_backgrounds_draw_the_same_modules_with_a_quiet_zone() {
        let content = "{\"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE\":{\"k\":\"v\"}}";
        let m = matrix(content).unwrap();
        let side = m.modules() + 2 * QUIET_ZONE_MODULES;
        for background in [Background::Dark, Background::Light] {
            let text = terminal(content, background).unwrap();
            assert_eq!(text.lines().count(), side.div_ceil(2));
            let read = modules_of(&text, background);
            for (y, row) in read.iter().enumerate().take(side) {
                assert_eq!(row.len(), side);
                for (x, dark) in row.iter().enumerate() {
                    let expected = x >= QUIET_ZONE_MODULES
                        && y >= QUIET_ZONE_MODULES
                        && m.is_dark(x - QUIET_ZONE_MODULES, y - QUIET_ZONE_MODULES);
                    assert_eq!(*dark, expected, "module {x},{y} on {background:?}");
                }
            }
        }
    }

    #[test]
    fn the_svg_has_one_square_per_dark_module() {
        let svg = svg("hello").unwrap();
        let m = matrix("hello").unwrap();
        let dark = (0..m.modules())
            .flat_map(|y| (0..m.modules()).map(move |x| (x, y)))
            .filter(|&(x, y)| m.is_dark(x, y))
            .count();
        assert_eq!(svg.matches('z').count(), dark);
        assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn zero_touch_extras_carry_the_bundle() {
        let content = r#"{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"a/.b","android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN":"ABCDEFGHIJKLMNOPQRST"}}"#;
        let bundle = serde_json::json!({"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": "ABCDEFGHIJKLMNOPQRST"});
        assert_eq!(
            zero_touch_extras(content, false).unwrap(),
            serde_json::json!({"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": bundle})
        );
        assert_eq!(zero_touch_extras(content, true).unwrap(), bundle);
        assert!(zero_touch_extras("{}", false).is_err());
        assert!(zero_touch_extras("not json", false).is_err());
    }
}
