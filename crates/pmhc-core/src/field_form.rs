//! The field encounter form: its fields, and the parser that turns a submitted form into an
//! [`Encounter`] or a message per field. Pure code (fuzzed: `fuzz/fuzz_targets/field_form.rs`).
//!
//! The record's key is the form's `draft_id`, made when the empty form is shown: submitting the
//! same draft twice (a retry on a flaky connection) saves one encounter, not two.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use crate::*;

/// One field's problem: which field, and what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// The source system of records entered in the field form.
pub const FIELD_SOURCE: &str = "pmhc-field";

/// The source system of the field-form records of a partner: each partner owns its own (the
/// default partner keeps [`FIELD_SOURCE`]).
pub fn field_source(partner: crate::sharing::PartnerId) -> String {
    if partner == crate::sharing::DEFAULT_PARTNER { FIELD_SOURCE.to_string() } else { format!("{FIELD_SOURCE}-{partner}") }
}

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Date,
    Time,
    Text,
    Number,
    Choice,
    YesNo,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Date => "date",
            Kind::Time => "time",
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Choice => "choice",
            Kind::YesNo => "yesno",
        }
    }
}

/// One field of the form.
pub struct FieldDef {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub help: &'static str,
    pub options: Vec<(String, String)>,
    /// A person's identifier: made into the person key on save, never stored, not to be
    /// remembered by the browser's autofill.
    pub identifier: bool,
}

/// A code list as choices, "Not known" first and selected by default: an untouched choice records
/// nothing (the code's Unknown), never the list's first code.
fn codes<C: CodeList>() -> Vec<(String, String)> {
    let mut v = vec![(String::new(), "Not known".to_string())];
    v.extend(C::ALL.iter().filter(|c| c.as_str() != "unknown").map(|c| (c.as_str().to_string(), c.label().to_string())));
    v
}

fn yes_no() -> Vec<(String, String)> {
    vec![("".into(), "Not known".into()), ("yes".into(), "Yes".into()), ("no".into(), "No".into())]
}

/// The fields, in the order of the form: what happened first, then what was done, then who.
pub fn fields() -> Vec<FieldDef> {
    let f = |name, label, kind, help: &'static str, options| FieldDef { name, label, kind, required: false, help, options, identifier: false };
    let id = |name, label, kind, help| FieldDef { identifier: true, ..f(name, label, kind, help, Vec::new()) };
    let mut v = vec![
        FieldDef { required: true, ..f("occurred_on", "Date", Kind::Date, "", Vec::new()) },
        f("occurred_time", "Time", Kind::Time, "", Vec::new()),
        f("precinct", "Precinct", Kind::Text, "", Vec::new()),
        f("beat", "Beat", Kind::Text, "", Vec::new()),
        f("call_source", "How the call came in", Kind::Choice, "", codes::<CallSource>()),
        f("initial_call_type", "Call type", Kind::Text, "As dispatched, e.g. PERSON IN CRISIS", Vec::new()),
        f("mh_recognised_at_dispatch", "Mental-health need recognised at dispatch", Kind::YesNo, "", yes_no()),
        f("response_model", "Response", Kind::Choice, "", codes::<ResponseModel>()),
        f("cit_requested", "CIT officer requested", Kind::YesNo, "", yes_no()),
        f("cit_arrived", "CIT officer on scene", Kind::YesNo, "", yes_no()),
        f("clinician_on_scene", "Clinician on scene", Kind::YesNo, "", yes_no()),
        f("officers", "Officers on scene (badge numbers)", Kind::Text, "Separate them with commas or spaces, e.g. 4127, 3380", Vec::new()),
        f("disposition", "Outcome", Kind::Choice, "", codes::<Disposition>()),
        f("referral_service", "Referred to", Kind::Choice, "", Vec::new()),
        f("referral_result", "Referral result", Kind::Choice, "", codes::<ReferralResult>()),
        f("use_of_force", "Use of force", Kind::Choice, "", codes::<UseOfForce>()),
        f("subject_injured", "Person injured", Kind::YesNo, "", yes_no()),
        f("time_on_scene_minutes", "Minutes on scene", Kind::Number, "", Vec::new()),
        f("age_band", "Age", Kind::Choice, "", codes::<AgeBand>()),
        f("gender", "Gender", Kind::Choice, "", codes::<Gender>()),
        f("race_ethnicity", "Race / ethnicity", Kind::Choice, "", codes::<RaceEthnicity>()),
        f("housing_status", "Housing", Kind::Choice, "", codes::<HousingStatus>()),
        f("veteran", "Veteran", Kind::YesNo, "", yes_no()),
        id(crate::person::AGENCY_PERSON_ID, "Person's id in your agency's records", Kind::Text, "Links this encounter to the person's other records. Saved only as a person key, never as typed."),
        id(crate::person::PERSON_NAME, "Person's name", Kind::Text, "When there is no id: the name with the date of birth. Saved only as a person key."),
        id(crate::person::DATE_OF_BIRTH, "Person's date of birth", Kind::Date, ""),
    ];
    let mut services = vec![("".to_string(), "No referral".to_string())];
    services.extend(codes::<ServiceType>().into_iter().skip(1));
    if let Some(r) = v.iter_mut().find(|x| x.name == "referral_service") {
        r.options = services;
    }
    v
}

