//! Mapping files: how one source format's columns and codes become canonical encounter fields.
//!
//! A mapping is TOML (see `mappings/TEMPLATE.toml` for every option, documented). It is parsed
//! into [`MappingSpec`] (plain data, serde) and compiled against a file's header into a
//! [`CompiledMapping`] that maps one row at a time, without I/O.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use pmhc_core::{DatePrecision, Encounter, Field, FieldKind, MergeRules, PseudonymKey, Value, codes_of};
use regex::Regex;
use serde::Deserialize;

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

/// How a column's raw text becomes a [`Value`].
#[derive(Debug, Clone)]
enum Reader {
    Text,
    Bool,
    Integer,
    Decimal,
    DateTime(Vec<String>),
    Occurrence(Vec<(String, DatePrecision)>),
    Code(&'static str),
    List(Option<String>),
    Json,
}

#[derive(Debug, Clone)]
enum Source {
    Constant(Value),
    Columns(Vec<usize>, Vec<String>),
}

/// What a field does with a code it does not know.
#[derive(Debug, Clone)]
enum Fallback {
    Reject,
    LeaveUnknown,
    Use(Value),
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledField {
    field: Field,
    /// The column names joined with `+` (how a joined field's column is reported).
    joined_name: String,
    source: Source,
    combine: Combine,
    reader: Reader,
    nulls: Vec<String>,
    codes: HashMap<String, Option<Value>>,
    patterns: Vec<(Regex, Option<Value>)>,
    fallback: Fallback,
    default: Option<Value>,
    pseudonymize: Option<String>,
    required: bool,
    extract: Option<Regex>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    column: usize,
    column_name: String,
    regex: Regex,
    set: Vec<(Field, Value)>,
    overwrite: bool,
}

/// Why a row was rejected: the column (when one is to blame) and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub column: Option<String>,
    pub reason: String,
}

/// A code the mapping did not know, seen in a row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownCodeSeen {
    pub field: &'static str,
    pub column: String,
    pub value: String,
}

/// A mapping bound to one file's header.
#[derive(Debug)]
pub struct CompiledMapping {
    pub spec: MappingSpec,
    key_columns: Vec<usize>,
    fallback_key_columns: Vec<usize>,
    placeholders: Vec<(usize, Vec<String>)>,
    key_extract: HashMap<usize, Regex>,
    fields: Vec<CompiledField>,
    rules: Vec<CompiledRule>,
    nulls: Vec<String>,
    merge: MergeRules,
    pseudonym_key: Option<PseudonymKey>,
    /// The key-column indexes and separator, for grouping rows before mapping.
    pub(crate) key_separator: String,
    /// Columns of optional fields that the file lacks (with `missing_columns = "ignore"`).
    pub absent_columns: Vec<String>,
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

fn header_index(header: &HashMap<String, usize>, name: &str, dry: bool) -> Result<usize, String> {
    if dry {
        return Ok(0);
    }
    header.get(name).or_else(|| header.get(&lower(name))).copied().ok_or_else(|| name.to_string())
}

/// Convert a TOML value in a mapping into a canonical value for `field`.
fn toml_to_value(field: Field, reader: &Reader, v: &toml::Value) -> Result<Option<Value>, String> {
    if let toml::Value::String(s) = v
        && s.eq_ignore_ascii_case("unknown")
        && !matches!(reader, Reader::Code(_) | Reader::Text | Reader::List(_))
    {
        return Ok(None);
    }
    let out = match (reader, v) {
        (Reader::Code(list), toml::Value::String(s)) => {
            let allowed = codes_of(list).unwrap_or_default();
            let Some(c) = allowed.iter().find(|c| c.eq_ignore_ascii_case(s.trim())) else {
                return Err(format!("`{s}` is not a {list} code; expected one of: {}", allowed.join(", ")));
            };
            if *c == "unknown" {
                return Ok(None);
            }
            Value::Text((*c).to_string())
        }
        (Reader::Text, toml::Value::String(s)) => Value::Text(s.clone()),
        (Reader::Text, toml::Value::Integer(i)) => Value::Text(i.to_string()),
        (Reader::List(_), toml::Value::String(s)) => Value::List(vec![s.clone()]),
        (Reader::Bool, toml::Value::Boolean(b)) => Value::Bool(*b),
        (Reader::Bool, toml::Value::String(s)) => match parse_bool(s) {
            Some(b) => Value::Bool(b),
            None => return Err(format!("`{s}` is not yes/no (true/false)")),
        },
        (Reader::Integer, toml::Value::Integer(i)) => Value::Integer(*i),
        (Reader::Decimal, toml::Value::Float(f)) => Value::Decimal(*f),
        (Reader::Decimal, toml::Value::Integer(i)) => Value::Decimal(*i as f64),
        (Reader::DateTime(_) | Reader::Occurrence(_), toml::Value::String(s)) => read_value(field, reader, s).map_err(|e| e.reason)?,
        (_, other) => return Err(format!("{} is not a valid value for field `{}`", other, field.name())),
    };
    let mut probe = Encounter::new("x", "x", NaiveDate::MIN);
    probe.set(field, out.clone()).map_err(|e| e.to_string())?;
    Ok(Some(out))
}

fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(s));
    if is(&["true", "yes", "y", "t", "1"]) {
        Some(true)
    } else if is(&["false", "no", "n", "f", "0"]) {
        Some(false)
    } else {
        None
    }
}

