//! The outcome report as one self-contained HTML file: inline CSS, inline SVG charts, no script
//! and no external resource, so it can be mailed, opened on a phone and printed.
//!
//! Plain `write!` into a `String`. Every text that comes from the data (group labels, area names,
//! filter values, notes, sentences) goes through [`esc`]. The output depends only on the report
//! (no clock), so it can be snapshot-tested.
//!
//! This module holds the page itself (the document, its header and its notes), the stylesheet and
//! the constants the sections share; the sections and the charts are in the submodules.

use std::fmt::Write as _;

use pmhc_core::outcomes::{Measure, OutcomeReport, PUBLIC_THRESHOLD};

use crate::table::thousands;

/// Append formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

mod breakdowns;
mod charts;
mod measures;
mod text;
mod trends;
#[cfg(test)]
mod tests;

pub use charts::axis;
pub use text::esc;
use text::{filter_text, fmt_date};

/// What a suppressed value shows: an em dash with a footnote marker (explained in the notes).
const SUPPRESSED: &str = "<span class=\"supp\" title=\"Suppressed to protect small numbers\"><span aria-hidden=\"true\">\u{2014}<sup>\u{2020}</sup></span><span class=\"vh\">suppressed</span></span>";
/// What a value that cannot be computed (nothing recorded) shows.
const NO_DATA: &str = "<span class=\"nodata\" title=\"No data\"><span aria-hidden=\"true\">\u{2013}</span><span class=\"vh\">no data</span></span>";

/// How the engine's not-measurable reasons start.
const NM_PREFIX: &str = "not measurable with this data: ";

/// Bar and line colours (all at least 4.5:1 against white) and the period shading.
const C_TEXT: &str = "#1a1a1a";
const C_MUTED: &str = "#4d4d4d";
const C_GRID: &str = "#cccccc";
const C_BASE: &str = "#666666";
const C_COMP: &str = "#0b5394";
const C_BAND_BASE: &str = "#ebebeb";
const C_BAND_COMP: &str = "#dbe7f4";

/// The measures shown in the breakdown tables, with short column labels.
const BREAKDOWN_MEASURES: [Column; 5] = [
    (Measure::Referral, "Referral"),
    (Measure::Arrest, "Arrest"),
    (Measure::AnyForce, "Any force"),
    (Measure::InvoluntaryHold, "Involuntary hold"),
    (Measure::Diversion, "Diversion"),
];

