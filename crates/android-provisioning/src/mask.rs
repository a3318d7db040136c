//! The module matrix of a QR code, built by the `qrcode` crate but with a fast mask choice.
//!
//! `qrcode::QrCode::with_bits` spends most of its time choosing among the 8 mask patterns:
//! for each it clones the canvas, masks it module by module and scores it with penalty
//! functions that allocate and call closures per module, which alone overruns the time budget
//! of a drawing (figures: docs/BENCHMARKS.md, "QR codes"). Here `qrcode` still builds
//! everything that carries meaning — segments, error correction codewords, function
//! patterns, data placement — and this module then:
//! - reads the unmasked canvas once into lines of bits (one bit per module, 64 modules to a
//!   word), as rows and as columns, for the colours and for the "data module" flags;
//! - masks them with the 8 standard mask functions (a word at a time: a pattern's row or
//!   column repeats every 12 lines), and takes each pattern's format-information
//!   modules from `qrcode`'s own `Canvas::apply_mask` on a small version 1 canvas (the format
//!   information depends only on the EC level and the pattern, and sits at the same offsets
//!   from the edges in every version);
//! - scores each masked code with the **same rules as `qrcode` 0.14** ([`penalty`]), with
//!   bitwise operations and population counts over whole lines, and keeps the first lowest
//!   score, as `qrcode` does.
//!
//! A unit test checks that the result equals `QrCode::with_error_correction_level` for every
//! version at both levels, so the image is the one `qrcode` itself would draw.

use crate::penalty::{get, penalty, set, Line, LIGHT};
use qrcode::bits::Bits;
use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::types::QrResult;
use qrcode::{Color, Version};

/// The mask patterns in the order `qrcode` tries them (ties go to the earliest); the index in
/// this array is the pattern's standard number, used by [`mask_bit`].
const PATTERNS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Side of a version 1 code, in modules.
const V1_WIDTH: usize = 21;

/// Builds the masked module matrix for encoded `bits`: row-major, `width × width`, 1 = dark.
pub(crate) fn masked_matrix(bits: Bits, level: qrcode::EcLevel) -> QrResult<Vec<u8>> {
    let version = bits.version();
    let data = bits.into_bytes();
    let (codewords, ec) = qrcode::ec::construct_codewords(&data, version, level)?;
    let mut canvas = Canvas::new(version, level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&codewords, &ec);
    let width = usize::try_from(version.width()).unwrap_or_default();

    // base: colour before masking; is_data: 1 where a mask applies; both as rows and as
    // columns of bits, so that the penalty counts rows the way it counts columns.
    let [base_rows, base_columns, data_rows, data_columns] = read_canvas_lines(&canvas, width);
    let format: Vec<(usize, usize, [u8; 8])> = format_modules(level, width)
        .into_iter()
        .map(|(index, values)| (index % width, index / width, values))
        .collect();

    let mut rows = vec![LIGHT; width];
    let mut columns = vec![LIGHT; width];
    let mut best_rows = rows.clone();
    let mut best_score = u32::MAX;
    for k in 0..PATTERNS.len() {
        // Row y of pattern k depends on y only through y mod MASK_PERIOD; so does column x.
        let tile: [[u8; MASK_PERIOD]; MASK_PERIOD] =
            std::array::from_fn(|y| std::array::from_fn(|x| mask_bit(k, x, y)));
        let pattern_rows: Vec<Line> = (0..MASK_PERIOD)
            .map(|y| periodic_line(width, &tile[y]))
            .collect();
        let pattern_columns: Vec<Line> = (0..MASK_PERIOD)
            .map(|x| periodic_line(width, &std::array::from_fn(|y| tile[y][x])))
            .collect();
        apply(&mut rows, &base_rows, &data_rows, &pattern_rows);
        apply(&mut columns, &base_columns, &data_columns, &pattern_columns);
        for &(x, y, values) in &format {
            let dark = values[k] == 1;
            set(&mut rows[y], x, dark);
            set(&mut columns[x], y, dark);
        }
        let score = penalty(&rows, &columns);
        if score < best_score {
            best_score = score;
            std::mem::swap(&mut rows, &mut best_rows);
        }
    }
    let mut grid = vec![0u8; width * width];
    for (row, line) in grid.chunks_exact_mut(width).zip(&best_rows) {
        for (x, cell) in row.iter_mut().enumerate() {
            *cell = u8::from(get(line, x));
        }
    }
    Ok(grid)
}

