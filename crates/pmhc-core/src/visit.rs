//! A walk over an encounter's values, column by column in the registry's order, for everything
//! that handles every field by the kind of its value: the content digest, the canonical CSV, the
//! store's columns (written, and read back).
//!
//! The walk is generated from the one list of fields ([`crate::registry`]), each field's value
//! told by its type, so a field added to [`Encounter`] is digested, exported and stored as soon
//! as it has its line there (and a type of value this module knows). The area is spread over its
//! five columns (`precinct`, `sector`, `beat`, `latitude`, `longitude`); every other field is
//! one column named as the field.

use std::sync::OnceLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::codes::{CodeList, UnknownCode};
use crate::encounter::{Area, Encounter, Officer, Referral};

/// One column's value, as [`Encounter::visit`] hands it out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Date(NaiveDate),
    OptTime(Option<NaiveTime>),
    OptDateTime(Option<NaiveDateTime>),
    OptF64(Option<f64>),
    OptBool(Option<bool>),
    OptU32(Option<u32>),
    /// A code of a code list, as its canonical text.
    Code(&'static str),
    Officers(&'a [Officer]),
    Referrals(&'a [Referral]),
    Texts(&'a [String]),
}

/// One column's value to set, as [`Encounter::visit_mut`] hands it out (to read a record back).
#[derive(Debug)]
pub enum ValueMut<'a> {
    Text(&'a mut String),
    OptText(&'a mut Option<String>),
    Date(&'a mut NaiveDate),
    OptTime(&'a mut Option<NaiveTime>),
    OptDateTime(&'a mut Option<NaiveDateTime>),
    OptF64(&'a mut Option<f64>),
    OptBool(&'a mut Option<bool>),
    OptU32(&'a mut Option<u32>),
    /// A code of a code list, set from its text.
    Code(&'a mut dyn SetCode),
    Officers(&'a mut Vec<Officer>),
    Referrals(&'a mut Vec<Referral>),
    Texts(&'a mut Vec<String>),
}

/// A code field set from its text (any code list).
pub trait SetCode: std::fmt::Debug {
    fn set_code(&mut self, text: &str) -> Result<(), UnknownCode>;
}

impl<C: CodeList + std::fmt::Debug> SetCode for C {
    fn set_code(&mut self, text: &str) -> Result<(), UnknownCode> {
        *self = C::parse_code(text)?;
        Ok(())
    }
}

/// The value of one field of [`Encounter`]: its columns and how each is handed out.
pub(crate) trait Walk {
    /// How many columns the field takes.
    const COLUMNS: usize = 1;
    fn walk<'a>(&'a self, field: &'static str, f: &mut impl FnMut(&'static str, ValueRef<'a>));
    fn walk_mut<E>(&mut self, field: &'static str, f: &mut impl FnMut(&'static str, ValueMut<'_>) -> Result<(), E>) -> Result<(), E>;
    /// [`Walk::walk`] for a list, nothing for any other value.
    #[inline]
    fn walk_lists<'a>(&'a self, _field: &'static str, _f: &mut impl FnMut(&'static str, ValueRef<'a>)) {}
}

macro_rules! walk_as {
    ($t:ty, $variant:ident, |$v:ident| $read:expr $(, $list:ident)?) => {
        impl Walk for $t {
            fn walk<'a>(&'a self, field: &'static str, f: &mut impl FnMut(&'static str, ValueRef<'a>)) {
                let $v = self;
                f(field, ValueRef::$variant($read))
            }
            fn walk_mut<E>(&mut self, field: &'static str, f: &mut impl FnMut(&'static str, ValueMut<'_>) -> Result<(), E>) -> Result<(), E> {
                f(field, ValueMut::$variant(self))
            }
            $(
                #[inline]
                fn $list<'a>(&'a self, field: &'static str, f: &mut impl FnMut(&'static str, ValueRef<'a>)) {
                    self.walk(field, f)
                }
            )?
        }
    };
}

walk_as!(String, Text, |v| v);
walk_as!(Option<String>, OptText, |v| v.as_deref());
walk_as!(NaiveDate, Date, |v| *v);
walk_as!(Option<NaiveTime>, OptTime, |v| *v);
walk_as!(Option<NaiveDateTime>, OptDateTime, |v| *v);
walk_as!(Option<f64>, OptF64, |v| *v);
walk_as!(Option<bool>, OptBool, |v| *v);
walk_as!(Option<u32>, OptU32, |v| *v);
walk_as!(Vec<Officer>, Officers, |v| v, walk_lists);
walk_as!(Vec<Referral>, Referrals, |v| v, walk_lists);
walk_as!(Vec<String>, Texts, |v| v, walk_lists);

impl<C: CodeList + std::fmt::Debug> Walk for C {
    fn walk<'a>(&'a self, field: &'static str, f: &mut impl FnMut(&'static str, ValueRef<'a>)) {
        f(field, ValueRef::Code(self.as_str()))
    }
    fn walk_mut<E>(&mut self, field: &'static str, f: &mut impl FnMut(&'static str, ValueMut<'_>) -> Result<(), E>) -> Result<(), E> {
        f(field, ValueMut::Code(self))
    }
}

impl Walk for Area {
    const COLUMNS: usize = 5;
    fn walk<'a>(&'a self, _field: &'static str, f: &mut impl FnMut(&'static str, ValueRef<'a>)) {
        let Area { precinct, sector, beat, latitude, longitude } = self;
        precinct.walk("precinct", f);
        sector.walk("sector", f);
        beat.walk("beat", f);
        latitude.walk("latitude", f);
        longitude.walk("longitude", f);
    }
    fn walk_mut<E>(&mut self, _field: &'static str, f: &mut impl FnMut(&'static str, ValueMut<'_>) -> Result<(), E>) -> Result<(), E> {
        let Area { precinct, sector, beat, latitude, longitude } = self;
        precinct.walk_mut("precinct", f)?;
        sector.walk_mut("sector", f)?;
        beat.walk_mut("beat", f)?;
        latitude.walk_mut("latitude", f)?;
        longitude.walk_mut("longitude", f)
    }
}

/// How many columns a field takes, told by its type (for [`Encounter::COLUMNS`]).
pub(crate) const fn columns_of<T: Walk>(_field: fn(Encounter) -> T) -> usize {
    T::COLUMNS
}

/// The columns' names, in the walk's order.
pub fn column_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = Vec::with_capacity(Encounter::COLUMNS);
        Encounter::new("", "", NaiveDate::MIN).visit(|column, _| names.push(column));
        names
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns are the registry's fields in its order, the area spread over its five.
    #[test]
    fn the_columns_are_the_registry_fields() {
        let mut expected: Vec<&str> = Vec::new();
        for (field, _) in crate::registry::ENCOUNTER_FIELDS {
            match *field {
                "area" => expected.extend(["precinct", "sector", "beat", "latitude", "longitude"]),
                f => expected.push(f),
            }
        }
        assert_eq!(column_names(), expected);
        assert_eq!(Encounter::COLUMNS, expected.len());
        // The list-valued columns, in the same order.
        let e = Encounter::new("s", "k", NaiveDate::MIN);
        let (mut lists, mut of_visit) = (Vec::new(), Vec::new());
        e.visit_lists(|c, _| lists.push(c));
        e.visit(|c, v| {
            if matches!(v, ValueRef::Officers(_) | ValueRef::Referrals(_) | ValueRef::Texts(_)) {
                of_visit.push(c);
            }
        });
        assert_eq!(lists, of_visit);
        assert_eq!(lists, ["officers", "referrals", "force_types", "behaviours"]);
    }

    /// Reading every value back through `visit_mut` from what `visit` handed out gives the record.
    #[test]
    fn a_record_read_back_column_by_column_is_the_same() {
        let e: Encounter = serde_json::from_value(serde_json::json!({
            "source_system": "s", "source_key": "k", "occurred_on": "2021-05-06", "occurred_time": "10:11:12",
            "date_precision": "minute", "area": {"precinct": "P", "latitude": 1.5}, "call_source": "911", "cit_requested": true,
            "officers": [{"id": "O", "years_experience": 3, "cit_certified": null}], "time_on_scene_minutes": 40,
            "referrals": [{"service_type": "housing", "service": "Shelter", "result": "connected"}],
            "force_types": ["Taser"], "gender": "female"
        }))
        .expect("a record");
        let mut values: Vec<String> = Vec::new();
        e.visit(|_, v| values.push(format!("{v:?}")));
        let mut back = Encounter::new("", "", NaiveDate::MIN);
        let mut i = 0;
        let copied: Result<(), UnknownCode> = back.visit_mut(|column, slot| {
            let mut one = None;
            e.visit(|c, v| {
                if c == column {
                    one = Some(v);
                }
            });
            match (slot, one) {
                (ValueMut::Text(s), Some(ValueRef::Text(v))) => *s = v.to_string(),
                (ValueMut::OptText(s), Some(ValueRef::OptText(v))) => *s = v.map(str::to_string),
                (ValueMut::Date(s), Some(ValueRef::Date(v))) => *s = v,
                (ValueMut::OptTime(s), Some(ValueRef::OptTime(v))) => *s = v,
                (ValueMut::OptDateTime(s), Some(ValueRef::OptDateTime(v))) => *s = v,
                (ValueMut::OptF64(s), Some(ValueRef::OptF64(v))) => *s = v,
                (ValueMut::OptBool(s), Some(ValueRef::OptBool(v))) => *s = v,
                (ValueMut::OptU32(s), Some(ValueRef::OptU32(v))) => *s = v,
                (ValueMut::Code(s), Some(ValueRef::Code(v))) => s.set_code(v)?,
                (ValueMut::Officers(s), Some(ValueRef::Officers(v))) => *s = v.to_vec(),
                (ValueMut::Referrals(s), Some(ValueRef::Referrals(v))) => *s = v.to_vec(),
                (ValueMut::Texts(s), Some(ValueRef::Texts(v))) => *s = v.to_vec(),
                (slot, v) => panic!("{column}: {slot:?} and {v:?} are not of one kind"),
            }
            i += 1;
            Ok(())
        });
        assert_eq!(copied, Ok(()));
        assert_eq!((i, values.len()), (Encounter::COLUMNS, Encounter::COLUMNS));
        assert_eq!(back, e);
    }
}
