//! One row to an encounter: its key (with placeholders, extraction and pseudonymisation), each
//! field's value (nulls, columns combined, codes, patterns, fallbacks), then the rules.

use chrono::NaiveDate;
use pmhc_core::person::PersonIdentity;
use pmhc_core::{Encounter, Field, FieldKind, Value, codes_of};

use super::compile::{CompiledField, CompiledMapping, Fallback, Reader, Source, lower};
use super::read::read_value;
use super::spec::Combine;

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

impl CompiledMapping {
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
        let (mut person_name, mut birth_date) = (None, None);
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
                // Normalised as the field form and the API normalise it (pmhc_core::person).
                match PersonIdentity::agency_id(id) {
                    Ok(Some(who)) => value = Value::Text(k.person_key(ns, &who)),
                    Ok(None) => continue,
                    Err(err) => return Err(RowError { column: self.first_column(f), reason: format!("subject_key: {err}") }),
                }
            }
            // A name and a date of birth are kept aside for the person key, never set.
            match (f.field, &value) {
                (Field::SubjectName, Value::Text(t)) => {
                    person_name = Some((t.clone(), self.first_column(f)));
                    continue;
                }
                (Field::SubjectBirthDate, Value::DateTime(t)) => {
                    birth_date = Some((t.date(), self.first_column(f)));
                    continue;
                }
                _ => {}
            }
            if f.field == Field::Occurred {
                have_occurred = true;
            }
            e.set(f.field, value).map_err(|err| RowError { column: self.first_column(f), reason: err.to_string() })?;
        }
        if !have_occurred {
            return Err(RowError { column: None, reason: "occurred is required but empty".into() });
        }
        // Without an id, a name with its date of birth (on or before the encounter's day) is the
        // person key, made as the field form makes it; one without the other makes none.
        if e.subject_key.is_none()
            && let (Some((name, name_column)), Some((born, born_column))) = (person_name, birth_date)
            && let Some(k) = &self.pseudonym_key
        {
            match PersonIdentity::name_and_birth_date(&name, born, e.occurred_on) {
                Ok(Some(who)) => e.subject_key = Some(k.person_key(&self.person_namespace, &who)),
                Ok(None) => {}
                Err(err) => {
                    let column = if err.field() == pmhc_core::person::PERSON_NAME { name_column } else { born_column };
                    let field = if err.field() == pmhc_core::person::PERSON_NAME { "subject_name" } else { "subject_birth_date" };
                    return Err(RowError { column, reason: format!("{field}: {err}") });
                }
            }
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
mod tests {
    use pmhc_core::PseudonymKey;

    use super::*;
    use crate::mapping::{MappingError, MappingSpec};

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

    /// The person key of an import is made by pmhc_core::person, as the field form makes it: an
    /// id normalised (spacing, case, compatibility forms), else a name with its date of birth.
    #[test]
    fn person_keys_are_normalised_ids_or_names_with_dates_of_birth() {
        use pmhc_core::person::PersonIdentity;
        let text = format!(
            "{BASE}[fields.subject_key]\ncolumn = \"person\"\nnamespace = \"county-rms\"\n\
             [fields.subject_name]\ncolumns = [\"first\", \"last\"]\ncombine = \"join\"\n\
             [fields.subject_birth_date]\ncolumn = \"dob\"\nformat = \"%m/%d/%Y\"\n"
        );
        let spec = MappingSpec::from_toml(&text).expect("valid");
        let header: Vec<String> = ["id", "day", "person", "first", "last", "dob"].iter().map(|s| s.to_string()).collect();
        let secret = PseudonymKey::from_bytes([7; 32]);
        let m = CompiledMapping::compile(spec, &header, Some(secret.clone())).expect("compiles");
        let key = |row: &[&str]| m.map_row(row, &mut Vec::new()).map(|e| e.subject_key);
        let by_id = secret.person_key("county-rms", &PersonIdentity::agency_id("ab-17").unwrap().unwrap());
        assert_eq!(key(&["1", "2021-05-01", " AB-17 ", "Jo", "Doe", "01/02/1980"]), Ok(Some(by_id.clone())), "the id wins");
        assert_eq!(key(&["2", "2021-05-01", "ａｂ-17", "", "", ""]), Ok(Some(by_id)));
        let born = chrono::NaiveDate::from_ymd_opt(1980, 1, 2).unwrap();
        let named = PersonIdentity::name_and_birth_date("jo doe", born, born).unwrap().unwrap();
        let by_name = secret.person_key("county-rms", &named);
        assert_eq!(key(&["3", "2021-05-01", "", " JO ", "DOE  ", "01/02/1980"]), Ok(Some(by_name.clone())));
        assert_eq!(key(&["4", "2021-05-01", "", "jo", "doe", "1/2/1980"]), Ok(Some(by_name)));
        assert_eq!(key(&["5", "2021-05-01", "", "Jo", "Doe", ""]), Ok(None), "a name alone makes no key");
        let err = key(&["6", "2021-05-01", "", "Jo", "Doe", "01/02/2022"]).expect_err("born after the encounter");
        assert_eq!(err.column.as_deref(), Some("dob"));
        assert!(err.reason.starts_with("subject_birth_date: the date of birth is after 2021-05-01"), "{}", err.reason);
        assert!(key(&["7", "2021-05-01", "", "Jo", "Doe", "01/02/1899"]).is_err(), "born before 1900");
        let err = key(&["8", "2021-05-01", &"9".repeat(201), "", "", ""]).expect_err("id over the limit");
        assert_eq!(err.column.as_deref(), Some("person"));
        // Neither is ever set on a record, nor set by a rule.
        assert!(MappingSpec::from_toml(&format!("{BASE}[[rules]]\ncolumn = \"id\"\nmatches = 'x'\nset = {{ subject_name = \"x\" }}\n"))
            .and_then(|s| CompiledMapping::compile(s, &header, None))
            .is_err());
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
