//! Training records (read and checked by `pmhc_import::training`) and the coverage the workgroup
//! reviews, for the CLI and the web alike.

use std::collections::HashMap;

use chrono::NaiveDate;
use pmhc_core::sharing::{FieldGroup, FieldGroups, PartnerId};
use pmhc_core::training::{
    CitReach, CourseResults, CoverageRow, StaffMember, StaffStatus, TrainingRecords, course_results, coverage, cit_reach,
};
use pmhc_import::csv_safe::write_safe_record;
use pmhc_import::training::{RowProblem, parse_completions, parse_courses, parse_roster};
use pmhc_store::{NewSession, SaveCounts};

use pmhc_core::access::{Permission, Role};
use pmhc_core::audit::{AuditAction, AuditOutcome};

use crate::audit::{self, Actor};
use crate::sharing::Viewer;
use crate::{Acting, ServiceContext, ServiceError};

fn refused(what: &str, problems: Vec<RowProblem>) -> ServiceError {
    crate::inventory::not_imported(&format!("the {what} was"), problems)
}

/// Whether `by` keeps the programme's courses (every partner's coverage reads them): the
/// operator, administrators and project coordinators.
pub fn keeps_courses(by: Acting<'_>) -> bool {
    by.user().is_none_or(|u| u.roles.contains(Role::Administrator) || u.roles.contains(Role::ProjectCoordinator))
}

/// The audit entry of a training import: `Failed` with the problems' count when nothing was
/// saved, otherwise written before the records are.
async fn audit_import(cx: &ServiceContext, actor: &Actor, object: String, detail: String, parsed: Result<(), &ServiceError>) -> Result<(), ServiceError> {
    let (outcome, detail) = match parsed {
        Ok(()) => (AuditOutcome::Success, detail),
        Err(e) => (AuditOutcome::Failed, format!("{detail}: not imported ({})", e.to_string().lines().next().unwrap_or_default())),
    };
    audit::record(cx, actor, AuditAction::Import, object, &[], outcome, detail).await
}

/// Import a courses file (`file_name` names it in the audit trail): every course saved (a course
/// of the same name is changed), or none.
pub async fn import_courses(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, file_name: &str, bytes: &[u8]) -> Result<usize, ServiceError> {
    let store = cx.store();
    if !keeps_courses(by) {
        return Err(ServiceError::NotYourPartner("the programme's courses are kept by administrators and project coordinators".into()));
    }
    let parsed = parse_courses(bytes).map_err(|p| refused("courses file", p));
    let object = format!("training-courses:{file_name}");
    audit_import(cx, actor, object, "import".into(), parsed.as_ref().map(|_| ())).await?;
    Ok(store.save_courses(&parsed?).await?.len())
}

/// Whether `by` imports the training records of `partner`: the operator, or a user of that
/// partner whose role imports.
fn imports_for(by: Acting<'_>, partner: PartnerId) -> Result<(), ServiceError> {
    by.require(Permission::Import)?;
    match by.partner() {
        Some(p) if p != partner => Err(ServiceError::NotYourPartner(format!("partner {partner}'s training records are imported by its own users"))),
        _ => Ok(()),
    }
}

/// Import a partner's staff roster: every member saved (by staff number), or none.
pub async fn import_roster(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, partner: PartnerId, file_name: &str, bytes: &[u8]) -> Result<SaveCounts, ServiceError> {
    let store = cx.store();
    imports_for(by, partner)?;
    store.find_partner(&partner.to_string()).await?;
    let parsed = parse_roster(bytes, partner).map_err(|p| refused("roster", p));
    audit_import(cx, actor, format!("staff-roster:{file_name}"), format!("import for partner {partner}"), parsed.as_ref().map(|_| ())).await?;
    Ok(store.save_staff(&parsed?).await?)
}

