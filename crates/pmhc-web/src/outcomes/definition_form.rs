//! The shared definitions as a form: each setting with what it means and its value, read back
//! into a [`SharedDefinition`] for the one save use case (`pmhc_service::definitions::save`).
//! The values are kept as typed, so that a form refused for one setting comes back with every
//! other setting as the editor left it and the message next to the one to fix.

use chrono::NaiveDate;
use pmhc_core::CodeList;
use pmhc_core::codes::{CallSource, Disposition, ReferralResult, ResponseModel, ServiceType};
use pmhc_core::definition::{
    ConnectionDefinition, DefinitionError, DisclosureDefinition, DiversionDefinition, DiversionEnd, FrequentArrestDefinition,
    MentalHealthDefinition, Period, Periods, RepeatDefinition, SharedDefinition,
};

/// One choice of a list of checkboxes: (code, label, ticked).
pub type Choice = (&'static str, &'static str, bool);

/// The definitions form as typed (or as the definitions in force fill it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DefinitionForm {
    pub name: String,
    pub all_encounters: bool,
    pub flagged: bool,
    pub recognised_at_dispatch: bool,
    /// One call type per line.
    pub call_types: String,
    pub call_sources: Vec<String>,
    pub response_models: Vec<String>,
    pub repeat_min: String,
    pub repeat_window: String,
    pub arrests_min: String,
    pub arrests_window: String,
    pub dispositions: Vec<String>,
    pub any_referral: bool,
    pub confirmed_results: Vec<String>,
    pub confirmed_within_days: String,
    pub ended_by: Vec<String>,
    pub excluded_dispositions: Vec<String>,
    pub excluded_service_types: Vec<String>,
    /// One value per line.
    pub substance_use_values: String,
    /// Months as `YYYY-MM` (the `<input type="month">` value); all four empty: none published.
    pub baseline_from: String,
    pub baseline_to: String,
    pub comparison_from: String,
    pub comparison_to: String,
}

/// Why the form cannot be read: the setting (as the TOML names it) and what to do, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    pub setting: &'static str,
    pub message: String,
}

impl From<DefinitionError> for FormProblem {
    fn from(e: DefinitionError) -> Self {
        FormProblem { setting: e.setting(), message: e.in_words() }
    }
}

fn codes<C: CodeList>(v: &[C]) -> Vec<String> {
    v.iter().map(|c| c.as_str().to_string()).collect()
}

