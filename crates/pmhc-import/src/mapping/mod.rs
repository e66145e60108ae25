//! Mapping files: how one source format's columns and codes become canonical encounter fields.
//!
//! A mapping is TOML (see `mappings/TEMPLATE.toml` for every option, documented). It is parsed
//! into [`MappingSpec`] (plain data, serde) and compiled against a file's header into a
//! [`CompiledMapping`] that maps one row at a time, without I/O.
//!
//! - `spec`: the format (`MappingSpec` and its tables) and its checks when a file is loaded.
//! - `compile`: a mapping bound to a file's header (`CompiledMapping::compile`).
//! - `row`: one row to an encounter (`CompiledMapping::key`, `map_row`: keys, fields, codes, rules).
//! - `read`: one raw text read as a field's kind (yes/no, numbers, dates, lists).

mod compile;
mod read;
mod row;
mod spec;

pub use compile::CompiledMapping;
pub use row::{RowError, UnknownCodeSeen};
pub use spec::{
    Combine, Encoding, FieldSpec, KeySpec, MappingError, MappingSpec, MergeSpec, MissingColumns, PatternSpec,
    RowsPerEncounter, RuleSpec, SourceSpec, StringOrList,
};