/// Import completions of a partner's staff: the sessions are added as they are first named; every
/// completion saved, or none when any row has a problem.
pub async fn import_completions(cx: &ServiceContext, actor: &Actor, by: Acting<'_>, partner: PartnerId, file_name: &str, bytes: &[u8]) -> Result<SaveCounts, ServiceError> {
    let store = cx.store();
    imports_for(by, partner)?;
    let staff = store.list_staff(Some(partner)).await?;
    let courses = store.list_courses().await?;
    let parsed = parse_completions(bytes, &staff, &courses).map_err(|p| refused("completions file", p));
    let object = format!("training-completions:{file_name}");
    audit_import(cx, actor, object, format!("import for partner {partner}"), parsed.as_ref().map(|_| ())).await?;
    let rows: Vec<(Option<NewSession>, pmhc_core::training::Completion)> = parsed?
        .iter()
        .map(|r| {
            let session = NewSession { course_id: r.course_id, held_on: r.held_on, location: r.location.clone(), instructors: r.instructors.clone() };
            (Some(session), r.completion(0))
        })
        .collect();
    Ok(store.record_completions(&rows).await?)
}

/// A trained staff member whose refresher is overdue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Overdue {
    pub partner: PartnerId,
    pub staff_number: String,
    pub name: String,
    pub precinct: Option<String>,
    pub shift: Option<String>,
    pub role: &'static str,
    pub due: NaiveDate,
}

/// The training coverage on a day.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainingCoverage {
    pub today: NaiveDate,
    /// Per group its total, then the detail by precinct and shift.
    pub coverage: Vec<CoverageRow>,
    /// The calls that requested CIT: the total, then by precinct.
    pub reach: Vec<CitReach>,
    pub courses: Vec<CourseResults>,
    /// Trained staff whose refresher is overdue, soonest due first (of the partners whose names
    /// the reader may see).
    pub overdue: Vec<Overdue>,
    /// All overdue refreshers, named or not.
    pub overdue_total: u64,
    pub staff_on_roster: u64,
}

/// Who reads the coverage: which partners' encounters the CIT reach may count (and which of them
/// with their precinct), and whose staff the reader may see by name.
pub struct CoverageReader {
    pub incident: Vec<PartnerId>,
    pub with_area: Vec<PartnerId>,
    pub names_of: Box<dyn Fn(PartnerId) -> bool + Send + Sync>,
}

impl CoverageReader {
    /// The operator at the command line: every partner, every name.
    pub fn operator(partners: Vec<PartnerId>) -> CoverageReader {
        CoverageReader { incident: partners.clone(), with_area: partners, names_of: Box::new(|_| true) }
    }

    /// A signed-in user: encounters through the sharing agreements (incident details needed, and
    /// area and time for the precinct); names of the user's own partner's staff when `names` —
    /// never another partner's, whatever the role.
    pub fn viewer(v: &Viewer, names: bool) -> CoverageReader {
        let incident = v.view.owners_sharing(FieldGroups::of(&[FieldGroup::IncidentDetails]));
        let with_area = v.view.owners_sharing(FieldGroups::of(&[FieldGroup::IncidentDetails, FieldGroup::AreaAndTime]));
        let own = v.partner;
        CoverageReader { incident, with_area, names_of: Box::new(move |p| names && p == own) }
    }
}

pub fn compute(records: &TrainingRecords, calls: &[pmhc_core::training::CitCall], reader: &CoverageReader, today: NaiveDate) -> TrainingCoverage {
    let statuses: HashMap<i64, StaffStatus> = records.statuses(today);
    let mut overdue_total = 0;
    let mut overdue: Vec<Overdue> = Vec::new();
    for s in records.staff.iter().filter(|s| s.active) {
        let st = &statuses[&s.id];
        if !(st.trained() && st.overdue(today)) {
            continue;
        }
        overdue_total += 1;
        if (reader.names_of)(s.partner) {
            overdue.push(overdue_of(s, st));
        }
    }
    overdue.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.staff_number.cmp(&b.staff_number)));
    TrainingCoverage {
        today,
        coverage: coverage(records, today),
        reach: cit_reach(records, calls),
        courses: course_results(records, today),
        overdue,
        overdue_total,
        staff_on_roster: records.staff.iter().filter(|s| s.active).count() as u64,
    }
}

