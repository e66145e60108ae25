//! The sharing screen (what each partner shares with whom; partners and agreements for those who
//! manage them) and the consents page (42 CFR Part 2 consents and the accounting of disclosures).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use pmhc_core::access::Permission;
use pmhc_core::sharing::{Consent, Direction, FieldGroup, InformationSharingAgreement, Partner, Purpose, Sector};
use serde::Deserialize;

use super::api::{self, AgreementInfo, DisclosureInfo};
use crate::auth::{Auth, Principal};
use crate::error::PageError;
use crate::extract::CsrfForm;
use crate::present::{Nav, render, urlencode};
use crate::{AppError, AppState};

pub struct AgreementRow {
    pub id: i64,
    pub title: String,
    pub other: String,
    pub groups: String,
    pub purpose: &'static str,
    pub legal_basis: String,
    pub dates: String,
    pub state: &'static str,
    /// The viewer's partner is a party still to approve it, and the viewer may approve.
    pub approvable: bool,
    /// The viewer's partner is a party, and it is not over.
    pub endable: bool,
}

#[derive(Template)]
#[template(path = "sharing.html")]
pub struct SharingPage {
    pub nav: Nav,
    pub partner: String,
    pub error: Option<String>,
    pub saved: Option<String>,
    pub outgoing: Vec<AgreementRow>,
    pub incoming: Vec<AgreementRow>,
    pub manage: bool,
    pub all: Vec<AgreementRow>,
    pub partners: Vec<Partner>,
    pub directions: Vec<(&'static str, &'static str)>,
    pub groups: Vec<(&'static str, &'static str)>,
    pub purposes: Vec<(&'static str, &'static str)>,
    pub sectors: Vec<(&'static str, &'static str)>,
    /// What the agreement form held when it was refused (kept for another try).
    pub kept: FormMap,
}

impl SharingPage {
    /// A kept value of the agreement form ("" when none).
    pub fn kept(&self, name: &str) -> &str {
        self.kept.get(name).map(String::as_str).unwrap_or("")
    }

    /// Whether the kept agreement form had this field group ticked.
    pub fn group_ticked(&self, group: &str) -> bool {
        self.kept("field_groups").split(',').any(|g| g.trim() == group)
    }
}

fn named<T: Copy>(all: &[T], f: impl Fn(T) -> (&'static str, &'static str)) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| f(*v)).collect()
}

