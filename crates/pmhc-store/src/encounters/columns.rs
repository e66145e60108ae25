//! The stored columns of an encounter: their names and order, an encounter's values in that order
//! (for both dialects' writes), the JSON of its lists, and an encounter read back from a row.

use std::sync::OnceLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use pmhc_core::{CodeList, Encounter};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::StoreError;

/// The stored columns of an encounter, in the order rows are bound and decoded. `content_hash`
/// comes last and is written but not read back into the record.
pub(super) const COLUMNS: [&str; 49] = [
    "source_system",
    "source_key",
    "source_updated_at",
    "agency",
    "call_number",
    "occurred_on",
    "occurred_time",
    "date_precision",
    "reported_at",
    "dispatched_at",
    "arrived_at",
    "cleared_at",
    "precinct",
    "sector",
    "beat",
    "latitude",
    "longitude",
    "call_source",
    "priority",
    "initial_call_type",
    "final_call_type",
    "mh_recognised_at_dispatch",
    "mental_health_flag",
    "response_model",
    "cit_requested",
    "cit_dispatched",
    "cit_arrived",
    "clinician_on_scene",
    "officers",
    "time_on_scene_minutes",
    "disposition",
    "arrested",
    "cited",
    "involuntary_hold",
    "referrals",
    "use_of_force",
    "force_types",
    "subject_injured",
    "officer_injured",
    "weapon_involved",
    "behaviours",
    "veteran",
    "housing_status",
    "substance_use",
    "subject_key",
    "age_band",
    "gender",
    "race_ethnicity",
    "content_hash",
];
/// Bound parameters per row.
pub(super) const PER_ROW: usize = COLUMNS.len();
/// Columns read back into an `Encounter` (all but `content_hash`).
const READ_COLUMNS: usize = COLUMNS.len() - 1;

pub(super) fn select_list() -> &'static str {
    static S: OnceLock<String> = OnceLock::new();
    S.get_or_init(|| COLUMNS[..READ_COLUMNS].join(", "))
}

/// One stored value of an encounter (see [`cells`]).
#[derive(Clone, Copy)]
pub(super) enum Cell<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Date(NaiveDate),
    OptTime(Option<NaiveTime>),
    OptDateTime(Option<NaiveDateTime>),
    OptDouble(Option<f64>),
    OptBool(Option<bool>),
    OptInt(Option<i64>),
}

