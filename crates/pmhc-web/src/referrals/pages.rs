//! The referrals page: the referrals of the user's partner with the moves it may make, and the
//! forms that make and move them.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditAction;
use pmhc_core::services::{ReferralState, TurnAwayReason};
use pmhc_service::referrals;
use serde::Deserialize;

use super::api::{NewReferral, ReferralMove, advance, make};
use crate::auth::{Auth, Principal, audit};
use crate::error::PageError;
use crate::present::{Nav, csv_download, page_link, path_segment, render};
use crate::{AppError, AppState};

pub struct ReferralRow {
    pub id: i64,
    pub encounter: String,
    /// The encounter's page, when it is the viewer's partner's own (a provider may not see the
    /// referrer's record).
    pub encounter_href: Option<String>,
    pub service: String,
    pub state: &'static str,
    pub updated: String,
    pub incoming: bool,
    /// (target state, button text, confirmation question or empty)
    pub moves: Vec<(&'static str, &'static str, String)>,
    pub turn_away: bool,
}

#[derive(Template)]
#[template(path = "referrals.html")]
pub struct ReferralsPage {
    pub nav: Nav,
    pub error: Option<String>,
    /// What the last action did ("Referral #12 is now accepted."), shown after it.
    pub done: Option<String>,
    /// This page of the list (filters and offset), where an action returns.
    pub back: String,
    pub rows: Vec<ReferralRow>,
    pub services: Vec<(i64, String)>,
    pub reasons: Vec<(&'static str, &'static str)>,
    pub f: ReferralFilterForm,
    /// (value, label, chosen)
    pub states: Vec<(&'static str, &'static str, bool)>,
    pub service_choices: Vec<(String, String, bool)>,
    pub directions: Vec<(&'static str, &'static str, bool)>,
    /// The other partners (id, name, chosen).
    pub partners: Vec<(String, String, bool)>,
    pub total: u64,
    /// "Referrals 51–100 of 1,901".
    pub showing: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub csv_href: String,
}

/// What the filter form shows back.
#[derive(Default)]
pub struct ReferralFilterForm {
    pub from: String,
    pub to: String,
}

/// The list's filters and page, as the address carries them.
#[derive(Deserialize, Default, Clone)]
pub(super) struct ListQuery {
    state: Option<String>,
    service: Option<String>,
    direction: Option<String>,
    partner: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<u64>,
    format: Option<String>,
    /// The referral the last action moved, and its state now (after a move, the list comes back
    /// where it was and says what happened).
    done: Option<i64>,
    now: Option<String>,
}

/// Rows on a page.
const PAGE: u32 = 50;

fn query_of(q: &ListQuery) -> Result<referrals::ReferralQuery, AppError> {
    let some = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let date = |name: &str, v: &Option<String>| -> Result<Option<chrono::NaiveDate>, AppError> {
        some(v)
            .map(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| AppError::BadRequest(format!("{name}: “{s}” is not a date (YYYY-MM-DD)"))))
            .transpose()
    };
    Ok(referrals::ReferralQuery {
        state: some(&q.state).map(|s| s.parse::<ReferralState>().map_err(|e| AppError::BadRequest(e.to_string()))).transpose()?,
        service: some(&q.service).map(|s| s.parse::<i64>().map_err(|_| AppError::BadRequest(format!("service: “{s}” is not a service")))).transpose()?,
        incoming: match some(&q.direction).as_deref() {
            None => None,
            Some("incoming") => Some(true),
            Some("outgoing") => Some(false),
            Some(other) => return Err(AppError::BadRequest(format!("direction: “{other}” is neither incoming nor outgoing"))),
        },
        partner: some(&q.partner).map(|s| s.parse::<i64>().map_err(|_| AppError::BadRequest(format!("partner: “{s}” is not a partner")))).transpose()?,
        from: date("from", &q.from)?,
        to: date("to", &q.to)?,
        offset: q.offset.unwrap_or(0),
        limit: PAGE,
    })
}

