//! A mapping bound to one file's header: [`CompiledMapping::compile`] finds the columns, reads
//! the mapping's codes, patterns, defaults and rules as canonical values, and compiles the regexes.

use std::collections::HashMap;

use chrono::NaiveDate;
use pmhc_core::{DatePrecision, Encounter, Field, FieldKind, MergeRules, PseudonymKey, Value, codes_of};
use regex::Regex;

use super::read::{parse_bool, read_value};
use super::spec::{
    Combine, FieldSpec, MappingError, MappingSpec, MissingColumns, RowsPerEncounter, RuleSpec, SourceSpec, StringOrList,
};

/// How a column's raw text becomes a [`Value`].
#[derive(Debug, Clone)]
pub(super) enum Reader {
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
pub(super) enum Source {
    Constant(Value),
    Columns(Vec<usize>, Vec<String>),
}

/// What a field does with a code it does not know.
#[derive(Debug, Clone)]
pub(super) enum Fallback {
    Reject,
    LeaveUnknown,
    Use(Value),
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledField {
    pub(super) field: Field,
    /// The column names joined with `+` (how a joined field's column is reported).
    pub(super) joined_name: String,
    pub(super) source: Source,
    pub(super) combine: Combine,
    pub(super) reader: Reader,
    pub(super) nulls: Vec<String>,
    pub(super) codes: HashMap<String, Option<Value>>,
    pub(super) patterns: Vec<(Regex, Option<Value>)>,
    pub(super) fallback: Fallback,
    pub(super) default: Option<Value>,
    pub(super) pseudonymize: Option<String>,
    pub(super) required: bool,
    pub(super) extract: Option<Regex>,
}

#[derive(Debug, Clone)]
pub(super) struct CompiledRule {
    pub(super) column: usize,
    pub(super) column_name: String,
    pub(super) regex: Regex,
    pub(super) set: Vec<(Field, Value)>,
    pub(super) overwrite: bool,
}

/// A mapping bound to one file's header.
#[derive(Debug)]
pub struct CompiledMapping {
    pub spec: MappingSpec,
    pub(super) key_columns: Vec<usize>,
    pub(super) fallback_key_columns: Vec<usize>,
    pub(super) placeholders: Vec<(usize, Vec<String>)>,
    pub(super) key_extract: HashMap<usize, Regex>,
    pub(super) fields: Vec<CompiledField>,
    pub(super) rules: Vec<CompiledRule>,
    pub(super) nulls: Vec<String>,
    merge: MergeRules,
    pub(super) pseudonym_key: Option<PseudonymKey>,
    /// The namespace of the person keys made from a name and date of birth: the subject_key's
    /// (its `namespace`, else the source system).
    pub(super) person_namespace: String,
    /// The key-column indexes and separator, for grouping rows before mapping.
    pub(crate) key_separator: String,
    /// Columns of optional fields that the file lacks (with `missing_columns = "ignore"`).
    pub absent_columns: Vec<String>,
}

pub(super) fn lower(s: &str) -> String {
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

pub(super) fn compile_field(
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

pub(super) fn compile_rule(index: usize, r: &RuleSpec, header: &HashMap<String, usize>, dry: bool) -> Result<CompiledRule, MappingError> {
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
            FieldKind::Text if !matches!(field, Field::SubjectName | Field::SubjectBirthDate) => Reader::Text,
            _ => return Err(err(format!("rules cannot set `{name}`"))),
        };
        match toml_to_value(field, &reader, v).map_err(|m| err(format!("{name}: {m}")))? {
            Some(v) => set.push((field, v)),
            None => return Err(err(format!("{name}: a rule cannot set a value to unknown"))),
        }
    }
    Ok(CompiledRule { column, column_name: r.column.clone(), regex, set, overwrite: r.overwrite })
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
        let person_namespace = spec.fields.get("subject_key").and_then(|f| f.namespace.clone()).unwrap_or_else(|| spec.source.system.clone());
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
            person_namespace,
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
}