fn infer_precision(fmt: &str) -> DatePrecision {
    let has = |specs: &[&str]| specs.iter().any(|s| fmt.contains(s));
    if has(&["%H", "%I", "%T", "%R", "%+", "%s"]) {
        DatePrecision::Minute
    } else if has(&["%d", "%e", "%j", "%F", "%D", "%x"]) {
        DatePrecision::Day
    } else if has(&["%m", "%b", "%B", "%h"]) {
        DatePrecision::Month
    } else {
        DatePrecision::Year
    }
}

fn compile_field(
    name: &str,
    spec: &FieldSpec,
    header: &HashMap<String, usize>,
    source: &SourceSpec,
    dry: bool,
) -> Result<CompiledField, MappingError> {
    let err = |message: String| MappingError::Field { field: name.to_string(), message };
    let field = Field::from_name(name).map_err(|e| err(e.to_string()))?;
    let formats: Vec<String> = match &spec.format {
        Some(StringOrList::One(s)) => vec![s.clone()],
        Some(StringOrList::Many(v)) => v.clone(),
        None => Vec::new(),
    };
    let reader = match field.kind() {
        FieldKind::Text => Reader::Text,
        FieldKind::TextList => Reader::List(spec.split.clone()),
        FieldKind::Bool => Reader::Bool,
        FieldKind::Integer => Reader::Integer,
        FieldKind::Decimal => Reader::Decimal,
        FieldKind::Json => Reader::Json,
        FieldKind::Code(list) => Reader::Code(list),
        FieldKind::DateTime => {
            Reader::DateTime(if formats.is_empty() { vec!["%Y-%m-%dT%H:%M:%S%.f".into(), "%Y-%m-%d %H:%M:%S%.f".into()] } else { formats.clone() })
        }
        FieldKind::Occurrence => {
            let fmts = if formats.is_empty() { vec!["%Y-%m-%d".to_string()] } else { formats.clone() };
            let precision = match &spec.precision {
                Some(p) => Some(p.parse::<DatePrecision>().map_err(|e| err(e.to_string()))?),
                None => None,
            };
            Reader::Occurrence(fmts.into_iter().map(|f| {
                let p = precision.unwrap_or_else(|| infer_precision(&f));
                (f, p)
            }).collect())
        }
    };
    if !formats.is_empty() && !matches!(field.kind(), FieldKind::DateTime | FieldKind::Occurrence) {
        return Err(err("`format` applies only to date and time fields".into()));
    }
    let mut columns: Vec<String> = spec.columns.clone();
    if let Some(c) = &spec.column {
        columns.insert(0, c.clone());
    }
    let source_ = match (&spec.value, columns.is_empty()) {
        (Some(_), false) => return Err(err("give either `value` or `column(s)`, not both".into())),
        (Some(v), true) => {
            let value = toml_to_value(field, &reader, v).map_err(err)?;
            match value {
                Some(v) => Source::Constant(v),
                None => return Err(err("a constant `value` cannot be unknown".into())),
            }
        }
        (None, true) => return Err(err("needs `column`, `columns` or `value`".into())),
        (None, false) => {
            let mut idx = Vec::with_capacity(columns.len());
            let mut missing = Vec::new();
            for c in &columns {
                match header_index(header, c, dry) {
                    Ok(i) => idx.push(i),
                    Err(m) => missing.push(m),
                }
            }
            if !missing.is_empty() {
                return Err(MappingError::MissingColumns { missing: missing.join(", "), header: String::new() });
            }
            Source::Columns(idx, columns.clone())
        }
    };
    let combine = spec.combine.unwrap_or(match field.kind() {
        FieldKind::TextList => Combine::List,
        FieldKind::Bool => Combine::Any,
        FieldKind::Code(_) => Combine::Max,
        FieldKind::DateTime | FieldKind::Occurrence => Combine::Join,
        _ => Combine::First,
    });
    if combine == Combine::List && field.kind() != FieldKind::TextList {
        return Err(err("`combine = \"list\"` applies only to list fields".into()));
    }
    let mut codes = HashMap::new();
    for (k, v) in &spec.codes {
        codes.insert(lower(k), toml_to_value(field, &reader, v).map_err(|m| err(format!("code `{k}`: {m}")))?);
    }
    let mut patterns = Vec::new();
    for p in &spec.patterns {
        let re = regex::RegexBuilder::new(&p.regex)
            .case_insensitive(true)
            .build()
            .map_err(|e| err(format!("pattern `{}`: {e}", p.regex)))?;
        patterns.push((re, toml_to_value(field, &reader, &p.value).map_err(|m| err(format!("pattern `{}`: {m}", p.regex)))?));
    }
    let fallback = match &spec.other {
        None => Fallback::Reject,
        Some(v) => match toml_to_value(field, &reader, v).map_err(|m| err(format!("other: {m}")))? {
            None => Fallback::LeaveUnknown,
            Some(v) => Fallback::Use(v),
        },
    };
    let default = match &spec.default {
        None => None,
        Some(v) => toml_to_value(field, &reader, v).map_err(|m| err(format!("default: {m}")))?,
    };
    let pseudonymize = if field == Field::SubjectKey {
        spec.pseudonymize.unwrap_or(true).then(|| spec.namespace.clone().unwrap_or_else(|| source.system.clone()))
    } else {
        if spec.pseudonymize.is_some() || spec.namespace.is_some() {
            return Err(err("`pseudonymize` and `namespace` apply only to subject_key".into()));
        }
        None
    };
    let extract = match &spec.extract {
        None => None,
        Some(re) => {
            let r = Regex::new(re).map_err(|e| err(format!("extract: {e}")))?;
            if r.captures_len() < 2 {
                return Err(err("extract: the expression needs a group `( )`".into()));
            }
            Some(r)
        }
    };
    let mut nulls: Vec<String> = spec.null.iter().map(|s| lower(s)).collect();
    nulls.sort();
    let joined_name = match &source_ {
        Source::Columns(_, names) => names.join("+"),
        Source::Constant(_) => String::new(),
    };
    Ok(CompiledField {
        field,
        joined_name,
        source: source_,
        combine,
        reader,
        nulls,
        codes,
        patterns,
        fallback,
        default,
        pseudonymize,
        required: spec.required,
        extract,
    })
}

