//! Section 6 of the report: the breakdowns, one table per dimension (precinct, beat, response
//! model, ...) with each group's shares and its disparity against the overall share.

use std::fmt::Write as _;

use pmhc_core::numbers::{percent, ratio};
use pmhc_core::outcomes::{Breakdown, Measure, MeasureValue};

use super::{BREAKDOWN_MEASURES, COMPACT_ROWS, Column, Html, NO_DATA, SUPPRESSED};
use super::text::{esc, lower_first};

impl Html<'_> {
    // --- 6. Breakdowns --------------------------------------------------------------------------

    pub(super) fn breakdowns(&mut self) {
        let r = self.r;
        self.o.push_str("<section id=\"breakdowns\">\n<h2>Breakdowns</h2>\n");
        if r.breakdowns.is_empty() {
            self.o.push_str("<p>No breakdowns are part of this report.</p>\n</section>\n");
            return;
        }
        self.o.push_str(
            "<p class=\"guide\">Encounters in each group in both periods, and for a few key measures the \
             group\u{2019}s share in the comparison period with its ratio to the overall share \
             (1.00 = the same as overall) and the 95% interval of that ratio in brackets.</p>\n\
             <ul class=\"legend\"><li><span class=\"mark\">\u{25b2}</span> higher than overall: the whole 95% \
             interval of the ratio is above 1</li><li><span class=\"mark\">\u{25bc}</span> lower than overall: \
             the whole 95% interval of the ratio is below 1</li></ul>\n",
        );
        for b in &r.breakdowns {
            self.breakdown(b);
        }
        self.o.push_str("</section>\n");
    }

    fn breakdown(&mut self, b: &Breakdown) {
        let r = self.r;
        let comp = &r.periods.comparison;
        let (cols, left_out): (Vec<Column>, Vec<Column>) = BREAKDOWN_MEASURES
            .iter()
            .copied()
            .partition(|(m, _)| !matches!(comp.measures.get(*m), None | Some(MeasureValue::NotMeasurable { .. })));
        w!(self.o, "<h3>{}</h3>\n", esc(b.label));
        match b.groups.as_slice() {
            [] => {
                self.o.push_str("<p>No groups.</p>\n");
                return;
            }
            [only] => {
                w!(
                    self.o,
                    "<p>Every encounter is in one group ({}), so there is nothing to compare.</p>\n",
                    esc(&only.label)
                );
                return;
            }
            _ => {}
        }
        let cap = self.id();
        let class = if b.groups.len() > COMPACT_ROWS { " class=\"compact\"" } else { "" };
        w!(
            self.o,
            "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"{cap}\" tabindex=\"0\">\n<table{class}>\n\
             <caption id=\"{cap}\">By {}: encounters, and shares in the comparison period with the ratio to overall \
             [95% CI]</caption>\n<thead><tr><th scope=\"col\">Group</th>\
             <th scope=\"col\" class=\"num\">Encounters, baseline</th><th scope=\"col\" class=\"num\">Encounters, comparison</th>",
            esc(&lower_first(b.label))
        );
        for (_, name) in &cols {
            w!(self.o, "<th scope=\"col\">{name}</th>");
        }
        self.o.push_str("</tr></thead>\n<tbody>\n");
        w!(
            self.o,
            "<tr class=\"overall\"><th scope=\"row\">All (overall)</th><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            self.count(r.periods.baseline.encounters),
            self.count(comp.encounters)
        );
        for (m, _) in &cols {
            let cell = comp.measures.get(*m).map(|v| self.share(v)).unwrap_or_else(|| NO_DATA.to_string());
            w!(self.o, "<td>{cell}</td>");
        }
        self.o.push_str("</tr>\n");
        for g in &b.groups {
            let enc = |v: Option<&MeasureValue>| match v {
                Some(MeasureValue::Count { count, .. }) => self.count(*count),
                _ => NO_DATA.to_string(),
            };
            w!(
                self.o,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>",
                esc(&g.label),
                enc(g.baseline.get(Measure::Encounters)),
                enc(g.comparison.get(Measure::Encounters))
            );
            for (m, _) in &cols {
                let mut cell = g.comparison.get(*m).map(|v| self.share(v)).unwrap_or_else(|| NO_DATA.to_string());
                if let Some(Some(d)) = g.disparity.get(*m) {
                    let mark = if !d.flagged {
                        ""
                    } else if d.ratio > 1.0 {
                        " <span class=\"mark\" aria-hidden=\"true\">\u{25b2}</span><span class=\"vh\">higher than overall</span>"
                    } else if d.ratio < 1.0 {
                        " <span class=\"mark\" aria-hidden=\"true\">\u{25bc}</span><span class=\"vh\">lower than overall</span>"
                    } else {
                        ""
                    };
                    w!(
                        cell,
                        "<span class=\"sub\">{} [{}\u{2013}{}]{mark}</span>",
                        ratio(d.ratio),
                        ratio(d.ci95.lower),
                        ratio(d.ci95.upper)
                    );
                }
                w!(self.o, "<td>{cell}</td>");
            }
            self.o.push_str("</tr>\n");
        }
        self.o.push_str("</tbody>\n</table>\n</div>\n");
        if !left_out.is_empty() {
            let names: Vec<&str> = left_out.iter().map(|(_, n)| *n).collect();
            w!(
                self.o,
                "<p class=\"nm\">Not shown, not measurable with this data in the comparison period: {}.</p>\n",
                names.join(", ")
            );
        }
    }

    /// A share with its counts, compact.
    fn share(&self, v: &MeasureValue) -> String {
        match v {
            MeasureValue::Proportion { rate, suppressed, .. } => {
                let main = match rate {
                    Some(x) => percent(*x),
                    None if *suppressed => SUPPRESSED.to_string(),
                    None => NO_DATA.to_string(),
                };
                match self.fraction(v) {
                    f if f.is_empty() => main,
                    f => format!("{main} <small>({f})</small>"),
                }
            }
            _ => NO_DATA.to_string(),
        }
    }

}
