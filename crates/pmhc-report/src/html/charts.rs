//! The inline SVG charts: the baseline-vs-comparison bar pair with its confidence intervals, the
//! monthly line chart, and the axis (rounded top and ticks) both draw on.

use std::fmt::Write as _;

use pmhc_core::numbers::{fixed, number, percent, percent_number};
use pmhc_core::outcomes::{MeasureValue, MonthRole};
use pmhc_core::stats::Interval;

use crate::table::thousands;
use super::{C_BAND_BASE, C_BAND_COMP, C_COMP, C_GRID, C_MUTED, C_TEXT, Html};
use super::text::{esc, month_label, month_num};

/// One bar of a baseline-vs-comparison chart.
pub(super) struct Bar {
    label: &'static str,
    color: &'static str,
    pub(super) value: Option<f64>,
    ci: Option<Interval>,
    /// The value as text (next to the bar, and in the chart's title).
    pub(super) text: String,
    /// What to say when there is no value.
    pub(super) missing: &'static str,
}

/// One monthly series.
pub(super) struct Series<'a> {
    pub(super) title: String,
    pub(super) desc: String,
    pub(super) points: Vec<(&'a str, MonthRole, Option<f64>)>,
    pub(super) pct: bool,
    pub(super) integer: bool,
    /// The overall value of the baseline and the comparison period (drawn as dashed lines).
    pub(super) period: [Option<f64>; 2],
}

