//! Reading an upload (the CSV streamed to a file in the upload folder, size-limited) and starting
//! its import in the background through the service layer, for the page and the API alike.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::Multipart;
use pmhc_core::audit::AuditAction;
use pmhc_import::MappingSpec;
use pmhc_service::audit::ENCOUNTER_GROUPS;
use pmhc_service::imports::{ImportRequest, import_file};
use tokio::io::AsyncWriteExt;

use super::{ImportDetails, Job, Reject, UnknownCode};
use crate::auth::Principal;
use crate::{AppError, AppState};

/// What an upload form carried.
struct Upload {
    csrf: String,
    file: Option<(PathBuf, String)>,
    mapping: Option<String>,
    mapping_toml: Option<String>,
    /// A source system name of the importer's own, instead of the mapping's `source.system` (two
    /// partners importing with one shipped mapping).
    source_system: Option<String>,
}

fn is_limit(e: &axum::extract::multipart::MultipartError) -> bool {
    e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE
}

/// Read the multipart body: the CSV to a file in the upload folder, the rest to memory.
async fn read_upload(state: &AppState, mut mp: Multipart) -> Result<Upload, AppError> {
    let limit_mb = state.config.max_upload_bytes >> 20;
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if is_limit(&e) { AppError::TooLarge(limit_mb) } else { AppError::BadRequest(format!("the upload is malformed: {e}")) }
    };
    let mut up = Upload { csrf: String::new(), file: None, mapping: None, mapping_toml: None, source_system: None };
    while let Some(mut field) = mp.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let original = field.file_name().unwrap_or("upload.csv").to_string();
                let original: String = original.chars().filter(|c| !c.is_control()).take(200).collect();
                let path = tempfile::Builder::new()
                    .prefix("upload-")
                    .suffix(".csv")
                    .tempfile_in(state.upload_dir())
                    .and_then(|f| f.keep().map_err(|e| e.error))
                    .map_err(|e| AppError::Internal(e.into()))?
                    .1;
                let mut out = tokio::fs::File::create(&path).await.map_err(|e| AppError::Internal(e.into()))?;
                let mut n = 0u64;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            n += chunk.len() as u64;
                            out.write_all(&chunk).await.map_err(|e| AppError::Internal(e.into()))?;
                        }
                        Ok(None) => break,
                        Err(e) => {
                            let _ = tokio::fs::remove_file(&path).await;
                            return Err(too_large(e));
                        }
                    }
                }
                out.flush().await.map_err(|e| AppError::Internal(e.into()))?;
                if n == 0 {
                    let _ = tokio::fs::remove_file(&path).await;
                    return Err(AppError::BadRequest("the file is empty (choose a CSV file to import)".into()));
                }
                up.file = Some((path, original));
            }
            "mapping_file" => {
                let bytes = field.bytes().await.map_err(too_large)?;
                if !bytes.is_empty() {
                    let text = String::from_utf8(bytes.to_vec())
                        .map_err(|_| AppError::BadRequest("the mapping file is not UTF-8 text".into()))?;
                    up.mapping_toml = Some(text);
                }
            }
            "mapping" | "csrf" | "source_system" => {
                let text = field.text().await.map_err(too_large)?;
                if name == "csrf" {
                    up.csrf = text;
                } else if text.trim().is_empty() {
                } else if name == "mapping" {
                    up.mapping = Some(text.trim().to_string());
                } else {
                    up.source_system = Some(text.trim().to_string());
                }
            }
            _ => {
                // Drain unknown parts.
                let _ = field.bytes().await.map_err(too_large)?;
            }
        }
    }
    Ok(up)
}

fn resolve_mapping(up: &Upload) -> Result<(String, MappingSpec), AppError> {
    if let Some(text) = &up.mapping_toml {
        let spec = MappingSpec::from_toml(text).map_err(|e| AppError::BadRequest(format!("the mapping file: {e}")))?;
        return Ok(("uploaded mapping".into(), spec));
    }
    let name = up.mapping.clone().unwrap_or_else(|| "pmhc".into());
    match pmhc_import::shipped::shipped(&name) {
        Some(Ok(spec)) => Ok((name, spec)),
        Some(Err(e)) => Err(AppError::Internal(anyhow::anyhow!("shipped mapping {name}: {e}"))),
        None => Err(AppError::BadRequest(format!(
            "there is no mapping called `{name}`; use one of {} or upload a mapping file",
            pmhc_import::shipped::names().join(", ")
        ))),
    }
}