fn overdue_of(s: &StaffMember, st: &StaffStatus) -> Overdue {
    Overdue {
        partner: s.partner,
        staff_number: s.staff_key.clone(),
        name: s.name.clone(),
        precinct: s.precinct.clone(),
        shift: s.shift.clone(),
        role: s.role.label(),
        due: st.refresher_due.unwrap_or(NaiveDate::MIN),
    }
}

/// Read everything and compute the coverage for a reader.
pub async fn training_coverage(cx: &ServiceContext, reader: &CoverageReader, today: NaiveDate) -> Result<TrainingCoverage, ServiceError> {
    let store = cx.store();
    let records = store.training_records().await?;
    let mut calls = store.cit_requested_calls(&reader.incident).await?;
    calls.retain(|c| c.occurred_on <= today);
    for c in &mut calls {
        if !reader.with_area.contains(&c.partner) {
            c.precinct = None;
        }
    }
    Ok(compute(&records, &calls, reader, today))
}

/// The coverage as CSV: one row per group, precinct and shift (totals first), spreadsheet-safe
/// ([`pmhc_import::csv_safe`]: precincts and shifts are the roster's text).
pub fn coverage_csv(c: &TrainingCoverage) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_safe_record(&mut w, ["group", "total", "precinct", "shift", "staff", "trained", "current", "refresher_overdue", "share_trained"])?;
    for r in &c.coverage {
        write_safe_record(&mut w, [
            r.group.as_str(),
            if r.total { "true" } else { "false" },
            r.precinct.as_deref().unwrap_or(""),
            r.shift.as_deref().unwrap_or(""),
            &r.staff.to_string(),
            &r.trained.to_string(),
            &r.current.to_string(),
            &r.overdue.to_string(),
            &r.share_trained().map(|s| pmhc_core::numbers::fixed(s, 4)).unwrap_or_default(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The CIT reach as CSV: the total (`total` true), then one row per precinct.
pub fn reach_csv(c: &TrainingCoverage) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_safe_record(&mut w, ["total", "precinct", "requested", "reached_by_trained", "reached_by_untrained", "not_known", "share_reached_by_trained"])?;
    for (i, r) in c.reach.iter().enumerate() {
        write_safe_record(&mut w, [
            if i == 0 { "true" } else { "false" },
            r.precinct.as_deref().unwrap_or(""),
            &r.requested.to_string(),
            &r.reached_by_trained.to_string(),
            &r.reached_by_untrained.to_string(),
            &r.not_known.to_string(),
            &r.share().map(|s| pmhc_core::numbers::fixed(s, 4)).unwrap_or_default(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmhc_core::training::CoverageGroup;

    /// Precincts and shifts are the roster's text: one a spreadsheet would read as a formula is
    /// written with a leading `'`; the counts and shares are written as they are.
    #[test]
    fn the_coverage_csv_holds_no_formulas() {
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).expect("a day");
        let row = |precinct: &str, shift: &str| CoverageRow {
            group: CoverageGroup::Officers,
            total: false,
            precinct: Some(precinct.into()),
            shift: Some(shift.into()),
            staff: 4,
            trained: 3,
            current: 2,
            overdue: 1,
        };
        let reach = CitReach { precinct: Some("@North".into()), requested: 2, reached_by_trained: 1, reached_by_untrained: 1, not_known: 0 };
        let c = TrainingCoverage {
            today,
            coverage: vec![row("=HYPERLINK(\"http://x\",\"y\")", "+night"), row("-1", "-day")],
            reach: vec![reach.clone(), reach],
            courses: Vec::new(),
            overdue: Vec::new(),
            overdue_total: 0,
            staff_on_roster: 8,
        };
        let text = String::from_utf8(coverage_csv(&c).expect("coverage")).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "officers,false,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+night,4,3,2,1,0.7500", "{text}");
        assert_eq!(lines[2], "officers,false,-1,'-day,4,3,2,1,0.7500", "{text}");
        let text = String::from_utf8(reach_csv(&c).expect("reach")).expect("UTF-8");
        assert_eq!(text.lines().nth(1), Some("true,'@North,2,1,1,0,0.5000"), "{text}");
    }
}
