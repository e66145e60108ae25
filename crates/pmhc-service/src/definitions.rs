//! The shared definitions as an annotated TOML document (what `pmhc definitions show` prints and
//! the definitions page edits).

use pmhc_core::CodeList;
use pmhc_core::definition::SharedDefinition;

/// The definitions as TOML, with a comment before each section saying what it means and which
/// codes it accepts.
pub fn definitions_toml(def: &SharedDefinition) -> Result<String, String> {
    let text = toml::to_string_pretty(def).map_err(|e| format!("cannot write the definitions as TOML: {e}"))?;
    Ok(annotate_definitions(&text))
}

fn codes<C: CodeList>() -> String {
    C::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
}

/// The definitions' TOML with a comment before each section saying what it means and which codes
/// it accepts.
fn annotate_definitions(toml_text: &str) -> String {
    use pmhc_core::{CallSource, Disposition, ReferralResult, ResponseModel, ServiceType};
    let notes: Vec<(&str, String)> = vec![
        (
            "[mental_health]",
            format!(
                "# Which encounters count as mental-health encounters: any criterion switched on and met.\n\
                 # all_encounters = true counts every encounter (a crisis-only source, or a study of all force).\n\
                 # call_types match the initial or final call type, ignoring case and surrounding spaces.\n\
                 # call_sources: {}\n# response_models: {}",
                codes::<CallSource>(),
                codes::<ResponseModel>()
            ),
        ),
        (
            "[repeat]",
            "# A person has repeat encounters in a period when min_encounters of their encounters in it\n\
             # fall within window_days of each other (outcome 2)."
                .to_string(),
        ),
        (
            "[frequent_arrests]",
            "# A person has frequent arrests when min_arrests of their arrests fall within window_days.".to_string(),
        ),
        (
            "[connection]",
            format!(
                "# Connection to resources (outcome 1): these dispositions, or any recorded referral when\n\
                 # any_referral = true; confirmed when a referral result is one of confirmed_results, or\n\
                 # when the provider of a closed-loop referral confirmed the connection within\n\
                 # confirmed_within_days of the encounter.\n\
                 # dispositions: {}\n# confirmed_results: {}",
                codes::<Disposition>(),
                codes::<ReferralResult>()
            ),
        ),
        (
            "[diversion]",
            format!(
                "# Diversion: not arrested, and none of these dispositions or referral destinations.\n\
                 # excluded_service_types: {}",
                codes::<ServiceType>()
            ),
        ),
        (
            "[disclosure]",
            "# Values of your sources that reveal substance use although they are in another field group\n\
             # (a CAD code, a local call type), matched whole, ignoring case. Withheld like substance use\n\
             # itself from other partners without the person's consent, with pmhc's built-in words\n\
             # (intoxicated, overdose, detox, alcohol, drug, ...). E.g. substance_use_values = [\"SU1\"]"
                .to_string(),
        ),
        (
            "[periods",
            "# The periods a report compares when --baseline / --comparison are not given.".to_string(),
        ),
    ];
    let mut out = String::new();
    let mut periods_noted = false;
    for line in toml_text.lines() {
        for (header, note) in &notes {
            if line.starts_with(header) {
                if *header == "[periods" {
                    if periods_noted {
                        continue;
                    }
                    periods_noted = true;
                }
                out.push_str(note);
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
