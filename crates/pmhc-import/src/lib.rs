//! # pmhc-import
//!
//! Bring any agency's CSV export (dispatch/CAD, records/RMS, use of force, crisis templates) into
//! pmhc's canonical encounter record through a **mapping file** (TOML): adding an agency needs a
//! mapping, not code. See `mappings/TEMPLATE.toml` in the repository for every option.
//!
//! - [`mapping`]: the mapping format and the row-by-row mapping (pure).
//! - [`engine`]: streaming a file through a mapping, merging rows of one encounter, rejects and
//!   unknown codes, batches to a [`engine::Sink`].
//! - [`shipped`]: the mappings shipped with pmhc, by name.
//! - [`canonical`]: pmhc's own lossless CSV form of encounters (export and re-import).
//! - [`csv_safe`]: CSV rows written so that no text cell reaches a spreadsheet as a formula.

pub mod canonical;
pub mod csv_safe;
pub mod engine;
pub mod inventory;
pub mod mapping;
pub mod shipped;
pub mod training;

pub use engine::{EngineOptions, EngineSummary, ImportError, RejectedRow, STOP_AFTER, Sink, UnknownCodeCount, run};
pub use mapping::{CompiledMapping, MappingError, MappingSpec, RowError};