fn compile_rule(index: usize, r: &RuleSpec, header: &HashMap<String, usize>, dry: bool) -> Result<CompiledRule, MappingError> {
    let err = |message: String| MappingError::Rule { index, message };
    let column = header_index(header, &r.column, dry)
        .map_err(|m| MappingError::MissingColumns { missing: m, header: String::new() })?;
    let regex = regex::RegexBuilder::new(&r.matches).case_insensitive(true).build().map_err(|e| err(e.to_string()))?;
    let mut set = Vec::new();
    for (name, v) in &r.set {
        let field = Field::from_name(name).map_err(|e| err(e.to_string()))?;
        let reader = match field.kind() {
            FieldKind::Code(l) => Reader::Code(l),
            FieldKind::Bool => Reader::Bool,
            FieldKind::Integer => Reader::Integer,
            FieldKind::Decimal => Reader::Decimal,
            FieldKind::TextList => Reader::List(None),
            FieldKind::Text => Reader::Text,
            _ => return Err(err(format!("rules cannot set `{name}`"))),
        };
        match toml_to_value(field, &reader, v).map_err(|m| err(format!("{name}: {m}")))? {
            Some(v) => set.push((field, v)),
            None => return Err(err(format!("{name}: a rule cannot set a value to unknown"))),
        }
    }
    Ok(CompiledRule { column, column_name: r.column.clone(), regex, set, overwrite: r.overwrite })
}

/// Read one raw text as the field's kind (no codes involved).
fn read_value(field: Field, reader: &Reader, raw: &str) -> Result<Value, RowError> {
    let bad = |what: String| RowError { column: None, reason: format!("{}: {what}", field.name()) };
    let t = raw.trim();
    Ok(match reader {
        Reader::Text => Value::Text(t.to_string()),
        Reader::List(sep) => match sep {
            Some(sep) if sep == "json" => Value::List(
                serde_json::from_str::<Vec<String>>(t).map_err(|e| bad(format!("not a JSON list of texts: {e}")))?,
            ),
            Some(sep) => Value::List(t.split(sep.as_str()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()),
            None => Value::List(vec![t.to_string()]),
        },
        Reader::Json => Value::Json(t.to_string()),
        Reader::Bool => Value::Bool(parse_bool(t).ok_or_else(|| bad(format!("`{t}` is not yes/no")))?),
        Reader::Integer => {
            let i = t.parse::<i64>().or_else(|e| {
                // Accept "7.0" but not "7.5".
                match t.parse::<f64>() {
                    Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(f as i64),
                    _ => Err(e),
                }
            });
            Value::Integer(i.map_err(|_| bad(format!("`{t}` is not a whole number")))?)
        }
        Reader::Decimal => {
            let f = t.parse::<f64>().map_err(|_| bad(format!("`{t}` is not a number")))?;
            if !f.is_finite() {
                return Err(bad(format!("`{t}` is not a finite number")));
            }
            Value::Decimal(f)
        }
        Reader::Code(_) => Value::Text(t.to_string()),
        Reader::DateTime(fmts) => {
            for f in fmts {
                if let Some(dt) = iso_fast(t, f) {
                    return Ok(Value::DateTime(dt));
                }
                if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
                    return Ok(Value::DateTime(dt));
                }
                if let Ok(d) = NaiveDate::parse_from_str(t, f) {
                    return Ok(Value::DateTime(d.and_time(NaiveTime::MIN)));
                }
            }
            return Err(bad(format!("`{t}` does not match the date-time format {}", fmts.join(" or "))));
        }
        Reader::Occurrence(fmts) => {
            for (f, precision) in fmts {
                match precision {
                    DatePrecision::Minute => {
                        if let Some(dt) = iso_fast(t, f) {
                            return Ok(Value::Occurrence { date: dt.date(), time: Some(dt.time()), precision: DatePrecision::Minute });
                        }
                        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
                            return Ok(Value::Occurrence { date: dt.date(), time: Some(dt.time()), precision: DatePrecision::Minute });
                        }
                    }
                    DatePrecision::Day => {
                        if let Some(dt) = iso_fast(t, f) {
                            return Ok(Value::Occurrence { date: dt.date(), time: None, precision: DatePrecision::Day });
                        }
                        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
                            return Ok(Value::Occurrence { date: d, time: None, precision: DatePrecision::Day });
                        }
                        // A format with a time on a date-precision field: keep the date only.
                        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
                            return Ok(Value::Occurrence { date: dt.date(), time: None, precision: DatePrecision::Day });
                        }
                    }
                    DatePrecision::Month => {
                        if let Ok(d) = NaiveDate::parse_from_str(&format!("{t} 1"), &format!("{f} %d")) {
                            return Ok(Value::Occurrence { date: d, time: None, precision: DatePrecision::Month });
                        }
                    }
                    DatePrecision::Year => {
                        if let Ok(d) = NaiveDate::parse_from_str(&format!("{t} 1 1"), &format!("{f} %m %d")) {
                            return Ok(Value::Occurrence { date: d, time: None, precision: DatePrecision::Year });
                        }
                    }
                }
            }
            let names: Vec<&str> = fmts.iter().map(|(f, _)| f.as_str()).collect();
            return Err(bad(format!("`{t}` does not match the date format {}", names.join(" or "))));
        }
    })
}