async fn sharing_view(state: &AppState, who: &Principal, error: Option<String>, saved: Option<String>, kept: FormMap) -> Result<SharingPage, AppError> {
    let partners = pmhc_service::partners::list(&state.cx).await?;
    let name = |id: i64| partners.iter().find(|p| p.id == id).map_or_else(|| format!("partner {id}"), |p| p.name.clone());
    let me = who.user.partner;
    let agreements = api::visible_agreements(state, who).await?;
    let approver = pmhc_service::agreements::approves_for_its_partner(&who.user);
    let row = |i: &AgreementInfo, other: String| {
        let a = &i.agreement;
        AgreementRow {
            id: a.id,
            title: a.title.clone(),
            other,
            groups: a.field_groups.labels(),
            purpose: a.purpose.label(),
            legal_basis: a.legal_basis.clone(),
            dates: format!(
                "{} to {}{}",
                a.effective_on,
                a.expires_on,
                a.ended_on.map(|d| format!(" (ended {d})")).unwrap_or_default()
            ),
            state: i.state,
            approvable: approver && a.awaiting().contains(&me) && a.ended_on.is_none(),
            endable: a.party(me) && matches!(i.state, "in force" | "not yet in force" | "awaiting approval"),
        }
    };
    let both = |a: &InformationSharingAgreement| a.direction == Direction::BothWays;
    let outgoing = agreements
        .iter()
        .filter(|i| i.agreement.discloser == me || (both(&i.agreement) && i.agreement.recipient == me))
        .map(|i| row(i, name(if i.agreement.discloser == me { i.agreement.recipient } else { i.agreement.discloser })))
        .collect();
    let incoming = agreements
        .iter()
        .filter(|i| i.agreement.recipient == me || (both(&i.agreement) && i.agreement.discloser == me))
        .map(|i| row(i, name(if i.agreement.recipient == me { i.agreement.discloser } else { i.agreement.recipient })))
        .collect();
    let manage = who.roles().can(Permission::ManageAgreements);
    let all = if manage {
        agreements
            .iter()
            .map(|i| {
                let arrow = if both(&i.agreement) { "↔" } else { "→" };
                row(i, format!("{} {arrow} {}", name(i.agreement.discloser), name(i.agreement.recipient)))
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(SharingPage {
        nav: Nav::new(Some(who), "sharing"),
        partner: name(me),
        error,
        saved,
        outgoing,
        incoming,
        manage,
        all,
        partners,
        directions: named(Direction::ALL, |d| (d.as_str(), d.label())),
        groups: named(FieldGroup::ALL, |g| (g.as_str(), g.label())),
        purposes: named(Purpose::ALL, |p| (p.as_str(), p.label())),
        sectors: named(&Sector::OF_PARTNERS, |s| (s.as_str(), s.label())),
        kept,
    })
}

fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    (status, Html(render(t))).into_response()
}

pub(super) async fn sharing(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    Ok(page(StatusCode::OK, &sharing_view(&state, &who, None, None, FormMap::new()).await?))
}

pub(super) type FormMap = HashMap<String, String>;

fn field<'a>(f: &'a FormMap, k: &str) -> &'a str {
    f.get(k).map(|s| s.trim()).unwrap_or("")
}

fn parse<T: std::str::FromStr>(f: &FormMap, k: &str, what: &str) -> Result<T, AppError>
where
    T::Err: std::fmt::Display,
{
    field(f, k).parse::<T>().map_err(|e| AppError::BadRequest(format!("{what}: {e}")))
}

fn date(f: &FormMap, k: &str, what: &str) -> Result<Option<NaiveDate>, AppError> {
    match field(f, k) {
        "" => Ok(None),
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| AppError::BadRequest(format!("{what}: `{s}` is not a date"))),
    }
}

/// Run a change from the sharing screen: on success back to the screen with a message, on a
/// refusal the screen with the reason (what was typed is in the request; the forms are short).
/// The page after a change: what was done, or why not with the form as it was sent (`kept`).
async fn sharing_change(state: &AppState, who: &Principal, r: Result<String, AppError>, kept: FormMap) -> Result<Response, PageError> {
    match r {
        Ok(msg) => Ok(page(StatusCode::OK, &sharing_view(state, who, None, Some(msg), FormMap::new()).await?)),
        Err(e) if e.is_not_about_the_form() => Err(e.into()),
        Err(e) => Ok(page(e.status(), &sharing_view(state, who, Some(e.to_string()), None, kept).await?)),
    }
}

/// May this user change agreements and partners now: the permission, the form's CSRF token, and
/// the password entered in the last 5 minutes — when it was not, the page asking for it, keeping
/// the form (`Some`), posting back to `action`.
async fn manager(state: &AppState, who: &Principal, action: &str, f: &FormMap) -> Result<Option<Response>, AppError> {
    who.require(Permission::ManageAgreements)?;
    who.check_csrf(field(f, "csrf"))?;
    crate::auth::confirm_recent(state, who, action, f).await
}

