//! The mask penalty score, computed as the `qrcode` crate (0.14) computes it, but on lines of
//! bits: a line of modules is a [`Line`] (bit `x` = module `x`, 1 = dark), so one machine word
//! holds 64 modules and each rule is a handful of bitwise operations and population counts per
//! line, for all modules of the line at once.
//!
//! Rules 1 and 3 look along lines. Both are counted here down the **columns** of the grid given
//! as its rows, comparing each row with the rows above it bit for bit; the rows of the code are
//! counted the same way on the transposed grid, which the caller builds along with the grid.

/// Widest code: version 40 is 177 modules.
const MAX_WIDTH: usize = 177;

/// Words of one [`Line`].
const WORDS: usize = MAX_WIDTH.div_ceil(64);

/// One row (or column) of a code, bit `x` for module `x`, 1 for dark; bits past the width are 0.
pub(crate) type Line = [u64; WORDS];

/// A line of light modules (and the outside of the code, which `qrcode` counts as light).
pub(crate) const LIGHT: Line = [0; WORDS];

fn and(a: Line, b: Line) -> Line {
    std::array::from_fn(|i| a[i] & b[i])
}

fn or(a: Line, b: Line) -> Line {
    std::array::from_fn(|i| a[i] | b[i])
}

fn xor(a: Line, b: Line) -> Line {
    std::array::from_fn(|i| a[i] ^ b[i])
}

fn not(a: Line) -> Line {
    std::array::from_fn(|i| !a[i])
}

fn ones(a: Line) -> u32 {
    a.iter().map(|w| w.count_ones()).sum()
}

/// Bit `x` of the result is bit `x + 1` of `a`.
fn shift_down(a: Line) -> Line {
    std::array::from_fn(|i| (a[i] >> 1) | a.get(i + 1).map_or(0, |next| next << 63))
}

/// The first `n` bits set.
fn first_bits(n: usize) -> Line {
    std::array::from_fn(|i| match n.saturating_sub(64 * i) {
        0 => 0,
        k if k >= 64 => u64::MAX,
        k => (1u64 << k) - 1,
    })
}

/// Sets bit `x` of `line` to `dark`.
pub(crate) fn set(line: &mut Line, x: usize, dark: bool) {
    let (word, bit) = (x / 64, x % 64);
    line[word] = (line[word] & !(1 << bit)) | (u64::from(dark) << bit);
}

/// Whether bit `x` of `line` is set.
pub(crate) fn get(line: &Line, x: usize) -> bool {
    line[x / 64] >> (x % 64) & 1 == 1
}

/// Penalty of a masked code (`rows[y]`, and `columns[x]` the same code transposed), as
/// `qrcode` 0.14 scores it:
/// 1. each run of `5 + k` same-coloured modules in a row or column: `3 + k`;
/// 2. each 2 × 2 block of one colour, overlaps counted: 3;
/// 3. each `1011101` run in a row or column with 4 light modules (or the edge) before it or
///    after it: 40 (`qrcode` then subtracts 360 per direction for the finder patterns
///    themselves, a constant left out here since it cannot change which mask wins);
/// 4. `|dark × 200 / total − 100|` (integer division).
pub(crate) fn penalty(rows: &[Line], columns: &[Line]) -> u32 {
    line_rules(rows) + line_rules(columns) + block_rule(rows) + balance_rule(rows)
}

