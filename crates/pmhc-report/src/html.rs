//! The outcome report as one self-contained HTML file: inline CSS, inline SVG charts, no script
//! and no external resource, so it can be mailed, opened on a phone and printed.
//!
//! Plain `write!` into a `String`. Every text that comes from the data (group labels, area names,
//! filter values, notes, sentences) goes through [`esc`]. The output depends only on the report
//! (no clock), so it can be snapshot-tested.

use std::fmt::Write as _;

use pmhc_core::CodeList;
use pmhc_core::outcomes::{
    BIT_MEASURES, Breakdown, Change, Measure, MeasureKind, MeasureValue, MonthPoint, MonthRole, OutcomeFilter,
    OutcomeReport, PUBLIC_THRESHOLD, PeriodResult, fmt_num, fmt_pct, fmt_pct_signed, fmt_points, signed,
};

use crate::table::thousands;
use pmhc_core::stats::Interval;

/// Append formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

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
.chart{max-width:40rem;overflow-x:auto}
.chart svg{display:block;width:100%;min-width:30rem;height:auto;font-family:inherit}
.table-wrap{overflow-x:auto;margin:.75rem 0}
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

/// Escape text for HTML content and attribute values (quoted with `"` or `'`), and for SVG text
/// inlined in HTML: `& < > " '` become entities. Control characters (invalid in HTML) other than
/// tab and line ends become U+FFFD. The one escaper of the workspace: the web's charts and pages
/// use it too (`pmhc_report::escape_html`).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\n' | '\t' | '\r' => o.push(c),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

struct Html<'a> {
    r: &'a OutcomeReport,
    o: String,
    ids: u32,
}

/// One bar of a baseline-vs-comparison chart.
struct Bar {
    label: &'static str,
    color: &'static str,
    value: Option<f64>,
    ci: Option<Interval>,
    /// The value as text (next to the bar, and in the chart's title).
    text: String,
    /// What to say when there is no value.
    missing: &'static str,
}