impl Html<'_> {
    /// A horizontal baseline-vs-comparison bar pair with 95% CI whiskers.
    pub(super) fn bar_chart(&mut self, title: &str, bars: &[Bar; 2], pct: bool) -> String {
        let id = self.id();
        let (width, left, pw, row, top) = (600.0, 106.0, 280.0, 36.0, 6.0);
        let axis_y = top + 2.0 * row;
        let height = axis_y + 24.0;
        let max = bars
            .iter()
            .flat_map(|b| [b.value, b.ci.map(|c| c.upper)])
            .flatten()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let (top_v, step) = axis(max, pct, false);
        let x = |v: f64| left + pw * (v / top_v).clamp(0.0, 1.0);
        let mut s = String::new();
        w!(
            s,
            "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-t\" font-size=\"14\">\n<title id=\"{id}-t\">{}</title>\n",
            esc(title)
        );
        for t in ticks(top_v, step) {
            let tx = x(t);
            w!(
                s,
                "<line x1=\"{tx:.1}\" y1=\"{top}\" x2=\"{tx:.1}\" y2=\"{axis_y}\" stroke=\"{C_GRID}\"/>\
                 <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{C_MUTED}\">{}</text>\n",
                axis_y + 16.0,
                tick_label(t, step, pct)
            );
        }
        w!(s, "<line x1=\"{left}\" y1=\"{axis_y}\" x2=\"{:.1}\" y2=\"{axis_y}\" stroke=\"{C_TEXT}\"/>\n", left + pw);
        for (i, b) in bars.iter().enumerate() {
            let cy = top + row * i as f64 + row / 2.0;
            w!(s, "<text x=\"0\" y=\"{:.1}\" font-weight=\"700\" fill=\"{C_TEXT}\">{}</text>\n", cy + 5.0, b.label);
            match b.value {
                Some(v) => {
                    let end = x(v);
                    w!(
                        s,
                        "<rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"20\" fill=\"{}\"/>\n",
                        cy - 10.0,
                        end - left,
                        b.color
                    );
                    let mut text_x = end;
                    if let Some(ci) = b.ci {
                        let (lo, hi) = (x(ci.lower), x(ci.upper));
                        text_x = text_x.max(hi);
                        // A white halo under the dark whisker keeps it visible over the bar.
                        for (stroke, sw) in [("#ffffff", 4.5), (C_TEXT, 1.5)] {
                            w!(
                                s,
                                "<path d=\"M{lo:.1} {:.1}V{:.1}M{lo:.1} {cy:.1}H{hi:.1}M{hi:.1} {:.1}V{:.1}\" \
                                 stroke=\"{stroke}\" stroke-width=\"{sw}\" fill=\"none\"/>\n",
                                cy - 6.0,
                                cy + 6.0,
                                cy - 6.0,
                                cy + 6.0
                            );
                        }
                    }
                    w!(
                        s,
                        "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{C_TEXT}\">{}</text>\n",
                        text_x + 8.0,
                        cy + 5.0,
                        esc(&b.text)
                    );
                }
                None => {
                    w!(
                        s,
                        "<text x=\"{:.1}\" y=\"{:.1}\" font-style=\"italic\" fill=\"{C_MUTED}\">{}</text>\n",
                        left + 4.0,
                        cy + 5.0,
                        b.missing
                    );
                }
            }
        }
        s.push_str("</svg>\n");
        s
    }

    /// A monthly line chart with the baseline and comparison months shaded and labelled.
    pub(super) fn line_chart(&mut self, s: &Series) -> String {
        let id = self.id();
        let (width, height, ml, mr, mt, mb) = (640.0, 250.0, 58.0, 14.0, 34.0, 40.0);
        let (pw, ph) = (width - ml - mr, height - mt - mb);
        let n = s.points.len().max(1);
        let step_x = pw / n as f64;
        let cx = |i: usize| ml + (i as f64 + 0.5) * step_x;
        let max = s
            .points
            .iter()
            .filter_map(|p| p.2)
            .chain(s.period.iter().flatten().copied())
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let (top, step) = axis(max, s.pct, s.integer);
        let y = |v: f64| mt + ph * (1.0 - (v / top).clamp(0.0, 1.0));
        let fmt = |v: f64| {
            if s.integer { thousands(v.round().max(0.0) as u64) } else { percent(v) }
        };
        let mut o = String::new();
        w!(
            o,
            "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" font-size=\"14\">\n<title id=\"{id}-t\">{}</title>\n<desc id=\"{id}-d\">{}</desc>\n",
            esc(&s.title),
            esc(&s.desc)
        );
        // Period bands, labelled above the plot, with the period's overall value as a dashed line.
        let mut i = 0;
        while i < s.points.len() {
            let role = s.points[i].1;
            let mut j = i;
            while j + 1 < s.points.len() && s.points[j + 1].1 == role {
                j += 1;
            }
            let (fill, name, pv) = match role {
                MonthRole::Baseline => (C_BAND_BASE, "Baseline", s.period[0]),
                MonthRole::Comparison => (C_BAND_COMP, "Comparison", s.period[1]),
                MonthRole::Other => {
                    i = j + 1;
                    continue;
                }
            };
            let (x0, bw) = (ml + i as f64 * step_x, (j - i + 1) as f64 * step_x);
            let label = match pv {
                Some(v) if bw >= 120.0 => format!("{name}: {}", fmt(v)),
                _ => name.to_string(),
            };
            w!(
                o,
                "<rect x=\"{x0:.1}\" y=\"{mt}\" width=\"{bw:.1}\" height=\"{ph}\" fill=\"{fill}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"700\" fill=\"{C_TEXT}\">{label}</text>\n",
                x0 + bw / 2.0,
                mt - 10.0
            );
            if let Some(v) = pv {
                w!(
                    o,
                    "<line x1=\"{x0:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{C_TEXT}\" stroke-width=\"1.5\" \
                     stroke-dasharray=\"6 4\"/>\n",
                    y(v),
                    x0 + bw,
                    y(v)
                );
            }
            i = j + 1;
        }
        // Y grid and ticks.
        for t in ticks(top, step) {
            let ty = y(t);
            w!(
                o,
                "<line x1=\"{ml}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\" stroke=\"{C_GRID}\" stroke-width=\"0.75\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{C_MUTED}\">{}</text>\n",
                ml + pw,
                ml - 6.0,
                ty + 5.0,
                tick_label(t, step, s.pct)
            );
        }
        // X axis with a few month labels.
        let base = mt + ph;
        w!(o, "<line x1=\"{ml}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\" stroke=\"{C_TEXT}\"/>\n", ml + pw);
        let nums: Vec<Option<i32>> = s.points.iter().map(|p| month_num(p.0)).collect();
        let every = [1usize, 2, 3, 6, 12, 24, 60, 120, 240].into_iter().find(|&k| n.div_ceil(k) <= 6).unwrap_or(n);
        for (i, num) in nums.iter().enumerate() {
            let labelled = match num {
                Some(mn) => mn.rem_euclid(every as i32) == 0,
                None => i % every == 0,
            };
            if !labelled {
                continue;
            }
            let label = match num {
                Some(mn) if every >= 12 => mn.div_euclid(12).to_string(),
                _ => month_label(s.points[i].0),
            };
            let tx = cx(i);
            w!(
                o,
                "<line x1=\"{tx:.1}\" y1=\"{base}\" x2=\"{tx:.1}\" y2=\"{:.1}\" stroke=\"{C_TEXT}\"/>\
                 <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{C_MUTED}\">{label}</text>\n",
                base + 5.0,
                base + 20.0
            );
        }
        // The line, broken where a month has no value, and its points.
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, o: &mut String| {
            if run.len() > 1 {
                w!(
                    o,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{C_COMP}\" stroke-width=\"2.25\" stroke-linejoin=\"round\"/>\n",
                    run.join(" ")
                );
            }
            run.clear();
        };
        for (i, p) in s.points.iter().enumerate() {
            match p.2 {
                Some(v) => run.push(format!("{:.1},{:.1}", cx(i), y(v))),
                None => flush(&mut run, &mut o),
            }
        }
        flush(&mut run, &mut o);
        for (i, p) in s.points.iter().enumerate() {
            if let Some(v) = p.2 {
                w!(o, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{C_COMP}\"/>\n", cx(i), y(v));
            }
        }
        // Label the latest value.
        if let Some((i, v)) = s.points.iter().enumerate().rev().find_map(|(i, p)| p.2.map(|v| (i, v))) {
            let py = y(v);
            let ty = if py - 9.0 < mt + 12.0 { py + 19.0 } else { py - 9.0 };
            w!(
                o,
                "<text x=\"{:.1}\" y=\"{ty:.1}\" text-anchor=\"end\" font-weight=\"700\" fill=\"{C_COMP}\" \
                 stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>\n",
                cx(i) + 4.0,
                fmt(v)
            );
        }
        o.push_str("</svg>\n");
        o
    }

}