/// Every mask pattern repeats itself every 12 rows (and every 12 columns).
const MASK_PERIOD: usize = 12;

/// The line of `width` modules whose module `i` is `period[i % MASK_PERIOD]`.
fn periodic_line(width: usize, period: &[u8; MASK_PERIOD]) -> Line {
    let mut line = LIGHT;
    for i in 0..width {
        line[i / 64] |= u64::from(period[i % MASK_PERIOD]) << (i % 64);
    }
    line
}

/// `out = base XOR (is_data AND pattern)`, line by line, with the pattern lines repeating.
fn apply(out: &mut [Line], base: &[Line], is_data: &[Line], pattern: &[Line]) {
    let lines = out
        .iter_mut()
        .zip(base)
        .zip(is_data)
        .zip(pattern.iter().cycle());
    for (((o, b), d), m) in lines {
        *o = std::array::from_fn(|i| b[i] ^ (d[i] & m[i]));
    }
}

/// 1 where mask pattern `k` (standard numbering) inverts module (`x` column, `y` row).
fn mask_bit(k: usize, x: usize, y: usize) -> u8 {
    let invert = match k {
        0 => (x + y).is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => (x + y).is_multiple_of(3),
        4 => (y / 2 + x / 3).is_multiple_of(2),
        5 => (x * y) % 2 + (x * y) % 3 == 0,
        6 => ((x * y) % 2 + (x * y) % 3).is_multiple_of(2),
        _ => ((x + y) % 2 + (x * y) % 3).is_multiple_of(2),
    };
    u8::from(invert)
}

/// Module (`x`, `y`) of a canvas as (dark, is data). Empty modules are data modules of colour
/// light, which is what `Canvas::apply_mask` makes of them.
fn module_at(canvas: &Canvas, x: usize, y: usize) -> (bool, bool) {
    let coordinate = |c: usize| i16::try_from(c).unwrap_or_default();
    match canvas.get(coordinate(x), coordinate(y)) {
        Module::Masked(c) => (c == Color::Dark, false),
        Module::Unmasked(c) => (c == Color::Dark, true),
        Module::Empty => (false, true),
    }
}

/// Reads a canvas as lines of bits: [colour rows, colour columns, is-data rows, is-data
/// columns].
fn read_canvas_lines(canvas: &Canvas, width: usize) -> [Vec<Line>; 4] {
    let mut out: [Vec<Line>; 4] = std::array::from_fn(|_| vec![LIGHT; width]);
    let [base_rows, base_columns, data_rows, data_columns] = &mut out;
    for y in 0..width {
        for x in 0..width {
            let (dark, data) = module_at(canvas, x, y);
            base_rows[y][x / 64] |= u64::from(dark) << (x % 64);
            base_columns[x][y / 64] |= u64::from(dark) << (y % 64);
            data_rows[y][x / 64] |= u64::from(data) << (x % 64);
            data_columns[x][y / 64] |= u64::from(data) << (y % 64);
        }
    }
    out
}

/// Reads a canvas into (colour, is-data) grids of 0/1 bytes, row-major.
fn read_canvas(canvas: &Canvas, width: usize) -> (Vec<u8>, Vec<u8>) {
    let mut base = vec![0u8; width * width];
    let mut is_data = vec![0u8; width * width];
    for y in 0..width {
        for x in 0..width {
            let (dark, data) = module_at(canvas, x, y);
            base[y * width + x] = u8::from(dark);
            is_data[y * width + x] = u8::from(data);
        }
    }
    (base, is_data)
}

