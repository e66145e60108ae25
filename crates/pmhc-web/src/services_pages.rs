//! The public resource guide (what to call when, what is open now, who takes police drop-off)
//! and the intercept map (services along the Sequential Intercept Model, with the gaps), both
//! built from the service inventory. Neither holds anything about people: no sign-in.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pmhc_core::services::{Intercept, Service, ServiceKind};
use serde::Deserialize;

use crate::auth::{Auth, MaybeAuth};
use crate::error::PageError;
use crate::views::{Nav, render};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/resources", get(resources)).route("/intercepts", get(intercepts)).route("/gaps", get(gaps))
}

/// The order of the guide: what to call first in a crisis, then where to go, then what follows.
const GUIDE_ORDER: [ServiceKind; 12] = [
    ServiceKind::Line988,
    ServiceKind::MobileCrisis,
    ServiceKind::CrisisCentre,
    ServiceKind::EmergencyDepartment,
    ServiceKind::WarmLine,
    ServiceKind::Detox,
    ServiceKind::SubstanceUseTreatment,
    ServiceKind::OutpatientMentalHealth,
    ServiceKind::PeerSupport,
    ServiceKind::HousingShelter,
    ServiceKind::CaseManagement,
    ServiceKind::Other,
];

/// The kinds of service the Sequential Intercept Model expects at each intercept (the gaps are
/// those no provider offers).
pub fn expected_kinds(i: Intercept) -> &'static [ServiceKind] {
    use ServiceKind::*;
    match i {
        Intercept::Community => &[Line988, WarmLine, MobileCrisis, OutpatientMentalHealth, PeerSupport, HousingShelter],
        Intercept::LawEnforcement => &[CrisisCentre, MobileCrisis, EmergencyDepartment],
        Intercept::InitialDetention => &[CaseManagement],
        Intercept::JailsCourts => &[CaseManagement, SubstanceUseTreatment],
        Intercept::Reentry => &[CaseManagement, HousingShelter, PeerSupport],
        Intercept::CommunityCorrections => &[OutpatientMentalHealth, SubstanceUseTreatment, CaseManagement],
    }
}

pub struct GuideEntry {
    pub name: String,
    pub provider: String,
    pub area: String,
    pub hours: String,
    pub open: bool,
    pub phone: String,
    pub address: String,
    pub transit: bool,
    pub eligibility: String,
    pub dropoff: bool,
}

pub struct GuideFilter {
    pub open: bool,
    pub dropoff: bool,
}

