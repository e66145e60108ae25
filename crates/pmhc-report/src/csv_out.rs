//! The report as one long CSV table: a row per (section, period, group or month, measure), easy
//! to load into a spreadsheet or a statistics package.

use pmhc_core::outcomes::{MeasureMap, MeasureValue, OutcomeReport};

/// The CSV columns.
pub const CSV_COLUMNS: [&str; 14] = [
    "section",
    "period",
    "from",
    "to",
    "breakdown",
    "group",
    "measure",
    "numerator",
    "denominator",
    "value",
    "ci95_lower",
    "ci95_upper",
    "suppressed",
    "note",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A value at full precision ([`pmhc_core::numbers::exact`]: no exponent, no negative zero).
fn val(v: Option<f64>) -> String {
    v.map(pmhc_core::numbers::exact).unwrap_or_default()
}

fn value_fields(v: &MeasureValue) -> [String; 7] {
    let sup = if v.is_suppressed() { "true" } else { "false" }.to_string();
    match v {
        MeasureValue::Count { count, per_day, .. } => {
            [opt(*count), String::new(), val(*per_day), String::new(), String::new(), sup, "per day".into()]
        }
        MeasureValue::Proportion { numerator, denominator, rate, ci95, .. } => [
            opt(*numerator),
            opt(*denominator),
            val(*rate),
            val(ci95.map(|c| c.lower)),
            val(ci95.map(|c| c.upper)),
            sup,
            String::new(),
        ],
        MeasureValue::Median { n, median, ci95, .. } => [
            String::new(),
            opt(*n),
            val(*median),
            val(ci95.map(|c| c.lower)),
            val(ci95.map(|c| c.upper)),
            sup,
            "median minutes".into(),
        ],
        MeasureValue::Mean { people, encounters, mean, .. } => {
            [opt(*encounters), opt(*people), val(*mean), String::new(), String::new(), sup, "encounters per person".into()]
        }
        MeasureValue::NotMeasurable { not_measurable } => [
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "false".into(),
            not_measurable.clone(),
        ],
    }
}

/// One row, spreadsheet-safe: a text a spreadsheet would read as a formula (a definition's
/// name, a group, a note) gets a leading `'` ([`pmhc_core::csv_safe`]); numbers stay as they are.
fn write_row<I, T>(w: &mut csv::Writer<Vec<u8>>, row: I) -> Result<(), csv::Error>
where
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    for cell in row {
        w.write_field(pmhc_core::csv_safe::neutralise(cell.as_ref()).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)
}

/// The report as CSV (header row first).
pub fn render_csv(r: &OutcomeReport) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, CSV_COLUMNS)?;
    let values = |w: &mut csv::Writer<Vec<u8>>,
                      section: &str,
                      period: &str,
                      from: String,
                      to: String,
                      breakdown: &str,
                      group: &str,
                      map: &MeasureMap<MeasureValue>|
     -> Result<(), csv::Error> {
        for (m, v) in map.iter() {
            let f = value_fields(v);
            let mut rec = vec![
                section.to_string(),
                period.to_string(),
                from.clone(),
                to.clone(),
                breakdown.to_string(),
                group.to_string(),
                m.id().to_string(),
            ];
            rec.extend(f);
            write_row(w, &rec)?;
        }
        Ok(())
    };
    // Which definitions the numbers follow, and whether the file is the public version.
    let about = format!(
        "shared definitions version {}: {}{}",
        r.definition.version,
        r.definition.name,
        if r.public { "; public: counts of 1-10 suppressed" } else { "" }
    );
    write_row(&mut w, ["definition", "", "", "", "", "", "", "", "", &r.definition.version.to_string(), "", "", "false", &about])?;
    for (name, p) in [("baseline", &r.periods.baseline), ("comparison", &r.periods.comparison)] {
        values(&mut w, "period", name, p.from.to_string(), p.to.to_string(), "", "", &p.measures)?;
    }
    for (m, c) in r.changes.iter() {
        write_row(&mut w, [
            "change",
            "comparison-baseline",
            "",
            "",
            "",
            "",
            m.id(),
            "",
            "",
            &val(c.absolute),
            &val(c.absolute_ci95.map(|i| i.lower)),
            &val(c.absolute_ci95.map(|i| i.upper)),
            "false",
            &c.sentence,
        ])?;
    }
    for bd in &r.breakdowns {
        for g in &bd.groups {
            let b = &r.periods.baseline;
            let c = &r.periods.comparison;
            values(&mut w, "breakdown", "baseline", b.from.to_string(), b.to.to_string(), bd.by.id(), &g.key, &g.baseline)?;
            values(&mut w, "breakdown", "comparison", c.from.to_string(), c.to.to_string(), bd.by.id(), &g.key, &g.comparison)?;
            for (m, d) in g.disparity.iter() {
                if let Some(d) = d {
                    write_row(&mut w, [
                        "disparity",
                        "comparison",
                        &c.from.to_string(),
                        &c.to.to_string(),
                        bd.by.id(),
                        &g.key,
                        m.id(),
                        "",
                        "",
                        &pmhc_core::numbers::exact(d.ratio),
                        &pmhc_core::numbers::exact(d.ci95.lower),
                        &pmhc_core::numbers::exact(d.ci95.upper),
                        "false",
                        if d.flagged { "interval excludes 1" } else { "" },
                    ])?;
                }
            }
        }
    }
    for p in &r.monthly {
        let role = match p.role {
            pmhc_core::outcomes::MonthRole::Baseline => "baseline",
            pmhc_core::outcomes::MonthRole::Comparison => "comparison",
            pmhc_core::outcomes::MonthRole::Other => "",
        };
        values(&mut w, "month", role, p.month.clone(), p.month.clone(), "", "", &p.measures)?;
    }
    for n in &r.notes {
        write_row(&mut w, ["note", "", "", "", "", "", "", "", "", "", "", "", "false", n.as_str()])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