/// Whether a draft id is one the form could have made: 8–64 of `[A-Za-z0-9-]`.
pub fn valid_draft_id(s: &str) -> bool {
    (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Turn a submitted form into an encounter, or say what is wrong with which field.
pub fn parse(form: &HashMap<String, String>) -> Result<Encounter, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let get = |k: &str| form.get(k).map(|s| s.trim()).unwrap_or("");
    let mut bad = |field: &str, message: String| problems.push(FieldProblem { field: field.into(), message });

    let draft = get("draft_id");
    if !valid_draft_id(draft) {
        bad("draft_id", "the form is damaged (no draft id); reload it".into());
    }
    let occurred_on = match NaiveDate::parse_from_str(get("occurred_on"), "%Y-%m-%d") {
        Ok(d) if (1900..2100).contains(&chrono::Datelike::year(&d)) => Some(d),
        Ok(_) => {
            bad("occurred_on", "the date must be between 1900 and 2099".into());
            None
        }
        Err(_) if get("occurred_on").is_empty() => {
            bad("occurred_on", "enter the date of the encounter".into());
            None
        }
        Err(_) => {
            bad("occurred_on", format!("“{}” is not a date (YYYY-MM-DD)", get("occurred_on")));
            None
        }
    };
    let occurred_time = match get("occurred_time") {
        "" => None,
        t => match NaiveTime::parse_from_str(t, "%H:%M").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S")) {
            Ok(t) => Some(t),
            Err(_) => {
                bad("occurred_time", format!("“{t}” is not a time (HH:MM)"));
                None
            }
        },
    };
    fn code<C: CodeList + Default>(v: &str, field: &str, bad: &mut dyn FnMut(&str, String)) -> C {
        if v.is_empty() {
            return C::default();
        }
        C::parse_code(v).unwrap_or_else(|e| {
            bad(field, e.to_string());
            C::default()
        })
    }
    fn yn(v: &str, field: &str, bad: &mut dyn FnMut(&str, String)) -> Option<bool> {
        match v {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            other => {
                bad(field, format!("“{other}” is not yes or no"));
                None
            }
        }
    }
    let text = |k: &str, bad: &mut dyn FnMut(&str, String)| -> Option<String> {
        let v = get(k);
        if v.chars().count() > 200 {
            bad(k, "at most 200 characters".into());
            None
        } else if v.chars().any(|c| c.is_control()) {
            bad(k, "control characters are not allowed".into());
            None
        } else if v.is_empty() {
            None
        } else {
            Some(v.to_string())
        }
    };
    let mut b = |f: &str, m: String| bad(f, m);
    let call_source: CallSource = code(get("call_source"), "call_source", &mut b);
    let response_model: ResponseModel = code(get("response_model"), "response_model", &mut b);
    let disposition: Disposition = code(get("disposition"), "disposition", &mut b);
    let use_of_force: UseOfForce = code(get("use_of_force"), "use_of_force", &mut b);
    let age_band: AgeBand = code(get("age_band"), "age_band", &mut b);
    let gender: Gender = code(get("gender"), "gender", &mut b);
    let race_ethnicity: RaceEthnicity = code(get("race_ethnicity"), "race_ethnicity", &mut b);
    let housing_status: HousingStatus = code(get("housing_status"), "housing_status", &mut b);
    let referral_result: ReferralResult = code(get("referral_result"), "referral_result", &mut b);
    let service = get("referral_service");
    let referral = if service.is_empty() {
        None
    } else {
        let service_type: ServiceType = code(service, "referral_service", &mut b);
        Some(Referral { service_type, service: None, result: referral_result })
    };
    let mh = yn(get("mh_recognised_at_dispatch"), "mh_recognised_at_dispatch", &mut b);
    let cit_requested = yn(get("cit_requested"), "cit_requested", &mut b);
    let cit_arrived = yn(get("cit_arrived"), "cit_arrived", &mut b);
    let clinician = yn(get("clinician_on_scene"), "clinician_on_scene", &mut b);
    let injured = yn(get("subject_injured"), "subject_injured", &mut b);
    let veteran = yn(get("veteran"), "veteran", &mut b);
    let minutes = match get("time_on_scene_minutes") {
        "" => None,
        m => match m.parse::<u32>() {
            Ok(n) if n <= 24 * 60 => Some(n),
            _ => {
                b("time_on_scene_minutes", format!("“{m}” is not a number of minutes from 0 to 1440"));
                None
            }
        },
    };
    // Badge numbers as imports carry officers' ids: each as typed, without the separators.
    let officers: Vec<Officer> = text("officers", &mut b)
        .map(|v| badges(&v).into_iter().map(|id| Officer { id: Some(id), ..Officer::default() }).collect())
        .unwrap_or_default();
    let precinct = text("precinct", &mut b);
    let beat = text("beat", &mut b);
    let call_type = text("initial_call_type", &mut b);
    let Some(occurred_on) = occurred_on else { return Err(problems) };
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut e = Encounter::new(FIELD_SOURCE, draft, occurred_on);
    e.occurred_time = occurred_time;
    e.area.precinct = precinct;
    e.area.beat = beat;
    e.call_source = call_source;
    e.initial_call_type = call_type;
    e.mh_recognised_at_dispatch = mh;
    e.response_model = response_model;
    e.cit_requested = cit_requested;
    e.cit_arrived = cit_arrived;
    e.clinician_on_scene = clinician;
    e.officers = officers;
    e.disposition = disposition;
    e.referrals = referral.into_iter().collect();
    e.use_of_force = use_of_force;
    e.subject_injured = injured;
    e.time_on_scene_minutes = minutes;
    e.age_band = age_band;
    e.gender = gender;
    e.race_ethnicity = race_ethnicity;
    e.housing_status = housing_status;
    e.veteran = veteran;
    // The form is for encounters with a person in (possible) mental-health crisis.
    e.mental_health_flag = Some(true);
    e.normalize();
    if let Err(err) = e.validate() {
        return Err(vec![FieldProblem { field: "occurred_on".into(), message: err.to_string() }]);
    }
    Ok(e)
}

