//! # pmhc-core
//!
//! The domain of pmhc, the data system of a police–mental health collaboration: the canonical
//! [`Encounter`] record and its code lists, the rules that merge several source rows into one
//! encounter, pseudonymous subject keys, and the field registry that mapping files address.
//!
//! Pure code: no I/O, no clock, no database. Storage, import, web and CLI crates depend on it.

#[macro_use]
mod names;
pub mod access;
pub mod capacity;
pub mod audit;
pub mod codes;
pub mod csv_safe;
pub mod definition;
pub mod disclosure;
mod digest;
pub mod encounter;
pub mod field;
pub mod field_form;
pub mod import;
pub mod limits;
pub mod linkage;
pub mod numbers;
pub mod outcomes;
pub mod person;
pub mod pseudonym;
pub mod registry;
pub mod services;
pub mod sharing;
pub mod stats;
pub mod totp;
pub mod training;
pub mod visit;
pub mod workgroup;

pub use codes::{
    AgeBand, CallSource, CodeList, DatePrecision, Disposition, Gender, HousingStatus, RaceEthnicity, ReferralResult,
    ResponseModel, ServiceType, UnknownCode, UseOfForce,
};
pub use encounter::{Area, Encounter, InvalidEncounter, MergeRules, Officer, Referral};
pub use field::{Field, FieldError, FieldKind, Value, canonical_code, codes_of};
pub use pseudonym::PseudonymKey;
