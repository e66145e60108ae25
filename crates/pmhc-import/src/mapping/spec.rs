//! The mapping format: [`MappingSpec`] and its tables as serde reads them from TOML, and the
//! checks a mapping passes when it is loaded (before any file is seen).

use std::collections::{BTreeMap, HashMap};

use pmhc_core::MergeRules;
use regex::Regex;
use serde::Deserialize;

use super::compile::{compile_field, compile_rule};

/// A problem with a mapping file itself (found before any row is read).
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("the mapping is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("field `{field}`: {message}")]
    Field { field: String, message: String },
    #[error("rule {index}: {message}")]
    Rule { index: usize, message: String },
    #[error("the mapping's [key] names no columns")]
    NoKey,
    #[error("the mapping does not map `occurred` (every encounter needs its date)")]
    NoOccurred,
    #[error("the file lacks column(s) the mapping needs: {missing}. The file's header has: {header}")]
    MissingColumns { missing: String, header: String },
    #[error("unsupported encoding `{0}` (use utf-8, windows-1252 or latin-1)")]
    Encoding(String),
}

/// The `[source]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Short name of the mapping (used with `--mapping NAME`).
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Stored as each record's `source_system` (unless a `source_system` field maps a column).
    pub system: String,
    /// `utf-8` (a leading BOM is removed), `windows-1252` or `latin-1`.
    #[serde(default = "default_encoding")]
    pub encoding: String,
    /// A one-character field delimiter.
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Rows after the header that are not data (e.g. a second header row) and are skipped.
    #[serde(default)]
    pub skip_rows: u32,
    /// Values that mean "no value" in every column (compared after trimming, case-insensitively).
    #[serde(default = "default_nulls")]
    pub null_values: Vec<String>,
    /// What to do when the file lacks a column of an optional field: `error` (default) stops the
    /// import before anything is written; `ignore` leaves that field unknown and lists the absent
    /// columns in the summary. Key, `occurred`, rule and `required` columns are always needed.
    #[serde(default)]
    pub missing_columns: MissingColumns,
    /// The file is one pmhc wrote (its canonical CSV): a text cell that a spreadsheet would read
    /// as a formula was written with a leading `'` (see [`pmhc_core::csv_safe`]), taken off
    /// again here before anything else reads the cell. Default false: other sources' cells are
    /// read as they are.
    #[serde(default)]
    pub restore_formula_prefix: bool,
}

/// See [`SourceSpec::missing_columns`].
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MissingColumns {
    #[default]
    Error,
    Ignore,
}

fn default_encoding() -> String {
    "utf-8".into()
}
fn default_delimiter() -> char {
    ','
}
fn default_nulls() -> Vec<String> {
    vec!["".into(), "NA".into(), "N/A".into(), "NULL".into()]
}

/// How the rows of one encounter are recognised.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RowsPerEncounter {
    /// Every row is its own encounter; a key seen twice in one file is rejected as a duplicate.
    #[default]
    One,
    /// Several rows may share a key (e.g. one per officer) and merge into one encounter.
    Many,
}

/// The `[key]` table: which columns make the encounter key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    pub columns: Vec<String>,
    /// Values of key columns that stand for "not known" (e.g. a subject id `0`): a row holding
    /// one of them is keyed by `fallback_columns` instead, so unknown people never merge.
    #[serde(default)]
    pub placeholder_values: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub fallback_columns: Vec<String>,
    /// Use only part of a key column: a regular expression whose first group is kept (e.g. the
    /// date of a date-time, so one person's rows on one day form one encounter).
    #[serde(default)]
    pub extract: BTreeMap<String, String>,
    #[serde(default = "default_key_sep")]
    pub separator: String,
    #[serde(default)]
    pub rows_per_encounter: RowsPerEncounter,
    /// Replace the built key by a keyed hash (with the installation's pseudonym key, when the run
    /// has one), for keys that contain a person's id: the source's person id is then stored
    /// nowhere, not even in `source_key`. Default false.
    #[serde(default)]
    pub pseudonymize: bool,
}

fn default_key_sep() -> String {
    "/".into()
}

/// How several columns of one field combine.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Join the columns' values with a space, then read one value (dates split over columns).
    Join,
    /// The first column with a value.
    First,
    /// Read each column; keep the highest (force level, disposition severity, numbers).
    Max,
    /// Read each column; yes if any says yes, no if all known say no.
    Any,
    /// Read each column; keep every value (list fields).
    List,
}

/// One `[fields.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The source column.
    pub column: Option<String>,
    /// Several source columns (see `combine`).
    #[serde(default)]
    pub columns: Vec<String>,
    pub combine: Option<Combine>,
    /// A constant value for every row (instead of a column).
    pub value: Option<toml::Value>,
    /// The value when the column is empty or null.
    pub default: Option<toml::Value>,
    /// Extra values of this column that mean "no value" (e.g. junk area codes `-`, `X`, `OOJ`).
    #[serde(default)]
    pub null: Vec<String>,
    /// Source code -> canonical value (matched trimmed, case-insensitively).
    #[serde(default)]
    pub codes: BTreeMap<String, toml::Value>,
    /// Regular expressions tried (in order) when no code matches.
    #[serde(default)]
    pub patterns: Vec<PatternSpec>,
    /// The value for a code neither `codes` nor `patterns` know ("unknown" leaves the field
    /// unknown). Without it, an unknown code rejects the row. Unknown codes are always listed.
    pub other: Option<toml::Value>,
    /// chrono strftime format(s) for dates and times, tried in order.
    pub format: Option<StringOrList>,
    /// For `occurred`: how precisely the format gives the date (`minute`, `day`, `month`, `year`);
    /// inferred from the format when absent.
    pub precision: Option<String>,
    /// For text lists: split one column's value on this separator.
    pub split: Option<String>,
    /// Use only part of each value: a regular expression whose first group is kept before codes,
    /// patterns and reading (e.g. `^(?:--)?(.*)$` drops a `--` prefix). A value it does not match
    /// rejects the row.
    pub extract: Option<String>,
    /// For `subject_key`: replace the id by a keyed hash (default true). Only turn off for ids
    /// that are already pseudonymous (e.g. pmhc's own canonical CSV).
    pub pseudonymize: Option<bool>,
    /// For `subject_key`: people with the same id in the same namespace are the same person.
    /// Defaults to the source system.
    pub namespace: Option<String>,
    /// Reject the row when this field has no value.
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StringOrList {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    pub regex: String,
    pub value: toml::Value,
}