/// A breakdown column: a measure and its short label.
type Column = (Measure, &'static str);

/// Breakdowns with more groups than this get the compact table style.
const COMPACT_ROWS: usize = 40;

const CSS: &str = r#":root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0 auto;max-width:62rem;padding:1rem 1.25rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1a1a;background:#fff}
h1{font-size:2rem;line-height:1.2;margin:.5rem 0 .25rem}
h2{font-size:1.5rem;line-height:1.25;margin:2.5rem 0 .75rem;padding-bottom:.2rem;border-bottom:2px solid #1a1a1a}
h3{font-size:1.2rem;line-height:1.3;margin:2rem 0 .5rem}
h4{font-size:1.05rem;line-height:1.3;margin:0 0 .3rem}
p{margin:.4rem 0}
.subtitle{font-size:1.15rem;color:#4d4d4d;margin:0 0 .75rem}
.guide{color:#4d4d4d}
.measure,.trend{border-top:1px solid #cccccc;padding:.8rem 0 .4rem;margin:0}
.sentence{font-size:1.02rem}
.flag{display:inline-block;margin:.2rem 0;padding:0 .45rem;border:2px solid #0b5394;border-radius:.25rem;color:#0b5394;font-weight:700}
.flag.ns{border:1px solid #767676;color:#4d4d4d;font-weight:400}
.counts,.nm,figcaption{color:#4d4d4d;font-size:.92rem}
figure{margin:.5rem 0}
.chart{max-width:40rem;overflow-x:auto;position:relative}
.chart svg{display:block;width:100%;min-width:30rem;height:auto;font-family:inherit}
.table-wrap{overflow-x:auto;margin:.75rem 0;position:relative}
.table-wrap:focus{outline:2px solid #0b5394;outline-offset:2px}
table{border-collapse:collapse;font-size:.92rem}
caption{caption-side:top;text-align:left;font-weight:700;padding:.3rem 0}
th,td{padding:.35rem .55rem;border-bottom:1px solid #cccccc;text-align:left;vertical-align:top}
thead th{vertical-align:bottom;border-bottom:2px solid #1a1a1a}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody th[scope=rowgroup]{background:#f2f2f2;border-top:2px solid #1a1a1a}
tr.overall th,tr.overall td{font-weight:700;border-bottom:2px solid #1a1a1a}
.sub{display:block;font-size:.85em;font-weight:400;color:#4d4d4d}
.sig-tag{display:block;font-size:.85em;font-weight:700;color:#0b5394}
.mark{font-weight:700}
table.compact{font-size:.8rem}
table.compact th,table.compact td{padding:.1rem .35rem}
table.compact .sub{display:inline;margin-left:.35em}
.vh{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
.supp,.nodata{white-space:nowrap}
details{margin:.3rem 0}
summary{cursor:pointer;color:#0b5394}
.legend{list-style:none;padding:0}
footer{margin-top:3rem;padding-top:.5rem;border-top:1px solid #cccccc;color:#4d4d4d;font-size:.9rem}
@media (max-width:40rem){body{padding:.6rem;font-size:15px}h1{font-size:1.6rem}h2{font-size:1.3rem}}
@page{margin:15mm}
@media print{
*{background:none!important;box-shadow:none!important}
body{max-width:none;padding:0;color:#000;font-size:10pt}
h2{break-before:auto;break-after:avoid;page-break-after:avoid}
h3,h4{break-after:avoid;page-break-after:avoid}
.table-wrap,.chart{overflow:visible}
.chart svg{min-width:0}
table{font-size:8.5pt}
figure,.chart,.measure,.trend,table{break-inside:avoid;page-break-inside:avoid}
table.compact{break-inside:auto;page-break-inside:auto}
tr{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
details{display:none}
.flag{border-color:#000;color:#000}
}
"#;

/// Render the report as one self-contained HTML document.
pub fn render_html(report: &OutcomeReport) -> String {
    let mut h = Html { r: report, o: String::with_capacity(96 * 1024), ids: 0 };
    h.document();
    h.o
}

/// The report's stylesheet, for pages that embed [`render_html_fragment`].
pub const REPORT_CSS: &str = CSS;

/// The report's body without the document around it, for embedding in a page (the dashboard):
/// the key outcomes, the context measures, the summary table and the monthly trends, plus the
/// breakdowns and notes when `full`. Style it with [`REPORT_CSS`].
pub fn render_html_fragment(report: &OutcomeReport, full: bool) -> String {
    let mut h = Html { r: report, o: String::with_capacity(64 * 1024), ids: 0 };
    h.key_outcomes();
    h.context();
    h.summary();
    h.trends();
    if full {
        h.breakdowns();
    }
    h.notes();
    h.o
}

/// The page being written: the report, the HTML so far, and the count behind unique element ids.
/// The sections add their methods in the submodules.
struct Html<'a> {
    r: &'a OutcomeReport,
    o: String,
    ids: u32,
}

impl Html<'_> {
    fn id(&mut self) -> String {
        self.ids += 1;
        format!("c{}", self.ids)
    }

    fn document(&mut self) {
        let r = self.r;
        let mut title = String::from("Outcome report");
        if let Some(f) = filter_text(&r.filter) {
            title.push_str(" \u{2014} ");
            title.push_str(&f);
        }
        if r.public {
            title.push_str(" (public version)");
        }
        w!(
            self.o,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"pmhc\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
            esc(&title)
        );
        self.header();
        self.o.push_str("<main>\n");
        self.key_outcomes();
        self.context();
        self.summary();
        self.trends();
        self.breakdowns();
        self.notes();
        self.o.push_str("</main>\n");
        let d = &r.definition;
        w!(
            self.o,
            "<footer>\n<p>Generated by pmhc \u{b7} shared definitions version {}: {}</p>\n</footer>\n</body>\n</html>\n",
            d.version,
            esc(&d.name)
        );
    }

    // --- 1. Title, definitions, periods -------------------------------------------------------

    fn header(&mut self) {
        let r = self.r;
        let d = &r.definition;
        let scope = match filter_text(&r.filter) {
            Some(f) => format!("Filter: {}", esc(&f)),
            None => "All mental-health encounters".to_string(),
        };
        let version = if r.public {
            format!("Public version: counts from 1 to {PUBLIC_THRESHOLD} are suppressed")
        } else {
            "Internal version: small counts are shown (use the public version for publication)".to_string()
        };
        w!(
            self.o,
            "<header>\n<h1>Outcome report</h1>\n<p class=\"subtitle\">{scope} \u{b7} {version}</p>\n\
             <p>Shared definitions version {}: {}. Repeat encounters: {}+ encounters within {} days. \
             Frequent arrests: {}+ arrests within {} days.</p>\n",
            d.version,
            esc(&d.name),
            d.repeat_min_encounters,
            d.repeat_window_days,
            d.frequent_arrests_min,
            d.frequent_arrests_window_days
        );
        let cap = self.id();
        w!(
            self.o,
            "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"{cap}\" tabindex=\"0\">\n<table>\n\
             <caption id=\"{cap}\">Periods compared</caption>\n<thead><tr><th scope=\"col\">Period</th>\
             <th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\" class=\"num\">Days</th>\
             <th scope=\"col\" class=\"num\">Mental-health encounters</th>\
             <th scope=\"col\" class=\"num\">All encounters</th></tr></thead>\n<tbody>\n"
        );
        for (name, p) in [("Baseline", &r.periods.baseline), ("Comparison", &r.periods.comparison)] {
            w!(
                self.o,
                "<tr><th scope=\"row\">{name}</th><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                fmt_date(p.from),
                fmt_date(p.to),
                thousands(p.days.max(0) as u64),
                self.count(p.encounters),
                if r.group.is_some() { "not published for a group".to_string() } else { self.count(p.all_encounters) }
            );
        }
        self.o.push_str("</tbody>\n</table>\n</div>\n</header>\n");
    }

    /// A count, or the suppression marker when it is hidden.
    fn count(&self, c: Option<u64>) -> String {
        match c {
            Some(c) => thousands(c),
            None if self.r.public => SUPPRESSED.to_string(),
            None => NO_DATA.to_string(),
        }
    }

    // --- 7. Notes -------------------------------------------------------------------------------

    fn notes(&mut self) {
        let r = self.r;
        self.o.push_str("<section id=\"notes\">\n<h2>Notes</h2>\n");
        if !r.notes.is_empty() {
            self.o.push_str("<ul>\n");
            for n in &r.notes {
                w!(self.o, "<li>{}</li>\n", esc(n));
            }
            self.o.push_str("</ul>\n");
        }
        if r.public {
            w!(
                self.o,
                "<p id=\"fn-suppressed\"><span aria-hidden=\"true\">\u{2014}<sup>\u{2020}</sup></span> \
                 <strong>Suppressed.</strong> In this public version, counts from 1 to {PUBLIC_THRESHOLD} are not \
                 shown, nor the rates and changes built on them; some further counts are hidden as well so that \
                 none of the suppressed counts can be worked out from totals, breakdowns or monthly values.</p>\n"
            );
        }
        w!(
            self.o,
            "<h3>Method</h3>\n<p>Shares are taken of the encounters (or people) for which the item is recorded; \
             each measure states what it is a share of. All intervals are 95% confidence intervals: Wilson score \
             intervals for shares (rates); the Newcombe hybrid score interval for the difference of two shares; \
             the Katz log interval for ratios (relative change); the Price\u{2013}Bonett interval for the \
             difference of two medians; and the delta method on the log scale for disparity ratios (a group\u{2019}s \
             share divided by the overall share). A change is called statistically significant when its 95% \
             interval excludes no change.</p>\n<p>Encounters dated only to the month count in a period only when \
             the whole month lies inside the period (and those dated only to the year, only when the whole year \
             does). In the public version, counts from 1 to {PUBLIC_THRESHOLD} are suppressed, with complementary \
             suppression so that no suppressed count can be worked out from the others.</p>\n</section>\n"
        );
    }
}
