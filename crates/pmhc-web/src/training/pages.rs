//! The training coverage page (`/training`): the share of patrol officers and dispatchers trained
//! by precinct and shift, the refreshers overdue, how often a trained officer reached the calls that
//! asked for one, and the courses' results; with CSV downloads. Aggregates for every signed-in
//! user; staff names of overdue refreshers only for those who keep the records.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use pmhc_core::access::{Permission, Role};
use pmhc_core::training::{CoverageGroup, CoverageRow};
use pmhc_core::numbers::Real as _;
use pmhc_report::escape_html as esc;
use pmhc_service::training::{TrainingCoverage, coverage_csv, reach_csv};
use serde::Deserialize;

use super::coverage_for;
use crate::filters;
use crate::AppState;
use crate::auth::{Auth, Principal};
use crate::error::PageError;
use crate::present::{Nav, csv_download, render};

/// Training files are small (a roster of thousands is a few hundred kilobytes): the request's
/// limit (the application's limit for forms) in MiB.
const MAX_TRAINING_MIB: usize = 1;

/// Import a courses, roster or completions file for the user's partner (data specialists and
/// administrators): the page again, saying what was imported or every problem with its line.
/// Courses are the whole programme's (every partner's coverage reads them): administrators and
/// project coordinators keep them. Rosters and completions are a partner's: those who import.
fn may_keep_courses(who: &Principal) -> bool {
    who.roles().contains(Role::Administrator) || who.roles().contains(Role::ProjectCoordinator)
}

pub(super) async fn import(State(state): State<AppState>, Auth(who): Auth, mp: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>) -> Result<Response, PageError> {
    if !may_keep_courses(&who) {
        who.require(Permission::Import)?;
    }
    let mut mp = mp.map_err(|e| crate::AppError::BadRequest(format!("send the file as multipart/form-data: {}", e.body_text())))?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            crate::AppError::TooLarge(MAX_TRAINING_MIB)
        } else {
            crate::AppError::BadRequest(format!("the upload is malformed: {e}"))
        }
    };
    let (mut csrf, mut kind, mut file) = (String::new(), String::new(), None);
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "kind" => kind = field.text().await.map_err(bad)?,
            "file" => {
                let name: String = field.file_name().unwrap_or("upload.csv").chars().filter(|c| !c.is_control()).take(200).collect();
                file = Some((name, field.bytes().await.map_err(bad)?));
            }
            _ => {
                field.bytes().await.map_err(bad)?;
            }
        }
    }
    who.check_csrf(&csrf)?;
    let (name, bytes) = file.filter(|f| !f.1.is_empty()).ok_or_else(|| crate::AppError::BadRequest("choose a CSV file to import".into()))?;
    let partner = who.user.partner;
    match kind.as_str() {
        "courses" if !may_keep_courses(&who) => return Err(crate::AppError::Forbidden(Permission::EditDefinitions).into()),
        "roster" | "completions" => who.require(Permission::Import)?,
        _ => {}
    }
    let (actor, by) = (who.actor(), pmhc_service::Acting::User(&who.user));
    let result = match kind.as_str() {
        "courses" => pmhc_service::training::import_courses(&state.cx, &actor, by, &name, &bytes).await.map(|n| format!("{n} courses imported from {name}.")),
        "roster" => pmhc_service::training::import_roster(&state.cx, &actor, by, partner, &name, &bytes)
            .await
            .map(|c| format!("Roster {name}: {} staff added, {} updated.", c.added, c.updated)),
        "completions" => pmhc_service::training::import_completions(&state.cx, &actor, by, partner, &name, &bytes)
            .await
            .map(|c| format!("Completions {name}: {} added, {} updated.", c.added, c.updated)),
        other => return Err(crate::AppError::BadRequest(format!("`{other}` is not a training file kind (courses, roster, completions)")).into()),
    };
    let (message, problem) = match result {
        Ok(m) => (Some(m), None),
        Err(pmhc_service::ServiceError::Invalid(p)) => (None, Some(p)),
        Err(e) => return Err(crate::AppError::from(e).into()),
    };
    let (c, names) = coverage_for(&state, &who, None).await?;
    let status = if problem.is_some() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((status, Html(render(&page(&who, c, names, message, problem)))).into_response())
}