/// The badge numbers in what was typed: separated by commas, semicolons or white space, each once,
/// in the order typed.
pub fn badges(typed: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in typed.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|b| !b.is_empty()) {
        if !out.iter().any(|o| o == b) {
            out.push(b.to_string());
        }
    }
    out
}

/// The person's identifiers typed into the form (made into the person key when it is saved).
pub fn person(form: &HashMap<String, String>) -> crate::person::PersonIdentifiers {
    let get = |k: &str| form.get(k).filter(|v| !v.trim().is_empty()).cloned();
    crate::person::PersonIdentifiers {
        agency_person_id: get(crate::person::AGENCY_PERSON_ID),
        person_name: get(crate::person::PERSON_NAME),
        date_of_birth: get(crate::person::DATE_OF_BIRTH),
    }
}

/// What the form shows of a saved record, to edit it: every field as it would be typed (the
/// person's identifiers empty: they are not stored).
pub fn values_of(e: &Encounter) -> HashMap<String, String> {
    let mut v = HashMap::new();
    let mut put = |k: &str, s: String| {
        if !s.is_empty() {
            v.insert(k.to_string(), s);
        }
    };
    let yn = |b: Option<bool>| match b {
        Some(true) => "yes".to_string(),
        Some(false) => "no".to_string(),
        None => String::new(),
    };
    let code = |c: &str| if c == "unknown" { String::new() } else { c.to_string() };
    put("draft_id", e.source_key.clone());
    put("occurred_on", e.occurred_on.to_string());
    put("occurred_time", e.occurred_time.map(|t| t.format("%H:%M").to_string()).unwrap_or_default());
    put("precinct", e.area.precinct.clone().unwrap_or_default());
    put("beat", e.area.beat.clone().unwrap_or_default());
    put("call_source", code(e.call_source.as_str()));
    put("initial_call_type", e.initial_call_type.clone().unwrap_or_default());
    put("mh_recognised_at_dispatch", yn(e.mh_recognised_at_dispatch));
    put("response_model", code(e.response_model.as_str()));
    put("cit_requested", yn(e.cit_requested));
    put("cit_arrived", yn(e.cit_arrived));
    put("clinician_on_scene", yn(e.clinician_on_scene));
    put("officers", e.officers.iter().filter_map(|o| o.id.clone()).collect::<Vec<_>>().join(", "));
    put("disposition", code(e.disposition.as_str()));
    if let Some(r) = e.referrals.first() {
        put("referral_service", code(r.service_type.as_str()));
        put("referral_result", code(r.result.as_str()));
    }
    put("use_of_force", code(e.use_of_force.as_str()));
    put("subject_injured", yn(e.subject_injured));
    put("time_on_scene_minutes", e.time_on_scene_minutes.map(|m| m.to_string()).unwrap_or_default());
    put("age_band", code(e.age_band.as_str()));
    put("gender", code(e.gender.as_str()));
    put("race_ethnicity", code(e.race_ethnicity.as_str()));
    put("housing_status", code(e.housing_status.as_str()));
    put("veteran", yn(e.veteran));
    v
}