/// An encounter's stored values in [`COLUMNS`] order: the one place that says which field is
/// stored in which column, for both databases. Exhaustive: a field added to `Encounter` stops the
/// build here, and the compiler checks the array against `COLUMNS`' length. (Reading back is
/// [`decode_row`], a struct literal in the same order.)
pub(super) fn cells<'a>(e: &'a Encounter, lists: &'a ListBuffers, hash: &'a str) -> [Cell<'a>; PER_ROW] {
    use Cell::*;
    let Encounter {
        source_system,
        source_key,
        source_updated_at,
        agency,
        call_number,
        occurred_on,
        occurred_time,
        date_precision,
        reported_at,
        dispatched_at,
        arrived_at,
        cleared_at,
        area,
        call_source,
        priority,
        initial_call_type,
        final_call_type,
        mh_recognised_at_dispatch,
        mental_health_flag,
        response_model,
        cit_requested,
        cit_dispatched,
        cit_arrived,
        clinician_on_scene,
        officers: _,
        time_on_scene_minutes,
        disposition,
        arrested,
        cited,
        involuntary_hold,
        referrals: _,
        use_of_force,
        force_types: _,
        subject_injured,
        officer_injured,
        weapon_involved,
        behaviours: _,
        veteran,
        housing_status,
        substance_use,
        subject_key,
        age_band,
        gender,
        race_ethnicity,
    } = e;
    let pmhc_core::Area { precinct, sector, beat, latitude, longitude } = area;
    [
        Text(source_system),
        Text(source_key),
        OptDateTime(*source_updated_at),
        OptText(agency.as_deref()),
        OptText(call_number.as_deref()),
        Date(*occurred_on),
        OptTime(*occurred_time),
        Text(date_precision.as_str()),
        OptDateTime(*reported_at),
        OptDateTime(*dispatched_at),
        OptDateTime(*arrived_at),
        OptDateTime(*cleared_at),
        OptText(precinct.as_deref()),
        OptText(sector.as_deref()),
        OptText(beat.as_deref()),
        OptDouble(*latitude),
        OptDouble(*longitude),
        Text(call_source.as_str()),
        OptText(priority.as_deref()),
        OptText(initial_call_type.as_deref()),
        OptText(final_call_type.as_deref()),
        OptBool(*mh_recognised_at_dispatch),
        OptBool(*mental_health_flag),
        Text(response_model.as_str()),
        OptBool(*cit_requested),
        OptBool(*cit_dispatched),
        OptBool(*cit_arrived),
        OptBool(*clinician_on_scene),
        Text(json_text(&lists.officers)),
        OptInt(time_on_scene_minutes.map(i64::from)),
        Text(disposition.as_str()),
        OptBool(*arrested),
        OptBool(*cited),
        OptBool(*involuntary_hold),
        Text(json_text(&lists.referrals)),
        Text(use_of_force.as_str()),
        Text(json_text(&lists.force_types)),
        OptBool(*subject_injured),
        OptBool(*officer_injured),
        OptBool(*weapon_involved),
        Text(json_text(&lists.behaviours)),
        OptBool(*veteran),
        Text(housing_status.as_str()),
        OptBool(*substance_use),
        OptText(subject_key.as_deref()),
        Text(age_band.as_str()),
        Text(gender.as_str()),
        Text(race_ethnicity.as_str()),
        Text(hash),
    ]
}

/// Read an encounter from a row whose first `READ_COLUMNS` columns are `COLUMNS` in order.
pub(super) fn decode_row<R>(row: &R, backend: &'static str) -> Result<Encounter, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> NaiveDate: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> NaiveTime: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> NaiveDateTime: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let op = "read an encounter";
    let mut i = 0usize;
    macro_rules! get {
        ($t:ty) => {{
            let v: $t = row.try_get(i).map_err(StoreError::db(backend, op))?;
            i += 1;
            v
        }};
    }
    let source_system: String = get!(String);
    let source_key: String = get!(String);
    let corrupt = |col: &str, detail: String| StoreError::Corrupt {
        what: format!("encounters.{col} of {source_system}/{source_key}"),
        detail,
    };
    macro_rules! code {
        ($col:literal) => {{
            let s: String = get!(String);
            s.parse().map_err(|e: pmhc_core::UnknownCode| corrupt($col, e.to_string()))?
        }};
    }
    macro_rules! list {
        ($col:literal) => {{
            let s: String = get!(String);
            serde_json::from_str(&s).map_err(|e| corrupt($col, e.to_string()))?
        }};
    }
    let source_updated_at = get!(Option<NaiveDateTime>);
    let agency = get!(Option<String>);
    let call_number = get!(Option<String>);
    let occurred_on = get!(NaiveDate);
    let occurred_time = get!(Option<NaiveTime>);
    let date_precision = code!("date_precision");
    let reported_at = get!(Option<NaiveDateTime>);
    let dispatched_at = get!(Option<NaiveDateTime>);
    let arrived_at = get!(Option<NaiveDateTime>);
    let cleared_at = get!(Option<NaiveDateTime>);
    let area = pmhc_core::Area {
        precinct: get!(Option<String>),
        sector: get!(Option<String>),
        beat: get!(Option<String>),
        latitude: get!(Option<f64>),
        longitude: get!(Option<f64>),
    };
    let call_source = code!("call_source");
    let priority = get!(Option<String>);
    let initial_call_type = get!(Option<String>);
    let final_call_type = get!(Option<String>);
    let mh_recognised_at_dispatch = get!(Option<bool>);
    let mental_health_flag = get!(Option<bool>);
    let response_model = code!("response_model");
    let cit_requested = get!(Option<bool>);
    let cit_dispatched = get!(Option<bool>);
    let cit_arrived = get!(Option<bool>);
    let clinician_on_scene = get!(Option<bool>);
    let officers = list!("officers");
    let time_on_scene_minutes = match get!(Option<i64>) {
        None => None,
        Some(m) => Some(u32::try_from(m).map_err(|_| corrupt("time_on_scene_minutes", format!("{m} is out of range")))?),
    };
    let disposition = code!("disposition");
    let arrested = get!(Option<bool>);
    let cited = get!(Option<bool>);
    let involuntary_hold = get!(Option<bool>);
    let referrals = list!("referrals");
    let use_of_force = code!("use_of_force");
    let force_types = list!("force_types");
    let subject_injured = get!(Option<bool>);
    let officer_injured = get!(Option<bool>);
    let weapon_involved = get!(Option<bool>);
    let behaviours = list!("behaviours");
    let veteran = get!(Option<bool>);
    let housing_status = code!("housing_status");
    let substance_use = get!(Option<bool>);
    let subject_key = get!(Option<String>);
    let age_band = code!("age_band");
    let gender = code!("gender");
    let race_ethnicity = code!("race_ethnicity");
    debug_assert_eq!(i, READ_COLUMNS);
    Ok(Encounter {
        source_system,
        source_key,
        source_updated_at,
        agency,
        call_number,
        occurred_on,
        occurred_time,
        date_precision,
        reported_at,
        dispatched_at,
        arrived_at,
        cleared_at,
        area,
        call_source,
        priority,
        initial_call_type,
        final_call_type,
        mh_recognised_at_dispatch,
        mental_health_flag,
        response_model,
        cit_requested,
        cit_dispatched,
        cit_arrived,
        clinician_on_scene,
        officers,
        time_on_scene_minutes,
        disposition,
        arrested,
        cited,
        involuntary_hold,
        referrals,
        use_of_force,
        force_types,
        subject_injured,
        officer_injured,
        weapon_involved,
        behaviours,
        veteran,
        housing_status,
        substance_use,
        subject_key,
        age_band,
        gender,
        race_ethnicity,
    })
}

