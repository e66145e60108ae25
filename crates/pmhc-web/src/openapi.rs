//! The OpenAPI document of the API under `/api/v1` (utoipa), served at `/api/v1/openapi.json`.
//!
//! `ApiDoc` lists every path and schema of the API, so this is the one module that names the
//! handlers and types of every feature; no feature imports it, and it imports nothing else of
//! theirs.

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pmhc_core::Encounter;
use pmhc_core::sharing::InformationSharingAgreement;
use utoipa::OpenApi;

use crate::AppState;
use crate::error::{ErrorBody, FieldProblem};

/// `/openapi.json` (nested under `/api/v1`).
pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pmhc API",
        description = "The JSON API of pmhc, the data system of a police–mental health collaboration: encounters, imports, shared definitions and the four key outcomes. Authenticate with `Authorization: Bearer <token>` (tokens: `pmhc user token USER NAME`).",
        license(name = "Apache-2.0")
    ),
    paths(crate::accounts::api::me,
          crate::encounters::api::list_encounters, crate::encounters::api::create_encounter, crate::encounters::api::get_encounter,
          crate::encounters::api::update_encounter,
          crate::imports::api::list_imports, crate::imports::api::get_import, crate::imports::api::upload_api,
          crate::outcomes::api::get_definitions, crate::outcomes::api::put_definitions, crate::outcomes::api::definition_history,
          crate::outcomes::api::outcomes, crate::outcomes::api::public_outcomes, crate::outcomes::api::public_releases,
          crate::sharing::api::list_partners, crate::sharing::api::add_partner, crate::sharing::api::list_agreements,
          crate::sharing::api::add_agreement, crate::sharing::api::end_agreement, crate::sharing::api::approve_agreement, crate::sharing::api::list_consents,
          crate::sharing::api::add_consent, crate::sharing::api::revoke_consent, crate::sharing::api::accounting,
          crate::sharing::api::get_partner, crate::sharing::api::get_agreement, crate::sharing::api::get_consent,
          crate::referrals::api::list_api, crate::referrals::api::get_api, crate::referrals::api::make_api, crate::referrals::api::move_api,
          crate::training::api::coverage_api,
          crate::workgroup::api::overview, crate::workgroup::api::put_charge, crate::workgroup::api::put_community,
          crate::workgroup::api::list_members, crate::workgroup::api::add_member, crate::workgroup::api::get_member, crate::workgroup::api::put_member,
          crate::workgroup::api::put_self_description, crate::workgroup::api::list_meetings, crate::workgroup::api::add_meeting,
          crate::workgroup::api::get_meeting, crate::workgroup::api::put_meeting, crate::workgroup::api::add_action, crate::workgroup::api::list_actions,
          crate::workgroup::api::change_action, crate::workgroup::api::participation,
          crate::services::api::report_capacity, crate::services::api::capacity_report),
    components(schemas(Encounter, ErrorBody, FieldProblem, crate::encounters::api::EncounterPage, crate::encounters::api::EncounterInput,
        pmhc_core::person::PersonIdentifiers, crate::imports::api::ImportInfo,
                       crate::imports::api::ImportStarted, crate::imports::ImportDetails, crate::accounts::api::Me,
                       crate::outcomes::api::DefinitionsBody, crate::outcomes::api::DefinitionsUpdate, pmhc_core::sharing::Partner, pmhc_core::sharing::Sector,
                       pmhc_core::sharing::FieldGroup, pmhc_core::sharing::Purpose, pmhc_core::sharing::Direction,
                       InformationSharingAgreement, pmhc_core::sharing::Consent, crate::sharing::api::NewPartner,
                       crate::sharing::api::AgreementInfo, crate::sharing::api::DisclosureInfo,
                       crate::referrals::api::ReferralInfo, crate::referrals::api::ReferralEventInfo, crate::referrals::api::NewReferral,
                       crate::referrals::api::ReferralMove, pmhc_core::services::ReferralState, pmhc_core::services::TurnAwayReason,
                       crate::training::api::TrainingCoverageInfo, crate::training::api::OverdueInfo,
                       pmhc_core::training::CoverageRow, pmhc_core::training::CoverageGroup, pmhc_core::training::CitReach,
                       pmhc_core::training::CourseResults, pmhc_core::training::CourseKind, pmhc_core::training::InstructorType,
                       crate::services::api::CapacityReport, crate::services::api::CapacityRecorded,
                       crate::workgroup::api::WorkgroupInfo, crate::workgroup::api::MemberInfo, crate::workgroup::api::MeetingInfo,
                       crate::workgroup::api::NewAction, crate::workgroup::api::ActionChangeBody, crate::workgroup::api::ActionInfo,
                       pmhc_core::workgroup::Charge, pmhc_core::workgroup::Member, pmhc_core::workgroup::MemberRole, pmhc_core::workgroup::SelfDescription,
                       pmhc_core::workgroup::Demographic, pmhc_core::workgroup::LivedExperience, pmhc_core::workgroup::CommunityShare,
                       pmhc_core::workgroup::Meeting, pmhc_core::workgroup::MeetingKind, pmhc_core::workgroup::AgendaItem, pmhc_core::workgroup::AttendanceRecord,
                       pmhc_core::workgroup::Attendance, pmhc_core::workgroup::Decision, pmhc_core::workgroup::ActionItem, pmhc_core::workgroup::ActionStatus,
                       pmhc_core::workgroup::Representation, pmhc_core::workgroup::CategoryTable, pmhc_core::workgroup::RepresentationRow, pmhc_core::workgroup::Cell,
                       pmhc_core::workgroup::SectorCount, pmhc_core::workgroup::Participation, pmhc_core::workgroup::MemberParticipation,
                       pmhc_core::workgroup::SectorQuarter)),
    modifiers(&Security),
    tags(
        (name = "encounters", description = "Encounter records (record level: analysts and administrators)"),
        (name = "imports", description = "Importing CSV exports and the import history"),
        (name = "definitions", description = "The shared definitions, versioned"),
        (name = "outcomes", description = "The four key outcomes and their context"),
        (name = "account", description = "Who is calling"),
        (name = "referrals", description = "Closed-loop referrals from encounters to services"),
        (name = "training", description = "Training coverage of patrol officers and dispatchers"),
        (name = "workgroup", description = "The interagency workgroup: charge, members, representation, meetings and action items"),
        (name = "services", description = "The service inventory: providers report their capacity"),
        (name = "sharing", description = "Partners, information-sharing agreements, consents (42 CFR Part 2) and the accounting of disclosures"),
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API token (`pmhc_…`)")).build()),
        );
    }
}

