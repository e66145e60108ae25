//! The shared definitions: saving a new version (one use case for the CLI, the page and the API,
//! with its permission check and its audit entry written before the version is visible), and the
//! annotated TOML document (what `pmhc definitions show` prints and the definitions page edits).

use pmhc_core::CodeList;
use pmhc_core::access::Permission;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::definition::{DefinitionVersion, SharedDefinition};

use crate::audit::{self, Actor};
use crate::{Acting, ServiceContext, ServiceError};

/// What saving gave.
#[derive(Debug, Clone)]
pub enum Saved {
    /// A new version, in force from now.
    New(DefinitionVersion),
    /// The definitions given are those in force already (this version): nothing saved, nothing
    /// audited.
    Unchanged(u32),
}

/// Save `def` as the next version of the shared definitions. `note` says what changed and why
/// (required; no control characters but newlines and tabs; at most 2,000 characters). The author
/// is the acting user (the operator: its account, with `author_name` beside it when given).
pub async fn save(
    cx: &ServiceContext,
    actor: &Actor,
    by: Acting<'_>,
    def: SharedDefinition,
    note: &str,
    author_name: Option<&str>,
) -> Result<Saved, ServiceError> {
    let store = cx.store();
    by.require(Permission::EditDefinitions)?;
    let note = note.trim();
    if note.is_empty() {
        return Err(ServiceError::InvalidField { field: "note".into(), message: "say what changed and why".into() });
    }
    if note.chars().any(|c| c.is_control() && c != '\n' && c != '\t') || note.chars().count() > 2000 {
        return Err(ServiceError::InvalidField { field: "note".into(), message: "at most 2000 characters, no control characters".into() });
    }
    def.validate().map_err(|e| ServiceError::InvalidField { field: "definition".into(), message: e.to_string() })?;
    let current = store.current_definition().await?;
    if current.definition == def {
        return Ok(Saved::Unchanged(current.version));
    }
    let author = match (by, author_name.map(str::trim).filter(|a| !a.is_empty())) {
        (Acting::User(u), _) => u.username.clone(),
        (Acting::Operator, Some(name)) => format!("{name} ({})", actor.name),
        (Acting::Operator, None) => actor.name.clone(),
    };
    // Audited before the new version is saved (and visible).
    audit::record(
        cx,
        actor,
        AuditAction::Change,
        format!("definitions:{}", current.version + 1),
        &[],
        AuditOutcome::Success,
        format!("new version of the shared definitions \"{}\": {note}", def.name),
    )
    .await?;
    let saved = store.save_definition(&def, &author, note).await?;
    cx.outcomes().invalidate().await;
    Ok(Saved::New(saved))
}

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

/// The definitions in force (through the outcome cache, which keeps them; version 1, the
/// defaults, is saved when there is none yet).
pub async fn current(cx: &ServiceContext, by: Acting<'_>) -> Result<std::sync::Arc<DefinitionVersion>, ServiceError> {
    by.require(Permission::ViewDefinitions)?;
    cx.outcomes().current_definition().await
}

/// One saved version of the definitions (`None`: never saved).
pub async fn version(cx: &ServiceContext, by: Acting<'_>, version: u32) -> Result<Option<DefinitionVersion>, ServiceError> {
    by.require(Permission::ViewDefinitions)?;
    Ok(cx.store().definition_version(Some(version)).await?)
}

/// Every version of the definitions, newest first (at least version 1).
pub async fn history(cx: &ServiceContext, by: Acting<'_>) -> Result<Vec<DefinitionVersion>, ServiceError> {
    current(cx, by).await?;
    Ok(cx.store().definition_history().await?)
}
