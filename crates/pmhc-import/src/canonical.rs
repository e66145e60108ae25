//! pmhc's own CSV form of encounters: one column per canonical field, lossless, so that an export
//! re-imports (with the shipped `pmhc` mapping) into the very same records.

use std::io::Write;

use chrono::NaiveDateTime;
use pmhc_core::{CodeList, DatePrecision, Encounter};

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "source_system", "source_key", "source_updated_at", "agency", "call_number", "occurred", "reported_at",
    "dispatched_at", "arrived_at", "cleared_at", "precinct", "sector", "beat", "latitude", "longitude", "call_source",
    "priority", "initial_call_type", "final_call_type", "mh_recognised_at_dispatch", "mental_health_flag",
    "response_model", "cit_requested", "cit_dispatched", "cit_arrived", "clinician_on_scene", "officers",
    "time_on_scene_minutes", "disposition", "arrested", "cited", "involuntary_hold", "referrals", "use_of_force",
    "force_types", "subject_injured", "officer_injured", "weapon_involved", "behaviours", "veteran", "housing_status",
    "substance_use", "subject_key", "age_band", "gender", "race_ethnicity",
];

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

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn list<T: serde::Serialize>(v: &[T]) -> String {
    if v.is_empty() { String::new() } else { serde_json::to_string(v).unwrap_or_default() }
}

impl<W: Write> CanonicalWriter<W> {
    pub fn new(out: W) -> Result<Self, csv::Error> {
        let mut inner = csv::WriterBuilder::new().buffer_capacity(1 << 20).from_writer(out);
        inner.write_record(COLUMNS)?;
        Ok(CanonicalWriter { inner, row: Vec::with_capacity(COLUMNS.len()) })
    }

    pub fn write(&mut self, e: &Encounter) -> Result<(), csv::Error> {
        let occurred = match e.date_precision {
            DatePrecision::Minute => e.occurred_at().map(|t| t.format(DT).to_string()).unwrap_or_default(),
            DatePrecision::Day => e.occurred_on.format("%Y-%m-%d").to_string(),
            DatePrecision::Month => e.occurred_on.format("%Y-%m").to_string(),
            DatePrecision::Year => e.occurred_on.format("%Y").to_string(),
        };
        let r = &mut self.row;
        r.clear();
        r.push(e.source_system.clone());
        r.push(e.source_key.clone());
        r.push(dt(e.source_updated_at));
        r.push(s(&e.agency));
        r.push(s(&e.call_number));
        r.push(occurred);
        r.push(dt(e.reported_at));
        r.push(dt(e.dispatched_at));
        r.push(dt(e.arrived_at));
        r.push(dt(e.cleared_at));
        r.push(s(&e.area.precinct));
        r.push(s(&e.area.sector));
        r.push(s(&e.area.beat));
        r.push(e.area.latitude.map(|v| v.to_string()).unwrap_or_default());
        r.push(e.area.longitude.map(|v| v.to_string()).unwrap_or_default());
        r.push(e.call_source.as_str().into());
        r.push(s(&e.priority));
        r.push(s(&e.initial_call_type));
        r.push(s(&e.final_call_type));
        r.push(b(e.mh_recognised_at_dispatch));
        r.push(b(e.mental_health_flag));
        r.push(e.response_model.as_str().into());
        r.push(b(e.cit_requested));
        r.push(b(e.cit_dispatched));
        r.push(b(e.cit_arrived));
        r.push(b(e.clinician_on_scene));
        r.push(list(&e.officers));
        r.push(e.time_on_scene_minutes.map(|v| v.to_string()).unwrap_or_default());
        r.push(e.disposition.as_str().into());
        r.push(b(e.arrested));
        r.push(b(e.cited));
        r.push(b(e.involuntary_hold));
        r.push(list(&e.referrals));
        r.push(e.use_of_force.as_str().into());
        r.push(list(&e.force_types));
        r.push(b(e.subject_injured));
        r.push(b(e.officer_injured));
        r.push(b(e.weapon_involved));
        r.push(list(&e.behaviours));
        r.push(b(e.veteran));
        r.push(e.housing_status.as_str().into());
        r.push(b(e.substance_use));
        r.push(s(&e.subject_key));
        r.push(e.age_band.as_str().into());
        r.push(e.gender.as_str().into());
        r.push(e.race_ethnicity.as_str().into());
        debug_assert_eq!(r.len(), COLUMNS.len());
        self.inner.write_record(&*r)
    }

    pub fn finish(mut self) -> Result<W, csv::Error> {
        self.inner.flush()?;
        self.inner.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}
