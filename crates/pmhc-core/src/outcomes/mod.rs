//! The outcome engine: the four key outcomes of a police–mental health collaboration and the
//! context measures around them, for a baseline and a comparison period, with intervals for the
//! change, breakdowns with disparity ratios, monthly series and disclosure control.
//!
//! Data flow: the store turns encounters into [`OutcomeData`]; [`OutcomeIndex::build`] classifies
//! them under a [`SharedDefinition`](crate::definition::SharedDefinition) and pre-aggregates them;
//! [`OutcomeIndex::report`] answers any two periods from the index; [`make_public`] applies
//! disclosure control.

mod data;
mod index;
mod measure;
mod people;
mod public;
mod report;

pub use data::{OutcomeData, OutcomeRecord, Sym, Symbols, call_type_key, cit_presence, referral_bits};
pub use index::{Dimension, Group, OutcomeFilter, OutcomeIndex, PeriodPrecisionError, month_number, month_start};
pub use measure::{BIT_MEASURES, CompiledDefinition, Measure, MeasureKind};
pub use people::{RepeatPerson, repeat_people};
pub use public::{PUBLIC_THRESHOLD, ReleaseCell, ReleaseCells, ReleaseRefusal, apply_release, disclosure_audit, make_public, publish, recoverable_across};
pub use report::{
    group_view,
    Breakdown, Change, DefinitionRef, Disparity, GroupResult, MeasureInfo, MeasureMap, MeasureValue, MonthPoint,
    MonthRole, OutcomeReport, PeriodPair, PeriodResult, ReportRequest,
};

#[cfg(test)]
mod tests;
