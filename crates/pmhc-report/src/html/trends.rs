//! Section 5 of the report: the monthly trends, one line chart per measure with the values of
//! every month in a collapsed table.

use std::fmt::Write as _;

use pmhc_core::numbers::percent;
use pmhc_core::outcomes::{BIT_MEASURES, Measure, MeasureValue, MonthPoint, MonthRole};

use crate::table::thousands;
use super::{Html, NO_DATA, SUPPRESSED};
use super::charts::Series;
use super::text::{esc, lower_first, month_label};

impl Html<'_> {
    // --- 5. Trends ------------------------------------------------------------------------------

    pub(super) fn trends(&mut self) {
        let r = self.r;
        self.o.push_str("<section id=\"trends\">\n<h2>Trends</h2>\n");
        if r.monthly.is_empty() {
            self.o.push_str("<p>The monthly series is not part of this report.</p>\n</section>\n");
            return;
        }
        self.o.push_str(
            "<p class=\"guide\">Month by month. The shaded areas mark the baseline months (grey) and the \
             comparison months (blue), each labelled above the chart; the dashed lines show the value over \
             each whole period. Gaps in a line are months with nothing recorded or with suppressed counts. \
             The values of every month are listed under each chart.</p>\n",
        );
        for m in std::iter::once(Measure::Encounters).chain(BIT_MEASURES) {
            self.trend(m);
        }
        self.o.push_str("</section>\n");
    }

    fn trend(&mut self, m: Measure) {
        let r = self.r;
        let encounters = m == Measure::Encounters;
        // (value, something to show this month, suppressed)
        let values: Vec<(Option<f64>, bool, bool)> = r
            .monthly
            .iter()
            .map(|p| match (encounters, p.measures.get(m)) {
                (true, v) => {
                    let count = match v {
                        Some(MeasureValue::Count { count, .. }) => *count,
                        _ => p.encounters,
                    };
                    let suppressed = count.is_none() && (r.public || v.is_some_and(|v| v.is_suppressed()));
                    (count.map(|c| c as f64), count.is_some_and(|c| c > 0) || suppressed, suppressed)
                }
                (false, Some(v @ MeasureValue::Proportion { denominator, rate, .. })) => {
                    let suppressed = v.is_suppressed();
                    (*rate, denominator.is_some_and(|n| n > 0) || suppressed, suppressed)
                }
                (false, _) => (None, false, false),
            })
            .collect();
        if !values.iter().any(|v| v.1) {
            return;
        }
        w!(self.o, "<article class=\"trend\" id=\"t-{}\">\n<h3>{}</h3>\n", m.id(), esc(m.label()));
        if values.iter().all(|v| v.0.is_none()) {
            self.o.push_str(
                "<p class=\"nm\">No chart: every month is suppressed to protect small numbers.</p>\n</article>\n",
            );
            return;
        }
        let period = if encounters {
            [None, None]
        } else {
            [r.periods.baseline.measures.get(m), r.periods.comparison.measures.get(m)].map(|v| {
                v.and_then(|v| match v {
                    MeasureValue::Proportion { rate, .. } => *rate,
                    _ => None,
                })
            })
        };
        let points: Vec<(&str, MonthRole, Option<f64>)> =
            r.monthly.iter().zip(&values).map(|(p, v)| (p.month.as_str(), p.role, v.0)).collect();
        let fmt = |v: f64| {
            if encounters { thousands(v.round() as u64) } else { percent(v) }
        };
        let what = if encounters {
            "mental-health encounters per month".to_string()
        } else {
            format!("monthly share: {}", lower_first(m.label()))
        };
        let first = points.first().map(|p| month_label(p.0)).unwrap_or_default();
        let last = points.last().map(|p| month_label(p.0)).unwrap_or_default();
        let mut desc = String::new();
        for (role, name, pv) in
            [(MonthRole::Baseline, "Baseline", period[0]), (MonthRole::Comparison, "Comparison", period[1])]
        {
            let months: Vec<&str> = points.iter().filter(|p| p.1 == role).map(|p| p.0).collect();
            if let (Some(a), Some(b)) = (months.first(), months.last()) {
                w!(desc, "{name} months {} to {}", month_label(a), month_label(b));
                if let Some(v) = pv {
                    w!(desc, " (overall {})", fmt(v));
                }
                desc.push_str(". ");
            }
        }
        let shown: Vec<(&str, f64)> = points.iter().filter_map(|p| p.2.map(|v| (p.0, v))).collect();
        if let (Some(lo), Some(hi)) =
            (shown.iter().min_by(|a, b| a.1.total_cmp(&b.1)), shown.iter().max_by(|a, b| a.1.total_cmp(&b.1)))
        {
            w!(
                desc,
                "Monthly values range from {} ({}) to {} ({}).",
                fmt(lo.1),
                month_label(lo.0),
                fmt(hi.1),
                month_label(hi.0)
            );
        }
        let gaps = points.len() - shown.len();
        if gaps > 0 {
            w!(desc, " {gaps} of {} months have no value shown.", points.len());
        }
        let series = Series {
            title: format!("Line chart of {what}, {first} to {last}"),
            desc,
            points,
            pct: !encounters,
            integer: encounters,
            period,
        };
        let svg = self.line_chart(&series);
        let caption = if encounters {
            "Mental-health encounters in each month."
        } else {
            "The share in each month; dashed lines: the share over each whole period."
        };
        w!(self.o, "<figure class=\"chart\">\n{svg}<figcaption>{caption}</figcaption>\n</figure>\n");
        self.month_table(m, encounters);
        self.o.push_str("</article>\n");
    }

    /// The values behind a monthly chart, in a collapsed table.
    fn month_table(&mut self, m: Measure, encounters: bool) {
        let r = self.r;
        let cap = self.id();
        w!(
            self.o,
            "<details>\n<summary>Monthly values</summary>\n\
             <div class=\"table-wrap\" role=\"region\" aria-labelledby=\"{cap}\" tabindex=\"0\">\n<table class=\"compact\">\n\
             <caption id=\"{cap}\">{} by month</caption>\n<thead><tr><th scope=\"col\">Month</th>\
             <th scope=\"col\">Period</th>",
            esc(m.label())
        );
        if encounters {
            self.o.push_str("<th scope=\"col\" class=\"num\">Encounters</th></tr></thead>\n<tbody>\n");
        } else {
            self.o.push_str(
                "<th scope=\"col\" class=\"num\">Share</th><th scope=\"col\" class=\"num\">Count / of</th></tr></thead>\n<tbody>\n",
            );
        }
        for p in &r.monthly {
            let role = match p.role {
                MonthRole::Baseline => "Baseline",
                MonthRole::Comparison => "Comparison",
                MonthRole::Other => "",
            };
            w!(self.o, "<tr><th scope=\"row\">{}</th><td>{role}</td>", month_label(&p.month));
            if encounters {
                w!(self.o, "<td class=\"num\">{}</td></tr>\n", self.month_count(p));
            } else {
                match p.measures.get(m) {
                    Some(v @ MeasureValue::Proportion { rate, suppressed, .. }) => {
                        let main = match rate {
                            Some(x) => percent(*x),
                            None if *suppressed => SUPPRESSED.to_string(),
                            None => NO_DATA.to_string(),
                        };
                        w!(self.o, "<td class=\"num\">{main}</td><td class=\"num\">{}</td></tr>\n", self.fraction(v));
                    }
                    _ => w!(self.o, "<td class=\"num\">{NO_DATA}</td><td class=\"num\">{NO_DATA}</td></tr>\n"),
                }
            }
        }
        self.o.push_str("</tbody>\n</table>\n</div>\n</details>\n");
    }

    fn month_count(&self, p: &MonthPoint) -> String {
        match p.measures.get(Measure::Encounters) {
            Some(MeasureValue::Count { count, .. }) => self.count(*count),
            _ => self.count(p.encounters),
        }
    }

}
