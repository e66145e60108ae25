//! Importing a file: the mapping engine on a blocking thread, the store's batch writer on the
//! async side, the `imports` row opened before and closed after, whatever happens.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use pmhc_core::Encounter;
use pmhc_core::import::ImportCounts;
use pmhc_import::{EngineOptions, EngineSummary, MappingSpec, Sink};
use pmhc_store::{ImportStatus, NewImport};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use pmhc_core::audit::{AuditAction, AuditOutcome};

use crate::ServiceError;
use crate::audit::Actor;
use crate::ServiceContext;

/// What to import.
pub struct ImportRequest {
    /// The file to read.
    pub path: PathBuf,
    /// The name recorded in the import history (the path, or an uploaded file's name).
    pub file_name: String,
    /// The mapping's name (shipped name or file path) for the history.
    pub mapping_name: String,
    pub spec: MappingSpec,
    pub batch_size: usize,
    /// Where rejected rows are written (CSV with the reason); `None` to only count them.
    pub rejects_path: Option<PathBuf>,
    /// Called with the bytes read so far, after every batch.
    pub progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
    /// Called once with the import's id, as soon as it is recorded.
    pub on_start: Option<Box<dyn FnOnce(i64) + Send>>,
    /// The partner importing: the records become theirs.
    pub partner: pmhc_core::sharing::PartnerId,
    /// Who imports (the audit entries' actor).
    pub actor: Actor,
}

/// How an import ended.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub import_id: i64,
    pub status: ImportStatus,
    /// The engine's summary, its counts completed with what the store wrote.
    pub summary: EngineSummary,
    pub seconds: f64,
}