/// Rules 1 and 3 down every column of the code whose rows are `rows`.
///
/// A run of `L >= 5` equal modules scores `L - 2 = (L - 4) + 2`: one point for each window of
/// 5 equal modules that ends in it, plus two for the window that starts it (the module before
/// differs, or there is none). Rule 3 looks at 15-module windows — 4 before, the 7 of the
/// pattern, 4 after — with light rows past each end, since `qrcode` counts the outside of
/// the code as light.
fn line_rules(rows: &[Line]) -> u32 {
    let width = rows.len();
    let inside = first_bits(width);
    // recent[j]: row t - j (light before the first row and after the last);
    // changed[j]: bit x set where row t - j differs from row t - j - 1.
    let mut recent = [LIGHT; 15];
    let mut changed = [LIGHT; 5];
    let (mut uniform_windows, mut run_starts, mut finders) = (0u32, 0u32, 0u32);
    for t in 0..width + 4 {
        recent.copy_within(0..14, 1);
        recent[0] = rows.get(t).copied().unwrap_or(LIGHT);
        changed.copy_within(0..4, 1);
        changed[0] = xor(recent[0], recent[1]);
        if (4..width).contains(&t) {
            let changes = or(or(changed[0], changed[1]), or(changed[2], changed[3]));
            let uniform = and(not(changes), inside);
            uniform_windows += ones(uniform);
            run_starts += if t == 4 {
                ones(uniform)
            } else {
                ones(and(uniform, changed[4]))
            };
        }
        let r = &recent;
        let pattern = and(
            and(and(r[4], not(r[5])), and(r[6], r[7])),
            and(and(r[8], not(r[9])), r[10]),
        );
        let light_before = not(or(or(r[11], r[12]), or(r[13], r[14])));
        let light_after = not(or(or(r[0], r[1]), or(r[2], r[3])));
        finders += ones(and(and(pattern, inside), or(light_before, light_after)));
    }
    uniform_windows + 2 * run_starts + 40 * finders
}

/// Rule 2: 3 points per 2 × 2 block of one colour.
fn block_rule(rows: &[Line]) -> u32 {
    let inside = first_bits(rows.len().saturating_sub(1));
    let same_as_right = |r: Line| not(xor(r, shift_down(r)));
    let blocks: u32 = rows
        .windows(2)
        .map(|pair| {
            let (top, bottom) = (pair[0], pair[1]);
            let same = and(
                and(same_as_right(top), same_as_right(bottom)),
                not(xor(top, bottom)),
            );
            ones(and(same, inside))
        })
        .sum();
    3 * blocks
}

/// Rule 4: distance of the dark share (in half percents) from 50 %.
fn balance_rule(rows: &[Line]) -> u32 {
    let dark: usize = rows.iter().map(|r| ones(*r) as usize).sum();
    let ratio = dark * 200 / (rows.len() * rows.len()).max(1);
    u32::try_from(ratio.abs_diff(100)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::{block_rule, line_rules, set, Line, LIGHT};

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

    /// Straightforward rule 2.
    fn naive_blocks(grid: &[u8], width: usize) -> u32 {
        let mut blocks = 0;
        for y in 0..width - 1 {
            for x in 0..width - 1 {
                let v = grid[y * width + x];
                if grid[y * width + x + 1] == v
                    && grid[(y + 1) * width + x] == v
                    && grid[(y + 1) * width + x + 1] == v
                {
                    blocks += 1;
                }
            }
        }
        3 * blocks
    }

    fn lines(grid: &[u8], width: usize) -> Vec<Line> {
        grid.chunks_exact(width)
            .map(|row| {
                let mut line = LIGHT;
                for (x, &d) in row.iter().enumerate() {
                    set(&mut line, x, d == 1);
                }
                line
            })
            .collect()
    }

    #[test]
    fn line_and_block_rules_match_a_naive_count() {
        let mut state = 7u64;
        // Widths of versions 1, 2, 3 (inside one word), 12 (across two) and 40 (three).
        for width in [21usize, 25, 29, 65, 177] {
            for round in 0..60usize {
                // Columns biased towards long runs and finder-like patterns in later rounds.
                let mut grid = vec![0u8; width * width];
                for cell in grid.iter_mut() {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    *cell = u8::from((state >> 40) % 100 < 50 - (round as u64 % 5) * 10);
                }
                if round % 3 == 0 {
                    for (k, &b) in [1u8, 0, 1, 1, 1, 0, 1].iter().enumerate() {
                        grid[(round % (width - 7) + k) * width + round % width] = b;
                    }
                }
                let expected: u32 = (0..width)
                    .map(|x| naive(&(0..width).map(|y| grid[y * width + x]).collect::<Vec<_>>()))
                    .sum();
                let rows = lines(&grid, width);
                assert_eq!(line_rules(&rows), expected, "width {width} round {round}");
                assert_eq!(
                    block_rule(&rows),
                    naive_blocks(&grid, width),
                    "width {width} round {round}"
                );
            }
        }
    }
}