/// The two ISO 8601 shapes most exports (and pmhc's own CSV) use, parsed without chrono's
/// general format interpreter: `%Y-%m-%d` and `%Y-%m-%dT%H:%M:%S`, digits at fixed places.
/// Anything else (or an impossible date) returns `None` and takes the general path, which gives
/// the same answer or the error message.
fn iso_fast(t: &str, format: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let date = || -> Option<NaiveDate> {
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
    };
    match format {
        "%Y-%m-%d" if b.len() == 10 => Some(date()?.and_time(NaiveTime::MIN)),
        "%Y-%m-%dT%H:%M:%S" if b.len() == 19 && b[10] == b'T' && b[13] == b':' && b[16] == b':' => {
            Some(date()?.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?)
        }
        _ => None,
    }
}

impl CompiledMapping {
    /// Bind a mapping to a file's header (names trimmed; matched exactly, then case-insensitively).
    pub fn compile(spec: MappingSpec, header: &[String], pseudonym_key: Option<PseudonymKey>) -> Result<CompiledMapping, MappingError> {
        let mut index = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            let h = h.trim().trim_start_matches('\u{feff}');
            index.entry(h.to_string()).or_insert(i);
            index.entry(lower(h)).or_insert(i);
        }
        let present = |c: &str| header_index(&index, c, false).is_ok();
        // Columns of optional fields may be absent when the mapping says so.
        let mut absent_columns: Vec<String> = Vec::new();
        let mut field_specs: Vec<(String, FieldSpec)> = Vec::new();
        for (name, f) in &spec.fields {
            let mut f = f.clone();
            let optional = spec.source.missing_columns == MissingColumns::Ignore && name != "occurred" && !f.required;
            if optional {
                let gone: Vec<String> = f.column.iter().chain(f.columns.iter()).filter(|c| !present(c)).cloned().collect();
                if !gone.is_empty() {
                    f.column = f.column.filter(|c| present(c));
                    f.columns.retain(|c| present(c));
                    absent_columns.extend(gone);
                    if f.column.is_none() && f.columns.is_empty() {
                        continue;
                    }
                }
            }
            field_specs.push((name.clone(), f));
        }
        absent_columns.sort();
        absent_columns.dedup();
        let mut needed: Vec<&str> = spec.key.columns.iter().chain(&spec.key.fallback_columns).map(String::as_str).collect();
        needed.extend(spec.key.placeholder_values.keys().map(String::as_str));
        needed.extend(spec.rules.iter().map(|r| r.column.as_str()));
        for (_, f) in &field_specs {
            needed.extend(f.column.iter().chain(f.columns.iter()).map(String::as_str));
        }
        needed.sort_unstable();
        needed.dedup();
        let missing: Vec<String> = needed.into_iter().filter(|c| !present(c)).map(|c| format!("`{c}`")).collect();
        if !missing.is_empty() {
            return Err(MappingError::MissingColumns { missing: missing.join(", "), header: header.join(", ") });
        }
        let col = |c: &String| header_index(&index, c, false).unwrap_or(0);
        let key_columns = spec.key.columns.iter().map(col).collect();
        let fallback_key_columns = spec.key.fallback_columns.iter().map(col).collect();
        let placeholders = spec
            .key
            .placeholder_values
            .iter()
            .map(|(c, vals)| (col(c), vals.iter().map(|v| v.trim().to_string()).collect()))
            .collect();
        let mut key_extract = HashMap::new();
        for (c, re) in &spec.key.extract {
            let r = Regex::new(re).map_err(|e| MappingError::Field { field: format!("key.extract.{c}"), message: e.to_string() })?;
            key_extract.insert(col(c), r);
        }
        let mut fields = Vec::new();
        for (name, f) in &field_specs {
            fields.push(compile_field(name, f, &index, &spec.source, false)?);
        }
        // Occurrence first, so date errors are reported before anything else.
        fields.sort_by_key(|f| f.field != Field::Occurred);
        let mut rules = Vec::new();
        for (i, r) in spec.rules.iter().enumerate() {
            rules.push(compile_rule(i + 1, r, &index, false)?);
        }
        let mut nulls: Vec<String> = spec.source.null_values.iter().map(|s| lower(s)).collect();
        nulls.sort();
        Ok(CompiledMapping {
            key_columns,
            fallback_key_columns,
            placeholders,
            key_extract,
            fields,
            rules,
            nulls,
            merge: spec.merge_rules(),
            pseudonym_key,
            key_separator: spec.key.separator.clone(),
            absent_columns,
            spec,
        })
    }

    pub fn merge_rules(&self) -> &MergeRules {
        &self.merge
    }

    pub fn rows_per_encounter(&self) -> RowsPerEncounter {
        self.spec.key.rows_per_encounter
    }

    fn is_null(&self, f: Option<&CompiledField>, raw: &str) -> bool {
        let t = raw.trim();
        if t.is_empty() {
            return true;
        }
        // Most values are not null: avoid allocating for the common case.
        // Null lists are stored trimmed and lower-cased.
        let check = |list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case(t));
        check(&self.nulls) || f.is_some_and(|f| check(&f.nulls))
    }

    /// The encounter key of a row, or why it has none.
    pub fn key(&self, row: &[&str]) -> Result<String, RowError> {
        let placeholder = self
            .placeholders
            .iter()
            .any(|(i, vals)| vals.iter().any(|v| v == row.get(*i).copied().unwrap_or("").trim()));
        let (columns, names) = if placeholder {
            (&self.fallback_key_columns, &self.spec.key.fallback_columns)
        } else {
            (&self.key_columns, &self.spec.key.columns)
        };
        let mut key = String::new();
        if placeholder {
            key.push('~');
        }
        for (n, &i) in columns.iter().enumerate() {
            let v = row.get(i).copied().unwrap_or("").trim();
            if self.is_null(None, v) {
                return Err(RowError {
                    column: Some(names[n].clone()),
                    reason: "the encounter key column is empty".into(),
                });
            }
            pmhc_core::limits::check("source_key", v).map_err(|err| RowError { column: Some(names[n].clone()), reason: err.to_string() })?;
            if n > 0 {
                key.push_str(&self.key_separator);
            }
            match self.key_extract.get(&i) {
                Some(re) => match re.captures(v).and_then(|c| c.get(1)) {
                    Some(m) => key.push_str(m.as_str()),
                    None => {
                        return Err(RowError {
                            column: Some(names[n].clone()),
                            reason: format!("`{v}` does not match the key pattern `{}`", re.as_str()),
                        });
                    }
                },
                None => key.push_str(v),
            }
        }
        if self.spec.key.pseudonymize
            && let Some(k) = &self.pseudonym_key
        {
            return Ok(k.pseudonymize(&format!("{}#key", self.spec.source.system), &key));
        }
        Ok(key)
    }

    /// Map one row (its fields as text, in header order) to an encounter.
    /// Unknown codes that a fallback absorbed are pushed to `unknown`.
    pub fn map_row(&self, row: &[&str], unknown: &mut Vec<UnknownCodeSeen>) -> Result<Encounter, RowError> {
        let key = self.key(row)?;
        let mut e = Encounter::new(self.spec.source.system.clone(), key, NaiveDate::MIN);
        let mut have_occurred = false;
        for f in &self.fields {
            let value = self.field_value(f, row, unknown)?;
            let value = match value {
                Some(v) => Some(v),
                None => f.default.clone(),
            };
            let Some(mut value) = value else {
                if f.required || f.field == Field::Occurred {
                    return Err(RowError { column: self.first_column(f), reason: format!("{} is required but empty", f.field.name()) });
                }
                continue;
            };
            // Every text has a limit (pmhc_core::limits), checked on the source's value — before
            // a pseudonym would shorten it.
            if let Value::Text(t) = &value {
                pmhc_core::limits::check(f.field.name(), t).map_err(|err| RowError { column: self.first_column(f), reason: err.to_string() })?;
            }
            if let (Some(ns), Value::Text(id)) = (&f.pseudonymize, &value)
                && let Some(k) = &self.pseudonym_key
            {
                value = Value::Text(k.pseudonymize(ns, id));
            }
            if f.field == Field::Occurred {
                have_occurred = true;
            }
            e.set(f.field, value).map_err(|err| RowError { column: self.first_column(f), reason: err.to_string() })?;
        }
        if !have_occurred {
            return Err(RowError { column: None, reason: "occurred is required but empty".into() });
        }
        for r in &self.rules {
            let raw = row.get(r.column).copied().unwrap_or("");
            if self.is_null(None, raw) || !r.regex.is_match(raw.trim()) {
                continue;
            }
            for (field, v) in &r.set {
                if r.overwrite || is_unset(&e, *field) {
                    e.set(*field, v.clone()).map_err(|err| RowError { column: Some(r.column_name.clone()), reason: err.to_string() })?;
                }
            }
        }
        e.normalize();
        e.validate().map_err(|err| RowError { column: None, reason: err.to_string() })?;
        Ok(e)
    }

    fn first_column(&self, f: &CompiledField) -> Option<String> {
        match &f.source {
            Source::Columns(_, names) => names.first().cloned(),
            Source::Constant(_) => None,
        }
    }

    /// The value of one field for a row: `Ok(None)` when the source has no value.
    fn field_value(&self, f: &CompiledField, row: &[&str], unknown: &mut Vec<UnknownCodeSeen>) -> Result<Option<Value>, RowError> {
        let (idx, names) = match &f.source {
            Source::Constant(v) => return Ok(Some(v.clone())),
            Source::Columns(idx, names) => (idx, names),
        };
        let with_col = |mut e: RowError, n: usize| {
            e.column = Some(names[n].clone());
            e
        };
        if f.combine == Combine::Join {
            let mut joined = String::new();
            for &i in idx {
                let raw = row.get(i).copied().unwrap_or("");
                if self.is_null(Some(f), raw) {
                    continue;
                }
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(raw.trim());
            }
            if joined.is_empty() {
                return Ok(None);
            }
            return self.translate(f, &joined, &f.joined_name, unknown).map_err(|e| with_col(e, 0));
        }
        let mut acc: Option<Value> = None;
        for (n, &i) in idx.iter().enumerate() {
            let raw = row.get(i).copied().unwrap_or("");
            if self.is_null(Some(f), raw) {
                continue;
            }
            let Some(v) = self.translate(f, raw, &names[n], unknown).map_err(|e| with_col(e, n))? else { continue };
            acc = Some(match (acc, f.combine) {
                (None, _) => v,
                (Some(a), Combine::First) => a,
                (Some(Value::List(mut a)), Combine::List) => {
                    if let Value::List(b) = v {
                        a.extend(b);
                    }
                    Value::List(a)
                }
                (Some(Value::Bool(a)), Combine::Any) => Value::Bool(a || matches!(v, Value::Bool(true))),
                (Some(a), Combine::Max) => max_value(f.field, a, v),
                (Some(a), _) => a,
            });
        }
        Ok(acc)
    }

    /// Codes, patterns and fallback, then the field's reader.
    fn translate(&self, f: &CompiledField, raw: &str, column: &str, unknown: &mut Vec<UnknownCodeSeen>) -> Result<Option<Value>, RowError> {
        let mut t = raw.trim();
        if let Some(re) = &f.extract {
            match re.captures(t).and_then(|c| c.get(1)) {
                Some(m) => t = m.as_str().trim(),
                None => {
                    return Err(RowError {
                        column: Some(column.to_string()),
                        reason: format!("`{t}` does not match the {} pattern `{}` (extract)", f.field.name(), re.as_str()),
                    });
                }
            }
            if t.is_empty() {
                return Ok(None);
            }
        }
        let coded = !f.codes.is_empty() || !f.patterns.is_empty();
        if coded {
            if let Some(v) = f.codes.get(t).or_else(|| f.codes.get(&lower(t))) {
                return Ok(v.clone());
            }
            for (re, v) in &f.patterns {
                if re.is_match(t) {
                    return Ok(v.clone());
                }
            }
        }
        match (&f.reader, coded) {
            (_, true) => {}
            // A code field without a code table reads canonical codes directly.
            (Reader::Code(list), false) => match pmhc_core::canonical_code(list, t) {
                Some("unknown") => return Ok(None),
                Some(c) => return Ok(Some(Value::Text(c.to_string()))),
                None => {}
            },
            (r, false) => {
                return read_value(f.field, r, t).map(Some).map_err(|mut e| {
                    e.column = Some(column.to_string());
                    e
                });
            }
        }
        unknown.push(UnknownCodeSeen { field: f.field.name(), column: column.to_string(), value: t.to_string() });
        match &f.fallback {
            Fallback::Reject => Err(RowError {
                column: Some(column.to_string()),
                reason: format!("unknown code `{t}` for {} (add it to the mapping's codes, or set `other`)", f.field.name()),
            }),
            Fallback::LeaveUnknown => Ok(None),
            Fallback::Use(v) => Ok(Some(v.clone())),
        }
    }
}