/// The bar of one period's value.
pub(super) fn bar(v: &MeasureValue, label: &'static str, color: &'static str) -> Bar {
    let missing = if v.is_suppressed() { "suppressed (small numbers)" } else { "no data" };
    let (value, ci, text) = match v {
        MeasureValue::Proportion { rate, ci95, .. } => (
            *rate,
            *ci95,
            rate.map(|x| match ci95 {
                Some(c) => format!("{} (95% CI {}\u{2013}{})", percent(x), percent_number(c.lower), percent(c.upper)),
                None => percent(x),
            }),
        ),
        MeasureValue::Count { per_day, .. } => (*per_day, None, per_day.map(|d| format!("{} a day", number(d)))),
        MeasureValue::Median { median, ci95, .. } => (
            *median,
            *ci95,
            median.map(|x| match ci95 {
                Some(c) => format!("{} min (95% CI {}\u{2013}{})", number(x), number(c.lower), number(c.upper)),
                None => format!("{} min", number(x)),
            }),
        ),
        MeasureValue::Mean { mean, .. } => (*mean, None, mean.map(|x| format!("{} per person", fixed(x, 2)))),
        MeasureValue::NotMeasurable { .. } => (None, None, None),
    };
    Bar { label, color, value, ci, text: text.unwrap_or_default(), missing }
}

