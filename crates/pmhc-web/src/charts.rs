//! Small inline SVG charts for the pages (the gap analysis): no script, `role="img"` with a
//! `<title>`, and always a table of the same numbers beside them (the chart is a picture of the
//! table, never the only place a number is).

use std::fmt::Write;

use pmhc_core::stats::Interval;
use pmhc_report::{chart_axis, escape_html as esc};

const C_TEXT: &str = "#1a1a1a";
const C_MUTED: &str = "#4d4d4d";
const C_GRID: &str = "#cccccc";
const C_BAR: &str = "#0b5394";
const C_LINE: &str = "#a4161a";

fn open(s: &mut String, width: f64, height: f64, title: &str, id: &str, font: u32) {
    let _ = write!(
        s,
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-t\" font-size=\"{font}\" class=\"chart-svg\">\
         <title id=\"{id}-t\">{}</title>",
        esc(title)
    );
}

/// Bars per month (referrals) with the capacity in force as a line of markers.
pub fn months_with_capacity(id: &str, title: &str, months: &[(String, u64, Option<u32>)]) -> String {
    let (width, left, top, plot_h, right) = (480.0, 36.0, 12.0, 150.0, 10.0);
    let height = top + plot_h + 40.0;
    let max = months.iter().map(|m| (m.1 as f64).max(m.2.map_or(0.0, f64::from))).fold(0.0, f64::max);
    let (top_v, step) = chart_axis(max, false, true);
    let y = |v: f64| top + plot_h * (1.0 - v / top_v);
    let n = months.len().max(1) as f64;
    let slot = (width - left - right) / n;
    let mut s = String::new();
    open(&mut s, width, height, title, id, 14);
    let mut t = 0.0;
    while t <= top_v + 1e-9 {
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"{C_GRID}\"/><text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\" fill=\"{C_MUTED}\">{t}</text>",
            y(t),
            width - right,
            left - 4.0,
            y(t) + 4.0
        );
        t += step;
    }
    let every = months.len().div_ceil(6).max(1);
    let mut line = Vec::new();
    for (i, (label, referrals, capacity)) in months.iter().enumerate() {
        let x = left + slot * i as f64;
        let bw = (slot * 0.6).clamp(1.0, 40.0);
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{C_BAR}\"/>",
            x + (slot - bw) / 2.0,
            y(*referrals as f64),
            plot_h - (y(*referrals as f64) - top)
        );
        if i % every == 0 {
            let _ = write!(s, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{C_TEXT}\">{}</text>", x + slot / 2.0, top + plot_h + 16.0, esc(label));
        }
        if let Some(c) = capacity {
            line.push((x + slot / 2.0, y(f64::from(*c))));
        }
    }
    if line.len() > 1 {
        let d: Vec<String> = line.iter().enumerate().map(|(i, (x, y))| format!("{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" })).collect();
        let _ = write!(s, "<path d=\"{}\" stroke=\"{C_LINE}\" stroke-width=\"2\" fill=\"none\" stroke-dasharray=\"6 3\"/>", d.join(""));
    }
    for (x, y) in &line {
        let _ = write!(s, "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{C_LINE}\"/>", x - 4.0, y - 4.0);
    }
    let ly = height - 8.0;
    let _ = write!(
        s,
        "<rect x=\"{left}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{C_BAR}\"/><text x=\"{:.1}\" y=\"{ly}\" fill=\"{C_TEXT}\">referrals made</text>\
         <rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{C_LINE}\"/><text x=\"{:.1}\" y=\"{ly}\" fill=\"{C_TEXT}\">capacity (beds or slots)</text></svg>",
        ly - 10.0,
        left + 16.0,
        left + 150.0,
        ly - 8.0,
        left + 162.0
    );
    s
}

/// Horizontal bars, one per label (written above its bar, so long labels fit a phone), with the
/// value beside.
pub fn bars(id: &str, title: &str, items: &[(String, u64)]) -> String {
    let (width, row, right) = (480.0, 44.0, 40.0);
    let height = row * items.len().max(1) as f64 + 4.0;
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1) as f64;
    let mut s = String::new();
    open(&mut s, width, height, title, id, 15);
    for (i, (label, v)) in items.iter().enumerate() {
        let y0 = row * i as f64;
        let w = (width - right) * *v as f64 / max;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\" fill=\"{C_TEXT}\">{}</text><rect x=\"0\" y=\"{:.1}\" width=\"{w:.1}\" height=\"16\" fill=\"{C_BAR}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{C_TEXT}\">{v}</text>",
            y0 + 15.0,
            esc(label),
            y0 + 22.0,
            w + 6.0,
            y0 + 35.0
        );
    }
    s.push_str("</svg>");
    s
}

