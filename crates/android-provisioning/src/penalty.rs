//! The mask penalty score, computed as the `qrcode` crate (0.14) computes it, but without
//! branches on module colours and over many columns at once.
//!
//! Rules 1 and 3 look along lines. Both are counted here down the **columns** of a grid, with
//! one 15-bit shift register per column, so that the inner loop runs across a row and the
//! compiler can vectorise it; the rows are counted the same way on the transposed grid,
//! which the caller builds along with the grid.

/// The last 15 modules of a line: bit 0 is the newest.
const WINDOW: u16 = 0x7fff;

/// Rule 3's finder-like run `1011101`, in bits 4..=10 of the window.
const FINDER_LIKE: u16 = 0b101_1101;

/// Buffers reused between the 8 patterns of one code.
#[derive(Debug)]
pub(crate) struct Scratch {
    registers: Vec<u16>,
    light_row: Vec<u8>,
}

impl Scratch {
    /// Buffers for a `width × width` grid.
    pub(crate) fn new(width: usize) -> Self {
        Self {
            registers: vec![0; width],
            light_row: vec![0; width],
        }
    }
}

/// Penalty of a masked grid (`grid[y * width + x]` is 1 for dark; `transposed` is the same
/// grid with rows and columns swapped), as `qrcode` 0.14 scores it:
/// 1. each run of `5 + k` same-coloured modules in a row or column: `3 + k`;
/// 2. each 2 × 2 block of one colour, overlaps counted: 3;
/// 3. each `1011101` run in a row or column with 4 light modules (or the edge) before it or
///    after it: 40 (`qrcode` then subtracts 360 per direction for the finder patterns
///    themselves, a constant left out here since it cannot change which mask wins);
/// 4. `|dark × 200 / total − 100|` (integer division).
pub(crate) fn penalty(grid: &[u8], transposed: &[u8], width: usize, scratch: &mut Scratch) -> u32 {
    line_rules(grid, width, scratch)
        + line_rules(transposed, width, scratch)
        + block_rule(grid, width)
        + balance_rule(grid)
}

/// Rules 1 and 3 down every column of `grid`.
///
/// A run of `L >= 5` equal modules scores `L - 2 = (L - 4) + 2`: one point for each window of
/// 5 equal modules that ends in it, plus two for the window that starts it (the module before
/// differs, or there is none). Rule 3 looks at 15-module windows — 4 before, the 7 of the
/// pattern, 4 after — with 4 light rows past each end, since `qrcode` counts the outside of
/// the code as light.
fn line_rules(grid: &[u8], width: usize, scratch: &mut Scratch) -> u32 {
    let Scratch {
        registers,
        light_row,
        ..
    } = scratch;
    registers.fill(0);
    let mut uniform_windows = 0u32;
    let mut run_starts = 0u32;
    let mut finders = 0u32;
    for t in 0..width + 4 {
        let row = grid.get(t * width..(t + 1) * width).unwrap_or(light_row);
        // Per-row counts fit in u16 (width <= 177), which keeps every lane 16 bits wide.
        let (mut uniform, mut starts, mut hits) = (0u16, 0u16, 0u16);
        for (register, &cell) in registers.iter_mut().zip(row) {
            let v = ((*register << 1) | u16::from(cell)) & WINDOW;
            *register = v;
            let low5 = v & 0x1f;
            let is_uniform = u16::from(low5 == 0) | u16::from(low5 == 0x1f);
            let differs_before = ((v >> 5) ^ v) & 1;
            uniform += is_uniform;
            starts += is_uniform & differs_before;
            let light_around = u16::from(v >> 11 == 0) | u16::from(v & 0xf == 0);
            hits += u16::from((v >> 4) & 0x7f == FINDER_LIKE) & light_around;
        }
        // Windows of 5 exist from the fifth module on; the first one always starts its run.
        if (4..width).contains(&t) {
            uniform_windows += u32::from(uniform);
            run_starts += u32::from(if t == 4 { uniform } else { starts });
        }
        finders += u32::from(hits);
    }
    uniform_windows + 2 * run_starts + 40 * finders
}

/// Rule 2: 3 points per 2 × 2 block of one colour.
fn block_rule(grid: &[u8], width: usize) -> u32 {
    let mut blocks = 0u32;
    for (top, bottom) in grid
        .chunks_exact(width)
        .zip(grid.chunks_exact(width).skip(1))
    {
        for x in 0..width - 1 {
            let v = top[x];
            let same = u32::from(top[x + 1] == v) & u32::from(bottom[x] == v);
            blocks += same & u32::from(bottom[x + 1] == v);
        }
    }
    3 * blocks
}

/// Rule 4: distance of the dark share (in half percents) from 50 %.
fn balance_rule(grid: &[u8]) -> u32 {
    let dark: usize = grid.iter().map(|&d| usize::from(d)).sum();
    let ratio = dark * 200 / grid.len().max(1);
    u32::try_from(ratio.abs_diff(100)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::{line_rules, Scratch};

    /// Straightforward rules 1 and 3 along one line, for comparison.
    fn naive(line: &[u8]) -> u32 {
        let mut score = 0;
        let mut run = 0;
        for (i, &c) in line.iter().enumerate() {
            run = if i > 0 && line[i - 1] == c {
                run + 1
            } else {
                1
            };
            let run_ends = i + 1 == line.len() || line[i + 1] != c;
            if run_ends && run >= 5 {
                score += run - 2;
            }
        }
        let n = line.len();
        for j in 0..n.saturating_sub(6) {
            if line[j..j + 7] == [1, 0, 1, 1, 1, 0, 1] {
                let before = line[j.saturating_sub(4)..j].iter().all(|&d| d == 0);
                let after = line[j + 7..n.min(j + 11)].iter().all(|&d| d == 0);
                if before || after {
                    score += 40;
                }
            }
        }
        score
    }

    #[test]
    fn column_rules_match_a_naive_count() {
        let width = 25;
        let mut state = 7u64;
        for round in 0..200usize {
            // Columns biased towards long runs and finder-like patterns in later rounds.
            let mut grid = vec![0u8; width * width];
            for cell in grid.iter_mut() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                *cell = u8::from((state >> 40) % 100 < 50 - (round as u64 % 5) * 10);
            }
            if round % 3 == 0 {
                for (k, &b) in [1u8, 0, 1, 1, 1, 0, 1].iter().enumerate() {
                    grid[(round % 19 + k) * width + round % width] = b;
                }
            }
            let expected: u32 = (0..width)
                .map(|x| naive(&(0..width).map(|y| grid[y * width + x]).collect::<Vec<_>>()))
                .sum();
            let mut scratch = Scratch::new(width);
            assert_eq!(
                line_rules(&grid, width, &mut scratch),
                expected,
                "round {round}"
            );
        }
    }
}
