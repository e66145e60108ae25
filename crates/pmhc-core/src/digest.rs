//! A fast, stable digest of an encounter's whole content (128-bit XXH3), used to tell an
//! unchanged re-import from a change without comparing every column.
//!
//! Every column is fed through the walk of [`Encounter::visit`] (the registry's list of fields),
//! so a new field is hashed as soon as it is listed there. Each value is written with a type tag
//! and a length, so no two different records feed the same bytes; a code is fed as its text.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use xxhash_rust::xxh3::Xxh3;

use crate::codes::CodeList;
use crate::encounter::{Encounter, Officer, Referral};
use crate::visit::ValueRef;

struct Feed(Xxh3);

impl Feed {
    fn tag(&mut self, t: u8) {
        self.0.update(&[t]);
    }
    fn str(&mut self, s: &str) {
        self.0.update(&(s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.tag(0),
            Some(s) => {
                self.tag(1);
                self.str(s);
            }
        }
    }
    fn opt_bool(&mut self, b: Option<bool>) {
        self.tag(match b {
            None => 2,
            Some(false) => 3,
            Some(true) => 4,
        });
    }
    fn u64(&mut self, v: u64) {
        self.0.update(&v.to_le_bytes());
    }
    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            None => self.tag(0),
            Some(v) => {
                self.tag(1);
                self.u64(v);
            }
        }
    }
    fn opt_f64(&mut self, v: Option<f64>) {
        self.opt_u64(v.map(f64::to_bits));
    }
    fn date(&mut self, d: NaiveDate) {
        self.u64(d.num_days_from_ce() as i64 as u64);
    }
    fn time(&mut self, t: NaiveTime) {
        self.u64(u64::from(t.num_seconds_from_midnight()) << 32 | u64::from(t.nanosecond()));
    }
    fn opt_time(&mut self, t: Option<NaiveTime>) {
        match t {
            None => self.tag(0),
            Some(t) => {
                self.tag(1);
                self.time(t);
            }
        }
    }
    fn opt_dt(&mut self, t: Option<NaiveDateTime>) {
        match t {
            None => self.tag(0),
            Some(t) => {
                self.tag(1);
                self.date(t.date());
                self.time(t.time());
            }
        }
    }
    fn list(&mut self, v: &[String]) {
        self.u64(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }
}

/// The digest as 32 hex digits.
pub fn content_hash(e: &Encounter) -> String {
    let mut f = Feed(Xxh3::new());
    e.visit(|_, v| match v {
        ValueRef::Text(s) | ValueRef::Code(s) => f.str(s),
        ValueRef::OptText(s) => f.opt_str(s),
        ValueRef::Date(d) => f.date(d),
        ValueRef::OptTime(t) => f.opt_time(t),
        ValueRef::OptDateTime(t) => f.opt_dt(t),
        ValueRef::OptF64(v) => f.opt_f64(v),
        ValueRef::OptBool(b) => f.opt_bool(b),
        ValueRef::OptU32(v) => f.opt_u64(v.map(u64::from)),
        ValueRef::Officers(officers) => {
            f.u64(officers.len() as u64);
            for Officer { id, years_experience, cit_certified } in officers {
                f.opt_str(id.as_deref());
                f.opt_u64(years_experience.map(u64::from));
                f.opt_bool(*cit_certified);
            }
        }
        ValueRef::Referrals(referrals) => {
            f.u64(referrals.len() as u64);
            for Referral { service_type, service, result } in referrals {
                f.str(service_type.as_str());
                f.opt_str(service.as_deref());
                f.str(result.as_str());
            }
        }
        ValueRef::Texts(v) => f.list(v),
    });
    format!("{:032x}", f.0.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field set (two officers, two referrals, lists of two).
    fn full() -> Encounter {
        serde_json::from_str(
            r#"{
            "source_system": "cad-2", "source_key": "K-2", "source_updated_at": "2021-03-04T10:11:12", "agency": "City PD",
            "call_number": "C-1", "occurred_on": "2021-05-06", "occurred_time": "10:11:12", "date_precision": "minute",
            "reported_at": "2021-05-06T10:11:12", "dispatched_at": "2021-05-06T10:12:00", "arrived_at": "2021-05-06T10:20:30",
            "cleared_at": "2021-05-06T11:00:00",
            "area": {"precinct": "North", "sector": "N2", "beat": "N2B", "latitude": 47.61, "longitude": -122.33},
            "call_source": "988_transfer", "priority": "1", "initial_call_type": "PERSON IN CRISIS", "final_call_type": "SUICIDAL",
            "mh_recognised_at_dispatch": true, "mental_health_flag": false, "response_model": "co_responder",
            "cit_requested": true, "cit_dispatched": false, "cit_arrived": true, "clinician_on_scene": false,
            "officers": [{"id": "O-1", "years_experience": 3, "cit_certified": true}, {"id": null, "years_experience": null, "cit_certified": null}],
            "time_on_scene_minutes": 40, "disposition": "arrest", "arrested": true, "cited": false, "involuntary_hold": false,
            "referrals": [{"service_type": "housing", "service": "Shelter", "result": "connected"}, {"service_type": "detox", "service": null, "result": "unknown"}],
            "use_of_force": "level_2", "force_types": ["Taser", "Takedown - Arm"], "subject_injured": true, "officer_injured": false,
            "weapon_involved": false, "behaviours": ["agitated", ""], "veteran": true, "housing_status": "unhoused",
            "substance_use": false, "subject_key": "p-123", "age_band": "25_34", "gender": "female", "race_ethnicity": "asian"
        }"#,
        )
        .expect("a full record")
    }

    /// The digests are stored with every record: a change to how they are computed would make
    /// every record of a re-import "updated". These are the values of pmhc's first digest.
    #[test]
    fn digests_are_pinned() {
        let minimal = Encounter::new("t", "1", NaiveDate::from_ymd_opt(2021, 1, 1).expect("a day"));
        assert_eq!(content_hash(&minimal), "608091365fbb32d4ea387b41fa141134");
        assert_eq!(content_hash(&full()), "582368759f722b89abb3f32af0a76b9f");
    }
}
