//! `provisio profiles qr` and `export-zero-touch`: the terminal code and the SVG are read back
//! with `rqrr` (the decoder `provisio device enroll` uses) and must hold `qrCodeContent`; the PNG
//! is the server's `qrCodeImage`; the zero-touch extras are the payload's admin extras bundle.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::{read_private, Cli};
use crate::common::{ok_json, TestServer};

/// Pixels per module in the bitmaps handed to the decoder.
const SCALE: usize = 4;

/// Decodes the one QR code in a bitmap of modules (true = dark).
fn decode(modules: &[Vec<bool>]) -> String {
    let height = modules.len() * SCALE;
    let width = modules.iter().map(Vec::len).max().unwrap_or(0) * SCALE;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let dark = modules[y / SCALE].get(x / SCALE).copied().unwrap_or(false);
        if dark {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one code in the picture");
    let (_, text) = grids[0].decode().expect("the code reads");
    text
}

/// The half-block text as modules, for a terminal with a dark (`drawn_is_light`) or light
/// background: the blocks are drawn in the text colour.
fn terminal_modules(text: &str, drawn_is_light: bool) -> Vec<Vec<bool>> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let mut top = Vec::new();
        let mut bottom = Vec::new();
        for c in line.chars() {
            let (t, b) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected character {other:?} in the terminal code"),
            };
            top.push(t != drawn_is_light);
            bottom.push(b != drawn_is_light);
        }
        rows.push(top);
        rows.push(bottom);
    }
    rows
}

/// The SVG's squares as modules (8 units each).
fn svg_modules(svg: &str) -> Vec<Vec<bool>> {
    let doc = roxmltree::Document::parse(svg).expect("SVG is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let side: usize = root.attribute("width").unwrap().parse().unwrap();
    let mut modules = vec![vec![false; side / 8]; side / 8];
    let path = root
        .descendants()
        .find(|n| n.has_tag_name("path"))
        .and_then(|n| n.attribute("d"))
        .unwrap();
    for square in path.split('z').filter(|s| !s.is_empty()) {
        let start = square.trim_start_matches('M');
        let (xy, _) = start.split_once('h').unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        modules[y / 8][x / 8] = true;
    }
    modules
}

#[tokio::test]
async fn the_terminal_code_svg_and_png_hold_the_profiles_qr_code() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let id = cli
        .create(&[
            "--display-name",
            "Warehouse scanners",
            "--mode",
            "corporateOwnedFullyManaged",
            "--wifi-ssid",
            "Warehouse",
            "--wifi-security",
            "wpa",
            "--wifi-password",
            "forklift-42",
        ])
        .await;
    cli.ok(&["profiles", "token", "create", &id, "--valid-for", "1d"])
        .await;
    let profile = ok_json(s.get(&s.item(&id)).await).await;
    let content = profile["qrCodeContent"].as_str().unwrap();

    let dark = cli.ok(&["profiles", "qr", &id]).await;
    assert_eq!(decode(&terminal_modules(&dark, true)), content);
    // A four-module quiet zone: the first two lines are all drawn (light) on a dark terminal.
    assert!(
        dark.lines().take(2).all(|l| l.chars().all(|c| c == '█')),
        "{dark}"
    );
    let light = cli
        .ok(&["profiles", "qr", &id, "--background", "light"])
        .await;
    assert_eq!(decode(&terminal_modules(&light, false)), content);

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("qr.png");
    let svg = dir.path().join("qr.svg");
    let said = cli
        .ok(&[
            "profiles",
            "qr",
            &id,
            "--png",
            png.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ])
        .await;
    assert_eq!(said, "", "files only, nothing drawn");
    let image = STANDARD
        .decode(profile["qrCodeImage"]["value"].as_str().unwrap())
        .unwrap();
    assert_eq!(read_private(&png), image);
    let svg = String::from_utf8(read_private(&svg)).unwrap();
    assert_eq!(decode(&svg_modules(&svg)), content);
}

#[tokio::test]
async fn zero_touch_extras_are_the_payloads_admin_extras() {
    let s = TestServer::start().await;
    let cli = Cli::new(&s);
    let id = cli
        .create(&[
            "--display-name",
            "Zero-touch phones",
            "--mode",
            "corporateOwnedFullyManaged",
        ])
        .await;
    cli.ok(&["profiles", "token", "create", &id, "--valid-for", "30d"])
        .await;
    let profile = ok_json(s.get(&s.item(&id)).await).await;
    let token = profile["tokenValue"].as_str().unwrap();
    let extras: Value =
        serde_json::from_str(&cli.ok(&["profiles", "export-zero-touch", &id]).await).unwrap();
    assert_eq!(
        extras,
        json!({"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {
            "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": token,
        }})
    );
    let payload: Value = serde_json::from_str(profile["qrCodeContent"].as_str().unwrap()).unwrap();
    assert_eq!(
        extras["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"],
        payload["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]
    );
    let knox: Value = serde_json::from_str(
        &cli.ok(&["profiles", "export-zero-touch", &id, "--knox"])
            .await,
    )
    .unwrap();
    assert_eq!(
        knox,
        extras["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]
    );
}
