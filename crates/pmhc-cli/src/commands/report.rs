//! `pmhc report`: the four key outcomes for two periods, as a table, JSON, CSV or HTML.

use std::path::Path;
use std::time::Instant;
use anyhow::{Context, Result, bail};
use pmhc_core::CodeList;
use pmhc_core::definition::Period;
use pmhc_core::outcomes::{Dimension, OutcomeFilter};
use pmhc_service::ServiceError;
use pmhc_service::outcomes::{ReportQuery, compute_report};
use pmhc_service::ServiceContext;
use crate::cli::*;

pub(crate) fn write_out(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(p) => {
            // Write next to the target and rename, so a failed run never leaves half a report.
            let tmp = p.with_extension("partial");
            std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, p).with_context(|| format!("cannot write {}", p.display()))?;
            eprintln!("wrote {}", p.display());
            Ok(())
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).context("cannot write to standard output")?;
            Ok(())
        }
    }
}

pub(crate) async fn report(store: &pmhc_store::Store, cx: &ServiceContext, url: &str, args: ReportArgs) -> Result<u8> {
    if let Some(code) = super::nothing_to_answer_from(store, url).await? {
        return Ok(code);
    }
    let started = Instant::now();
    let mut breakdowns = Vec::new();
    for b in &args.by {
        let d = Dimension::parse(b).with_context(|| {
            format!(
                "--by {b}: not a breakdown; use one of {}",
                Dimension::ALL.iter().map(|d| d.id()).collect::<Vec<_>>().join(", ")
            )
        })?;
        if !breakdowns.contains(&d) {
            breakdowns.push(d);
        }
    }
    if breakdowns.is_empty() && args.format != ReportFormat::Table {
        breakdowns = Dimension::ALL.to_vec();
    }
    let response_model = match &args.response_model {
        Some(m) => Some(pmhc_core::ResponseModel::parse_code(m).map_err(|e| anyhow::anyhow!("--response-model: {e}"))?),
        None => None,
    };
    let query = ReportQuery {
        definitions_version: args.definitions_version,
        baseline: args.baseline,
        comparison: args.comparison,
        periods_from_data: false,
        breakdowns,
        monthly: args.format != ReportFormat::Table,
        filter: OutcomeFilter {
            agency: args.agency.clone(),
            precinct: args.precinct.clone(),
            sector: args.sector.clone(),
            beat: args.beat.clone(),
            response_model,
        },
        source: args.source.clone(),
        scope: None,
        public: args.public,
    };
    let computed = if args.public {
        let actor = pmhc_service::audit::Actor::cli();
        pmhc_service::releases::public_report(cx, &actor, &query, args.release).await.map(|r| {
            eprintln!(
                "{} release {} of the register ({}, by {}).",
                if r.new { "Made" } else { "Served" },
                r.id,
                r.created_at,
                r.made_by
            );
            (*r.report).clone()
        })
    } else {
        compute_report(cx, &query).await
    };
    let report = match computed {
        Ok(r) => r,
        Err(ServiceError::NoPeriods) => bail!(
            "which periods? Give --baseline FROM..TO and --comparison FROM..TO (e.g. --baseline 2020-01-01..2020-12-31 \
             --comparison 2023-01-01..2023-12-31), or save default periods in the shared definitions"
        ),
        Err(e @ ServiceError::NoSuchDefinitionVersion(_)) => bail!("{e} (see `pmhc definitions history`)"),
        // Periods the data's precision cannot answer: refused like a question with nothing to
        // answer from (exit 2), naming the whole-month periods to use.
        Err(ServiceError::PeriodPrecision(e)) => {
            eprintln!("error: {e}");
            return Ok(crate::EXIT_NO_DATA);
        }
        // A public output that is not published, or a release that would reveal what earlier
        // ones suppressed: refused, nothing written.
        Err(e @ (ServiceError::NotPublished(_) | ServiceError::ReleaseRefused(_))) => {
            eprintln!("error: {e}");
            return Ok(crate::EXIT_NO_DATA);
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(ms = started.elapsed().as_millis() as u64, "report computed");
    // A report is aggregate, but an unsuppressed one can single people out: who made which is
    // audited, before it is shown.
    let object = format!(
        "report:outcomes?definitions={}&baseline={}..{}&comparison={}..{}{}",
        report.definition.version,
        report.periods.baseline.from,
        report.periods.baseline.to,
        report.periods.comparison.from,
        report.periods.comparison.to,
        if args.public { "&public" } else { "" }
    );
    pmhc_service::audit::record(
        cx,
        &pmhc_service::audit::Actor::cli(),
        pmhc_core::audit::AuditAction::Export,
        object,
        &[],
        pmhc_core::audit::AuditOutcome::Success,
        format!("format {:?}{}", args.format, args.output.as_ref().map(|p| format!(", to {}", p.display())).unwrap_or_default()),
    )
    .await?;
    let text = match args.format {
        ReportFormat::Table => pmhc_report::render_table(&report),
        ReportFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        ReportFormat::Csv => pmhc_report::render_csv(&report)?,
        ReportFormat::Html => pmhc_report::render_html(&report),
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(0)
}

/// The sentences of the four key outcomes for two periods (under the definitions in force).
pub(crate) async fn outcome_sentences(
    cx: &ServiceContext,
    b_from: chrono::NaiveDate,
    b_to: chrono::NaiveDate,
    c_from: chrono::NaiveDate,
    c_to: chrono::NaiveDate,
) -> Result<Vec<String>> {
    let query = ReportQuery {
        baseline: Some(Period::new(b_from, b_to)?),
        comparison: Some(Period::new(c_from, c_to)?),
        ..ReportQuery::default()
    };
    let report = compute_report(cx, &query).await?;
    use pmhc_core::outcomes::Measure;
    Ok([Measure::Referral, Measure::RepeatPeople, Measure::Arrest, Measure::AnyForce]
        .iter()
        .filter_map(|m| report.changes.get(*m).map(|c| c.sentence.clone()))
        .collect())
}

/// `pmhc releases`: the register of public releases, and with `--check` the attack on all of them.
pub(crate) async fn releases(cx: &ServiceContext, json: bool, check: bool) -> Result<u8> {
    let list = pmhc_service::releases::register(cx).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else if list.is_empty() {
        println!("No public release yet (the public page, the public API and `pmhc report --public` make them).");
    } else {
        println!("{:>4}  {:<20}  {:<16}  {:<23}  {:<23}  {:>4}  {:>9}  {:>10}  question", "id", "made", "by", "baseline", "comparison", "defs", "published", "suppressed");
        for r in &list {
            let mut q = r.question.clone();
            if let Some(o) = q.as_object_mut() {
                for k in ["baseline", "comparison", "definitions_version"] {
                    o.remove(k);
                }
            }
            println!(
                "{:>4}  {:<20}  {:<16}  {:<23}  {:<23}  {:>4}  {:>9}  {:>10}  {}",
                r.id,
                r.created_at,
                r.made_by.chars().take(16).collect::<String>(),
                r.baseline,
                r.comparison,
                r.definitions_version,
                r.published,
                r.suppressed,
                q
            );
        }
    }
    if check {
        let cells = pmhc_service::releases::register_cells(cx).await?;
        let (exact, narrow) = tokio::task::spawn_blocking(move || pmhc_core::outcomes::recoverable_across(&cells)).await?;
        if exact.is_empty() && narrow.is_empty() {
            eprintln!(
                "check: {} releases read together; no suppressed count, and no small difference between releases, can be worked out \
                 or narrowed to fewer than {} values.",
                list.len(),
                pmhc_core::outcomes::PUBLIC_THRESHOLD
            );
        } else {
            eprintln!("check: from the releases read together, {} counts can be worked out exactly and {} narrowed:", exact.len(), narrow.len());
            for f in exact.iter().chain(&narrow).take(20) {
                eprintln!("  {f}");
            }
            return Ok(1);
        }
    }
    Ok(0)
}
