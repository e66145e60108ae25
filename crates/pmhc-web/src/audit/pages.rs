//! The audit trail page (filters, paging, verifying the chain) and its CSV export, for those who
//! may read it; reading and exporting it are audited too.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditOutcome;
use pmhc_import::csv_safe::write_safe_record;
use serde::Deserialize;

use pmhc_service::Acting;
use pmhc_service::model::AuditFilter;

use crate::auth::Auth;
use crate::error::PageError;
use crate::extract::{date_param, offset_param, opt};
use crate::present::{Nav, csv_download, page, page_link};
use crate::{AppError, AppState};

#[derive(Default)]
pub struct AuditFilterForm {
    pub actor: String,
    pub object: String,
    pub from: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct Audit {
    pub nav: Nav,
    pub f: AuditFilterForm,
    pub actions: Vec<(&'static str, bool)>,
    pub outcomes: Vec<(&'static str, bool)>,
    pub entries: Vec<AuditRow>,
    pub verified: Option<(bool, String)>,
    pub next: Option<String>,
    pub csv_href: String,
}

/// One audit entry as the page shows it.
pub struct AuditRow {
    pub id: u64,
    pub at: String,
    pub actor: String,
    pub partner: String,
    pub source: String,
    pub action: &'static str,
    pub object: String,
    pub groups: String,
    pub outcome: &'static str,
    pub detail: String,
}

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    object: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<u64>,
    verify: Option<String>,
}

/// The audit filters of a request.
fn audit_filter(q: &AuditQuery) -> Result<AuditFilter, AppError> {
    let text = |v: &Option<String>| opt(v).map(String::from);
    let day = |name: &str, v: &Option<String>| date_param(name, v).map(|d| d.map(|d| d.to_string()));
    let action = match text(&q.action) {
        Some(a) => Some(pmhc_core::audit::AuditAction::parse(&a).ok_or_else(|| AppError::BadRequest(format!("`{a}` is not an audit action")))?),
        None => None,
    };
    let outcome = match text(&q.outcome) {
        Some(o) => Some(AuditOutcome::parse(&o).ok_or_else(|| AppError::BadRequest(format!("`{o}` is not an outcome")))?),
        None => None,
    };
    Ok(AuditFilter {
        actor: text(&q.actor),
        action,
        outcome,
        object_prefix: text(&q.object),
        from: day("from", &q.from)?,
        to: day("to", &q.to)?,
        scope: None,
    })
}

/// Entries an audit export holds at most (narrow the filters for more).
const AUDIT_EXPORT_MAX: u32 = 100_000;

/// The filtered audit trail as CSV, for auditors' own tools (the export itself is audited).
pub(super) async fn audit_csv(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<AuditQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewAudit)?;
    let entries = pmhc_service::audit::export(&state.cx, &who.actor(), Acting::User(&who.user), audit_filter(&q)?, AUDIT_EXPORT_MAX, "audit.csv").await?;
    let body = (|| -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        write_safe_record(&mut w, ["id", "at_utc", "actor", "partner", "source", "action", "object", "field_groups", "outcome", "detail", "hash"])?;
        for e in &entries {
            let ev = &e.event;
            // Spreadsheet-safe: a failed sign-in's actor is whatever name was typed.
            write_safe_record(&mut w, [
                e.id.to_string().as_str(),
                &ev.at,
                &ev.actor,
                ev.partner.as_deref().unwrap_or(""),
                &ev.source,
                ev.action.as_str(),
                &ev.object,
                &ev.field_groups.join(","),
                ev.outcome.as_str(),
                &ev.detail,
                &e.hash,
            ])?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    })()
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_download("pmhc-audit.csv", body))
}

pub(super) async fn audit_page(State(state): State<AppState>, Auth(who): Auth, Query(q): Query<AuditQuery>) -> Result<Response, PageError> {
    who.require(Permission::ViewAudit)?;
    let filter = audit_filter(&q)?;
    let (action, outcome) = (filter.action, filter.outcome);
    let offset = offset_param(q.offset);
    const PAGE: u32 = 100;
    // Reading the audit trail is itself audited.
    let entries = pmhc_service::audit::list(&state.cx, &who.actor(), Acting::User(&who.user), filter, PAGE, offset).await?;
    let verified = if q.verify.is_some() {
        Some(match pmhc_service::audit::verify(&state.cx, None).await? {
            Ok(v) => (
                true,
                match v.head {
                    Some((id, hash)) => format!("The chain is intact: {} entries; the newest is {id} with hash {hash}.", v.entries),
                    None => "The audit trail is empty.".to_string(),
                },
            ),
            Err(e) if !e.is_tampering() => (false, format!("The chain cannot be verified: {e}. Restore the key file and verify again.")),
            Err(broken) => (false, format!("The chain is BROKEN at entry {}: {broken}.", broken.entry())),
        })
    } else {
        None
    };
    // Partners by name (an entry keeps the partner's id as it was).
    let names: std::collections::HashMap<String, String> =
        pmhc_service::partners::list(&state.cx).await?.into_iter().map(|p| (p.id.to_string(), p.name)).collect();
    let filters = [("actor", &q.actor), ("action", &q.action), ("outcome", &q.outcome), ("object", &q.object), ("from", &q.from), ("to", &q.to)];
    let next = (entries.len() as u32 == PAGE).then(|| page_link("/audit", &filters, offset + u64::from(PAGE)));
    let csv_href = page_link("/audit.csv", &filters, 0);
    let t = Audit {
        nav: Nav::new(Some(&who), "audit"),
        f: AuditFilterForm {
            actor: q.actor.clone().unwrap_or_default(),
            object: q.object.clone().unwrap_or_default(),
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
        },
        actions: pmhc_core::audit::AuditAction::ALL.iter().map(|a| (a.as_str(), Some(*a) == action)).collect(),
        outcomes: [AuditOutcome::Success, AuditOutcome::Refused, AuditOutcome::Failed].iter().map(|o| (o.as_str(), Some(*o) == outcome)).collect(),
        entries: entries
            .into_iter()
            .map(|e| {
                let ev = e.event;
                AuditRow {
                    id: e.id,
                    // To the second on the page (`2026-11-27 04:05:06`); the CSV keeps the entry's own.
                    at: ev.at.get(..19).map_or_else(|| ev.at.clone(), |s| s.replacen('T', " ", 1)),
                    actor: ev.actor,
                    partner: ev.partner.map(|p| names.get(&p).cloned().unwrap_or(p)).unwrap_or_default(),
                    source: ev.source,
                    action: ev.action.as_str(),
                    object: ev.object,
                    groups: ev.field_groups.join(", "),
                    outcome: ev.outcome.as_str(),
                    detail: ev.detail,
                }
            })
            .collect(),
        verified,
        next,
        csv_href,
    };
    Ok(page(&t))
}