/// The higher of two values of one field (force levels and codes by their list order,
/// dispositions by severity, numbers by value).
fn max_value(field: Field, a: Value, b: Value) -> Value {
    use pmhc_core::Disposition;
    match (field, &a, &b) {
        (Field::Disposition, Value::Text(x), Value::Text(y)) => {
            let (Ok(dx), Ok(dy)) = (x.parse::<Disposition>(), y.parse::<Disposition>()) else { return a };
            if dy.severity() > dx.severity() { b } else { a }
        }
        (_, Value::Text(x), Value::Text(y)) => {
            if let FieldKind::Code(list) = field.kind() {
                let order = codes_of(list).unwrap_or_default();
                let pos = |s: &str| order.iter().position(|c| *c == s);
                if pos(y) > pos(x) { b } else { a }
            } else {
                a
            }
        }
        (_, Value::Integer(x), Value::Integer(y)) => {
            if y > x {
                b
            } else {
                a
            }
        }
        (_, Value::Decimal(x), Value::Decimal(y)) => {
            if y > x {
                b
            } else {
                a
            }
        }
        _ => a,
    }
}

fn is_unset(e: &Encounter, field: Field) -> bool {
    use pmhc_core::*;
    match field {
        Field::Disposition => e.disposition == Disposition::Unknown,
        Field::UseOfForce => e.use_of_force == UseOfForce::Unknown,
        Field::CallSource => e.call_source == CallSource::Unknown,
        Field::ResponseModel => e.response_model == ResponseModel::Unknown,
        Field::HousingStatus => e.housing_status == HousingStatus::Unknown,
        Field::AgeBand | Field::SubjectAge => e.age_band == AgeBand::Unknown,
        Field::Gender => e.gender == Gender::Unknown,
        Field::RaceEthnicity => e.race_ethnicity == RaceEthnicity::Unknown,
        Field::Arrested => e.arrested.is_none(),
        Field::Cited => e.cited.is_none(),
        Field::InvoluntaryHold => e.involuntary_hold.is_none(),
        Field::MentalHealthFlag => e.mental_health_flag.is_none(),
        Field::MhRecognisedAtDispatch => e.mh_recognised_at_dispatch.is_none(),
        Field::CitRequested => e.cit_requested.is_none(),
        Field::CitDispatched => e.cit_dispatched.is_none(),
        Field::CitArrived => e.cit_arrived.is_none(),
        Field::ClinicianOnScene => e.clinician_on_scene.is_none(),
        Field::SubjectInjured => e.subject_injured.is_none(),
        Field::OfficerInjured => e.officer_injured.is_none(),
        Field::WeaponInvolved => e.weapon_involved.is_none(),
        Field::Veteran => e.veteran.is_none(),
        Field::SubstanceUse => e.substance_use.is_none(),
        Field::ForceTypes => e.force_types.is_empty(),
        Field::Behaviours => e.behaviours.is_empty(),
        Field::Agency => e.agency.is_none(),
        Field::Priority => e.priority.is_none(),
        Field::InitialCallType => e.initial_call_type.is_none(),
        Field::FinalCallType => e.final_call_type.is_none(),
        Field::Precinct => e.area.precinct.is_none(),
        Field::Sector => e.area.sector.is_none(),
        Field::Beat => e.area.beat.is_none(),
        Field::TimeOnSceneMinutes => e.time_on_scene_minutes.is_none(),
        Field::CallNumber => e.call_number.is_none(),
        Field::SubjectKey => e.subject_key.is_none(),
        Field::Latitude => e.area.latitude.is_none(),
        Field::Longitude => e.area.longitude.is_none(),
        Field::OfficerId => e.officers.first().is_none_or(|o| o.id.is_none()),
        Field::OfficerYearsExperience => e.officers.first().is_none_or(|o| o.years_experience.is_none()),
        Field::OfficerCitCertified => e.officers.first().is_none_or(|o| o.cit_certified.is_none()),
        Field::ReferralServiceType => e.referrals.first().is_none_or(|r| r.service_type == ServiceType::Unknown),
        Field::ReferralService => e.referrals.first().is_none_or(|r| r.service.is_none()),
        Field::ReferralResult => e.referrals.first().is_none_or(|r| r.result == ReferralResult::Unknown),
        _ => true,
    }
}

