//! `pmhc import`: one file through a mapping, with a progress bar and a summary.

use std::path::PathBuf;
use std::sync::Arc;
use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pmhc_import::EngineSummary;
use pmhc_service::ServiceError;
use pmhc_service::audit::Actor;
use pmhc_service::imports::{ImportRequest, import_file};
use pmhc_service::ServiceContext;
use serde::Serialize;
use crate::cli::*;
use crate::output;
use super::load_mapping;

/// `pmhc import --json`: the file, the import and the engine's summary with its counts.
#[derive(Debug, Serialize)]
pub(crate) struct ImportReport {
    file: String,
    mapping: String,
    source_system: String,
    import_id: i64,
    status: &'static str,
    #[serde(flatten)]
    summary: EngineSummary,
    seconds: f64,
    rows_per_second: f64,
}

pub(crate) async fn import(cx: &ServiceContext, args: ImportArgs) -> Result<u8> {
    let (mapping_name, mut spec) = load_mapping(&args.mapping)?;
    if let Some(own) = args.source_system.as_deref().map(str::trim) {
        if own.is_empty() || own.chars().any(char::is_control) {
            bail!("--source-system must be a name without control characters");
        }
        spec.source.system = own.to_string();
    }
    if !args.file.is_file() {
        bail!("{} is not a file", args.file.display());
    }
    let rejects_path = args.rejects.clone().unwrap_or_else(|| default_rejects_path(&args.file));
    let len = std::fs::metadata(&args.file)?.len();
    let bar = if args.json { ProgressBar::hidden() } else { ProgressBar::new(len) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} importing [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let engine_bar = bar.clone();
    let request = ImportRequest {
        path: args.file.clone(),
        file_name: args.file.display().to_string(),
        mapping_name: mapping_name.clone(),
        spec: spec.clone(),
        batch_size: args.batch_size as usize,
        rejects_path: Some(rejects_path),
        progress: Some(Arc::new(move |bytes| engine_bar.set_position(bytes))),
        on_start: None,
        actor: Actor::cli(),
        partner: match &args.partner {
            Some(p) => pmhc_service::partners::find(cx, p).await?.id,
            None => pmhc_core::sharing::DEFAULT_PARTNER,
        },
    };
    // The service audits the import as it starts (before any record) and as it ends.
    let result = import_file(cx, request).await;
    bar.finish_and_clear();
    let outcome = match result {
        Ok(o) => o,
        Err(e @ ServiceError::ImportWrite { .. }) => {
            return Err(anyhow::Error::new(e).context(format!("importing {} failed", args.file.display())));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("the import stopped")),
    };
    let (summary, status, import_id, seconds) = (outcome.summary, outcome.status, outcome.import_id, outcome.seconds);
    let report = ImportReport {
        file: args.file.display().to_string(),
        mapping: mapping_name,
        source_system: spec.source.system.clone(),
        import_id,
        status: status.as_str(),
        rows_per_second: if seconds > 0.0 { summary.counts.received as f64 / seconds } else { 0.0 },
        summary,
        seconds,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        output::import_report(&report.file, &report.mapping, &report.summary, report.seconds);
        if let Some(why) = &report.summary.stopped {
            println!("\nThe import {why}");
        }
    }
    Ok(if report.summary.counts.rejected > 0 { crate::EXIT_PARTIAL } else { 0 })
}

/// Where rejected rows go without `--rejects`: beside the input, as `<stem>.rejects.csv`.
fn default_rejects_path(file: &std::path::Path) -> PathBuf {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "import".into());
    file.with_file_name(format!("{stem}.rejects.csv"))
}
