//! The terminal form of the report: the headline measures as a table, the sentences, and the
//! breakdowns that were asked for.

use std::fmt::Write;

use pmhc_core::numbers::{self, fixed, number, percent, points};
use pmhc_core::outcomes::{Measure, MeasureValue, OutcomeReport};

/// A whole number with thousands separators ("1,234,567").
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count with thousands separators, or "suppressed".
pub(crate) fn count(v: Option<u64>) -> String {
    v.map(thousands).unwrap_or_else(|| "suppressed".into())
}

/// A value as a short cell: "4.1% (12/290)", "38 min (n=500)", "12.30/day".
pub(crate) fn cell(v: Option<&MeasureValue>) -> String {
    match v {
        None => String::new(),
        Some(MeasureValue::NotMeasurable { .. }) => "not measurable".into(),
        Some(v) if v.is_suppressed() => "suppressed".into(),
        Some(MeasureValue::Count { count: c, per_day, .. }) => {
            format!("{} ({}/day)", count(*c), per_day.map(number).unwrap_or_default())
        }
        Some(MeasureValue::Proportion { numerator, denominator, rate, .. }) => match rate {
            Some(r) => format!("{} ({}/{})", percent(*r), count(*numerator), count(*denominator)),
            None => "no data".into(),
        },
        Some(MeasureValue::Median { n, median, .. }) => {
            format!("{} min (n={})", median.map(number).unwrap_or_default(), count(*n))
        }
        Some(MeasureValue::Mean { people, mean, .. }) => {
            format!("{} ({} people)", mean.map(|m| fixed(m, 2)).unwrap_or_default(), count(*people))
        }
    }
}

fn change_cell(r: &OutcomeReport, m: Measure) -> String {
    let Some(c) = r.changes.get(m) else { return String::new() };
    let Some(a) = c.absolute else { return String::new() };
    let sig = if c.significant { " *" } else { "" };
    match m.kind() {
        pmhc_core::outcomes::MeasureKind::Proportion => match c.absolute_ci95 {
            Some(ci) => format!("{} pts [{}, {}]{sig}", points(a), points(ci.lower), points(ci.upper)),
            None => format!("{} pts", points(a)),
        },
        // The relative change, or "not estimable" (never an interval that misses its estimate).
        pmhc_core::outcomes::MeasureKind::Count => match numbers::relative_change(c.relative, c.relative_ci95) {
            rel if rel.is_shown() => format!("{}{sig}", rel.bracketed()),
            rel => rel.bracketed(),
        },
        _ => match c.absolute_ci95 {
            Some(ci) => format!("{} [{}, {}]{sig}", numbers::signed(a, 2), numbers::signed(ci.lower, 2), numbers::signed(ci.upper, 2)),
            None => numbers::signed(a, 2),
        },
    }
}

fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w { s.to_string() } else { format!("{s}{}", " ".repeat(w - n)) }
}

fn write_table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        cells.iter().enumerate().map(|(i, c)| pad(c, widths[i])).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header.iter().map(|s| s.to_string()).collect()));
    let _ = writeln!(out, "{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.clone()));
    }
}

/// The report as text for a terminal.
pub fn render_table(r: &OutcomeReport) -> String {
    let mut out = String::new();
    let b = &r.periods.baseline;
    let c = &r.periods.comparison;
    let _ = writeln!(out, "Outcome report{}", if r.public { " (public: counts of 1-10 suppressed)" } else { "" });
    let _ = writeln!(
        out,
        "Shared definitions version {}: {} (repeat: {}+ encounters within {} days)",
        r.definition.version, r.definition.name, r.definition.repeat_min_encounters, r.definition.repeat_window_days
    );
    if let Some(g) = &r.group {
        let _ = writeln!(out, "Group: {g} (one group of the published release)");
    } else if !r.filter.is_empty() {
        let _ = writeln!(out, "Filter: {}", serde_json::to_string(&r.filter).unwrap_or_default());
    }
    let _ = writeln!(
        out,
        "Baseline   {} .. {} ({} days): {} mental-health encounters{}",
        b.from,
        b.to,
        b.days,
        count(b.encounters),
        of_all(r, b.all_encounters)
    );
    let _ = writeln!(
        out,
        "Comparison {} .. {} ({} days): {} mental-health encounters{}\n",
        c.from,
        c.to,
        c.days,
        count(c.encounters),
        of_all(r, c.all_encounters)
    );
    let mut rows = Vec::new();
    for &m in Measure::ALL {
        let outcome = m.outcome().map(|o| format!("{o}")).unwrap_or_else(|| "-".into());
        rows.push(vec![
            outcome,
            m.label().to_string(),
            cell(b.measures.get(m)),
            cell(c.measures.get(m)),
            change_cell(r, m),
        ]);
    }
    write_table(&mut out, &["#", "Measure", "Baseline", "Comparison", "Change [95% CI]"], &rows);
    let _ = writeln!(out, "(# = key outcome: 1 connection to resources, 2 repeat encounters, 3 arrests, 4 use of force; * = the interval excludes no change)\n");
    for &m in Measure::ALL {
        if let Some(ch) = r.changes.get(m)
            && (m.outcome().is_some() || ch.significant)
        {
            let _ = writeln!(out, "- {}", ch.sentence);
        }
    }
    for bd in &r.breakdowns {
        let _ = writeln!(out, "\nBy {} (comparison period; disparity = group rate / overall rate, ! = interval excludes 1)", bd.label.to_lowercase());
        let key = [Measure::Referral, Measure::Arrest, Measure::AnyForce, Measure::InvoluntaryHold];
        let mut rows = Vec::new();
        for g in &bd.groups {
            let mut row = vec![g.label.clone(), cell(g.baseline.get(Measure::Encounters)).split(' ').next().unwrap_or("").to_string()];
            row.push(cell(g.comparison.get(Measure::Encounters)).split(' ').next().unwrap_or("").to_string());
            for m in key {
                let v = g.comparison.get(m);
                let rate = match v {
                    Some(v) if v.is_suppressed() => "suppressed".to_string(),
                    Some(v) => v.rate().map(percent).unwrap_or_else(|| "-".into()),
                    None => "-".into(),
                };
                let disp = g
                    .disparity
                    .get(m)
                    .and_then(|d| d.as_ref())
                    .map(|d| format!(" x{}{}", numbers::ratio(d.ratio), if d.flagged { "!" } else { "" }))
                    .unwrap_or_default();
                row.push(format!("{rate}{disp}"));
            }
            rows.push(row);
        }
        write_table(
            &mut out,
            &["Group", "Baseline n", "Comparison n", "Referral", "Arrest", "Any force", "Invol. hold"],
            &rows,
        );
    }
    if !r.notes.is_empty() {
        let _ = writeln!(out, "\nNotes");
        for n in &r.notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    out
}

/// " of N in all", or nothing for a group of a release (where that count is not published).
fn of_all(r: &OutcomeReport, all: Option<u64>) -> String {
    match (&r.group, all) {
        (Some(_), _) => String::new(),
        (None, all) => format!(" of {} in all", count(all)),
    }
}