#[derive(Template)]
#[template(path = "resources.html")]
pub struct Resources {
    pub nav: Nav,
    pub now: String,
    pub f: GuideFilter,
    pub areas: Vec<(String, bool)>,
    pub groups: Vec<(&'static str, Vec<GuideEntry>)>,
    pub total: usize,
}

#[derive(Deserialize)]
struct GuideQuery {
    open: Option<String>,
    dropoff: Option<String>,
    area: Option<String>,
}

async fn resources(State(state): State<AppState>, MaybeAuth(who): MaybeAuth, Query(q): Query<GuideQuery>) -> Result<Response, PageError> {
    let services = state.store.list_services().await?;
    let partners = state.store.list_partners().await?;
    let now = chrono::Local::now().naive_local();
    let f = GuideFilter { open: q.open.is_some(), dropoff: q.dropoff.is_some() };
    let area = q.area.as_deref().map(str::trim).filter(|a| !a.is_empty()).map(String::from);
    let mut areas: Vec<String> = services.iter().map(|s| s.area.clone()).filter(|a| !a.is_empty()).collect();
    areas.sort();
    areas.dedup();
    let keep = |s: &Service| {
        (!f.open || pmhc_service::inventory::open_at(s, now))
            && (!f.dropoff || s.police_dropoff)
            && area.as_ref().is_none_or(|a| s.area.eq_ignore_ascii_case(a))
    };
    let groups = GUIDE_ORDER
        .iter()
        .map(|k| {
            let entries: Vec<GuideEntry> = services
                .iter()
                .filter(|s| s.kind == *k && keep(s))
                .map(|s| GuideEntry {
                    name: s.name.clone(),
                    provider: partners.iter().find(|p| p.id == s.provider).map(|p| p.name.clone()).unwrap_or_default(),
                    area: s.area.clone(),
                    hours: s.hours.clone(),
                    open: pmhc_service::inventory::open_at(s, now),
                    phone: s.phone.clone(),
                    address: s.address.clone(),
                    transit: s.transit_access,
                    eligibility: s.eligibility.clone(),
                    dropoff: s.police_dropoff,
                })
                .collect();
            (k.label(), entries)
        })
        .filter(|(_, e)| !e.is_empty())
        .collect();
    let t = Resources {
        nav: Nav::new(who.as_ref(), "resources"),
        now: now.format("%a %d %b %H:%M").to_string(),
        areas: areas.into_iter().map(|a| (a.clone(), area.as_deref() == Some(a.as_str()))).collect(),
        f,
        groups,
        total: services.len(),
    };
    Ok(Html(render(&t)).into_response())
}

pub struct InterceptView {
    pub number: u8,
    pub label: &'static str,
    pub services: Vec<(String, &'static str)>,
    pub dropoff: usize,
    pub gaps: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "intercepts.html")]
pub struct Intercepts {
    pub nav: Nav,
    pub intercepts: Vec<InterceptView>,
}

/// The services of each intercept and the kinds missing there.
pub fn intercept_map(services: &[Service]) -> Vec<InterceptView> {
    Intercept::ALL
        .iter()
        .map(|i| {
            let here: Vec<&Service> = services.iter().filter(|s| s.intercept == *i).collect();
            InterceptView {
                number: i.number(),
                label: i.label(),
                services: here.iter().map(|s| (s.name.clone(), s.kind.label())).collect(),
                dropoff: here.iter().filter(|s| s.police_dropoff).count(),
                gaps: expected_kinds(*i).iter().filter(|k| !here.iter().any(|s| s.kind == **k)).map(|k| k.label()).collect(),
            }
        })
        .collect()
}

async fn intercepts(State(state): State<AppState>, MaybeAuth(who): MaybeAuth) -> Result<Response, PageError> {
    let services = state.store.list_services().await?;
    let t = Intercepts { nav: Nav::new(who.as_ref(), "intercepts"), intercepts: intercept_map(&services) };
    Ok(Html(render(&t)).into_response())
}

#[derive(Template)]
#[template(path = "gaps.html")]
pub struct Gaps {
    pub nav: Nav,
    pub reasons: Vec<&'static str>,
    pub rows: Vec<pmhc_core::services::ServiceGap>,
}

#[derive(Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

/// The gap report the workgroup reviews (aggregates over referrals: no record-level data).
async fn gaps(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<FormatQuery>) -> Result<Response, PageError> {
    who.require(pmhc_core::access::Permission::ViewOutcomes)?;
    let services = state.store.list_services().await?;
    let facts: Vec<_> = state.store.referral_facts().await?.into_iter().map(|(_, _, f)| f).collect();
    let rows = pmhc_core::services::gap_report(&services, &facts);
    let reasons: Vec<&'static str> = pmhc_core::services::TurnAwayReason::ALL.iter().map(|r| r.label()).collect();
    if q.format.as_deref() == Some("csv") {
        let body = (|| -> Result<Vec<u8>, csv::Error> {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut header = vec!["service_id", "service", "kind", "intercept", "capacity", "referrals", "accepted", "connected"];
            let reason_cols: Vec<String> = pmhc_core::services::TurnAwayReason::ALL.iter().map(|r| format!("turned_away_{}", r.as_str())).collect();
            header.extend(reason_cols.iter().map(String::as_str));
            header.extend(["declined", "cancelled", "median_days_to_connection", "often_full", "unused"]);
            w.write_record(&header)?;
            for g in &rows {
                let mut rec = vec![
                    g.service_id.to_string(),
                    g.name.clone(),
                    g.kind.as_str().to_string(),
                    g.intercept.as_str().to_string(),
                    g.capacity.map(|c| c.to_string()).unwrap_or_default(),
                    g.referrals.to_string(),
                    g.accepted.to_string(),
                    g.connected.to_string(),
                ];
                rec.extend(g.turned_away.iter().map(|t| t.1.to_string()));
                rec.extend([
                    g.declined.to_string(),
                    g.cancelled.to_string(),
                    g.median_days_to_connection.map(|m| format!("{m:.3}")).unwrap_or_default(),
                    g.often_full.to_string(),
                    g.unused.to_string(),
                ]);
                w.write_record(&rec)?;
            }
            w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
        })()
        .map_err(|e| crate::AppError::Internal(e.into()))?;
        return Ok(crate::pages::csv_download("pmhc-service-gaps.csv", body));
    }
    Ok(Html(render(&Gaps { nav: Nav::new(Some(&who), "gaps"), reasons, rows })).into_response())
}
