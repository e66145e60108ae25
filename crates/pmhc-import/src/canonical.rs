//! pmhc's own CSV form of encounters: one column per canonical field, lossless, so that an export
//! re-imports (with the shipped `pmhc` mapping) into the very same records.
//!
//! Cells are written spreadsheet-safe ([`crate::csv_safe`]): a text a spreadsheet would read as a
//! formula gets a leading `'`, which the `pmhc` mapping (`restore_formula_prefix`) takes off.

use std::io::Write;

use std::sync::OnceLock;

use chrono::NaiveDateTime;
use pmhc_core::visit::ValueRef;
use pmhc_core::{DatePrecision, Encounter};

use crate::csv_safe::write_safe_record;

/// The columns, in order: the stored columns of an encounter ([`pmhc_core::visit`]), but the
/// date, time and precision of the occurrence as one `occurred` column (`2021-05-06T10:11:00`,
/// `2021-05-06`, `2021-05` or `2021`, as precise as the record is).
pub fn columns() -> &'static [&'static str] {
    static COLUMNS: OnceLock<Vec<&'static str>> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        pmhc_core::visit::column_names()
            .iter()
            .filter_map(|c| match *c {
                "occurred_on" => Some("occurred"),
                "occurred_time" | "date_precision" => None,
                c => Some(c),
            })
            .collect()
    })
}

const DT: &str = "%Y-%m-%dT%H:%M:%S";

/// Writes encounters as canonical CSV.
pub struct CanonicalWriter<W: Write> {
    inner: csv::Writer<W>,
    row: Vec<String>,
}

fn dt(v: Option<NaiveDateTime>) -> String {
    v.map(|t| t.format(DT).to_string()).unwrap_or_default()
}

fn b(v: Option<bool>) -> String {
    match v {
        Some(true) => "true".into(),
        Some(false) => "false".into(),
        None => String::new(),
    }
}

fn list<T: serde::Serialize>(v: &[T]) -> String {
    if v.is_empty() { String::new() } else { serde_json::to_string(v).unwrap_or_default() }
}

impl<W: Write> CanonicalWriter<W> {
    pub fn new(out: W) -> Result<Self, csv::Error> {
        Self::with_extra_columns(out, &[])
    }

    /// A writer whose rows end with more columns (given to [`CanonicalWriter::write_with`]);
    /// the `pmhc` mapping ignores them on re-import.
    pub fn with_extra_columns(out: W, extra: &[&str]) -> Result<Self, csv::Error> {
        let mut inner = csv::WriterBuilder::new().buffer_capacity(1 << 20).from_writer(out);
        write_safe_record(&mut inner, columns().iter().chain(extra))?;
        Ok(CanonicalWriter { inner, row: Vec::with_capacity(columns().len() + extra.len()) })
    }

    pub fn write(&mut self, e: &Encounter) -> Result<(), csv::Error> {
        self.write_with(e, &[])
    }

    /// A row with the values of the extra columns after the canonical ones.
    pub fn write_with(&mut self, e: &Encounter, extra: &[&str]) -> Result<(), csv::Error> {
        let mut occurred = match e.date_precision {
            DatePrecision::Minute => e.occurred_at().map(|t| t.format(DT).to_string()).unwrap_or_default(),
            DatePrecision::Day => e.occurred_on.format("%Y-%m-%d").to_string(),
            DatePrecision::Month => e.occurred_on.format("%Y-%m").to_string(),
            DatePrecision::Year => e.occurred_on.format("%Y").to_string(),
        };
        let r = &mut self.row;
        r.clear();
        e.visit(|column, v| match (column, v) {
            ("occurred_on", _) => r.push(std::mem::take(&mut occurred)),
            ("occurred_time" | "date_precision", _) => {} // the `occurred` column
            (_, ValueRef::Text(v) | ValueRef::Code(v)) => r.push(v.to_string()),
            (_, ValueRef::OptText(v)) => r.push(v.unwrap_or_default().to_string()),
            (_, ValueRef::Date(v)) => r.push(v.format("%Y-%m-%d").to_string()),
            (_, ValueRef::OptTime(v)) => r.push(v.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default()),
            (_, ValueRef::OptDateTime(v)) => r.push(dt(v)),
            (_, ValueRef::OptF64(v)) => r.push(v.map(|v| v.to_string()).unwrap_or_default()),
            (_, ValueRef::OptBool(v)) => r.push(b(v)),
            (_, ValueRef::OptU32(v)) => r.push(v.map(|v| v.to_string()).unwrap_or_default()),
            (_, ValueRef::Officers(v)) => r.push(list(v)),
            (_, ValueRef::Referrals(v)) => r.push(list(v)),
            (_, ValueRef::Texts(v)) => r.push(list(v)),
        });
        debug_assert_eq!(r.len(), columns().len());
        r.extend(extra.iter().map(|v| v.to_string()));
        write_safe_record(&mut self.inner, &self.row)
    }

