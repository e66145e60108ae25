//! The public resource guide (what to call when, what is open now, who takes police drop-off)
//! and the intercept map (services along the Sequential Intercept Model, with the gaps), both
//! built from the service inventory. Neither holds anything about people: no sign-in. And the gap
//! analysis the workgroup reviews (`/gaps`, signed in), with its CSV tables.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use pmhc_core::capacity::{AccessTable, Month, MonthRow, Strain, UNDER_USED_UTILISATION, UnderUse};
use pmhc_core::outcomes::PUBLIC_THRESHOLD;
use pmhc_core::numbers::Real as _;
use pmhc_core::services::{Intercept, Service, ServiceKind, TurnAwayReason};
use pmhc_import::csv_safe::write_safe_record;
use serde::Deserialize;

use crate::filters;
use crate::auth::{Auth, MaybeAuth};
use crate::error::PageError;
use crate::present::{Nav, csv_download, render};
use crate::{AppState, charts};

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
pub(super) struct GuideQuery {
    open: Option<String>,
    dropoff: Option<String>,
    area: Option<String>,
}

pub(super) async fn resources(State(state): State<AppState>, MaybeAuth(who): MaybeAuth, Query(q): Query<GuideQuery>) -> Result<Response, PageError> {
    let services = pmhc_service::inventory::services(&state.cx).await?;
    let partners = pmhc_service::partners::list(&state.cx).await?;
    let now = state.cx.clock().local_now();
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

pub(super) async fn intercepts(State(state): State<AppState>, MaybeAuth(who): MaybeAuth) -> Result<Response, PageError> {
    let services = pmhc_service::inventory::services(&state.cx).await?;
    let t = Intercepts { nav: Nav::new(who.as_ref(), "intercepts"), intercepts: intercept_map(&services) };
    Ok(Html(render(&t)).into_response())
}

/// One service's panel of the monthly chart.
pub struct MonthPanel {
    pub name: String,
    pub svg: String,
}

/// One breakdown of the access table, with its chart.
pub struct AccessView {
    pub id: &'static str,
    pub label: &'static str,
    pub table: AccessTable,
    pub svg: String,
}

#[derive(Template)]
#[template(path = "gaps.html")]
pub struct Gaps {
    pub nav: Nav,
    pub reasons: Vec<&'static str>,
    pub rows: Vec<pmhc_core::services::ServiceGap>,
    pub panels: Vec<MonthPanel>,
    /// The months of the table on the page (the last [`PAGE_MONTHS`]; the CSV has them all).
    pub months: Vec<MonthRow>,
    pub month_count: usize,
    pub turn_aways: Vec<(&'static str, u64)>,
    pub turn_away_svg: String,
    pub turned_away_any: bool,
    pub strained: Vec<Strain>,
    pub under_used: Vec<UnderUse>,
    pub access: Vec<AccessView>,
    pub threshold: u64,
    pub under_used_percent: u32,
}

/// The months the page shows (the CSV has every month).
pub const PAGE_MONTHS: usize = 12;

#[derive(Deserialize)]
pub(super) struct GapsQuery {
    format: Option<String>,
    table: Option<String>,
}

/// A CSV file; rows go through [`write_safe_record`] (service names and groups are text a
/// spreadsheet must not read as a formula).
fn csv_body(write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> Result<(), csv::Error>) -> Result<Vec<u8>, crate::AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write(&mut w).and_then(|()| w.into_inner().map_err(|e| csv::Error::from(e.into_error()))).map_err(|e| crate::AppError::Internal(e.into()))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn f3(v: Option<f64>) -> String {
    v.map(|v| pmhc_core::numbers::fixed(v, 3)).unwrap_or_default()
}

fn gaps_csv(rows: &[pmhc_core::services::ServiceGap]) -> Result<Vec<u8>, crate::AppError> {
    csv_body(|w| {
        let mut header = vec!["service_id", "service", "kind", "intercept", "capacity", "referrals", "accepted", "connected"];
        let reason_cols: Vec<String> = TurnAwayReason::ALL.iter().map(|r| format!("turned_away_{}", r.as_str())).collect();
        header.extend(reason_cols.iter().map(String::as_str));
        header.extend(["declined", "cancelled", "median_days_to_connection", "often_full", "unused"]);
        write_safe_record(w, &header)?;
        for g in rows {
            let mut rec = vec![
                g.service_id.to_string(),
                g.name.clone(),
                g.kind.as_str().to_string(),
                g.intercept.as_str().to_string(),
                opt(g.capacity),
                g.referrals.to_string(),
                g.accepted.to_string(),
                g.connected.to_string(),
            ];
            rec.extend(g.turned_away.iter().map(|t| t.1.to_string()));
            rec.extend([g.declined.to_string(), g.cancelled.to_string(), f3(g.median_days_to_connection), g.often_full.to_string(), g.unused.to_string()]);
            write_safe_record(w, &rec)?;
        }
        Ok(())
    })
}

fn monthly_csv(months: &[MonthRow]) -> Result<Vec<u8>, crate::AppError> {
    csv_body(|w| {
        write_safe_record(w, ["service_id", "service", "month", "referrals", "connected", "turned_away_no_capacity", "capacity", "reported_full", "utilisation"])?;
        for m in months {
            write_safe_record(w, [
                m.service_id.to_string(),
                m.name.clone(),
                m.month.to_string(),
                m.referrals.to_string(),
                m.connected.to_string(),
                m.turned_away_no_capacity.to_string(),
                opt(m.capacity),
                m.reported_full.to_string(),
                f3(m.utilisation),
            ])?;
        }
        Ok(())
    })
}

fn disparities_csv(tables: &[AccessTable]) -> Result<Vec<u8>, crate::AppError> {
    csv_body(|w| {
        write_safe_record(w, [
            "dimension", "group_code", "group", "referrals", "connected", "rate", "ci95_lower", "ci95_upper", "difference", "difference_lower",
            "difference_upper", "suppressed",
        ])?;
        for t in tables {
            for g in &t.groups {
                write_safe_record(w, [
                    t.dimension.as_str().to_string(),
                    g.code.clone(),
                    g.label.clone(),
                    opt(g.referrals),
                    opt(g.connected),
                    f3(g.rate),
                    f3(g.ci95.map(|c| c.lower)),
                    f3(g.ci95.map(|c| c.upper)),
                    f3(g.difference.map(|d| d.value)),
                    f3(g.difference.map(|d| d.ci95.lower)),
                    f3(g.difference.map(|d| d.ci95.upper)),
                    g.referrals.is_none().to_string(),
                ])?;
            }
        }
        Ok(())
    })
}

/// The gap analysis the workgroup reviews (aggregates over referrals: no record-level data). The
/// subject groups and precincts of the referrals' encounters come through the viewer's sharing
/// agreements, as in the outcome reports; small groups are suppressed.
pub(super) async fn gaps(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<GapsQuery>) -> Result<Response, PageError> {
    who.require(pmhc_core::access::Permission::ViewOutcomes)?;
    let scope = who.viewer(&state).await?.view.report_scope();
    let a = pmhc_service::inventory::gap_analysis(&state.cx, &scope, PUBLIC_THRESHOLD).await?;
    if q.format.as_deref() == Some("csv") {
        let (name, body) = match q.table.as_deref() {
            None | Some("" | "services") => ("pmhc-service-gaps.csv", gaps_csv(&a.gaps)?),
            Some("monthly") => ("pmhc-capacity-monthly.csv", monthly_csv(&a.months)?),
            Some("disparities") => ("pmhc-access-disparities.csv", disparities_csv(&a.access)?),
            Some(other) => return Err(crate::AppError::BadRequest(format!("there is no table `{other}` (services, monthly, disparities)")).into()),
        };
        return Ok(csv_download(name, body));
    }
    let shown_months: Vec<Month> = {
        let mut v: Vec<Month> = a.months.iter().map(|m| m.month).collect();
        v.sort();
        v.dedup();
        v.split_off(v.len().saturating_sub(PAGE_MONTHS))
    };
    let months: Vec<MonthRow> = a.months.iter().filter(|m| shown_months.contains(&m.month)).cloned().collect();
    let panels = a
        .gaps
        .iter()
        .filter(|g| g.referrals > 0)
        .map(|g| {
            let mine: Vec<(String, u64, Option<u32>)> =
                months.iter().filter(|m| m.service_id == g.service_id).map(|m| (m.month.to_string(), m.referrals, m.capacity)).collect();
            let title = format!("{}: referrals made per month against its capacity", g.name);
            MonthPanel { name: g.name.clone(), svg: charts::months_with_capacity(&format!("month-{}", g.service_id), &title, &mine) }
        })
        .collect();
    let turn_aways: Vec<(&'static str, u64)> =
        TurnAwayReason::ALL.iter().map(|r| (r.label(), a.gaps.iter().flat_map(|g| &g.turned_away).filter(|t| t.0 == *r).map(|t| t.1).sum())).collect();
    let turn_away_svg = charts::bars(
        "turn-aways",
        "Referrals turned away, by reason, all services",
        &turn_aways.iter().map(|(l, n)| (l.to_string(), *n)).collect::<Vec<_>>(),
    );
    let access = a
        .access
        .into_iter()
        .map(|t| {
            let id = t.dimension.as_str();
            let items: Vec<_> = t.groups.iter().map(|g| (g.label.clone(), g.rate, g.ci95)).collect();
            let svg = charts::rates(&format!("access-{id}"), &format!("Connection to care by {}, with 95% intervals", t.dimension.label().to_lowercase()), &items, "not shown");
            AccessView { id, label: t.dimension.label(), table: t, svg }
        })
        .collect();
    let t = Gaps {
        nav: Nav::new(Some(&who), "gaps"),
        reasons: TurnAwayReason::ALL.iter().map(|r| r.label()).collect(),
        rows: a.gaps,
        panels,
        month_count: shown_months.len(),
        months,
        turned_away_any: turn_aways.iter().any(|t| t.1 > 0),
        turn_aways,
        turn_away_svg,
        strained: a.strained,
        under_used: a.under_used,
        access,
        threshold: PUBLIC_THRESHOLD,
        under_used_percent: (UNDER_USED_UTILISATION * 100.0) as u32,
    };
    Ok(Html(render(&t)).into_response())
}
