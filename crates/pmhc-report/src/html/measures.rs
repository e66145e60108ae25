//! The measures of the report: the key outcomes and the context measures, each with its sentence
//! and bar chart (sections 2 and 3), and the summary table of every measure (section 4).

use std::fmt::Write as _;

use pmhc_core::numbers::{self, fixed, number, percent, points, signed, signed_number};
use pmhc_core::outcomes::{Change, Measure, MeasureKind, MeasureValue, PeriodResult};

use crate::table::thousands;
use super::{C_BASE, C_COMP, Html, NM_PREFIX, NO_DATA, SUPPRESSED};
use super::charts::bar;
use super::text::{esc, lower_first};

impl Html<'_> {
    // --- 2. and 3. Measures with their charts ---------------------------------------------------

    pub(super) fn key_outcomes(&mut self) {
        self.o.push_str(
            "<section id=\"key-outcomes\">\n<h2>The four key outcomes</h2>\n<p class=\"guide\">Each measure \
             compares the baseline period with the comparison period. In the charts, each bar is the \
             value in a period and the thin line across the end of a bar is its 95% confidence interval: \
             the range the true value probably lies in. A change is marked \u{201c}statistically \
             significant\u{201d} when the 95% interval of the change excludes no change.</p>\n",
        );
        for outcome in 1..=4u8 {
            let ms: Vec<Measure> = Measure::ALL.iter().copied().filter(|m| m.outcome() == Some(outcome)).collect();
            if ms.is_empty() {
                continue;
            }
            w!(self.o, "<section class=\"outcome\">\n<h3>Outcome {outcome}: {}</h3>\n", outcome_title(outcome));
            let r = self.r;
            if !ms.iter().any(|&m| r.periods.baseline.measures.get(m).is_some() && r.periods.comparison.measures.get(m).is_some()) {
                self.o.push_str(if r.group.is_some() {
                    "<p class=\"guide\">Not measured for one group of a breakdown (see the whole area).</p>\n"
                } else {
                    "<p class=\"guide\">Not measured in this report.</p>\n"
                });
            }
            for m in ms {
                self.measure_block(m, 4);
            }
            self.o.push_str("</section>\n");
        }
        self.o.push_str("</section>\n");
    }

    pub(super) fn context(&mut self) {
        self.o.push_str(
            "<section id=\"context\">\n<h2>Context</h2>\n<p class=\"guide\">Measures that help to read the \
             four outcomes: how many encounters there were, how they were recognised and answered, and how \
             they ended.</p>\n",
        );
        for &m in Measure::ALL.iter().filter(|m| m.outcome().is_none()) {
            self.measure_block(m, 3);
        }
        self.o.push_str("</section>\n");
    }

    fn measure_block(&mut self, m: Measure, level: u8) {
        let r = self.r;
        let (Some(b), Some(c)) = (r.periods.baseline.measures.get(m), r.periods.comparison.measures.get(m)) else {
            return;
        };
        w!(self.o, "<article class=\"measure\" id=\"m-{}\">\n<h{level}>{}</h{level}>\n", m.id(), esc(m.label()));
        if let Some(ch) = r.changes.get(m) {
            w!(self.o, "<p class=\"sentence\">{}</p>\n", esc(&ch.sentence));
            if ch.significant {
                self.o.push_str("<p class=\"flag\">Statistically significant change</p>\n");
            } else if ch.absolute_ci95.is_some() || ch.relative_ci95.is_some() {
                self.o.push_str(
                    "<p class=\"flag ns\">No statistically significant change (the 95% interval includes no change)</p>\n",
                );
            }
        }
        let reasons: Vec<(&str, &str)> = [("baseline", b), ("comparison", c)]
            .into_iter()
            .filter_map(|(p, v)| match v {
                MeasureValue::NotMeasurable { not_measurable } => Some((p, not_measurable.as_str())),
                _ => None,
            })
            .collect();
        if !reasons.is_empty() {
            let say = |when: &str, why: &str| match why.strip_prefix(NM_PREFIX) {
                Some(rest) => format!("Not measurable with this data in {when}: {}.", esc(rest)),
                None => format!("Not measurable in {when}: {}.", esc(why)),
            };
            let text = if reasons.len() == 2 && reasons[0].1 == reasons[1].1 {
                say("either period", reasons[0].1)
            } else {
                reasons.iter().map(|(p, why)| say(&format!("the {p} period"), why)).collect::<Vec<_>>().join(" ")
            };
            w!(self.o, "<p class=\"nm\">{text}</p>\n</article>\n");
            return;
        }
        let bars = [bar(b, "Baseline", C_BASE), bar(c, "Comparison", C_COMP)];
        if bars.iter().all(|b| b.value.is_none()) {
            let why = if b.is_suppressed() || c.is_suppressed() {
                "No chart: the values are suppressed to protect small numbers."
            } else {
                "No chart: there is no value to show."
            };
            w!(self.o, "<p class=\"nm\">{why}</p>\n</article>\n");
            return;
        }
        let title = format!(
            "Bar chart of {}: baseline {}; comparison {}.",
            lower_first(m.label()),
            bars[0].value.map_or(bars[0].missing, |_| bars[0].text.as_str()),
            bars[1].value.map_or(bars[1].missing, |_| bars[1].text.as_str()),
        );
        let svg = self.bar_chart(&title, &bars, m.kind() == MeasureKind::Proportion);
        w!(self.o, "<figure class=\"chart\">\n{svg}</figure>\n");
        let counts = [self.counts_text(m, b), self.counts_text(m, c)];
        if !counts[0].is_empty() || !counts[1].is_empty() {
            w!(self.o, "<p class=\"counts\">Baseline: {}. Comparison: {}.</p>\n", counts[0], counts[1]);
        }
        self.o.push_str("</article>\n");
    }

    /// The counts behind a value, as HTML ("45 of 192 encounters with a known outcome").
    fn counts_text(&self, m: Measure, v: &MeasureValue) -> String {
        match v {
            MeasureValue::Count { count, .. } => format!("{} encounters", self.count(*count)),
            MeasureValue::Proportion { numerator, denominator, .. } => {
                let of = m.of().trim_start_matches("of ");
                let of = if of.is_empty() { String::new() } else { format!(" {}", esc(of)) };
                format!("{} of {}{of}", self.count(*numerator), self.count(*denominator))
            }
            MeasureValue::Median { n, .. } => {
                format!("{} encounters with a time on scene", self.count(*n))
            }
            MeasureValue::Mean { people, encounters, .. } => {
                format!("{} encounters of {} people", self.count(*encounters), self.count(*people))
            }
            MeasureValue::NotMeasurable { .. } => String::new(),
        }
    }

    // --- 4. Summary table -----------------------------------------------------------------------

    pub(super) fn summary(&mut self) {
        let r = self.r;
        let cap = self.id();
        w!(
            self.o,
            "<section id=\"summary\">\n<h2>Summary of every measure</h2>\n\
             <div class=\"table-wrap\" role=\"region\" aria-labelledby=\"{cap}\" tabindex=\"0\">\n<table class=\"summary\">\n\
             <caption id=\"{cap}\">Every measure in the baseline and the comparison period, and the change</caption>\n\
             <thead><tr><th scope=\"col\">Measure</th><th scope=\"col\">Baseline</th><th scope=\"col\">Comparison</th>\
             <th scope=\"col\">Change (95% CI)</th><th scope=\"col\">Relative change (95% CI)</th></tr></thead>\n"
        );
        let mut groups: Vec<(String, Vec<Measure>)> = (1..=4u8)
            .map(|o| {
                (
                    format!("Outcome {o}: {}", outcome_title(o)),
                    Measure::ALL.iter().copied().filter(|m| m.outcome() == Some(o)).collect(),
                )
            })
            .collect();
        groups.push(("Context".to_string(), Measure::ALL.iter().copied().filter(|m| m.outcome().is_none()).collect()));
        for (name, ms) in groups {
            if ms.is_empty() {
                continue;
            }
            w!(self.o, "<tbody>\n<tr><th scope=\"rowgroup\" colspan=\"5\">{name}</th></tr>\n");
            for m in ms {
                let (Some(b), Some(c)) = (r.periods.baseline.measures.get(m), r.periods.comparison.measures.get(m))
                else {
                    continue;
                };
                let of = if m.of().is_empty() {
                    String::new()
                } else {
                    format!("<span class=\"sub\">{}</span>", esc(m.of()))
                };
                let (abs, rel) = match r.changes.get(m) {
                    Some(ch) => self.change_cells(m, ch, b, c),
                    None => (NO_DATA.to_string(), NO_DATA.to_string()),
                };
                w!(
                    self.o,
                    "<tr><th scope=\"row\">{}{of}</th><td>{}</td><td>{}</td><td>{abs}</td><td>{rel}</td></tr>\n",
                    esc(m.label()),
                    self.value_cell(b, &r.periods.baseline),
                    self.value_cell(c, &r.periods.comparison),
                );
            }
            self.o.push_str("</tbody>\n");
        }
        self.o.push_str("</table>\n</div>\n");
        if r.public {
            self.o.push_str(
                "<p class=\"guide\"><span aria-hidden=\"true\">\u{2014}<sup>\u{2020}</sup></span> \
                 suppressed to protect small numbers (see the notes).</p>\n",
            );
        }
        self.o.push_str("</section>\n");
    }

    /// A value with its counts, for a table cell.
    fn value_cell(&self, v: &MeasureValue, p: &PeriodResult) -> String {
        match v {
            MeasureValue::Count { count, per_day, suppressed } => match per_day {
                Some(d) => format!(
                    "{} a day<span class=\"sub\">{} in {} days</span>",
                    number(*d),
                    self.count(*count),
                    thousands(p.days.max(0) as u64)
                ),
                None if *suppressed => SUPPRESSED.to_string(),
                None => self.count(*count),
            },
            MeasureValue::Proportion { rate, suppressed, .. } => {
                let main = match rate {
                    Some(x) => percent(*x),
                    None if *suppressed => SUPPRESSED.to_string(),
                    None => NO_DATA.to_string(),
                };
                format!("{main}<span class=\"sub\">{}</span>", self.fraction(v))
            }
            MeasureValue::Median { n, median, ci95, suppressed } => {
                let main = match median {
                    Some(x) => format!("{} min", number(*x)),
                    None if *suppressed => SUPPRESSED.to_string(),
                    None => NO_DATA.to_string(),
                };
                let ci =
                    ci95.map(|c| format!(", 95% CI {} to {}", number(c.lower), number(c.upper))).unwrap_or_default();
                format!("{main}<span class=\"sub\">n = {}{ci}</span>", self.count(*n))
            }
            MeasureValue::Mean { people, encounters, mean, suppressed, .. } => {
                let main = match mean {
                    Some(x) => fixed(*x, 2),
                    None if *suppressed => SUPPRESSED.to_string(),
                    None => NO_DATA.to_string(),
                };
                format!(
                    "{main}<span class=\"sub\">{} encounters / {} people</span>",
                    self.count(*encounters),
                    self.count(*people)
                )
            }
            MeasureValue::NotMeasurable { not_measurable } => {
                let why = not_measurable.trim_start_matches(NM_PREFIX);
                format!("Not measurable<span class=\"sub\">{}</span>", esc(why))
            }
        }
    }

    /// "x / n" of a proportion, with suppressed parts marked.
    pub(super) fn fraction(&self, v: &MeasureValue) -> String {
        match v {
            // The rate shows the suppression marker already: say only what it is out of.
            MeasureValue::Proportion { numerator: None, denominator: Some(n), .. } if self.r.public => {
                format!("of {}", thousands(*n))
            }
            MeasureValue::Proportion { numerator: None, denominator: None, .. } if self.r.public => String::new(),
            MeasureValue::Proportion { numerator, denominator, .. } => {
                format!("{} / {}", self.count(*numerator), self.count(*denominator))
            }
            _ => String::new(),
        }
    }

    /// The absolute and relative change cells.
    fn change_cells(&self, m: Measure, ch: &Change, b: &MeasureValue, c: &MeasureValue) -> (String, String) {
        let Some(a) = ch.absolute else {
            let cell = if b.is_suppressed() || c.is_suppressed() { SUPPRESSED } else { NO_DATA };
            return (cell.to_string(), cell.to_string());
        };
        let mut abs = match m.kind() {
            MeasureKind::Proportion => {
                let ci = ch
                    .absolute_ci95
                    .map(|i| format!("<span class=\"sub\">{} to {}</span>", points(i.lower), points(i.upper)))
                    .unwrap_or_default();
                format!("{} points{ci}", points(a))
            }
            MeasureKind::Count => format!("{} a day", signed_number(a)),
            MeasureKind::Median => {
                let ci = ch
                    .absolute_ci95
                    .map(|i| format!("<span class=\"sub\">{} to {}</span>", signed(i.lower, 1), signed(i.upper, 1)))
                    .unwrap_or_default();
                format!("{} min{ci}", signed(a, 1))
            }
            MeasureKind::Mean => {
                let ci = ch
                    .absolute_ci95
                    .map(|i| format!("<span class=\"sub\">{} to {}</span>", signed(i.lower, 2), signed(i.upper, 2)))
                    .unwrap_or_default();
                format!("{}{ci}", signed(a, 2))
            }
        };
        if ch.significant {
            abs.push_str("<span class=\"sig-tag\">significant</span>");
        }
        // Never an interval that misses its estimate or has no width: "not estimable".
        let rel = match numbers::relative_change(ch.relative, ch.relative_ci95) {
            numbers::RelativeChange::Shown { value, ci } => {
                let ci = ci.map(|(lo, hi)| format!("<span class=\"sub\">{lo} to {hi}</span>")).unwrap_or_default();
                format!("{value}{ci}")
            }
            numbers::RelativeChange::NotEstimable => numbers::NOT_ESTIMABLE.to_string(),
        };
        (abs, rel)
    }

}

fn outcome_title(o: u8) -> &'static str {
    match o {
        1 => "Connection to resources",
        2 => "Repeat encounters",
        3 => "Arrests",
        4 => "Use of force",
        _ => "Other",
    }
}