/// The rules of a field-form submission beyond a record's own: not dated after `today` (the
/// day the form is filled in, on the installation's clock), and not blank — a form with nothing
/// but its date (every choice "Not known", no text, no time) records nothing, unless a referral
/// to a service of the inventory is made with it (`refers`). Each problem names its field.
pub fn submission_problems(e: &Encounter, today: NaiveDate, refers: bool) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if e.occurred_on > today {
        problems.push(FieldProblem {
            field: "occurred_on".into(),
            message: format!("{} is after today ({today}): enter the day of the encounter", e.occurred_on),
        });
    }
    if !refers && is_blank(e) {
        problems.push(FieldProblem {
            field: "disposition".into(),
            message: "the form is blank: record at least the outcome, or any other detail of the encounter".into(),
        });
    }
    problems
}

/// Whether the form recorded nothing but its date (and its draft id).
pub fn is_blank(e: &Encounter) -> bool {
    let mut empty = Encounter::new(e.source_system.clone(), e.source_key.clone(), e.occurred_on);
    empty.date_precision = e.date_precision;
    empty.mental_health_flag = Some(true);
    empty.normalize();
    let mut other = e.clone();
    other.normalize();
    other == empty
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A future date and a blank form are refused, each problem naming its field.
    #[test]
    fn future_dates_and_blank_forms_are_refused() {
        let today = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        let blank = parse(&form(&[("draft_id", "abcdef12"), ("occurred_on", "2024-03-05")])).unwrap();
        assert!(is_blank(&blank));
        let problems = submission_problems(&blank, today, false);
        assert_eq!(problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["disposition"]);
        assert!(submission_problems(&blank, today, true).is_empty(), "a referral is content");
        let tomorrow = parse(&form(&[("draft_id", "abcdef12"), ("occurred_on", "2024-03-06"), ("precinct", "North")])).unwrap();
        assert!(!is_blank(&tomorrow));
        let problems = submission_problems(&tomorrow, today, false);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "occurred_on");
        assert!(problems[0].message.contains("after today (2024-03-05)"), "{}", problems[0].message);
        for (field, value) in [("occurred_time", "10:15"), ("disposition", "referral"), ("veteran", "no"), ("time_on_scene_minutes", "0"), ("referral_service", "mobile_crisis")] {
            let e = parse(&form(&[("draft_id", "abcdef12"), ("occurred_on", "2024-03-05"), (field, value)])).unwrap();
            assert!(submission_problems(&e, today, false).is_empty(), "{field}");
        }
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_minimal_form_is_an_encounter() {
        let e = parse(&form(&[("draft_id", "abcdef12-3456"), ("occurred_on", "2024-03-05")])).unwrap();
        assert_eq!(e.source_system, FIELD_SOURCE);
        assert_eq!(e.source_key, "abcdef12-3456");
        assert_eq!(e.occurred_on, NaiveDate::from_ymd_opt(2024, 3, 5).unwrap());
        assert_eq!(e.disposition, Disposition::Unknown);
        assert_eq!(e.age_band, AgeBand::Unknown);
        assert_eq!(e.mental_health_flag, Some(true));
    }

    #[test]
    fn every_choice_starts_with_not_known() {
        for f in fields() {
            if f.kind == Kind::Choice || f.kind == Kind::YesNo {
                assert_eq!(f.options[0].0, "", "{}: an untouched choice must record nothing", f.name);
                assert_eq!(f.options.iter().filter(|o| o.0.is_empty()).count(), 1, "{}", f.name);
            }
        }
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let problems = parse(&form(&[
            ("draft_id", "abcdef12"),
            ("occurred_on", "2024-02-30"),
            ("occurred_time", "25:00"),
            ("disposition", "vaporised"),
            ("veteran", "maybe"),
            ("time_on_scene_minutes", "-3"),
        ]))
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for f in ["occurred_on", "occurred_time", "disposition", "veteran", "time_on_scene_minutes"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    /// Badge numbers are the officers, as imports carry them; the person's identifiers are not
    /// part of the record, and a saved record comes back into the form as it was typed.
    #[test]
    fn officers_by_badge_and_the_person_apart() {
        let typed = [
            ("draft_id", "abcdef12"),
            ("occurred_on", "2024-03-05"),
            ("officers", " 4127, 3380;4127  B-12 "),
            ("agency_person_id", "A-17"),
            ("person_name", "Jo Doe"),
            ("date_of_birth", "1980-01-02"),
            ("cit_requested", "yes"),
        ];
        let e = parse(&form(&typed)).unwrap();
        let ids: Vec<&str> = e.officers.iter().filter_map(|o| o.id.as_deref()).collect();
        assert_eq!(ids, ["3380", "4127", "B-12"]);
        assert_eq!(e.subject_key, None, "the form's parser never sees a person key");
        let p = person(&form(&typed));
        assert_eq!(p.agency_person_id.as_deref(), Some("A-17"));
        assert_eq!(p.date_of_birth.as_deref(), Some("1980-01-02"));
        assert!(person(&form(&[("agency_person_id", "  ")])).is_empty());
        let back = values_of(&e);
        assert_eq!(back.get("officers").map(String::as_str), Some("3380, 4127, B-12"));
        assert_eq!(back.get("cit_requested").map(String::as_str), Some("yes"));
        assert!(!back.contains_key("agency_person_id") && !back.contains_key("person_name"));
        assert_eq!(parse(&back).unwrap(), e, "a saved record comes back into the form as it was");
        let long = "9".repeat(201);
        let problems = parse(&form(&[("draft_id", "abcdef12"), ("occurred_on", "2024-03-05"), ("officers", &long)])).unwrap_err();
        assert_eq!(problems[0].field, "officers");
        assert!(fields().iter().filter(|f| f.identifier).map(|f| f.name).eq(["agency_person_id", "person_name", "date_of_birth"]));
    }

    #[test]
    fn a_full_form_keeps_every_choice() {
        let e = parse(&form(&[
            ("draft_id", "abcdef12"),
            ("occurred_on", "2024-03-05"),
            ("occurred_time", "14:30"),
            ("precinct", "North"),
            ("response_model", "co_responder"),
            ("disposition", "referral"),
            ("referral_service", "mobile_crisis"),
            ("referral_result", "accepted"),
            ("cit_requested", "yes"),
            ("veteran", "no"),
        ]))
        .unwrap();
        assert_eq!(e.area.precinct.as_deref(), Some("North"));
        assert_eq!(e.response_model, ResponseModel::CoResponder);
        assert_eq!(e.referrals.len(), 1);
        assert_eq!(e.cit_requested, Some(true));
        assert_eq!(e.veteran, Some(false));
    }
}
