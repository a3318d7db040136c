//! The growth chart: throughput and p99 latency against stored rows (log scale), drawn with
//! plotters into a PNG. Text is set in DejaVu Sans compiled into the program (ab_glyph), so no
//! fontconfig, FreeType or system font is needed.

use std::path::Path;

use anyhow::{anyhow, Context as _};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::growth::{workloads_of, GrowthPoint};
use crate::report::thousands;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 500;
const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Makes the compiled-in font the `sans-serif` family. Safe to call more than once.
pub fn register_font() -> anyhow::Result<()> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
        .map_err(|_| anyhow!("the bundled DejaVu Sans font could not be loaded"))
}

/// Draws `points` into a PNG at `path` (its directory is created).
pub fn draw(points: &[GrowthPoint], title: &str, path: &Path) -> anyhow::Result<()> {
    if points.is_empty() {
        return Err(anyhow!("no growth points to draw"));
    }
    register_font()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    let plot = |root: &DrawingArea<BitMapBackend<'_>, Shift>| -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(WIDTH / 2);
        panel(&left, points, "Throughput", "requests per second", |p| {
            p.result.summary.rps
        })?;
        panel(&right, points, "p99 latency", "milliseconds", |p| {
            p.result.summary.p99_ms
        })?;
        root.present().map_err(|e| e.to_string())
    };
    plot(&root).map_err(|e| anyhow!("drawing {}: {e}", path.display()))
}

/// The x range in log10(rows), padded to whole powers of ten around the data.
fn x_range(points: &[GrowthPoint]) -> (f64, f64) {
    let logs = points.iter().map(|p| (p.rows.max(1) as f64).log10());
    let lo = logs.clone().fold(f64::INFINITY, f64::min);
    let hi = logs.fold(f64::NEG_INFINITY, f64::max);
    (lo.floor() - 0.25, hi.ceil() + 0.25)
}

/// The label of log10 position `x`: the row count at whole powers of ten, nothing between.
fn x_label(x: f64) -> String {
    if (x - x.round()).abs() < 1e-6 {
        thousands(10f64.powf(x.round()).round() as u64)
    } else {
        String::new()
    }
}

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    points: &[GrowthPoint],
    caption: &str,
    y_desc: &str,
    value: impl Fn(&GrowthPoint) -> f64,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    // Only runs without errors are drawn: a failed run's zero would read as a measurement.
    let clean = |p: &&GrowthPoint| p.result.errors.count == 0 && p.result.summary.requests > 0;
    let (x_lo, x_hi) = x_range(points);
    let grown = points.first().map(|p| p.grown).unwrap_or_default();
    let x_desc = format!("{} (log scale)", grown.rows_name());
    let y_max = points
        .iter()
        .filter(clean)
        .map(&value)
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.4; // headroom above the data for the legend
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x_lo..x_hi, 0.0..y_max)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(&x_desc)
        .y_desc(y_desc)
        .x_labels(((x_hi - x_lo) * 4.0).round() as usize + 1)
        .x_label_formatter(&|x| x_label(*x))
        .y_label_formatter(&|y| thousands(y.round() as u64))
        .label_style(("sans-serif", 13))
        .light_line_style(WHITE)
        .draw()
        .map_err(e)?;
    for (i, w) in workloads_of(points).iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let mine: Vec<&GrowthPoint> = points.iter().filter(|p| p.result.workload == *w).collect();
        let series: Vec<(f64, f64)> = mine
            .iter()
            .copied()
            .filter(clean)
            .map(|p| ((p.rows.max(1) as f64).log10(), value(p)))
            .collect();
        let failed = mine.len() - series.len();
        let label = match failed {
            0 => w.name().to_owned(),
            n => format!(
                "{} ({n} of {} sizes failed, not drawn)",
                w.name(),
                mine.len()
            ),
        };
        chart
            .draw_series(LineSeries::new(series.clone(), color.stroke_width(2)))
            .map_err(e)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                series
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 4, color.filled())),
            )
            .map_err(e)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_labels_only_at_powers_of_ten() {
        assert_eq!(x_label(4.0), "10,000");
        assert_eq!(x_label(6.0), "1,000,000");
        assert_eq!(x_label(4.5), "");
    }

    #[test]
    fn the_bundled_font_renders_text() {
        register_font().unwrap();
        let mut pixels = vec![255u8; 200 * 60 * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (200, 60)).into_drawing_area();
            root.draw_text(
                "Throughput 123",
                &("sans-serif", 20).into_font().color(&BLACK),
                (5, 20),
            )
            .unwrap();
            root.present().unwrap();
        }
        let dark = pixels.chunks(3).filter(|p| p[0] < 128).count();
        assert!(dark > 100, "text drew {dark} dark pixels");
    }
}