/// SHA-256 of the file's length, first MiB and last MiB (hex): identifies a file in the import
/// history without reading all of a large one twice.
pub fn fingerprint(path: &Path) -> Result<String, ServiceError> {
    let io = |source| ServiceError::Io { what: format!("cannot read {}", path.display()), source };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let mut h = Sha256::new();
    h.update(len.to_le_bytes());
    let mut buf = vec![0u8; 1 << 20];
    let n = f.read(&mut buf).map_err(io)?;
    h.update(&buf[..n]);
    if len > (2 << 20) {
        f.seek(SeekFrom::End(-(1 << 20))).map_err(io)?;
        let n = f.read(&mut buf).map_err(io)?;
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Sends batches from the (blocking) engine thread to the database writer.
struct ChannelSink(mpsc::Sender<Vec<Encounter>>);

impl Sink for ChannelSink {
    fn write(&mut self, batch: Vec<Encounter>) -> Result<(), String> {
        self.0.blocking_send(batch).map_err(|_| "the database writer stopped".to_string())
    }
}

/// Import a file into the store. The import is recorded in the history whatever happens: as
/// `complete`, `partial` (some rows rejected; the rest stored), `stopped` (the first 1,000 rows
/// all failed the same way: nothing stored, the summary says why) or `failed` (the error is
/// returned; what was stored before it stays, and importing again is safe).
pub async fn import_file(cx: &ServiceContext, req: ImportRequest) -> Result<ImportOutcome, ServiceError> {
    let store = cx.store();
    if !req.path.is_file() {
        return Err(ServiceError::Invalid(format!("{} is not a file", req.path.display())));
    }
    if let Some(r) = &req.rejects_path
        && r.exists()
    {
        // A rejects file from an earlier run of the same import would mislead: start afresh.
        std::fs::remove_file(r).map_err(|source| ServiceError::Io { what: format!("cannot replace {}", r.display()), source })?;
    }
    // A source system another partner owns is refused before anything is read or recorded.
    if let Some(owner) = store.owner_of_source(&req.spec.source.system).await?
        && owner != req.partner
    {
        let name = store.find_partner(&owner.to_string()).await.map(|p| p.name).unwrap_or_default();
        return Err(pmhc_store::StoreError::ForeignSource { system: req.spec.source.system.clone(), owner, owner_name: name }.into());
    }
    let key = store.pseudonym_key().await?;
    let import_id = begin(
        cx,
        &req.actor,
        &NewImport {
            file_name: req.file_name.clone(),
            file_sha256: fingerprint(&req.path)?,
            mapping_name: req.mapping_name.clone(),
            source_system: req.spec.source.system.clone(),
            partner: req.partner,
        },
    )
    .await?;
    if let Some(f) = req.on_start {
        f(import_id);
    }
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel::<Vec<Encounter>>(4);
    let path = req.path.clone();
    let spec = req.spec.clone();
    let batch_size = req.batch_size.max(1);
    let rejects = req.rejects_path.clone();
    let progress = req.progress.clone();
    let engine = tokio::task::spawn_blocking(move || {
        let report = |bytes: u64| {
            if let Some(p) = &progress {
                p(bytes)
            }
        };
        let options = EngineOptions { batch_size, rejects_path: rejects, pseudonym_key: Some(key), progress: Some(&report) };
        let mut sink = ChannelSink(tx);
        pmhc_import::run(&path, &spec, options, &mut sink)
    });

    let mut counts = ImportCounts::default();
    let mut write_error = None;
    while let Some(batch) = rx.recv().await {
        match store.write_batch(req.partner, Some(import_id), &batch).await {
            Ok(c) => {
                counts.add_written(c);
                if let Err(e) = store.import_heartbeat(import_id).await {
                    write_error = Some(e);
                    break;
                }
            }
            Err(e) => {
                write_error = Some(e);
                break;
            }
        }
    }
    drop(rx);
    let result = engine.await.map_err(|e| ServiceError::Internal(format!("the import thread failed: {e}")));
    let actor = req.actor.clone();
    let failed = |cx: ServiceContext, counts, why: String| async move {
        end(&cx, &actor, import_id, &counts, ImportStatus::Failed, &why).await;
    };
    let mut summary = match (result, write_error) {
        (_, Some(e)) => {
            let e = ServiceError::ImportWrite { counts, source: Box::new(e) };
            failed(cx.clone(), counts, e.to_string()).await;
            return Err(e);
        }
        (Err(e), None) => {
            failed(cx.clone(), counts, e.to_string()).await;
            return Err(e);
        }
        (Ok(Err(e)), None) => {
            let e: ServiceError = e.into();
            failed(cx.clone(), counts, e.to_string()).await;
            return Err(e);
        }
        (Ok(Ok(s)), None) => s,
    };
    summary.counts.add_written(counts);
    // Every one of the first rows failing the same way stops the import, with nothing kept.
    let status = match (&summary.stopped, summary.counts.rejected) {
        (Some(_), _) => ImportStatus::Stopped,
        (None, 0) => ImportStatus::Complete,
        (None, _) => ImportStatus::Partial,
    };
    end(cx, &req.actor, import_id, &summary.counts, status, summary.stopped.as_deref().unwrap_or("")).await;
    Ok(ImportOutcome { import_id, status, summary, seconds: started.elapsed().as_secs_f64() })
}

/// Open an import: its row in the history (naming this process) and, before any record is
/// written, the "import started" audit entry (who, partner, file fingerprint, mapping). When the
/// entry cannot be written the import is closed as failed and nothing is imported.
pub async fn begin(cx: &ServiceContext, actor: &Actor, meta: &NewImport) -> Result<i64, ServiceError> {
    let store = cx.store();
    let id = store.start_import(meta).await?;
    let detail = format!(
        "started: file {}, fingerprint {}, mapping {}, source system {}, partner {}",
        meta.file_name,
        if meta.file_sha256.is_empty() { "-" } else { &meta.file_sha256 },
        meta.mapping_name,
        meta.source_system,
        meta.partner
    );
    if let Err(e) = crate::audit::record(cx, actor, AuditAction::Import, format!("import:{id}"), &[], AuditOutcome::Success, detail).await {
        let _ = store.finish_import(id, &ImportCounts::default(), ImportStatus::Failed).await;
        return Err(e);
    }
    Ok(id)
}

/// Close an import: its totals in the history and the "import finished" entry (counts, outcome;
/// `why` when it failed). Failures to record are logged: the data is written either way, and
/// an import left running is marked interrupted by the next command.
pub async fn end(cx: &ServiceContext, actor: &Actor, id: i64, c: &ImportCounts, status: ImportStatus, why: &str) {
    if let Err(e) = cx.store().finish_import(id, c, status).await {
        tracing::warn!(import = id, error = %e, "could not record the end of an import");
    }
    let outcome = if matches!(status, ImportStatus::Failed | ImportStatus::Stopped) { AuditOutcome::Failed } else { AuditOutcome::Success };
    let mut detail = format!(
        "finished {status}: {} rows read, {} accepted, {} rejected; {} encounters new, {} updated, {} unchanged, {} stale",
        c.received, c.accepted, c.rejected, c.inserted, c.updated, c.unchanged, c.stale
    );
    if !why.is_empty() {
        detail.push_str(&format!("; {why}"));
    }
    if let Err(e) = crate::audit::record(cx, actor, AuditAction::Import, format!("import:{id}"), &[], outcome, detail).await {
        tracing::warn!(import = id, error = %e, "could not record the end of an import in the audit trail");
    }
}

/// How long an import on another host may go without a heartbeat before it counts as dead.
pub const STALE_IMPORT: chrono::Duration = chrono::Duration::minutes(15);

/// Mark the imports whose process died as `interrupted`, each with an audit entry saying what it
/// stored; returns them. Every command that opens the store calls this (and `serve` at start).
pub async fn interrupt_dead(cx: &ServiceContext, actor: &Actor) -> Result<Vec<(i64, u64)>, ServiceError> {
    let store = cx.store();
    let mut out = Vec::new();
    for (r, stored) in store.dead_imports(STALE_IMPORT).await? {
        if store.mark_import_interrupted(r.id, stored).await? {
            let detail = format!(
                "interrupted: the process running it stopped before it finished; {stored} encounters of it are stored (importing {} again is safe)",
                r.file_name
            );
            crate::audit::record(cx, actor, AuditAction::Import, format!("import:{}", r.id), &[], AuditOutcome::Failed, detail).await?;
            out.push((r.id, stored));
        }
    }
    Ok(out)
}

// --- The import history: reading it --------------------------------------------------------------

/// The import history as `by` may read it (those who import): its partner's imports (the
/// operator: every partner's), most recent first, at most `limit`.
pub async fn history(cx: &ServiceContext, by: crate::Acting<'_>, limit: u32) -> Result<Vec<pmhc_store::ImportRecord>, ServiceError> {
    by.require(pmhc_core::access::Permission::Import)?;
    Ok(cx.store().list_imports(by.partner(), limit).await?)
}

/// One import of `by`'s partner (another partner's is as absent as one that does not exist).
pub async fn get(cx: &ServiceContext, by: crate::Acting<'_>, id: i64) -> Result<pmhc_store::ImportRecord, ServiceError> {
    by.require(pmhc_core::access::Permission::Import)?;
    cx.store()
        .get_import(id)
        .await?
        .filter(|r| by.partner().is_none_or(|p| r.partner == p))
        .ok_or_else(|| ServiceError::NotFound(format!("there is no import {id}")))
}

/// The summary a front end kept with an import of `by`'s partner when it ended (JSON; `None`
/// while it runs, or when none was kept).
pub async fn summary(cx: &ServiceContext, by: crate::Acting<'_>, id: i64) -> Result<Option<String>, ServiceError> {
    get(cx, by, id).await?;
    Ok(cx.store().import_summary(id).await?)
}

/// The rejected rows of an import of `by`'s partner (CSV: they hold the source's own fields, so
/// the download is audited before it is handed out).
pub async fn rejects(cx: &ServiceContext, actor: &Actor, by: crate::Acting<'_>, id: i64) -> Result<Vec<u8>, ServiceError> {
    get(cx, by, id).await?;
    let store = cx.store();
    let bytes = store.import_rejects(id).await?.ok_or_else(|| ServiceError::NotFound(format!("import {id} kept no rejected rows")))?;
    crate::audit::record(cx, actor, AuditAction::Export, format!("import:{id}/rejects"), crate::audit::ENCOUNTER_GROUPS, AuditOutcome::Success, format!("{} bytes", bytes.len()))
        .await?;
    Ok(bytes)
}

/// Keep what a front end shows of an ended import: its summary (JSON) and its rejected rows (CSV).
pub async fn keep_details(cx: &ServiceContext, id: i64, summary_json: &str, rejects: Option<&[u8]>) -> Result<(), ServiceError> {
    Ok(cx.store().save_import_details(id, summary_json, rejects).await?)
}