/// One `[[rules]]` entry: when a column matches, set fields (only those still unknown, unless
/// `overwrite`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub column: String,
    /// A regular expression the column's value must match (searched, case-insensitive).
    pub matches: String,
    pub set: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub overwrite: bool,
}

/// `[merge]`: how rows of one encounter merge.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeSpec {
    /// `first` (default) or `most_severe`.
    pub disposition: Option<String>,
}

/// A whole mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSpec {
    pub source: SourceSpec,
    pub key: KeySpec,
    #[serde(default)]
    pub merge: MergeSpec,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// The file encodings a mapping can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

impl MappingSpec {
    pub fn from_toml(text: &str) -> Result<MappingSpec, MappingError> {
        let spec: MappingSpec = toml::from_str(text)?;
        spec.check()?;
        Ok(spec)
    }

    pub fn encoding(&self) -> Result<Encoding, MappingError> {
        match self.source.encoding.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => Ok(Encoding::Windows1252),
            other => Err(MappingError::Encoding(other.to_string())),
        }
    }

    pub fn merge_rules(&self) -> MergeRules {
        MergeRules { disposition_most_severe: self.merge.disposition.as_deref() == Some("most_severe") }
    }

    /// Every column the mapping reads.
    pub fn columns(&self) -> Vec<&str> {
        let mut cols: Vec<&str> = self.key.columns.iter().map(String::as_str).collect();
        cols.extend(self.key.fallback_columns.iter().map(String::as_str));
        cols.extend(self.key.placeholder_values.keys().map(String::as_str));
        for f in self.fields.values() {
            cols.extend(f.column.iter().map(String::as_str));
            cols.extend(f.columns.iter().map(String::as_str));
        }
        cols.extend(self.rules.iter().map(|r| r.column.as_str()));
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// Validate the mapping on its own (independent of any file): field names, canonical codes,
    /// regular expressions, formats.
    fn check(&self) -> Result<(), MappingError> {
        if self.key.columns.is_empty() {
            return Err(MappingError::NoKey);
        }
        if !self.source.delimiter.is_ascii() {
            return Err(MappingError::Field {
                field: "source.delimiter".into(),
                message: format!("`{}` is not a single ASCII character", self.source.delimiter),
            });
        }
        if self.fields.contains_key("source_key") {
            return Err(MappingError::Field {
                field: "source_key".into(),
                message: "the encounter key comes from `[key]`; it cannot also be a field".into(),
            });
        }
        if self.fields.contains_key("source_system") && self.key.rows_per_encounter == RowsPerEncounter::Many {
            return Err(MappingError::Field {
                field: "source_system".into(),
                message: "with rows_per_encounter = \"many\", the source system must be the mapping's `source.system`".into(),
            });
        }
        if !self.key.placeholder_values.is_empty() && self.key.fallback_columns.is_empty() {
            return Err(MappingError::Field { field: "key".into(), message: "`placeholder_values` needs `fallback_columns`".into() });
        }
        for (c, re) in &self.key.extract {
            let r = Regex::new(re).map_err(|e| MappingError::Field { field: format!("key.extract.{c}"), message: e.to_string() })?;
            if r.captures_len() < 2 {
                return Err(MappingError::Field { field: format!("key.extract.{c}"), message: "the expression needs a group `( )`".into() });
            }
        }
        if !self.fields.contains_key("occurred") {
            return Err(MappingError::NoOccurred);
        }
        self.encoding()?;
        if let Some(d) = &self.merge.disposition
            && d != "first"
            && d != "most_severe"
        {
            return Err(MappingError::Field { field: "merge.disposition".into(), message: format!("`{d}` is not `first` or `most_severe`") });
        }
        for (name, spec) in &self.fields {
            compile_field(name, spec, &HashMap::new(), &self.source, true)?;
        }
        for (i, r) in self.rules.iter().enumerate() {
            compile_rule(i + 1, r, &HashMap::new(), true)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "[source]\nname='x'\nsystem='x'\n[key]\ncolumns=['id']\n[fields.occurred]\ncolumn='day'\n";

    #[test]
    fn a_non_ascii_delimiter_is_refused() {
        let text = BASE.replace("system='x'\n", "system='x'\ndelimiter='é'\n");
        let err = MappingSpec::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("ASCII"), "{err}");
    }

    #[test]
    fn source_key_cannot_be_a_field_and_source_system_cannot_vary_when_rows_merge() {
        let err = MappingSpec::from_toml(&format!("{BASE}[fields.source_key]\ncolumn='other'\n")).unwrap_err().to_string();
        assert!(err.contains("[key]"), "{err}");
        let many = BASE.replace("columns=['id']", "columns=['id']\nrows_per_encounter='many'");
        let err = MappingSpec::from_toml(&format!("{many}[fields.source_system]\ncolumn='sys'\n")).unwrap_err().to_string();
        assert!(err.contains("source.system"), "{err}");
        assert!(MappingSpec::from_toml(&format!("{BASE}[fields.source_system]\ncolumn='sys'\n")).is_ok());
    }
}