/// One bar of a chart: a label, a share (0 to 1) and the text shown beside the bar.
pub struct Bar {
    pub label: String,
    pub share: f64,
    pub text: String,
}

/// A horizontal bar chart of shares (SVG, with its title for screen readers; the same numbers are
/// in the table beside it).
pub fn share_chart(id: &str, title: &str, bars: &[Bar]) -> String {
    let (left, width, row) = (150.0, 300.0, 28.0);
    let height = row * bars.len() as f64 + 24.0;
    let mut s = format!(
        "<svg viewBox=\"0 0 560 {height}\" role=\"img\" aria-labelledby=\"chart-{id}\" font-size=\"14\" class=\"share-chart\">\
         <title id=\"chart-{id}\">{t}</title>",
        t = esc(title)
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = left + width * tick;
        s += &format!(
            "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#d0d0d0\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            height - 20.0,
            height - 4.0,
            pmhc_core::numbers::percent_whole(tick)
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = row * i as f64;
        let w = width * b.share.clamp(0.0, 1.0);
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text>\
             <rect x=\"{left}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#114b8a\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1a1a1a\">{}</text>",
            left - 8.0,
            y + 19.0,
            esc(&b.label),
            y + 5.0,
            row - 10.0,
            left + w + 6.0,
            y + 19.0,
            esc(&b.text)
        );
    }
    s + "</svg>"
}

fn pct(x: Option<f64>) -> String {
    x.map(pmhc_core::numbers::percent_whole).unwrap_or_else(|| "–".into())
}

pub struct CoverageLine {
    pub precinct: String,
    pub shift: String,
    pub staff: u64,
    pub trained: u64,
    pub share: String,
    pub current: u64,
    pub overdue: u64,
}

pub struct ReachLine {
    pub precinct: String,
    pub requested: u64,
    pub trained: u64,
    pub untrained: u64,
    pub not_known: u64,
    pub share: String,
}