/// A rounded axis maximum and tick step for an axis from 0 to values up to `max`: about four steps
/// of 1, 2, 2.5 or 5 times a power of ten, the top the first step at or above `max`. Shares
/// (`pct`, 0 to 1) stop at 100%; counts (`integer`) step by whole numbers (at least 1, and 5 where
/// 2.5 would be the step). An empty or non-finite `max` gives the axis of 0 to 1 (10% for shares).
/// The one axis of the workspace: the report's charts and the web's (`pmhc_report::chart_axis`).
pub fn axis(max: f64, pct: bool, integer: bool) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else if pct {
        0.1
    } else {
        1.0
    };
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    let mut step = nice * mag;
    if integer {
        // A step of 1 or more is whole but for 2.5 (a magnitude of 1): counts go on to 5.
        step = if step < 1.0 {
            1.0
        } else if step.fract() != 0.0 {
            5.0 * mag
        } else {
            step
        };
    }
    let mut top = ((max / step) - 1e-9).ceil().max(1.0) * step;
    if pct && top > 1.0 && max <= 1.0 {
        top = 1.0;
    }
    (top, step)
}

fn ticks(top: f64, step: f64) -> Vec<f64> {
    let n = ((top / step) + 1e-6).floor() as usize;
    (0..=n.min(20)).map(|k| k as f64 * step).collect()
}

fn tick_label(v: f64, step: f64, pct: bool) -> String {
    let (v, s) = if pct { (v * 100.0, step * 100.0) } else { (v, step) };
    let decimals = if (s - s.round()).abs() < 1e-6 {
        0
    } else if (s * 10.0 - (s * 10.0).round()).abs() < 1e-6 {
        1
    } else {
        2
    };
    let text = if decimals == 0 && v >= 1000.0 { thousands(v.round() as u64) } else { format!("{v:.decimals$}") };
    if pct { format!("{text}%") } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each chart needs of its axis, over a range of largest values: a round step (1, 2, 2.5
    /// or 5 times a power of ten) of which the top is a multiple, the top at or above the largest
    /// value and less than a step above it (at most four steps); shares stop at 100%; counts step
    /// by whole numbers.
    #[test]
    fn axes_are_round_and_cover_the_largest_value() {
        let round = |step: f64| {
            let mag = 10f64.powi(step.log10().floor() as i32);
            [1.0, 2.0, 2.5, 5.0, 10.0].iter().any(|m| ((step / mag) - m).abs() < 1e-9)
        };
        let multiple = |top: f64, step: f64| ((top / step) - (top / step).round()).abs() < 1e-6;
        let values = (1..=4000).map(|k| f64::from(k) / 1000.0).chain((1..=3000).map(|k| f64::from(k) * 0.37)).chain([1e-6, 123_456.7, 9.99e8]);
        for max in values {
            for (pct, integer) in [(false, false), (true, false), (false, true)] {
                let (top, step) = axis(max, pct, integer);
                let case = format!("axis({max}, {pct}, {integer}) = ({top}, {step})");
                assert!(step > 0.0 && round(step), "{case}");
                assert!(top >= max * (1.0 - 1e-12), "{case}");
                if integer {
                    assert!(step >= 1.0 && step.fract() == 0.0, "{case}");
                }
                if pct && max <= 1.0 {
                    assert!(top <= 1.0, "{case}");
                } else {
                    assert!(multiple(top, step) && top - step < max && top / step <= 4.0 + 1e-9, "{case}");
                }
            }
        }
        assert_eq!(axis(9.0, false, true), (10.0, 5.0), "a count axis never steps by 2.5");
        assert_eq!(axis(9.0, false, false), (10.0, 2.5));
        assert_eq!(axis(90.0, false, true), (100.0, 25.0));
        assert_eq!(axis(f64::NAN, true, false), (0.1, 0.025));
        assert_eq!(axis(f64::INFINITY, false, false), (1.0, 0.25));
    }

    #[test]
    fn chart_helpers() {
        assert_eq!(axis(0.37, true, false), (0.4, 0.1));
        assert_eq!(axis(0.96, true, false).0, 1.0);
        assert_eq!(axis(0.0, false, true), (1.0, 1.0));
        assert_eq!(tick_label(0.25, 0.05, true), "25%");
        assert_eq!(tick_label(0.025, 0.025, true), "2.5%");
    }
}
