//! The import pages: the upload form with the import history, an import's page (its progress,
//! then its summary) and the download of its rejected rows.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use pmhc_core::access::Permission;
use pmhc_core::audit::AuditAction;

use super::ImportDetails;
use super::api::{ImportInfo, import_info};
use super::own_import;
use super::upload::{MaybeMultipart, multipart, start};
use crate::filters;
use crate::auth::{Auth, audit};
use crate::error::PageError;
use crate::present::{Nav, csv_download, page};
use crate::AppState;

#[derive(Template)]
#[template(path = "imports.html")]
pub struct Imports {
    pub nav: Nav,
    pub error: Option<String>,
    /// The shipped mappings: (name, what it reads), the canonical one first.
    pub mappings: Vec<(String, String)>,
    pub history: Vec<pmhc_service::model::ImportRecord>,
    pub max_mb: usize,
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportView {
    pub nav: Nav,
    pub info: ImportInfo,
    /// The kept summary (empty while the import runs).
    pub details: ImportDetails,
    pub running: bool,
    pub percent: u64,
}

pub(super) async fn imports(State(state): State<AppState>, Auth(who): Auth) -> Result<Response, PageError> {
    who.require(Permission::Import)?;
    let history = pmhc_service::imports::history(&state.cx, pmhc_service::Acting::User(&who.user), 100).await?;
    let mut mappings: Vec<(String, String)> = pmhc_import::shipped::SHIPPED
        .iter()
        .map(|(name, _)| {
            let what = match pmhc_import::shipped::shipped(name) {
                Some(Ok(spec)) => spec.source.description,
                _ => String::new(),
            };
            (name.to_string(), what)
        })
        .collect();
    mappings.sort();
    if let Some(i) = mappings.iter().position(|m| m.0 == "pmhc") {
        let m = mappings.remove(i);
        mappings.insert(0, m);
    }
    let t = Imports {
        nav: Nav::new(Some(&who), "imports"),
        error: None,
        mappings,
        history,
        max_mb: state.config.max_upload_bytes >> 20,
    };
    Ok(page(&t))
}

pub(super) async fn import_page(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Response, PageError> {
    who.require(Permission::Import)?;
    let r = own_import(&state, &who, id).await?;
    let mut info = import_info(&state, &who, r, true).await?;
    // The details name rejected rows and their reasons: audited before they are shown.
    audit(&state, &who, AuditAction::View, format!("import:{id}"), &[], format!("import {}", info.status)).await?;
    let t = ImportView {
        nav: Nav::new(Some(&who), "imports"),
        running: info.status == "running",
        percent: info.progress.unwrap_or(0),
        details: info.details.take().unwrap_or_default(),
        info,
    };
    Ok(page(&t))
}

pub(super) async fn import_rejects(State(state): State<AppState>, Auth(who): Auth, Path(id): Path<i64>) -> Result<Response, PageError> {
    who.require(Permission::Import)?;
    // The rows hold the source's own fields: audited before they are handed out.
    let bytes = pmhc_service::imports::rejects(&state.cx, &who.actor(), pmhc_service::Acting::User(&who.user), id).await?;
    Ok(csv_download(&format!("import-{id}-rejects.csv"), bytes))
}

pub(super) async fn upload_page(State(state): State<AppState>, Auth(who): Auth, mp: MaybeMultipart) -> Result<Response, PageError> {
    who.require(Permission::Import)?;
    let id = start(&state, &who, multipart(mp)?).await?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}