#[derive(Template)]
#[template(path = "training.html")]
pub struct Training {
    pub nav: Nav,
    pub c: TrainingCoverage,
    pub officers: Option<CoverageLine>,
    pub dispatchers: Option<CoverageLine>,
    pub officer_rows: Vec<CoverageLine>,
    pub dispatcher_rows: Vec<CoverageLine>,
    pub precinct_chart: String,
    pub reach_total: Option<ReachLine>,
    pub reach_rows: Vec<ReachLine>,
    pub reach_chart: String,
    pub names: bool,
    pub can_import: bool,
    pub can_courses: bool,
    pub csrf: String,
    /// What an import just did, or every problem of a refused file.
    pub message: Option<String>,
    pub problem: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TrainingQuery {
    format: Option<String>,
    on: Option<String>,
}

fn line(r: &CoverageRow) -> CoverageLine {
    CoverageLine {
        precinct: r.precinct.clone().unwrap_or_else(|| "not known".into()),
        shift: r.shift.clone().unwrap_or_else(|| "not known".into()),
        staff: r.staff,
        trained: r.trained,
        share: pct(r.share_trained()),
        current: r.current,
        overdue: r.overdue,
    }
}

pub(super) async fn training(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<TrainingQuery>) -> Result<Response, PageError> {
    let (c, names) = coverage_for(&state, &who, q.on.as_deref()).await?;
    // The page names staff whose refresher is overdue (when the role may see names): audited.
    let object = format!("training{}", q.format.as_deref().map(|f| format!("?format={f}")).unwrap_or_default());
    let action = if q.format.is_some() { pmhc_core::audit::AuditAction::Export } else { pmhc_core::audit::AuditAction::View };
    crate::auth::audit(&state, &who, action, object, &[], if names { "coverage, with the names of staff due a refresher" } else { "coverage" }).await?;
    match q.format.as_deref() {
        Some("csv") => {
            let body = coverage_csv(&c).map_err(|e| crate::AppError::Internal(e.into()))?;
            return Ok(csv_download("pmhc-training-coverage.csv", body));
        }
        Some("reach-csv") => {
            let body = reach_csv(&c).map_err(|e| crate::AppError::Internal(e.into()))?;
            return Ok(csv_download("pmhc-cit-calls.csv", body));
        }
        _ => {}
    }
    Ok(Html(render(&page(&who, c, names, None, None))).into_response())
}

fn page(who: &Principal, c: TrainingCoverage, names: bool, message: Option<String>, problem: Option<String>) -> Training {
    let total = |g| c.coverage.iter().find(|r| r.total && r.group == g).map(line);
    let detail = |g| c.coverage.iter().filter(|r| !r.total && r.group == g).map(line).collect::<Vec<_>>();
    // The share of officers trained per precinct, all shifts together.
    let mut by_precinct: Vec<(String, u64, u64)> = Vec::new();
    for r in c.coverage.iter().filter(|r| !r.total && r.group == CoverageGroup::Officers) {
        let p = r.precinct.clone().unwrap_or_else(|| "not known".into());
        match by_precinct.iter_mut().find(|x| x.0 == p) {
            Some(x) => {
                x.1 += r.trained;
                x.2 += r.staff;
            }
            None => by_precinct.push((p, r.trained, r.staff)),
        }
    }
    let bars: Vec<Bar> = by_precinct
        .iter()
        .map(|(p, t, n)| Bar { label: p.clone(), share: *t as f64 / (*n).max(1) as f64, text: format!("{} of {n}", t) })
        .collect();
    let reach_line = |i: usize, r: &pmhc_core::training::CitReach| ReachLine {
        precinct: if i == 0 { "All precincts".into() } else { r.precinct.clone().unwrap_or_else(|| "not known".into()) },
        requested: r.requested,
        trained: r.reached_by_trained,
        untrained: r.reached_by_untrained,
        not_known: r.not_known,
        share: pct(r.share()),
    };
    let reach_bars: Vec<Bar> = c
        .reach
        .iter()
        .skip(1)
        .filter(|r| r.share().is_some())
        .map(|r| Bar {
            label: r.precinct.clone().unwrap_or_else(|| "not known".into()),
            share: r.share().unwrap_or(0.0),
            text: format!("{} of {}", r.reached_by_trained, r.reached_by_trained + r.reached_by_untrained),
        })
        .collect();
    let t = Training {
        nav: Nav::new(Some(who), "training"),
        can_import: who.roles().can(Permission::Import),
        can_courses: may_keep_courses(who),
        csrf: who.csrf().to_string(),
        message,
        problem,
        officers: total(CoverageGroup::Officers),
        dispatchers: total(CoverageGroup::Dispatchers),
        officer_rows: detail(CoverageGroup::Officers),
        dispatcher_rows: detail(CoverageGroup::Dispatchers),
        precinct_chart: if bars.is_empty() { String::new() } else { share_chart("precincts", "Share of patrol officers and supervisors trained, by precinct", &bars) },
        reach_total: c.reach.first().filter(|r| r.requested > 0).map(|r| reach_line(0, r)),
        reach_rows: c.reach.iter().enumerate().skip(1).map(|(i, r)| reach_line(i, r)).collect(),
        reach_chart: if reach_bars.is_empty() {
            String::new()
        } else {
            share_chart("reach", "Calls that requested CIT reached by a trained officer, by precinct", &reach_bars)
        },
        names,
        c,
    };
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A precinct name goes into the chart escaped, single quotes included: the SVG goes into the
    /// page with `|safe`.
    #[test]
    fn share_chart_escapes_its_labels() {
        let hostile = "'><script>alert(1)</script>";
        let svg = share_chart("p", hostile, &[Bar { label: hostile.into(), share: 0.5, text: hostile.into() }]);
        assert!(!svg.contains("<script") && !svg.contains('\''), "{svg}");
        assert_eq!(svg.matches("&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;").count(), 3, "{svg}");
    }
}