async fn page_view(state: &AppState, who: &Principal, q: &ListQuery, error: Option<String>) -> Result<ReferralsPage, AppError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(state).await?;
    let rq = query_of(q)?;
    let (list, total) = referrals::page(&state.cx, &viewer, &rq).await?;
    audit(state, who, AuditAction::View, "referrals", &[], format!("{} of {total} referrals", list.len())).await?;
    let rows = list
        .iter()
        .map(|v| {
            let r = &v.referral;
            let moves = v.moves_for(who.user.partner);
            ReferralRow {
                id: r.id,
                encounter: format!("{}/{}", r.source_system, r.source_key),
                encounter_href: (v.referrer == who.user.partner)
                    .then(|| format!("/encounters/{}/{}", path_segment(&r.source_system), path_segment(&r.source_key))),
                service: v.service.name.clone(),
                state: r.state.label(),
                updated: r.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                incoming: v.service.provider == who.user.partner,
                turn_away: moves.contains(&ReferralState::TurnedAway),
                moves: moves
                    .iter()
                    .filter(|m| **m != ReferralState::TurnedAway)
                    .map(|m| {
                        let confirm = if m.is_final() { format!("{} — referral #{}. This cannot be undone.", m.verb(), r.id) } else { String::new() };
                        (m.as_str(), m.verb(), confirm)
                    })
                    .collect(),
            }
        })
        .collect();
    let services: Vec<(i64, String)> = pmhc_service::inventory::services(&state.cx).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let filters = [
        ("state", &q.state),
        ("service", &q.service),
        ("direction", &q.direction),
        ("partner", &q.partner),
        ("from", &q.from),
        ("to", &q.to),
    ];
    let offset = rq.offset;
    let shown = list.len() as u64;
    let n = pmhc_report::thousands;
    let done = match (q.done, q.now.as_deref().map(str::parse::<ReferralState>)) {
        (Some(id), Some(Ok(now))) => Some(format!("Referral #{id} is now {}.", now.label().to_lowercase())),
        _ => None,
    };
    Ok(ReferralsPage {
        nav: Nav::new(Some(who), "referrals"),
        error,
        done,
        back: page_link("/referrals", &filters, offset),
        rows,
        reasons: TurnAwayReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        f: ReferralFilterForm { from: q.from.clone().unwrap_or_default(), to: q.to.clone().unwrap_or_default() },
        states: ReferralState::ALL.iter().map(|s| (s.as_str(), s.label(), rq.state == Some(*s))).collect(),
        service_choices: services.iter().map(|(id, name)| (id.to_string(), name.clone(), rq.service == Some(*id))).collect(),
        directions: [("incoming", "Sent to your services", Some(true)), ("outgoing", "Made from your encounters", Some(false))]
            .into_iter()
            .map(|(v, l, i)| (v, l, rq.incoming == i))
            .collect(),
        partners: pmhc_service::partners::list(&state.cx)
            .await?
            .into_iter()
            .filter(|p| p.id != who.user.partner)
            .map(|p| (p.id.to_string(), p.name, rq.partner == Some(p.id)))
            .collect(),
        total,
        showing: if shown == 0 { String::new() } else { format!("Referrals {}–{} of {}", n(offset + 1), n(offset + shown), n(total)) },
        prev: (offset > 0).then(|| page_link("/referrals", &filters, offset.saturating_sub(u64::from(PAGE)))),
        next: (offset + shown < total).then(|| page_link("/referrals", &filters, offset + u64::from(PAGE))),
        csv_href: format!("{}&format=csv", page_link("/referrals", &filters, 0)),
        services,
    })
}

pub(super) async fn referrals_page(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
    if q.format.as_deref() == Some("csv") {
        return referrals_csv(&state, &who, &q).await;
    }
    match query_of(&q) {
        Ok(_) => Ok(Html(render(&page_view(&state, &who, &q, None).await?)).into_response()),
        // A filter that does not parse: the list without it, and the reason.
        Err(e) => Ok((e.status(), Html(render(&page_view(&state, &who, &ListQuery::default(), Some(e.to_string())).await?))).into_response()),
    }
}