/// Rates from 0 to 100% with their 95% intervals: a dot and a whisker per label (the label above
/// it); rows without a rate say why (`missing`).
pub fn rates(id: &str, title: &str, items: &[(String, Option<f64>, Option<Interval>)], missing: &str) -> String {
    let (width, left, row, right) = (480.0, 18.0, 44.0, 24.0);
    let axis_y = row * items.len().max(1) as f64 + 4.0;
    let height = axis_y + 24.0;
    let x = |v: f64| left + (width - left - right) * v.clamp(0.0, 1.0);
    let mut s = String::new();
    open(&mut s, width, height, title, id, 15);
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" y1=\"0\" x2=\"{0:.1}\" y2=\"{axis_y}\" stroke=\"{C_GRID}\"/><text x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\" fill=\"{C_MUTED}\">{2}</text>",
            x(t),
            axis_y + 18.0,
            pmhc_core::numbers::percent_whole(t)
        );
    }
    for (i, (label, rate, ci)) in items.iter().enumerate() {
        let y0 = row * i as f64;
        let cy = y0 + 32.0;
        let _ = write!(s, "<text x=\"{left}\" y=\"{:.1}\" fill=\"{C_TEXT}\">{}</text>", y0 + 16.0, esc(label));
        match rate {
            Some(r) => {
                if let Some(ci) = ci {
                    let _ = write!(
                        s,
                        "<path d=\"M{0:.1} {1:.1}V{2:.1}M{0:.1} {cy:.1}H{3:.1}M{3:.1} {1:.1}V{2:.1}\" stroke=\"{C_TEXT}\" stroke-width=\"1.5\" fill=\"none\"/>",
                        x(ci.lower),
                        cy - 6.0,
                        cy + 6.0,
                        x(ci.upper)
                    );
                }
                let _ = write!(s, "<circle cx=\"{:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"{C_BAR}\"/>", x(*r));
            }
            None => {
                let _ = write!(s, "<text x=\"{left}\" y=\"{:.1}\" fill=\"{C_MUTED}\" font-style=\"italic\">{}</text>", cy + 5.0, esc(missing));
            }
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_labelled_images_and_escape_their_text() {
        let m = months_with_capacity("m", "A & B", &[("2026-01".into(), 3, Some(4)), ("2026-02".into(), 0, Some(6))]);
        assert!(m.starts_with("<svg") && m.contains("role=\"img\"") && m.contains("<title id=\"m-t\">A &amp; B</title>") && m.ends_with("</svg>"));
        assert!(m.contains("<path d=\"M"), "the capacity line");
        let b = bars("b", "Turn-aways", &[("<x>".into(), 2), ("y".into(), 0)]);
        assert!(b.contains("&lt;x&gt;") && !b.contains("<x>"));
        let r = rates("r", "Rates", &[("a".into(), Some(0.5), Some(Interval { lower: 0.3, upper: 0.7 })), ("b".into(), None, None)], "not shown");
        assert!(r.contains("<circle") && r.contains("not shown"));
    }

    /// The count axis of `months_with_capacity` (the report's axis, for whole numbers): for every
    /// count, a whole, round step (1, 2, 2.5 or 5 times a power of ten, never 2.5 itself) of which
    /// the top is a multiple, the top at or above the count and less than a step above it, at most
    /// four steps.
    #[test]
    fn the_count_axis_is_round_and_covers_the_largest_count() {
        assert_eq!(chart_axis(0.0, false, true), (1.0, 1.0));
        assert_eq!(chart_axis(3.0, false, true), (3.0, 1.0));
        assert_eq!(chart_axis(9.0, false, true), (10.0, 5.0));
        assert_eq!(chart_axis(13.0, false, true), (15.0, 5.0));
        assert_eq!(chart_axis(90.0, false, true), (100.0, 25.0));
        assert_eq!(chart_axis(1234.0, false, true), (1500.0, 500.0));
        let counts = (0..=20_000u64).chain([99_999, 100_000, 123_456, 1_000_000, 7_777_777, u64::from(u32::MAX)]);
        for n in counts {
            let max = n as f64;
            let (top, step) = chart_axis(max, false, true);
            assert!(step >= 1.0 && step.fract() == 0.0, "{n}: step {step}");
            let mag = 10f64.powi(step.log10().floor() as i32);
            assert!([1.0, 2.0, 2.5, 5.0].contains(&(step / mag)) && step != 2.5, "{n}: step {step}");
            assert!((top / step).fract() == 0.0, "{n}: top {top} step {step}");
            assert!(top >= max && (top - step < max || max == 0.0), "{n}: top {top} step {step}");
            assert!(top / step <= 4.0, "{n}: {} steps", top / step);
        }
    }

    /// Every text a chart draws (title, labels, the "missing" text) is escaped, single quotes
    /// included: the SVG goes into the page with `|safe`.
    #[test]
    fn a_label_cannot_break_out_of_the_svg() {
        let hostile = "'><script>alert(1)</script>";
        let escaped = "&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;";
        let svgs = [
            months_with_capacity("m", hostile, &[(hostile.into(), 3, Some(4))]),
            bars("b", hostile, &[(hostile.into(), 2)]),
            rates("r", hostile, &[(hostile.into(), Some(0.5), None), ("b".into(), None, None)], hostile),
        ];
        for svg in svgs {
            assert!(!svg.contains("<script") && !svg.contains('\''), "{svg}");
            assert!(svg.contains(&format!(">{escaped}</title>")), "{svg}");
            assert!(svg.contains(&format!(">{escaped}</text>")), "{svg}");
        }
    }
}
