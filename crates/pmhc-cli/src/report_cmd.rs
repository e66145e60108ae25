//! `pmhc report`, `pmhc definitions` and `pmhc people`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use pmhc_core::CodeList;
use pmhc_core::definition::{Period, SharedDefinition};
use pmhc_core::outcomes::{Dimension, OutcomeFilter, repeat_people};
use pmhc_import::csv_safe::write_safe_record;
use pmhc_service::ServiceError;
use pmhc_service::outcomes::{ReportQuery, compute_report};
use pmhc_store::Store;

use crate::cli::*;

fn write_out(output: Option<&Path>, text: &str) -> Result<()> {
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

pub async fn report(store: &Store, args: ReportArgs) -> Result<u8> {
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
    let report = match compute_report(store, &query).await {
        Ok(r) => r,
        Err(ServiceError::NoPeriods) => bail!(
            "which periods? Give --baseline FROM..TO and --comparison FROM..TO (e.g. --baseline 2020-01-01..2020-12-31 \
             --comparison 2023-01-01..2023-12-31), or save default periods in the shared definitions"
        ),
        Err(e @ ServiceError::NoSuchDefinitionVersion(_)) => bail!("{e} (see `pmhc definitions history`)"),
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
        store,
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
pub async fn outcome_sentences(
    store: &Store,
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
    let report = compute_report(store, &query).await?;
    use pmhc_core::outcomes::Measure;
    Ok([Measure::Referral, Measure::RepeatPeople, Measure::Arrest, Measure::AnyForce]
        .iter()
        .filter_map(|m| report.changes.get(*m).map(|c| c.sentence.clone()))
        .collect())
}

pub async fn definitions(store: &Store, cmd: DefinitionsCommand) -> Result<u8> {
    match cmd {
        DefinitionsCommand::Show { version, json } => {
            let dv = match version {
                Some(v) => store
                    .definition_version(Some(v))
                    .await?
                    .with_context(|| format!("there is no version {v} (see `pmhc definitions history`)"))?,
                None => store.current_definition().await?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&dv)?);
            } else {
                println!("# pmhc shared definitions, version {} ({} by {}{})", dv.version, dv.created_at, dv.author,
                    if dv.note.is_empty() { String::new() } else { format!(": {}", dv.note) });
                println!("# Edit and save a new version with `pmhc definitions set FILE --note \"why\"`.\n");
                let text = pmhc_service::definitions_toml(&dv.definition).map_err(anyhow::Error::msg)?;
                print!("{text}");
            }
            Ok(0)
        }
        DefinitionsCommand::Set { file, note, author } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let def: SharedDefinition =
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            def.validate().map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let actor = pmhc_service::audit::Actor::cli();
            let name = def.name.clone();
            let saved = match pmhc_service::definitions::save(store, None, &actor, pmhc_service::Acting::Operator, def, &note, author.as_deref()).await {
                Ok(pmhc_service::definitions::Saved::New(saved)) => saved,
                Ok(pmhc_service::definitions::Saved::Unchanged(v)) => {
                    println!("These are the definitions in force already (version {v}); nothing saved.");
                    return Ok(0);
                }
                Err(pmhc_service::ServiceError::InvalidField { field, message }) if field == "note" => {
                    anyhow::bail!("--note: {message}")
                }
                Err(e) => return Err(e.into()),
            };
            println!("Saved shared definitions version {} (\"{}\"). Reports now use it.", saved.version, name);
            Ok(0)
        }
        DefinitionsCommand::History => {
            for dv in store.definition_history().await? {
                println!(
                    "{:>4}  {}  {:<12} {}{}",
                    dv.version,
                    dv.created_at,
                    dv.author,
                    dv.definition.name,
                    if dv.note.is_empty() { String::new() } else { format!(" -- {}", dv.note) }
                );
            }
            Ok(0)
        }
    }
}


pub async fn people(store: &Store, cmd: PeopleCommand) -> Result<u8> {
    let PeopleCommand::Repeat { period, identifiable, format, source, limit } = cmd;
    if !identifiable {
        eprintln!(
            "The repeat-encounter list is identifiable case-management data (pseudonymous keys and dates of each \
             person's encounters). Add --identifiable to confirm you are authorised to see it. For counts only, use \
             `pmhc report`."
        );
        return Ok(2);
    }
    let dv = store.current_definition().await?;
    let period = match period.or(dv.definition.periods.map(|p| p.comparison)) {
        Some(p) => p,
        None => bail!("which period? Give --period FROM..TO, e.g. --period 2023-01-01..2023-12-31"),
    };
    let data = store.load_outcome_data(source.as_deref()).await?;
    let people = repeat_people(&data, &dv.definition, &OutcomeFilter::default(), &period);
    use pmhc_core::audit::{AuditAction, AuditOutcome};
    pmhc_service::audit::record(store, &pmhc_service::audit::Actor::cli(), AuditAction::View, format!("people:repeat?period={period}"),
        &["subject_identity", "area_time"], AuditOutcome::Success, format!("{} people", people.len())).await?;
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&people)?),
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            write_safe_record(&mut w, ["subject_key", "encounters", "first", "last", "dates"])?;
            for p in &people {
                let dates: Vec<String> = p.dates.iter().map(|d| d.to_string()).collect();
                write_safe_record(&mut w, [
                    p.subject_key.clone(),
                    p.encounters.to_string(),
                    p.first.to_string(),
                    p.last.to_string(),
                    dates.join(" "),
                ])?;
            }
            w.flush()?;
        }
        ListFormat::Table => {
            println!(
                "{} people with {}+ mental-health encounters within {} days in {} (definitions version {})",
                people.len(),
                dv.definition.repeat.min_encounters,
                dv.definition.repeat.window_days,
                period,
                dv.version
            );
            println!("{:<28} {:>10}  {:<10}  {:<10}", "person key", "encounters", "first", "last");
            for p in people.iter().take(limit) {
                println!("{:<28} {:>10}  {:<10}  {:<10}", p.subject_key, p.encounters, p.first, p.last);
            }
            if people.len() > limit {
                println!("... and {} more (--limit, or --format csv for all)", people.len() - limit);
            }
        }
    }
    Ok(0)
}