/// The format-information modules of a `width`-wide code at `level`: for each, its index in
/// the grid and its colour (1 = dark) under each of the 8 patterns.
///
/// Taken from `Canvas::apply_mask` on a version 1 canvas: a function module whose colour after
/// masking differs from the reserved (unmasked) one under some pattern is format information;
/// format bits that never differ from the reserved colour need no override. Coordinates past
/// the middle of the version 1 code are measured from its far edge, as `qrcode` draws them.
fn format_modules(level: qrcode::EcLevel, width: usize) -> Vec<(usize, [u8; 8])> {
    let mut small = Canvas::new(Version::Normal(1), level);
    small.draw_all_functional_patterns();
    let (reserved, is_data) = read_canvas(&small, V1_WIDTH);
    let masked: Vec<Vec<u8>> = PATTERNS
        .iter()
        .map(|pattern| {
            let mut c = small.clone();
            c.apply_mask(*pattern);
            c.into_colors()
                .into_iter()
                .map(|color| u8::from(color == Color::Dark))
                .collect()
        })
        .collect();
    let far = |c: usize| if c > 8 { c + width - V1_WIDTH } else { c };
    let mut modules = Vec::with_capacity(32);
    for i in 0..V1_WIDTH * V1_WIDTH {
        if is_data[i] == 1 || masked.iter().all(|m| m[i] == reserved[i]) {
            continue;
        }
        let mut values = [0u8; 8];
        for (value, m) in values.iter_mut().zip(&masked) {
            *value = m[i];
        }
        let (x, y) = (i % V1_WIDTH, i / V1_WIDTH);
        modules.push((far(y) * width + far(x), values));
    }
    modules
}

#[cfg(test)]
mod tests {
    use super::masked_matrix;
    use qrcode::bits::encode_auto;
    use qrcode::{Color, EcLevel, QrCode, Version};

    /// A deterministic pseudo-random payload that mixes byte, alphanumeric and numeric runs.
    fn sample(len: usize, seed: u64) -> Vec<u8> {
        const ALPHABET: &[u8] = b"abcxyz{}\":,\\0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./";
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ALPHABET[usize::try_from(state >> 33).unwrap() % ALPHABET.len()]
            })
            .collect()
    }

    #[test]
    fn same_matrix_as_qrcode_for_every_version_and_level() {
        let mut versions_seen = [[false; 41]; 2];
        for (l, level) in [EcLevel::M, EcLevel::L].into_iter().enumerate() {
            let mut lengths = vec![1];
            while let Some(&last) = lengths.last().filter(|l| **l < 2953 + 40) {
                lengths.push(last + (last / 40).max(2));
            }
            lengths.extend([0, 2331, 2332, 2953]);
            for len in lengths {
                let data = sample(len, len as u64);
                let Ok(bits) = encode_auto(&data, level) else {
                    continue;
                };
                let Version::Normal(v) = bits.version() else {
                    panic!("micro")
                };
                let fast = masked_matrix(bits, level).unwrap();
                let reference = QrCode::with_error_correction_level(&data, level).unwrap();
                let expected: Vec<u8> = reference
                    .to_colors()
                    .iter()
                    .map(|c| u8::from(*c == Color::Dark))
                    .collect();
                assert!(fast == expected, "len {len} version {v} level {level:?}");
                versions_seen[l][usize::try_from(v).unwrap()] = true;
            }
        }
        for (l, seen) in versions_seen.iter().enumerate() {
            let missing: Vec<usize> = (1..=40).filter(|v| !seen[*v]).collect();
            assert!(
                missing.is_empty(),
                "level #{l}: versions not covered: {missing:?}"
            );
        }
    }
}