pub(super) async fn agreement_add(State(state): State<AppState>, Auth(who): Auth, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    // Ticked field groups come as one field each: one comma-separated value.
    let mut f = FormMap::new();
    for (k, v) in pairs {
        match f.get_mut(&k) {
            Some(old) if k == "field_groups" => {
                old.push(',');
                old.push_str(&v);
            }
            Some(_) => {}
            None => {
                f.insert(k, v);
            }
        }
    }
    if let Some(confirm) = manager(&state, &who, "/sharing/agreements", &f).await? {
        return Ok(confirm);
    }
    let r = async {
        let a = InformationSharingAgreement {
            id: 0,
            title: field(&f, "title").to_string(),
            discloser: parse(&f, "discloser", "shared by")?,
            recipient: parse(&f, "recipient", "shared with")?,
            direction: parse(&f, "direction", "direction")?,
            field_groups: parse(&f, "field_groups", "field groups")?,
            purpose: parse(&f, "purpose", "purpose")?,
            legal_basis: field(&f, "legal_basis").to_string(),
            effective_on: date(&f, "effective_on", "effective")?.ok_or_else(|| AppError::BadRequest("give the first day".into()))?,
            expires_on: date(&f, "expires_on", "expires")?.ok_or_else(|| AppError::BadRequest("give the last day".into()))?,
            ended_on: None,
            discloser_approved_on: None,
            recipient_approved_on: None,
        };
        let saved = api::save_agreement(&state, &who, a).await?;
        Ok(if saved.approved() {
            format!("Recorded agreement #{} ({}): approved.", saved.id, saved.title)
        } else {
            let mut names = Vec::new();
            for p in saved.awaiting() {
                names.push(pmhc_service::partners::find(&state.cx, &p.to_string()).await.map_or_else(|_| format!("partner {p}"), |x| x.name));
            }
            format!("Proposed agreement #{} ({}): it shares nothing until {} approves it.", saved.id, saved.title, names.join(" and "))
        })
    }
    .await;
    sharing_change(&state, &who, r, f).await
}

pub(super) async fn agreement_end(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(f): Form<FormMap>) -> Result<Response, PageError> {
    if let Some(confirm) = manager(&state, &who, &format!("/sharing/agreements/{id}/end"), &f).await? {
        return Ok(confirm);
    }
    let r = api::finish_agreement(&state, &who, id).await.map(|_| format!("Agreement #{id} ended today: nothing is shared under it from now on."));
    sharing_change(&state, &who, r, FormMap::new()).await
}

pub(super) async fn agreement_approve(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(f): Form<FormMap>) -> Result<Response, PageError> {
    if let Some(confirm) = manager(&state, &who, &format!("/sharing/agreements/{id}/approve"), &f).await? {
        return Ok(confirm);
    }
    let names: HashMap<_, _> = pmhc_service::partners::list(&state.cx).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let r = api::approve(&state, &who, id).await.map(|a| {
        if a.approved() {
            format!("Agreement #{id} approved: it shares from its first day ({}).", a.effective_on)
        } else {
            let waiting: Vec<String> = a.awaiting().iter().map(|p| names.get(p).cloned().unwrap_or_else(|| format!("partner {p}"))).collect();
            format!("Agreement #{id} approved by your partner; it waits for {}.", waiting.join(" and "))
        }
    });
    sharing_change(&state, &who, r, FormMap::new()).await
}

pub(super) async fn partner_add(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<FormMap>) -> Result<Response, PageError> {
    if let Some(confirm) = manager(&state, &who, "/sharing/partners", &f).await? {
        return Ok(confirm);
    }
    let r = async {
        let sector: Sector = parse(&f, "sector", "sector")?;
        let name = field(&f, "name");
        let p = pmhc_service::partners::add(&state.cx, &who.actor(), pmhc_service::Acting::User(&who.user), name, sector).await?;
        Ok(format!("Added partner {} ({}).", p.id, p.name))
    }
    .await;
    sharing_change(&state, &who, r, FormMap::new()).await
}

pub struct ConsentRow {
    pub id: i64,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub scope: String,
    pub state: &'static str,
    pub revocable: bool,
}

#[derive(Template)]
#[template(path = "consents.html")]
pub struct ConsentsPage {
    pub nav: Nav,
    pub error: Option<String>,
    pub saved: Option<String>,
    pub subject: String,
    pub consents: Vec<ConsentRow>,
    pub accounting: Vec<DisclosureInfo>,
    pub partners: Vec<Partner>,
    pub my_partner: i64,
    pub purposes: Vec<(&'static str, &'static str)>,
}