#[cfg(test)]
mod check_tests {
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

#[cfg(test)]
mod iso_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn iso_fast_agrees_with_chrono(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2})?") {
            for f in ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"] {
                if let Some(fast) = iso_fast(&s, f) {
                    let slow = NaiveDateTime::parse_from_str(&s, f)
                        .ok()
                        .or_else(|| NaiveDate::parse_from_str(&s, f).ok().map(|d| d.and_time(NaiveTime::MIN)));
                    prop_assert_eq!(Some(fast), slow);
                }
            }
        }
    }

    #[test]
    fn iso_fast_takes_only_its_shapes() {
        assert!(iso_fast("2024-02-29", "%Y-%m-%d").is_some());
        assert!(iso_fast("2023-02-29", "%Y-%m-%d").is_none());
        assert!(iso_fast("2024-2-29", "%Y-%m-%d").is_none());
        assert!(iso_fast("2024-02-29T24:00:00", "%Y-%m-%dT%H:%M:%S").is_none());
        assert!(iso_fast("2024-02-29", "%d/%m/%Y").is_none());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(toml_text: &str, header: &[&str]) -> CompiledMapping {
        let spec = MappingSpec::from_toml(toml_text).expect("valid mapping");
        let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        CompiledMapping::compile(spec, &header, None).expect("compiles")
    }

    const BASE: &str = "[source]\nname = \"t\"\nsystem = \"t\"\n[key]\ncolumns = [\"id\"]\n[fields.occurred]\ncolumn = \"day\"\n";

    #[test]
    fn field_extract_keeps_the_first_group_before_codes_and_reading() {
        let m = compile(
            &format!(
                "{BASE}[fields.final_call_type]\ncolumn = \"final\"\nextract = '^(?:--)?(.*)$'\n\
                 [fields.mental_health_flag]\ncolumn = \"final\"\nextract = '^(?:--)?(.*)$'\ncodes = {{ \"CRISIS\" = true }}\n"
            ),
            &["id", "day", "final"],
        );
        let mut unknown = Vec::new();
        let e = m.map_row(&["1", "2021-05-01", "--CRISIS"], &mut unknown).expect("maps");
        assert_eq!(e.final_call_type.as_deref(), Some("CRISIS"));
        assert_eq!(e.mental_health_flag, Some(true));
        let e = m.map_row(&["2", "2021-05-01", "CRISIS"], &mut unknown).expect("maps");
        assert_eq!(e.final_call_type.as_deref(), Some("CRISIS"));
        assert!(unknown.is_empty());
        // Only the prefix is dropped: a bare "--" leaves the field unknown.
        let e = m.map_row(&["3", "2021-05-01", "--"], &mut unknown).expect("maps");
        assert_eq!(e.final_call_type, None);
    }

    #[test]
    fn field_extract_rejects_a_value_it_does_not_match_and_needs_a_group() {
        let m = compile(&format!("{BASE}[fields.beat]\ncolumn = \"beat\"\nextract = '^([A-Z]\\d)$'\n"), &["id", "day", "beat"]);
        let mut unknown = Vec::new();
        assert_eq!(m.map_row(&["1", "2021-05-01", "K1"], &mut unknown).expect("maps").area.beat.as_deref(), Some("K1"));
        let err = m.map_row(&["1", "2021-05-01", "K12"], &mut unknown).expect_err("rejected");
        assert_eq!(err.column.as_deref(), Some("beat"));
        assert!(err.reason.contains("`K12` does not match"), "{}", err.reason);
        let bad = MappingSpec::from_toml(&format!("{BASE}[fields.beat]\ncolumn = \"beat\"\nextract = '^[A-Z]'\n"));
        assert!(matches!(bad, Err(MappingError::Field { .. })));
    }

    #[test]
    fn key_pseudonymize_hashes_the_whole_key_only_with_a_pseudonym_key() {
        let text = format!("{BASE}[fields.subject_key]\ncolumn = \"id\"\n").replace("[key]\n", "[key]\npseudonymize = true\n");
        let spec = MappingSpec::from_toml(&text).expect("valid");
        let header = vec!["id".to_string(), "day".to_string()];
        let plain = CompiledMapping::compile(spec.clone(), &header, None).expect("compiles");
        assert_eq!(plain.key(&["46424", "x"]).expect("key"), "46424");
        let secret = PseudonymKey::from_bytes([7; 32]);
        let hashed = CompiledMapping::compile(spec, &header, Some(secret.clone())).expect("compiles");
        let k = hashed.key(&["46424", "x"]).expect("key");
        assert!(k.starts_with("p-") && !k.contains("46424"), "{k}");
        assert_eq!(k, hashed.key(&[" 46424 ", "y"]).expect("key"));
        let e = hashed.map_row(&["46424", "2021-05-01"], &mut Vec::new()).expect("maps");
        assert_eq!(e.source_key, k);
        assert_ne!(e.subject_key.as_deref(), Some(k.as_str()), "the key and the subject key use different namespaces");
    }

    #[test]
    fn rules_do_not_overwrite_referral_and_officer_fields_already_set() {
        let m = compile(
            &format!(
                "{BASE}[fields.officer_id]\ncolumn = \"officer\"\n\
                 [[rules]]\ncolumn = \"disp\"\nmatches = 'Shelter'\nset = {{ referral_service_type = \"housing\" }}\n\
                 [[rules]]\ncolumn = \"disp\"\nmatches = '^Referred to'\nset = {{ referral_service_type = \"other\", officer_id = \"x\" }}\n"
            ),
            &["id", "day", "officer", "disp"],
        );
        let mut unknown = Vec::new();
        let e = m.map_row(&["1", "2021-05-01", "42", "Referred to Shelter"], &mut unknown).expect("maps");
        assert_eq!(e.referrals.len(), 1);
        assert_eq!(e.referrals[0].service_type, pmhc_core::ServiceType::Housing);
        assert_eq!(e.officers.len(), 1);
        assert_eq!(e.officers[0].id.as_deref(), Some("42"));
        let e = m.map_row(&["2", "2021-05-01", "", "Referred to DESC"], &mut unknown).expect("maps");
        assert_eq!(e.referrals[0].service_type, pmhc_core::ServiceType::Other);
        assert_eq!(e.officers[0].id.as_deref(), Some("x"));
    }
}