/// Check the upload, start the import in the background, and return its id once recorded. The
/// callers have checked `Permission::Import` (before the body was read).
pub(super) async fn start(state: &AppState, who: &Principal, mp: Multipart) -> Result<i64, AppError> {
    let up = read_upload(state, mp).await?;
    let cleanup = |up: &Upload| {
        if let Some((p, _)) = &up.file {
            let _ = std::fs::remove_file(p);
        }
    };
    if let Err(e) = who.check_csrf(&up.csrf) {
        cleanup(&up);
        return Err(e);
    }
    let (mapping_name, spec) = match resolve_mapping(&up).and_then(|(n, mut spec)| {
        if let Some(own) = &up.source_system {
            spec.source.system = own.clone();
        }
        let system = &spec.source.system;
        if system.trim().is_empty() || system.chars().any(char::is_control) {
            Err(AppError::BadRequest("the source system must be a name without control characters".into()))
        } else {
            Ok((n, spec))
        }
    }) {
        Ok(m) => m,
        Err(e) => {
            cleanup(&up);
            return Err(e);
        }
    };
    let Some((path, original)) = up.file.clone() else {
        return Err(AppError::BadRequest("choose a CSV file to import (form field `file`)".into()));
    };
    // Recorded before it starts: no audit entry, no import.
    if let Err(e) = crate::auth::audit(state, who, AuditAction::Import, format!("file:{original}"), ENCOUNTER_GROUPS, "upload").await {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let rejects = path.with_extension("rejects.csv");
    let job = Arc::new(Job { bytes_total: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0), ..Job::default() });
    // The import's id once it is recorded, or why it could not start (e.g. the source system
    // belongs to another partner): said on the page and in the API, not only in the log.
    let (id_tx, id_rx) = tokio::sync::oneshot::channel::<Result<i64, String>>();
    let id_tx = Arc::new(std::sync::Mutex::new(Some(id_tx)));
    let id_tx_end = id_tx.clone();
    let progress_job = job.clone();
    let started_id = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let started_id_set = started_id.clone();
    let request = ImportRequest {
        path: path.clone(),
        file_name: original,
        mapping_name,
        spec,
        batch_size: 5_000,
        rejects_path: Some(rejects.clone()),
        partner: who.user.partner,
        actor: who.actor(),
        progress: Some(Arc::new(move |b| progress_job.bytes_done.store(b, Ordering::Relaxed))),
        on_start: Some(Box::new(move |id| {
            started_id_set.store(id, Ordering::SeqCst);
            if let Some(tx) = id_tx.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
                let _ = tx.send(Ok(id));
            }
        })),
    };
    let st = state.clone();
    let user = who.user.username.clone();
    let shown_name = up.file.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
    tokio::spawn(async move {
        let result = import_file(&st.cx, request).await;
        // The message names the upload's temporary path: show the user's file name instead. The
        // whole chain of causes, as the CLI prints it ("the mapping does not fit F: the file lacks
        // the columns …").
        let failure = result.as_ref().err().map(|e| error_chain(e).replace(&path.display().to_string(), &shown_name));
        if let Some(f) = &failure
            && let Some(tx) = id_tx_end.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
        {
            // Failed before it was recorded: the caller answers with the reason.
            let _ = tx.send(Err(f.clone()));
        }
        let details = match &result {
            Ok(o) => ImportDetails {
                counts: o.summary.counts,
                skipped_rows: o.summary.skipped_rows,
                encounters: o.summary.encounters,
                unknown_codes: o
                    .summary
                    .unknown_codes
                    .iter()
                    .map(|u| UnknownCode { field: u.field.clone(), column: u.column.clone(), value: u.value.clone(), count: u.count })
                    .collect(),
                absent_columns: o.summary.absent_columns.clone(),
                first_rejects: o
                    .summary
                    .first_rejects
                    .iter()
                    .map(|r| Reject { line: r.line, column: r.column.clone(), reason: r.reason.clone() })
                    .collect(),
                seconds: o.seconds,
                // An import that stopped early says why where a failure would.
                failure: o.summary.stopped.clone(),
            },
            Err(_) => ImportDetails { failure, ..ImportDetails::default() },
        };
        // The service wrote the "import started" and "import finished" entries.
        let id = started_id.load(Ordering::SeqCst);
        if id > 0 {
            let rejects_bytes = std::fs::read(&rejects).ok().filter(|b| !b.is_empty());
            let json = serde_json::to_string(&details).unwrap_or_default();
            if let Err(e) = pmhc_service::imports::keep_details(&st.cx, id, &json, rejects_bytes.as_deref()).await {
                tracing::warn!(import = id, error = %e, "could not keep the import's details");
            }
            st.imports.remove(id);
        }
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&rejects);
        st.cx.outcomes().invalidate().await;
        tracing::info!(user, ok = result.is_ok(), "import finished");
    });
    match id_rx.await {
        Ok(Ok(id)) => {
            state.imports.insert(id, job);
            Ok(id)
        }
        // The import failed before it was recorded: nothing started, and the reason is said.
        Ok(Err(reason)) => Err(AppError::BadRequest(format!("the import did not start: {reason}"))),
        Err(_) => Err(AppError::BadRequest("the import did not start; see the server log".into())),
    }
}

pub(super) type MaybeMultipart = Result<Multipart, axum::extract::multipart::MultipartRejection>;

pub(super) fn multipart(mp: MaybeMultipart) -> Result<Multipart, AppError> {
    mp.map_err(|e| AppError::BadRequest(format!("send the file as multipart/form-data: {}", e.body_text())))
}

/// An error and its causes, `: `-separated (each cause once, even when a wrapper repeats it).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}