/// The OpenAPI document as JSON, every free-form text property stating its limit
/// (`maxLength`, from `pmhc_core::limits` by the property's name, as the server enforces it).
pub fn openapi_document() -> String {
    let Ok(mut doc) = serde_json::to_value(ApiDoc::openapi()) else { return "{}".into() };
    // Only what clients send is limited (answers such as error messages may be longer): the
    // schemas request bodies refer to, and the schemas those refer to.
    let mut sent = std::collections::BTreeSet::new();
    let mut todo: Vec<String> = Vec::new();
    collect_refs(doc.get("paths").map(|p| {
        p.as_object().into_iter().flat_map(|ops| ops.values()).flat_map(|op| op.as_object().into_iter().flat_map(|o| o.values())).filter_map(|o| o.get("requestBody")).collect::<Vec<_>>()
    }).unwrap_or_default().as_slice(), &mut todo);
    while let Some(name) = todo.pop() {
        if sent.insert(name.clone())
            && let Some(schema) = doc.pointer(&format!("/components/schemas/{name}"))
        {
            collect_refs(&[schema], &mut todo);
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(|s| s.as_object_mut()) {
        for (name, schema) in schemas.iter_mut() {
            if sent.contains(name) {
                limit_properties(schema);
            }
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

/// The component schemas (`#/components/schemas/NAME`) referred to anywhere inside `values`.
fn collect_refs(values: &[&serde_json::Value], out: &mut Vec<String>) {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(name) = m.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.strip_prefix("#/components/schemas/")) {
                    out.push(name.to_string());
                }
                m.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    values.iter().for_each(|v| walk(v, out));
}

fn limit_properties(schema: &mut serde_json::Value) {
    if let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) {
        for (name, prop) in props.iter_mut() {
            limit_text(name, prop);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get_mut(key).and_then(|p| p.as_array_mut()) {
            parts.iter_mut().for_each(limit_properties);
        }
    }
}

fn limit_text(name: &str, prop: &mut serde_json::Value) {
    let is_text = |v: &serde_json::Value| {
        let t = v.get("type");
        let string = t.and_then(|t| t.as_str()) == Some("string")
            || t.and_then(|t| t.as_array()).is_some_and(|a| a.iter().any(|x| x == "string"));
        string && v.get("format").is_none() && v.get("enum").is_none()
    };
    // A tighter limit a schema states itself (a person's identifiers: 200 characters) stays.
    let limit = |v: &mut serde_json::Value| {
        let own = v.get("maxLength").and_then(|m| m.as_u64()).filter(|m| *m <= pmhc_core::limits::limit_for(name) as u64);
        v["maxLength"] = own.unwrap_or(pmhc_core::limits::limit_for(name) as u64).into();
    };
    if is_text(prop) {
        limit(prop);
    } else if let Some(items) = prop.get_mut("items")
        && is_text(items)
    {
        limit(items);
    }
    limit_properties(prop);
}

async fn openapi_json() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_document()).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_states_the_limits_of_what_clients_send_only() {
        let doc: serde_json::Value = serde_json::from_str(&super::openapi_document()).expect("JSON");
        let schema = |name: &str| doc.pointer(&format!("/components/schemas/{name}")).cloned().unwrap_or_else(|| panic!("no schema {name}"));
        assert_eq!(schema("NewPartner")["properties"]["name"]["maxLength"], 4096);
        assert_eq!(schema("DefinitionsUpdate")["properties"]["note"]["maxLength"], 65536, "free text");
        assert!(schema("ErrorBody")["properties"]["message"].get("maxLength").is_none(), "answers are not limited");
        // The encounter API's body: the record and the person's identifiers beside it, each with
        // its own limit; the date of birth is a date.
        let input = serde_json::to_string(&schema("EncounterInput")).expect("JSON");
        assert!(input.contains("#/components/schemas/Encounter") && input.contains("#/components/schemas/PersonIdentifiers"), "{input}");
        let person = schema("PersonIdentifiers");
        assert_eq!(person["properties"]["agency_person_id"]["maxLength"], 200);
        assert_eq!(person["properties"]["person_name"]["maxLength"], 200);
        assert_eq!(person["properties"]["date_of_birth"]["format"], "date");
        for path in ["/paths/~1api~1v1~1encounters/post", "/paths/~1api~1v1~1encounters~1{source_system}~1{source_key}/put"] {
            let body = doc.pointer(&format!("{path}/requestBody/content/application~1json/schema/$ref")).cloned();
            assert_eq!(body, Some("#/components/schemas/EncounterInput".into()), "{path}");
        }
    }

    /// An operation's summary is its handler's own documentation (a doc comment left above a
    /// handler once became part of the encounters list's summary).
    #[test]
    fn the_encounter_list_is_summarised_by_its_own_doc_comment() {
        let doc: serde_json::Value = serde_json::from_str(&super::openapi_document()).expect("JSON");
        let list = &doc["paths"]["/api/v1/encounters"]["get"];
        assert_eq!(list["summary"], "List encounters, most recent first.");
        assert!(list.get("description").is_none());
    }
}
