//! Test support shared by the workspace's tests: read a QR code PNG back with two independent
//! decoders, `rqrr` in process and the external `zbarimg` (Debian package zbar-tools), byte for
//! byte. Test code only: it panics with a clear message on any failure.
#![forbid(unsafe_code)]

use std::io::ErrorKind;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A decoded PNG: one luma byte (0 or 255) per pixel.
#[derive(Debug)]
pub struct Pixels {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Row-major pixels.
    pub luma: Vec<u8>,
}

impl Pixels {
    /// The pixel at (x, y).
    pub fn at(&self, x: usize, y: usize) -> u8 {
        self.luma[y * self.width + x]
    }
}

/// Decodes the PNG, asserting that it is 1-bit grayscale, and unpacks the bits by hand.
pub fn load_png(png_bytes: &[u8]) -> Pixels {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let info = reader.info();
    assert_eq!(info.bit_depth, png::BitDepth::One, "bit depth");
    assert_eq!(info.color_type, png::ColorType::Grayscale, "color type");
    assert!(!info.interlaced, "interlaced");
    assert!(
        info.palette.is_none() && info.trns.is_none(),
        "palette or transparency"
    );
    let (width, height) = (info.width as usize, info.height as usize);
    let mut raw = vec![0; reader.output_buffer_size().expect("buffer size")];
    let frame = reader.next_frame(&mut raw).expect("PNG data");
    let row_bytes = frame.line_size;
    assert_eq!(row_bytes, width.div_ceil(8));
    let mut luma = Vec::with_capacity(width * height);
    for row in raw.chunks_exact(row_bytes).take(height) {
        for x in 0..width {
            let bit = (row[x / 8] >> (7 - x % 8)) & 1;
            luma.push(if bit == 1 { 255 } else { 0 });
        }
    }
    Pixels {
        width,
        height,
        luma,
    }
}

/// The exact bytes rqrr reads from the only QR code in the image.
pub fn decode_rqrr(png_bytes: &[u8]) -> Vec<u8> {
    decode_pixels(&load_png(png_bytes))
}

/// Decodes a PNG of any bit depth and colour type (a rendered page, a screenshot) to 8-bit luma.
pub fn load_rendered_png(png_bytes: &[u8]) -> Pixels {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("PNG header");
    let mut raw = vec![0; reader.output_buffer_size().expect("buffer size")];
    let frame = reader.next_frame(&mut raw).expect("PNG data");
    let (width, height) = (frame.width as usize, frame.height as usize);
    let channels = frame.color_type.samples();
    let luma = raw
        .chunks_exact(frame.line_size)
        .take(height)
        .flat_map(|row| {
            row.chunks_exact(channels).take(width).map(|px| match px {
                // Grey (with or without alpha): the grey value; colour: the mean of R, G and B.
                [g] | [g, _] => *g,
                [r, g, b, ..] => ((u16::from(*r) + u16::from(*g) + u16::from(*b)) / 3) as u8,
                [] => 0,
            })
        })
        .collect();
    Pixels {
        width,
        height,
        luma,
    }
}

/// The exact bytes rqrr reads from the only QR code of a rendered image (see
/// [`load_rendered_png`]), such as a printed page.
pub fn decode_rqrr_rendered(png_bytes: &[u8]) -> Vec<u8> {
    decode_pixels(&load_rendered_png(png_bytes))
}

fn decode_pixels(pixels: &Pixels) -> Vec<u8> {
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(pixels.width, pixels.height, |x, y| {
            pixels.at(x, y)
        });
    let grids = prepared.detect_grids();
    // rqrr's finder now and then proposes a second grid made of parts of the one code (it
    // happened in the suite with one random token); such a candidate does not decode. Exactly
    // one candidate must.
    let mut decoded: Vec<Vec<u8>> = grids
        .iter()
        .filter_map(|grid| {
            let mut out = Vec::new();
            grid.decode_to(&mut out).ok().map(|_| out)
        })
        .collect();
    assert_eq!(
        decoded.len(),
        1,
        "rqrr should decode exactly one QR code (it found {} candidates)",
        grids.len()
    );
    decoded.remove(0)
}

static NEXT_FILE: AtomicUsize = AtomicUsize::new(0);

/// The exact bytes `zbarimg` reads from the image; fails when zbarimg is not installed.
///
/// `--raw -Sbinary` turns off zbar's character-set guessing and the trailing newline, so the
/// output is the symbol's data byte for byte.
pub fn decode_zbar(png_bytes: &[u8]) -> Vec<u8> {
    let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("qr-check-{}-{n}.png", std::process::id()));
    std::fs::write(&path, png_bytes).expect("write temp PNG");
    let result = Command::new("zbarimg")
        .args([
            "--quiet",
            "--raw",
            "--nodbus",
            "-Sdisable",
            "-Sqrcode.enable",
            "-Sbinary",
        ])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let output = match result {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("zbarimg not found on PATH: install zbar-tools (apt-get install zbar-tools)")
        }
        Err(e) => panic!("could not run zbarimg: {e}"),
    };
    assert!(
        output.status.success(),
        "zbarimg failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