/// One monthly series.
struct Series<'a> {
    title: String,
    desc: String,
    points: Vec<(&'a str, MonthRole, Option<f64>)>,
    pct: bool,
    integer: bool,
    /// The overall value of the baseline and the comparison period (drawn as dashed lines).
    period: [Option<f64>; 2],
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
                self.count(p.all_encounters)
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

    // --- 2. and 3. Measures with their charts ---------------------------------------------------

    fn key_outcomes(&mut self) {
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
            for m in ms {
                self.measure_block(m, 4);
            }
            self.o.push_str("</section>\n");
        }
        self.o.push_str("</section>\n");
    }

    fn context(&mut self) {
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

    /// A horizontal baseline-vs-comparison bar pair with 95% CI whiskers.
    fn bar_chart(&mut self, title: &str, bars: &[Bar; 2], pct: bool) -> String {
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

    // --- 4. Summary table -----------------------------------------------------------------------

    fn summary(&mut self) {
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
                    fmt_num(*d),
                    self.count(*count),
                    thousands(p.days.max(0) as u64)
                ),
                None if *suppressed => SUPPRESSED.to_string(),
                None => self.count(*count),
            },
            MeasureValue::Proportion { rate, suppressed, .. } => {
                let main = match rate {
                    Some(x) => fmt_pct(*x),
                    None if *suppressed => SUPPRESSED.to_string(),
                    None => NO_DATA.to_string(),
                };
                format!("{main}<span class=\"sub\">{}</span>", self.fraction(v))
            }
            MeasureValue::Median { n, median, ci95, suppressed } => {
                let main = match median {
                    Some(x) => format!("{} min", fmt_num(*x)),
                    None if *suppressed => SUPPRESSED.to_string(),
                    None => NO_DATA.to_string(),
                };
                let ci =
                    ci95.map(|c| format!(", 95% CI {} to {}", fmt_num(c.lower), fmt_num(c.upper))).unwrap_or_default();
                format!("{main}<span class=\"sub\">n = {}{ci}</span>", self.count(*n))
            }
            MeasureValue::Mean { people, encounters, mean, suppressed, .. } => {
                let main = match mean {
                    Some(x) => format!("{x:.2}"),
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
    fn fraction(&self, v: &MeasureValue) -> String {
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
                    .map(|i| format!("<span class=\"sub\">{} to {}</span>", fmt_points(i.lower), fmt_points(i.upper)))
                    .unwrap_or_default();
                format!("{} points{ci}", fmt_points(a))
            }
            MeasureKind::Count => format!("{} a day", signed_num(a)),
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
        let rel = match ch.relative {
            Some(x) => {
                let ci = ch
                    .relative_ci95
                    .map(|i| {
                        format!("<span class=\"sub\">{} to {}</span>", fmt_pct_signed(i.lower), fmt_pct_signed(i.upper))
                    })
                    .unwrap_or_default();
                format!("{}{ci}", fmt_pct_signed(x))
            }
            None => NO_DATA.to_string(),
        };
        (abs, rel)
    }

    // --- 5. Trends ------------------------------------------------------------------------------

    fn trends(&mut self) {
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
            if encounters { thousands(v.round() as u64) } else { fmt_pct(v) }
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
                            Some(x) => fmt_pct(*x),
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

    /// A monthly line chart with the baseline and comparison months shaded and labelled.
    fn line_chart(&mut self, s: &Series) -> String {
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
            if s.integer { thousands(v.round().max(0.0) as u64) } else { fmt_pct(v) }
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

    // --- 6. Breakdowns --------------------------------------------------------------------------

    fn breakdowns(&mut self) {
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
                        "<span class=\"sub\">{:.2} [{:.2}\u{2013}{:.2}]{mark}</span>",
                        d.ratio,
                        d.ci95.lower,
                        d.ci95.upper
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
                    Some(x) => fmt_pct(*x),
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

/// The bar of one period's value.
fn bar(v: &MeasureValue, label: &'static str, color: &'static str) -> Bar {
    let missing = if v.is_suppressed() { "suppressed (small numbers)" } else { "no data" };
    let (value, ci, text) = match v {
        MeasureValue::Proportion { rate, ci95, .. } => (
            *rate,
            *ci95,
            rate.map(|x| match ci95 {
                Some(c) => format!("{} (95% CI {:.1}\u{2013}{})", fmt_pct(x), c.lower * 100.0, fmt_pct(c.upper)),
                None => fmt_pct(x),
            }),
        ),
        MeasureValue::Count { per_day, .. } => (*per_day, None, per_day.map(|d| format!("{} a day", fmt_num(d)))),
        MeasureValue::Median { median, ci95, .. } => (
            *median,
            *ci95,
            median.map(|x| match ci95 {
                Some(c) => format!("{} min (95% CI {}\u{2013}{})", fmt_num(x), fmt_num(c.lower), fmt_num(c.upper)),
                None => format!("{} min", fmt_num(x)),
            }),
        ),
        MeasureValue::Mean { mean, .. } => (*mean, None, mean.map(|x| format!("{x:.2} per person"))),
        MeasureValue::NotMeasurable { .. } => (None, None, None),
    };
    Bar { label, color, value, ci, text: text.unwrap_or_default(), missing }
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

/// The filter in words (raw text: escape before use), or None when there is none.
fn filter_text(f: &OutcomeFilter) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(a) = &f.agency {
        parts.push(format!("agency {a}"));
    }
    if let Some(p) = &f.precinct {
        parts.push(format!("precinct / division {p}"));
    }
    if let Some(s) = &f.sector {
        parts.push(format!("sector {s}"));
    }
    if let Some(b) = &f.beat {
        parts.push(format!("beat / neighbourhood {b}"));
    }
    if let Some(m) = f.response_model {
        parts.push(format!("response model {}", m.label()));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        // Keep acronyms ("CIT officer ...") as they are.
        Some(f) if c.clone().next().is_some_and(|n| n.is_lowercase()) => f.to_lowercase().chain(c).collect(),
        _ => s.to_string(),
    }
}

fn fmt_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A signed number with up to two decimals (like [`fmt_num`]).
fn signed_num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 { signed(x, 0) } else { signed(x, 2) }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `YYYY-MM` as a month number (`year * 12 + month0`).
fn month_num(ym: &str) -> Option<i32> {
    let (y, m) = ym.split_once('-')?;
    let (y, m) = (y.parse::<i32>().ok()?, m.parse::<i32>().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

/// `YYYY-MM` as "Mar 2021" (escaped).
fn month_label(ym: &str) -> String {
    match month_num(ym) {
        Some(n) => format!("{} {}", MONTHS[n.rem_euclid(12) as usize], n.div_euclid(12)),
        None => esc(ym),
    }
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
    use chrono::NaiveDate;
    use pmhc_core::codes::{Disposition, ReferralResult, ServiceType, UseOfForce};
    use pmhc_core::definition::{Period, Periods, SharedDefinition};
    use pmhc_core::outcomes::{
        DefinitionRef, Dimension, OutcomeData, OutcomeFilter, OutcomeIndex, OutcomeReport, ReportRequest, make_public,
    };
    use pmhc_core::{Encounter, Referral};

    use super::*;

    const HOSTILE: &str = "<b>&\"North\"";

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn report(filter: &OutcomeFilter) -> OutcomeReport {
        let precincts = [HOSTILE, "South 'Side'", "<script>alert(1)</script>"];
        let mut data = OutcomeData::new();
        for i in 0..240u64 {
            let date = d(2021, 1, 1) + chrono::Days::new(i * 3);
            let mut e = Encounter::new("t", format!("k{i}"), date);
            e.mental_health_flag = Some(true);
            e.arrested = Some(i % 5 == 0 || (i > 120 && i % 7 == 0));
            e.use_of_force = match i % 9 {
                0 => UseOfForce::Level1,
                1 => UseOfForce::RestraintOnly,
                _ => UseOfForce::None,
            };
            e.area.precinct = Some(precincts[(i % 3) as usize].to_string());
            e.area.beat = Some(format!("B{}", i % 45));
            e.subject_key = Some(format!("p{}", i % 60));
            e.time_on_scene_minutes = Some(20 + (i * 7 % 50) as u32);
            e.involuntary_hold = Some(i % 6 == 0);
            e.disposition = if i % 4 == 0 { Disposition::Referral } else { Disposition::ResolvedOnScene };
            if i % 4 == 0 {
                e.referrals.push(Referral {
                    service_type: ServiceType::CrisisCentre,
                    service: None,
                    result: if i % 8 == 0 { ReferralResult::Connected } else { ReferralResult::Declined },
                });
            }
            data.push_encounter(&e);
        }
        let def = SharedDefinition::default();
        let index = OutcomeIndex::build(&data, &def, filter);
        let periods = Periods {
            baseline: Period::new(d(2021, 1, 1), d(2021, 12, 31)).unwrap(),
            comparison: Period::new(d(2022, 1, 1), d(2022, 12, 31)).unwrap(),
        };
        let mut r = index.report(
            DefinitionRef::new(1, &def),
            &ReportRequest { periods, breakdowns: Dimension::ALL.to_vec(), monthly: true },
        );
        r.notes.push("A note with <markup> & \"quotes\"".to_string());
        r
    }

    fn check_common(html: &str, r: &OutcomeReport) {
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("<meta name=\"viewport\""));
        assert!(!html.contains("<script"), "no script tag, and data is escaped");
        assert!(!html.contains("<b>"));
        assert!(!html.contains("http"), "no external links");
        assert!(html.contains("<svg"));
        assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
        assert_eq!(html.matches("<table").count(), html.matches("</table>").count());
        assert_eq!(html.matches("<section").count(), html.matches("</section>").count());
        assert_eq!(html.matches("<article").count(), html.matches("</article>").count());
        assert_eq!(html.matches("<svg").count(), html.matches("role=\"img\"").count());
        assert_eq!(html.matches("<table").count(), html.matches("<caption").count());
        for (_, ch) in r.changes.iter() {
            assert!(html.contains(&esc(&ch.sentence)), "missing sentence: {}", ch.sentence);
        }
        assert!(html.contains("A note with &lt;markup&gt; &amp; &quot;quotes&quot;"));
        assert!(html.contains("Generated by pmhc"));
        for h in ["The four key outcomes", "Context", "Trends", "Breakdowns", "Notes"] {
            assert!(html.contains(&format!(">{h}</h2>")), "missing section {h}");
        }
    }

    #[test]
    fn html_full_report() {
        let r = report(&OutcomeFilter::default());
        let html = render_html(&r);
        check_common(&html, &r);
        assert!(html.contains("&lt;b&gt;&amp;&quot;North&quot;"));
        assert!(html.contains("South &#39;Side&#39;"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains(SUPPRESSED));
        assert!(html.contains("Shared definitions version 1: pmhc default definitions"));
        assert!(html.contains("3+ encounters within") || html.contains("+ encounters within"));
        assert!(html.contains(">Baseline<") && html.contains(">Comparison<"));
        // Deterministic.
        assert_eq!(html, render_html(&r));
        // The header states the periods and their encounters.
        assert!(html.contains("1 January 2021") && html.contains("31 December 2022"));
        assert!(html.contains(&thousands(r.periods.baseline.encounters.unwrap())));
        // 45 beats: one compact table with every beat.
        assert!(
            html.contains("<table class=\"compact\">\n<caption id=\"c") && html.contains(">By beat / neighbourhood:")
        );
        for b in 0..45 {
            assert!(html.contains(&format!("<th scope=\"row\">B{b}</th>")), "beat B{b}");
        }
        // Breakdowns with one group say so instead of a table.
        assert!(html.contains("Every encounter is in one group (Unknown)"));
    }

    #[test]
    fn html_filter_is_escaped() {
        let f = OutcomeFilter { precinct: Some(HOSTILE.to_string()), ..OutcomeFilter::default() };
        let r = report(&f);
        let html = render_html(&r);
        check_common(&html, &r);
        assert!(html.contains("Filter: precinct / division &lt;b&gt;&amp;&quot;North&quot;"));
    }

    #[test]
    fn html_public_report_suppresses() {
        let internal = report(&OutcomeFilter::default());
        let mut r = internal.clone();
        make_public(&mut r);
        assert!(r.public);
        let html = render_html(&r);
        check_common(&html, &r);
        assert!(html.contains("Public version"));
        assert!(html.contains("id=\"fn-suppressed\""));
        assert!(html.contains(SUPPRESSED));
        // Every suppressed count of a group shows the marker, never a number.
        let bd = r.breakdowns.iter().find(|b| b.by == Dimension::Precinct).unwrap();
        let g = bd.groups.iter().find(|g| g.label == HOSTILE).unwrap();
        let row_start = html.find("<th scope=\"row\">&lt;b&gt;&amp;&quot;North&quot;</th>").unwrap();
        let row = &html[row_start..row_start + html[row_start..].find("</tr>").unwrap()];
        for &(m, _) in &BREAKDOWN_MEASURES {
            if let Some(MeasureValue::Proportion { numerator: None, .. }) = g.comparison.get(m) {
                assert!(row.contains(SUPPRESSED), "{m:?} suppressed in the row");
            }
        }
        let suppressed_somewhere = r
            .breakdowns
            .iter()
            .flat_map(|b| &b.groups)
            .flat_map(|g| g.comparison.iter())
            .any(|(_, v)| v.is_suppressed());
        assert!(suppressed_somewhere, "the test data has small counts to suppress");
        // A suppressed count never shows up as a number in the summary table.
        let summary = &html[html.find("id=\"summary\"").unwrap()..html.find("id=\"trends\"").unwrap()];
        let mut checked = 0;
        for (public, private) in
            [(&r.periods.baseline, &internal.periods.baseline), (&r.periods.comparison, &internal.periods.comparison)]
        {
            for (m, v) in public.measures.iter() {
                let MeasureValue::Proportion { numerator: None, denominator: Some(n), .. } = v else { continue };
                let x = private.measures.get(*m).and_then(|v| v.fraction()).unwrap().0;
                let start = summary.find(&format!("<th scope=\"row\">{}", esc(m.label()))).unwrap();
                let row = &summary[start..start + summary[start..].find("</tr>").unwrap()];
                assert!(row.contains(&format!("{SUPPRESSED}<span class=\"sub\">of {}</span>", thousands(*n))), "{m:?}");
                assert!(!row.contains(&format!(">{x} / ")), "{m:?}: suppressed numerator {x} shown");
                checked += 1;
            }
        }
        assert!(checked > 0, "the test data has a suppressed period count");
    }

    #[test]
    fn the_escaper_escapes_every_markup_character() {
        assert_eq!(crate::escape_html("&"), "&amp;");
        assert_eq!(crate::escape_html("<"), "&lt;");
        assert_eq!(crate::escape_html(">"), "&gt;");
        assert_eq!(crate::escape_html("\""), "&quot;");
        assert_eq!(crate::escape_html("'"), "&#39;");
        assert_eq!(crate::escape_html("'><script>alert(1)</script>"), "&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(crate::escape_html("South 'Side' & <North>"), "South &#39;Side&#39; &amp; &lt;North&gt;");
        assert_eq!(crate::escape_html("a\tb\nc\u{7}d"), "a\tb\nc\u{FFFD}d");
        assert_eq!(crate::escape_html("Café – 24/7"), "Café – 24/7");
    }

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
    fn html_helpers() {
        assert_eq!(esc("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(signed(-1.26, 1), "\u{2212}1.3");
        assert_eq!(signed_num(2.0), "+2");
        assert_eq!(axis(0.37, true, false), (0.4, 0.1));
        assert_eq!(axis(0.96, true, false).0, 1.0);
        assert_eq!(axis(0.0, false, true), (1.0, 1.0));
        assert_eq!(tick_label(0.25, 0.05, true), "25%");
        assert_eq!(tick_label(0.025, 0.025, true), "2.5%");
        assert_eq!(month_label("2021-03"), "Mar 2021");
        assert_eq!(month_label("<x>"), "&lt;x&gt;");
        assert_eq!(lower_first("Arrests"), "arrests");
        assert_eq!(lower_first("CIT officer arrived"), "CIT officer arrived");
    }
}