fn month(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

impl DefinitionForm {
    /// The form filled with these definitions.
    pub fn from_definition(d: &SharedDefinition) -> Self {
        let d = d.clone().for_new_version();
        let mh = &d.mental_health;
        let (baseline_from, baseline_to, comparison_from, comparison_to) = match &d.periods {
            Some(p) => (month(p.baseline.from), month(p.baseline.to), month(p.comparison.from), month(p.comparison.to)),
            None => Default::default(),
        };
        DefinitionForm {
            name: d.name.clone(),
            all_encounters: mh.all_encounters,
            flagged: mh.flagged,
            recognised_at_dispatch: mh.recognised_at_dispatch,
            call_types: mh.call_types.join("\n"),
            call_sources: codes(&mh.call_sources),
            response_models: codes(&mh.response_models),
            repeat_min: d.repeat.min_encounters.to_string(),
            repeat_window: d.repeat.window_days.to_string(),
            arrests_min: d.frequent_arrests.min_arrests.to_string(),
            arrests_window: d.frequent_arrests.window_days.to_string(),
            dispositions: codes(&d.connection.dispositions),
            any_referral: d.connection.any_referral,
            confirmed_results: codes(&d.connection.confirmed_results),
            confirmed_within_days: d.connection.confirmed_within_days.to_string(),
            ended_by: d.diversion.ended_by.as_deref().unwrap_or_default().iter().map(|e| e.as_str().to_string()).collect(),
            excluded_dispositions: codes(&d.diversion.excluded_dispositions),
            excluded_service_types: codes(&d.diversion.excluded_service_types),
            substance_use_values: d.disclosure.substance_use_values.join("\n"),
            baseline_from,
            baseline_to,
            comparison_from,
            comparison_to,
        }
    }

    /// The form as posted: each setting under its TOML name (`repeat.min_encounters`); a
    /// checkbox list repeats its name once per ticked value. Other fields are ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        let many = |k: &str| pairs.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        let on = |k: &str| pairs.iter().any(|(n, v)| n == k && !v.is_empty());
        DefinitionForm {
            name: one("name"),
            all_encounters: on("mental_health.all_encounters"),
            flagged: on("mental_health.flagged"),
            recognised_at_dispatch: on("mental_health.recognised_at_dispatch"),
            call_types: one("mental_health.call_types"),
            call_sources: many("mental_health.call_sources"),
            response_models: many("mental_health.response_models"),
            repeat_min: one("repeat.min_encounters"),
            repeat_window: one("repeat.window_days"),
            arrests_min: one("frequent_arrests.min_arrests"),
            arrests_window: one("frequent_arrests.window_days"),
            dispositions: many("connection.dispositions"),
            any_referral: on("connection.any_referral"),
            confirmed_results: many("connection.confirmed_results"),
            confirmed_within_days: one("connection.confirmed_within_days"),
            ended_by: many("diversion.ended_by"),
            excluded_dispositions: many("diversion.excluded_dispositions"),
            excluded_service_types: many("diversion.excluded_service_types"),
            substance_use_values: one("disclosure.substance_use_values"),
            baseline_from: one("periods.baseline.from"),
            baseline_to: one("periods.baseline.to"),
            comparison_from: one("periods.comparison.from"),
            comparison_to: one("periods.comparison.to"),
        }
    }

    /// The definitions this form says, checked by the rules every definition follows
    /// ([`SharedDefinition::validate`]); the first problem names its setting.
    pub fn to_definition(&self) -> Result<SharedDefinition, FormProblem> {
        fn number(setting: &'static str, v: &str) -> Result<u32, FormProblem> {
            v.trim().replace([',', ' ', '\u{a0}'], "").parse::<u32>().map_err(|_| FormProblem {
                setting,
                message: if v.trim().is_empty() { "Write a whole number here.".into() } else { format!("“{}” is not a whole number: write digits, e.g. 90.", v.trim()) },
            })
        }
        fn list<C: CodeList>(setting: &'static str, values: &[String]) -> Result<Vec<C>, FormProblem> {
            let mut out = Vec::new();
            for v in values {
                let c = C::parse_code(v).map_err(|e| FormProblem { setting, message: format!("“{}” is not one of the choices ({})", e.value, e.expected) })?;
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            Ok(out)
        }
        fn lines(v: &str) -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for l in v.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(l)) {
                    out.push(l.to_string());
                }
            }
            out
        }
        let ended_by = {
            let mut out = Vec::new();
            for v in &self.ended_by {
                let e = DiversionEnd::ALL.iter().copied().find(|e| e.as_str() == v.trim()).ok_or_else(|| FormProblem {
                    setting: "diversion.ended_by",
                    message: format!("“{}” is not one of the choices", v.trim()),
                })?;
                if !out.contains(&e) {
                    out.push(e);
                }
            }
            out
        };
        let def = SharedDefinition {
            name: self.name.trim().to_string(),
            mental_health: MentalHealthDefinition {
                all_encounters: self.all_encounters,
                flagged: self.flagged,
                recognised_at_dispatch: self.recognised_at_dispatch,
                call_types: lines(&self.call_types),
                call_sources: list::<CallSource>("mental_health.call_sources", &self.call_sources)?,
                response_models: list::<ResponseModel>("mental_health.response_models", &self.response_models)?,
            },
            repeat: RepeatDefinition {
                min_encounters: number("repeat.min_encounters", &self.repeat_min)?,
                window_days: number("repeat.window_days", &self.repeat_window)?,
            },
            frequent_arrests: FrequentArrestDefinition {
                min_arrests: number("frequent_arrests.min_arrests", &self.arrests_min)?,
                window_days: number("frequent_arrests.window_days", &self.arrests_window)?,
            },
            connection: ConnectionDefinition {
                dispositions: list::<Disposition>("connection.dispositions", &self.dispositions)?,
                any_referral: self.any_referral,
                confirmed_results: list::<ReferralResult>("connection.confirmed_results", &self.confirmed_results)?,
                confirmed_within_days: number("connection.confirmed_within_days", &self.confirmed_within_days)?,
            },
            diversion: DiversionDefinition {
                ended_by: Some(ended_by),
                excluded_dispositions: list::<Disposition>("diversion.excluded_dispositions", &self.excluded_dispositions)?,
                excluded_service_types: list::<ServiceType>("diversion.excluded_service_types", &self.excluded_service_types)?,
            },
            disclosure: DisclosureDefinition { substance_use_values: lines(&self.substance_use_values) },
            periods: self.periods()?,
        };
        def.validate()?;
        Ok(def)
    }

    /// The published periods: none when all four months are empty, otherwise all four, each
    /// period from the first day of its first month to the last day of its last.
    fn periods(&self) -> Result<Option<Periods>, FormProblem> {
        let months = [&self.baseline_from, &self.baseline_to, &self.comparison_from, &self.comparison_to];
        if months.iter().all(|m| m.trim().is_empty()) {
            return Ok(None);
        }
        let first = |m: &str| -> Result<NaiveDate, FormProblem> {
            NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").map_err(|_| FormProblem {
                setting: "periods",
                message: if m.trim().is_empty() {
                    "Choose all four months, or none to publish no periods.".into()
                } else {
                    format!("“{}” is not a month: write it as YYYY-MM, e.g. 2025-01.", m.trim())
                },
            })
        };
        let last = |m: &str| -> Result<NaiveDate, FormProblem> {
            let d = first(m)?;
            let next = d.checked_add_months(chrono::Months::new(1)).ok_or_else(|| FormProblem { setting: "periods", message: format!("“{}” is too far ahead", m.trim()) })?;
            Ok(next.pred_opt().unwrap_or(d))
        };
        let baseline = Period::new(first(&self.baseline_from)?, last(&self.baseline_to)?)?;
        let comparison = Period::new(first(&self.comparison_from)?, last(&self.comparison_to)?)?;
        Ok(Some(Periods { baseline, comparison }))
    }

    fn choices<C: CodeList>(ticked: &[String]) -> Vec<Choice> {
        C::ALL
            .iter()
            .map(|c| (c.as_str(), c.label(), ticked.iter().any(|t| t.trim().eq_ignore_ascii_case(c.as_str()))))
            // "Not known" is no criterion anyone chooses; it is shown only while a version has it.
            .filter(|(code, _, on)| *code != "unknown" || *on)
            .collect()
    }

    pub fn call_source_choices(&self) -> Vec<Choice> {
        Self::choices::<CallSource>(&self.call_sources)
    }
    pub fn response_model_choices(&self) -> Vec<Choice> {
        Self::choices::<ResponseModel>(&self.response_models)
    }
    pub fn disposition_choices(&self) -> Vec<Choice> {
        Self::choices::<Disposition>(&self.dispositions)
    }
    pub fn confirmed_result_choices(&self) -> Vec<Choice> {
        Self::choices::<ReferralResult>(&self.confirmed_results)
    }
    /// Rows for a box of one value per line: all of them and one more to type in.
    pub fn rows(text: &str) -> usize {
        (text.lines().count() + 1).clamp(3, 20)
    }

    pub fn ended_by_choices(&self) -> Vec<Choice> {
        DiversionEnd::ALL.iter().map(|e| (e.as_str(), e.words(), self.ended_by.iter().any(|t| t == e.as_str()))).collect()
    }
    pub fn excluded_disposition_choices(&self) -> Vec<Choice> {
        Self::choices::<Disposition>(&self.excluded_dispositions)
    }
    pub fn excluded_service_type_choices(&self) -> Vec<Choice> {
        Self::choices::<ServiceType>(&self.excluded_service_types)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(form: &DefinitionForm) -> Vec<(String, String)> {
        let mut p = vec![("name".to_string(), form.name.clone())];
        let mut push = |k: &str, v: &str| p.push((k.to_string(), v.to_string()));
        for (k, on) in [
            ("mental_health.all_encounters", form.all_encounters),
            ("mental_health.flagged", form.flagged),
            ("mental_health.recognised_at_dispatch", form.recognised_at_dispatch),
            ("connection.any_referral", form.any_referral),
        ] {
            if on {
                push(k, "on");
            }
        }
        push("mental_health.call_types", &form.call_types);
        for (k, vs) in [
            ("mental_health.call_sources", &form.call_sources),
            ("mental_health.response_models", &form.response_models),
            ("connection.dispositions", &form.dispositions),
            ("connection.confirmed_results", &form.confirmed_results),
            ("diversion.ended_by", &form.ended_by),
            ("diversion.excluded_dispositions", &form.excluded_dispositions),
            ("diversion.excluded_service_types", &form.excluded_service_types),
        ] {
            for v in vs {
                push(k, v);
            }
        }
        for (k, v) in [
            ("repeat.min_encounters", &form.repeat_min),
            ("repeat.window_days", &form.repeat_window),
            ("frequent_arrests.min_arrests", &form.arrests_min),
            ("frequent_arrests.window_days", &form.arrests_window),
            ("connection.confirmed_within_days", &form.confirmed_within_days),
            ("disclosure.substance_use_values", &form.substance_use_values),
            ("periods.baseline.from", &form.baseline_from),
            ("periods.baseline.to", &form.baseline_to),
            ("periods.comparison.from", &form.comparison_from),
            ("periods.comparison.to", &form.comparison_to),
        ] {
            push(k, v);
        }
        p
    }

    fn published() -> SharedDefinition {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        SharedDefinition {
            periods: Some(Periods {
                baseline: Period { from: d("2023-01-01"), to: d("2023-12-31") },
                comparison: Period { from: d("2025-02-01"), to: d("2026-01-31") },
            }),
            disclosure: DisclosureDefinition { substance_use_values: vec!["DETOX".into()] },
            ..SharedDefinition::default()
        }
    }

    #[test]
    fn the_definitions_go_through_the_form_unchanged() {
        for def in [SharedDefinition::default(), published()] {
            let form = DefinitionForm::from_definition(&def);
            assert_eq!(DefinitionForm::from_pairs(&pairs(&form)), form);
            assert_eq!(form.to_definition(), Ok(def));
        }
    }

    #[test]
    fn a_change_in_the_form_is_a_change_of_that_setting_only() {
        let mut form = DefinitionForm::from_definition(&published());
        form.repeat_window = " 1,000 ".into();
        form.call_types.push_str("\n  welfare check \nWELFARE CHECK\n\n");
        form.comparison_to = "2026-02".into();
        let d = form.to_definition().unwrap();
        assert_eq!(d.repeat.window_days, 1000);
        assert_eq!(d.mental_health.call_types.last().map(String::as_str), Some("welfare check"));
        assert_eq!(d.periods.unwrap().comparison.to, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        let none = DefinitionForm { baseline_from: String::new(), baseline_to: String::new(), comparison_from: String::new(), comparison_to: String::new(), ..form };
        assert_eq!(none.to_definition().unwrap().periods, None);
    }

    #[test]
    fn a_problem_names_its_setting_in_words() {
        let base = DefinitionForm::from_definition(&SharedDefinition::default());
        let problem = |f: DefinitionForm| f.to_definition().unwrap_err();
        let p = problem(DefinitionForm { repeat_min: "1".into(), ..base.clone() });
        assert_eq!((p.setting, p.message.as_str()), ("repeat.min_encounters", "A repeat needs at least 2 encounters (this says 1)."));
        let p = problem(DefinitionForm { arrests_window: "a year".into(), ..base.clone() });
        assert_eq!(p.setting, "frequent_arrests.window_days");
        assert!(p.message.contains("“a year” is not a whole number"), "{}", p.message);
        let p = problem(DefinitionForm { ended_by: vec!["citation".into()], ..base.clone() });
        assert_eq!(p.setting, "diversion.ended_by");
        let p = problem(DefinitionForm {
            flagged: false,
            recognised_at_dispatch: false,
            call_types: " \n".into(),
            call_sources: vec![],
            response_models: vec![],
            ..base.clone()
        });
        assert_eq!(p.setting, "mental_health");
        let p = problem(DefinitionForm { baseline_from: "2024-01".into(), ..base.clone() });
        assert_eq!((p.setting, p.message.as_str()), ("periods", "Choose all four months, or none to publish no periods."));
        let p = problem(DefinitionForm { response_models: vec!["teleportation".into()], ..base.clone() });
        assert_eq!(p.setting, "mental_health.response_models");
        let p = problem(DefinitionForm { name: "  ".into(), ..base });
        assert_eq!(p.setting, "name");
    }

    #[test]
    fn the_choices_show_what_is_ticked() {
        let form = DefinitionForm::from_definition(&SharedDefinition::default());
        let sources = form.call_source_choices();
        assert!(sources.iter().any(|(c, _, on)| *c == "988_transfer" && *on));
        assert!(!sources.iter().any(|(c, _, _)| *c == "unknown"), "not known is no criterion to offer");
        assert_eq!(form.ended_by_choices().iter().filter(|c| c.2).count(), 3);
    }
}