/// Reused buffers for the JSON text of the list columns of one SQLite row.
#[derive(Default)]
pub(super) struct ListBuffers {
    officers: Vec<u8>,
    referrals: Vec<u8>,
    force_types: Vec<u8>,
    behaviours: Vec<u8>,
}

impl ListBuffers {
    /// Encode `e`'s lists (`[]` is written without serialising).
    pub(super) fn encode(&mut self, e: &Encounter) -> Result<(), StoreError> {
        macro_rules! one {
            ($field:ident) => {{
                let buf = &mut self.$field;
                buf.clear();
                if e.$field.is_empty() {
                    buf.extend_from_slice(b"[]");
                } else {
                    serde_json::to_writer(&mut *buf, &e.$field).map_err(|err| StoreError::Encode {
                        source_system: e.source_system.clone(),
                        source_key: e.source_key.clone(),
                        field: stringify!($field),
                        detail: err.to_string(),
                    })?;
                }
            }};
        }
        one!(officers);
        one!(referrals);
        one!(force_types);
        one!(behaviours);
        Ok(())
    }
}

/// JSON written by serde_json, as text.
fn json_text(buf: &[u8]) -> &str {
    // serde_json only writes UTF-8.
    std::str::from_utf8(buf).unwrap_or("[]")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored columns are the registry's fields in its order (the area spread over its five
    /// columns), then the content hash.
    #[test]
    fn the_columns_are_the_registry_fields() {
        let mut expected: Vec<&str> = Vec::new();
        for (field, _) in pmhc_core::registry::ENCOUNTER_FIELDS {
            if *field == "area" {
                expected.extend(["precinct", "sector", "beat", "latitude", "longitude"]);
            } else {
                expected.push(field);
            }
        }
        expected.push("content_hash");
        assert_eq!(COLUMNS.to_vec(), expected);
    }
}