async fn consents_view(state: &AppState, who: &Principal, subject: &str, error: Option<String>, saved: Option<String>) -> Result<ConsentsPage, AppError> {
    let partners = pmhc_service::partners::list(&state.cx).await?;
    let name = |id: i64| partners.iter().find(|p| p.id == id).map_or_else(|| format!("partner {id}"), |p| p.name.clone());
    let today = state.cx.clock().today();
    let list = api::visible_consents(state, who, Some(subject)).await?;
    let consents = list
        .iter()
        .map(|c| ConsentRow {
            id: c.id,
            subject: c.subject_key.clone(),
            from: name(c.discloser),
            to: name(c.recipient),
            scope: c.scope(),
            state: if c.in_force(today) {
                "in force"
            } else if c.revoked_on.is_some() {
                "revoked"
            } else {
                "not in force"
            },
            revocable: c.revoked_on.is_none(),
        })
        .collect();
    let accounting = if subject.is_empty() { Vec::new() } else { api::accounting_of(state, who, subject).await? };
    Ok(ConsentsPage {
        nav: Nav::new(Some(who), "consents"),
        error,
        saved,
        subject: subject.to_string(),
        consents,
        accounting,
        partners,
        my_partner: who.user.partner,
        purposes: named(Purpose::ALL, |p| (p.as_str(), p.label())),
    })
}

#[derive(Deserialize)]
pub(super) struct SubjectQuery {
    subject: Option<String>,
}

pub(super) async fn consents(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<SubjectQuery>) -> Result<Response, PageError> {
    who.require(Permission::ManageConsents)?;
    let subject = q.subject.as_deref().map(str::trim).unwrap_or("");
    Ok(page(StatusCode::OK, &consents_view(&state, &who, subject, None, None).await?))
}

pub(super) async fn consent_add(State(state): State<AppState>, Auth(who): Auth, Form(f): Form<FormMap>) -> Result<Response, PageError> {
    who.require(Permission::ManageConsents)?;
    who.check_csrf(field(&f, "csrf"))?;
    let subject = field(&f, "subject_key").to_string();
    let r = async {
        let c = Consent {
            id: 0,
            subject_key: subject.clone(),
            discloser: parse(&f, "discloser", "who may disclose")?,
            recipient: parse(&f, "recipient", "to whom")?,
            information: field(&f, "information").to_string(),
            purpose: parse(&f, "purpose", "purpose")?,
            expires_on: date(&f, "expires_on", "expires on")?,
            expiry_event: Some(field(&f, "expiry_event").to_string()).filter(|s| !s.is_empty()),
            right_to_revoke_acknowledged: field(&f, "right_to_revoke_acknowledged") == "yes",
            signed_by: field(&f, "signed_by").to_string(),
            signed_on: date(&f, "signed_on", "signed on")?.ok_or_else(|| AppError::BadRequest("the consent is missing the signature date".into()))?,
            revoked_on: None,
        };
        api::save_consent(&state, &who, c).await
    }
    .await;
    match r {
        Ok(c) => Ok(page(StatusCode::OK, &consents_view(&state, &who, &subject, None, Some(format!("Recorded consent #{}.", c.id))).await?)),
        Err(e) if e.is_not_about_the_form() => Err(e.into()),
        Err(e) => Ok(page(e.status(), &consents_view(&state, &who, &subject, Some(e.to_string()), None).await?)),
    }
}

pub(super) async fn consent_revoke(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> Result<Response, PageError> {
    who.require(Permission::ManageConsents)?;
    who.check_csrf(&f.csrf)?;
    let c = api::withdraw_consent(&state, &who, id).await?;
    Ok(Redirect::to(&format!("/consents?subject={}", urlencode(&c.subject_key))).into_response())
}