/// Every referral the filters match, as CSV (audited as an export).
async fn referrals_csv(state: &AppState, who: &Principal, q: &ListQuery) -> Result<Response, PageError> {
    who.require(Permission::ViewEncounters)?;
    let viewer = who.viewer(state).await?;
    let rq = referrals::ReferralQuery { offset: 0, limit: u32::MAX, ..query_of(q)? };
    let (list, total) = referrals::page(&state.cx, &viewer, &rq).await?;
    audit(state, who, AuditAction::Export, "referrals.csv", &[], format!("{total} referrals")).await?;
    let body = (|| -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        pmhc_import::csv_safe::write_safe_record(&mut w, ["id", "encounter_source_system", "encounter_key", "service", "direction", "state", "reason", "made_utc", "updated_utc"])?;
        for v in &list {
            let r = &v.referral;
            pmhc_import::csv_safe::write_safe_record(&mut w, [
                r.id.to_string().as_str(),
                &r.source_system,
                &r.source_key,
                &v.service.name,
                if v.service.provider == who.user.partner { "incoming" } else { "outgoing" },
                r.state.as_str(),
                r.reason.map(|x| x.as_str()).unwrap_or(""),
                &r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                &r.updated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            ])?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    })()
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_download("pmhc-referrals.csv", body))
}

/// Answer a page action: back to the list, or the list with the reason it was refused.
async fn after(state: &AppState, who: &Principal, r: Result<(), AppError>) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to("/referrals").into_response()),
        Err(e) => refused(state, who, e).await,
    }
}

/// The list with the reason an action was refused.
async fn refused(state: &AppState, who: &Principal, e: AppError) -> Result<Response, PageError> {
    if e.is_not_about_the_form() {
        return Err(e.into());
    }
    Ok((e.status(), Html(render(&page_view(state, who, &ListQuery::default(), Some(e.to_string())).await?))).into_response())
}

#[derive(Deserialize)]
pub(super) struct MakeForm {
    csrf: String,
    source_system: String,
    source_key: String,
    service_id: i64,
}

pub(super) async fn referral_make_page(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<MakeForm>) -> Result<Response, PageError> {
    who.check_csrf(&f.csrf)?;
    let n = NewReferral { source_system: f.source_system.trim().into(), source_key: f.source_key.trim().into(), service_id: f.service_id, state: None };
    let r = make(&state, &who, n).await.map(|_| ());
    after(&state, &who, r).await
}

#[derive(Deserialize)]
pub(super) struct MoveForm {
    csrf: String,
    to: String,
    reason: Option<String>,
    /// The page of the list the action was made from (only `/referrals…` is followed).
    back: Option<String>,
}

pub(super) async fn referral_move_page(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(f): Form<MoveForm>) -> Result<Response, PageError> {
    who.check_csrf(&f.csrf)?;
    let r = async {
        let to: ReferralState = f.to.parse().map_err(|e: pmhc_core::sharing::UnknownName| AppError::BadRequest(e.to_string()))?;
        let reason = match f.reason.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(s.parse::<TurnAwayReason>().map_err(|e| AppError::BadRequest(e.to_string()))?),
            None => None,
        };
        advance(&state, &who, id, ReferralMove { to, reason }).await.map(|_| to)
    }
    .await;
    match r {
        // Back to the same page of the list (filters and offset), saying what happened.
        Ok(to) => {
            let back = f.back.as_deref().filter(|b| (*b == "/referrals" || b.starts_with("/referrals?")) && b.chars().all(|c| c.is_ascii_graphic() && c != '#')).unwrap_or("/referrals");
            let sep = if back.contains('?') { '&' } else { '?' };
            Ok(Redirect::to(&format!("{back}{sep}done={id}&now={}#referral-{id}", to.as_str())).into_response())
        }
        Err(e) => refused(&state, &who, e).await,
    }
}