    pub fn finish(mut self) -> Result<W, csv::Error> {
        self.inner.flush()?;
        self.inner.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns are the stored ones, but the date, time and precision of the occurrence as
    /// one `occurred` column where the date is; a row has a value for each.
    #[test]
    fn the_columns_are_the_stored_ones_with_one_occurred() {
        let stored = pmhc_core::visit::column_names();
        let c = columns();
        assert_eq!(c.len(), stored.len() - 2);
        let at = stored.iter().position(|n| *n == "occurred_on").unwrap();
        assert_eq!((c[at], &c[..at], &c[at + 1..]), ("occurred", &stored[..at], &stored[at + 3..]));
        assert_eq!(&stored[at + 1..at + 3], ["occurred_time", "date_precision"]);
        let mut w = CanonicalWriter::new(Vec::new()).unwrap();
        w.write(&Encounter::new("s", "k", chrono::NaiveDate::from_ymd_opt(2021, 1, 2).unwrap())).unwrap();
        assert_eq!(w.row.len(), columns().len(), "a row has a value per column");
    }
    use chrono::{NaiveDate, NaiveTime};
    use pmhc_core::*;
    use proptest::prelude::*;

    fn code<C: CodeList + std::fmt::Debug>() -> impl Strategy<Value = C> {
        proptest::sample::select(C::ALL.to_vec())
    }

    fn text() -> impl Strategy<Value = Option<String>> {
        // Printable text, including quotes, commas, non-ASCII and what spreadsheets read as
        // formulas (`=`, `+`, `-`, `@`); trimmed as imports trim.
        proptest::option::of("[a-zA-Z0-9 ,\"'é\u{4e2d}|/=+@.-]{1,12}".prop_map(|s| s.trim().to_string()).prop_filter("non-empty", |s| !s.is_empty()))
    }

    fn yn() -> impl Strategy<Value = Option<bool>> {
        proptest::option::of(any::<bool>())
    }

    fn when() -> impl Strategy<Value = Option<NaiveDateTime>> {
        proptest::option::of((0i64..5_000_000).prop_map(|m| {
            NaiveDate::from_ymd_opt(2015, 1, 1).unwrap().and_time(NaiveTime::MIN) + chrono::Duration::minutes(m)
        }))
    }

    prop_compose! {
        fn encounter()(
            key in "[A-Z0-9-]{1,10}",
            day in 0i64..3000,
            time in proptest::option::of(0u32..86_399),
            precision in code::<DatePrecision>(),
            agency in text(), beat in text(), call in text(),
            lat in proptest::option::of(-90.0f64..90.0),
            source in code::<CallSource>(), model in code::<ResponseModel>(),
            disp in code::<Disposition>(), force in code::<UseOfForce>(),
            flags in proptest::collection::vec(yn(), 12),
            updated in when(),
            officers in proptest::collection::vec(("[0-9]{1,5}", proptest::option::of(0u16..40), yn()), 0..3),
            referrals in proptest::collection::vec((code::<ServiceType>(), text(), code::<ReferralResult>()), 0..2),
            force_types in proptest::collection::vec("[A-Za-z ,|\"]{1,10}", 0..3),
            minutes in proptest::option::of(0u32..600),
            subject in text(),
            demo in (code::<AgeBand>(), code::<Gender>(), code::<RaceEthnicity>(), code::<HousingStatus>()),
        ) -> Encounter {
            let date = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + chrono::Duration::days(day);
            let mut e = Encounter::new("src-a", key, date);
            e.date_precision = precision;
            if precision == DatePrecision::Minute {
                e.occurred_time = time.and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, 0));
            }
            e.agency = agency;
            e.area.beat = beat;
            e.area.latitude = lat;
            e.initial_call_type = call;
            e.call_source = source;
            e.response_model = model;
            e.disposition = disp;
            e.use_of_force = force;
            e.source_updated_at = updated;
            e.mh_recognised_at_dispatch = flags[0];
            e.mental_health_flag = flags[1];
            e.cit_requested = flags[2];
            e.cit_dispatched = flags[3];
            e.cit_arrived = flags[4];
            e.clinician_on_scene = flags[5];
            e.arrested = flags[6];
            e.cited = flags[7];
            e.involuntary_hold = flags[8];
            e.subject_injured = flags[9];
            e.veteran = flags[10];
            e.substance_use = flags[11];
            e.officers = officers.into_iter().map(|(id, y, c)| Officer { id: Some(id), years_experience: y, cit_certified: c }).collect();
            e.referrals = referrals.into_iter().map(|(t, s, r)| Referral { service_type: t, service: s, result: r }).collect();
            e.force_types = force_types.into_iter().map(|s| s.trim().to_string()).collect();
            e.time_on_scene_minutes = minutes;
            e.subject_key = subject;
            (e.age_band, e.gender, e.race_ethnicity, e.housing_status) = demo;
            e.normalize();
            e
        }
    }

    fn roundtrip(records: &[Encounter]) -> Vec<Encounter> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut w = CanonicalWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
        for e in records {
            w.write(e).unwrap();
        }
        w.finish().unwrap();
        let spec = crate::shipped::shipped("pmhc").unwrap().unwrap();
        let mut out: Vec<Encounter> = Vec::new();
        let s = crate::run(&path, &spec, crate::EngineOptions::default(), &mut out).unwrap();
        assert_eq!(s.counts.rejected, 0, "{:?}", s.first_rejects);
        assert!(s.unknown_codes.is_empty());
        out
    }

    /// Texts a spreadsheet would read as formulas are written with a leading `'` and re-import
    /// as they were; numbers (a negative longitude, a number-like text) are written unchanged.
    #[test]
    fn formulas_are_written_as_text_and_re_import_as_they_were() {
        let mut e = Encounter::new("src-a", "-K1", NaiveDate::from_ymd_opt(2024, 5, 1).unwrap());
        e.agency = Some("=HYPERLINK(\"http://x\",\"y\")".into());
        e.call_number = Some("+1".into());
        e.area.precinct = Some("+North".into());
        e.area.sector = Some("@S".into());
        e.area.beat = Some("'=A1".into());
        e.area.latitude = Some(47.6);
        e.area.longitude = Some(-122.33);
        e.priority = Some("-1.6".into());
        e.initial_call_type = Some("-CRISIS".into());
        e.final_call_type = Some("'quoted".into());
        e.subject_key = Some("@p1".into());
        e.force_types = vec!["=x".into()];
        e.referrals = vec![Referral { service_type: ServiceType::Other, service: Some("=svc".into()), result: ReferralResult::Unknown }];
        e.normalize();
        let mut w = CanonicalWriter::new(Vec::new()).unwrap();
        w.write(&e).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let row = r.records().next().unwrap().unwrap();
        let cell = |name: &str| row.get(columns().iter().position(|c| *c == name).unwrap()).unwrap().to_string();
        for (column, written) in [
            ("source_key", "'-K1"),
            ("agency", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("call_number", "+1"),
            ("precinct", "'+North"),
            ("sector", "'@S"),
            ("beat", "''=A1"),
            ("latitude", "47.6"),
            ("longitude", "-122.33"),
            ("priority", "-1.6"),
            ("initial_call_type", "'-CRISIS"),
            ("final_call_type", "'quoted"),
            ("subject_key", "'@p1"),
            ("force_types", "[\"=x\"]"),
        ] {
            assert_eq!(cell(column), written, "{column}");
        }
        for c in row.iter() {
            assert!(!c.starts_with(['=', '+', '@', '\t', '\r']) || c == "+1", "{c:?}");
            assert!(!c.starts_with('-') || c.parse::<f64>().is_ok(), "{c:?}");
        }
        let back = roundtrip(std::slice::from_ref(&e));
        assert_eq!(back, vec![e.clone()]);
        assert_eq!(back[0].content_hash(), e.content_hash());

        // A leading tab or carriage return gets the prefix too; imports trim every value, so
        // what comes back is the trimmed text, as it was before the prefix.
        let mut tab = e.clone();
        tab.source_key = "K2".into();
        tab.agency = Some("\t=1+1".into());
        tab.area.beat = Some("\r-x".into());
        let mut w = CanonicalWriter::new(Vec::new()).unwrap();
        w.write(&tab).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(text.contains(",'\t=1+1,") && text.contains("\"'\r-x\""), "{text:?}");
        let back = roundtrip(std::slice::from_ref(&tab));
        assert_eq!((back[0].agency.as_deref(), back[0].area.beat.as_deref()), (Some("=1+1"), Some("-x")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn canonical_csv_is_lossless(records in proptest::collection::vec(encounter(), 1..8)) {
            let mut unique = records.clone();
            unique.sort_by(|a, b| a.source_key.cmp(&b.source_key));
            unique.dedup_by(|a, b| a.source_key == b.source_key);
            prop_assume!(unique.iter().all(|e| e.validate().is_ok()));
            let back = roundtrip(&unique);
            prop_assert_eq!(back, unique);
        }

        #[test]
        fn normalize_is_idempotent(e in encounter()) {
            let mut again = e.clone();
            again.normalize();
            prop_assert_eq!(again, e);
        }
    }
}
