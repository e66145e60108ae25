//! `pmhc demo`: a synthetic jurisdiction, into the database or a canonical CSV.

use std::io::Write;
use std::time::Instant;
use anyhow::{Context, Result, anyhow};
use chrono::Datelike;
use indicatif::{ProgressBar, ProgressStyle};
use pmhc_core::Encounter;
use pmhc_service::ServiceError;
use pmhc_service::audit::Actor;
use pmhc_core::import::ImportCounts;
use pmhc_service::ServiceContext;
use pmhc_store::{Clock, EncounterFilter, ImportStatus, NewImport, Store};
use serde::Serialize;
use tokio::sync::mpsc;
use crate::cli::*;
use crate::output;
use super::redact;

#[derive(Debug, Serialize)]
pub(crate) struct DemoReport {
    encounters: u64,
    seed: u64,
    destination: String,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    /// The services, referrals and training programme added around the encounters.
    extras: super::demo_programme::Extras,
    seconds: f64,
}

/// The demo's window: the six full years before the clock's year, so the demo always ends with the
/// last full year (and its training programme runs up to today).
pub(crate) fn demo_config(args: &DemoArgs, clock: Clock) -> pmhc_synth::DemoConfig {
    let defaults = pmhc_synth::DemoConfig::default();
    let start = chrono::NaiveDate::from_ymd_opt(clock.today().year() - defaults.years as i32, 1, 1).unwrap_or(defaults.start);
    pmhc_synth::DemoConfig { encounters: args.encounters, seed: args.seed, start, ..defaults }
}

pub(crate) async fn demo(db: Option<(&Store, &ServiceContext)>, url: &str, clock: Clock, args: DemoArgs) -> Result<u8> {
    let config = demo_config(&args, clock);
    let started = Instant::now();
    let bar = if args.json { ProgressBar::hidden() } else { ProgressBar::new(args.encounters) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} generating [{bar:30}] {human_pos}/{human_len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut counts = ImportCounts::default();
    let destination;
    let mut extras = super::demo_programme::Extras::default();
    if let Some(path) = &args.csv {
        destination = path.display().to_string();
        let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = pmhc_import::canonical::CanonicalWriter::new(std::io::BufWriter::with_capacity(1 << 20, file))?;
        for (i, e) in pmhc_synth::generate(&config).enumerate() {
            w.write(&e)?;
            if i % 10_000 == 0 {
                bar.set_position(i as u64);
            }
        }
        let mut out = w.finish()?;
        out.flush()?;
        counts.inserted = args.encounters;
    } else {
        let (store, cx) = db.ok_or_else(|| anyhow!("writing demo data into a database needs the database"))?;
        destination = redact(url);
        let actor = Actor::cli();
        let import_id = pmhc_service::imports::begin(
            cx,
            &actor,
            &NewImport {
                file_name: format!("(demo: {} encounters, seed {})", args.encounters, args.seed),
                file_sha256: String::new(),
                mapping_name: "demo".into(),
                source_system: config.source_system.clone(),
                partner: pmhc_core::sharing::DEFAULT_PARTNER,
            },
        )
        .await?;
        let (tx, mut rx) = mpsc::channel::<Vec<Encounter>>(4);
        let gen_config = config.clone();
        let gen_bar = bar.clone();
        let producer = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(5000);
            let mut n = 0u64;
            let generator = pmhc_synth::generate(&gen_config);
            let roster = generator.roster();
            let mut candidates = Vec::new();
            for e in generator {
                candidates.extend(super::demo_programme::candidate(&e));
                batch.push(e);
                if batch.len() == 5000 {
                    n += 5000;
                    gen_bar.set_position(n);
                    if tx.blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(5000))).is_err() {
                        return (roster, candidates);
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.blocking_send(batch);
            }
            (roster, candidates)
        });
        let mut failure = None;
        while let Some(batch) = rx.recv().await {
            match store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, Some(import_id), &batch).await {
                Ok(c) => counts.add_written(c),
                Err(e) => {
                    failure = Some(ServiceError::ImportWrite { counts, source: Box::new(e) });
                    break;
                }
            }
        }
        drop(rx);
        let (roster, candidates) = producer.await?;
        let totals = ImportCounts { received: args.encounters, accepted: args.encounters, ..counts };
        if let Some(e) = failure {
            pmhc_service::imports::end(cx, &actor, import_id, &totals, ImportStatus::Failed, &e.to_string()).await;
            return Err(anyhow::Error::new(e).context("the demo data could not be written"));
        }
        pmhc_service::imports::end(cx, &actor, import_id, &totals, ImportStatus::Complete, "").await;
        // A provider with its services, referrals from the encounters, and the training
        // programme of the officers who answered the calls, so that every page has something to show.
        extras = super::demo_programme::add(store, args.seed, &config.source_system, &pmhc_synth::programme(&config), &roster, candidates)
            .await?;
    }
    bar.finish_and_clear();
    let report = DemoReport {
        encounters: args.encounters,
        seed: args.seed,
        destination,
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: counts.unchanged,
        extras,
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(0);
    }
    println!(
        "Generated {} synthetic encounters (seed {}) into {} in {:.1} s: {} new, {} changed, {} already there.",
        report.encounters, report.seed, report.destination, report.seconds, report.inserted, report.updated, report.unchanged
    );
    let target = db;
    // Every command suggested names the database used, so it works from any folder.
    let db = super::database_arg(url);
    if let (None, Some((store, cx))) = (&args.csv, target) {
        let total = store.count_encounters(&EncounterFilter::default()).await?;
        let x = &report.extras;
        println!(
            "Around them: {} services of a demo provider with {} capacity reports, {} closed-loop referrals with their \
             histories, a training programme of {} staff with {} completions, and a workgroup of {} members with {} \
             meetings and {} action items (see /resources, /referrals, /gaps, /training and /workgroup in `pmhc {db} serve`).",
            x.services, x.capacity_reports, x.referrals, x.staff, x.completions, x.workgroup_members, x.meetings, x.action_items
        );
        println!("The database now holds {total} encounters. The five most recent:\n");
        let latest = store.list_encounters(&EncounterFilter::default(), 5, 0).await?;
        output::encounter_table(&latest);
        // The main job: the four key outcomes, before the co-responder programme and in the last
        // full year of the window.
        let programme = pmhc_synth::programme(&config);
        let day = chrono::Days::new(1);
        let year_before = programme.co_responder_launch.checked_sub_months(chrono::Months::new(12));
        let last_year = programme.end.checked_sub_months(chrono::Months::new(12));
        let (Some(b_from), Some(b_to), Some(c_from), Some(c_to)) = (
            year_before,
            programme.co_responder_launch.checked_sub_days(day),
            last_year,
            programme.end.checked_sub_days(day),
        ) else {
            return Ok(0);
        };
        // The published periods (what the public page and `report --public` answer): the same two.
        let published = pmhc_core::definition::Periods {
            baseline: pmhc_core::definition::Period::new(b_from, b_to)?,
            comparison: pmhc_core::definition::Period::new(c_from, c_to)?,
        };
        let current = pmhc_service::definitions::current(cx, pmhc_service::Acting::Operator).await?;
        if current.definition.periods.is_none() {
            let mut def = current.definition.clone();
            def.periods = Some(published);
            pmhc_service::definitions::save(
                cx,
                &pmhc_service::audit::Actor::cli(),
                pmhc_service::Acting::Operator,
                def,
                "pmhc demo: publish the year before the co-responder launch against the last full year",
                None,
            )
            .await?;
        }
        let periods = format!("--baseline {b_from}..{b_to} --comparison {c_from}..{c_to}");
        let summary = super::report::outcome_sentences(cx, b_from, b_to, c_from, c_to).await?;
        println!(
            "\nThe four key outcomes, the year before the co-responder launch ({b_from}..{b_to}) against the \
             last full year ({c_from}..{c_to}):"
        );
        for line in summary {
            println!("  - {line}");
        }
        println!("\nNext: the full report with `pmhc {db} report {periods}` (add --format html --output report.html;");
        println!("these are the published periods, so `pmhc {db} report --public` gives the public release),");
        println!("the encounters with `pmhc {db} encounters list --limit 20`, or import a real export with");
        println!("`pmhc {db} import FILE --mapping NAME` (`pmhc import --help` explains).");
        if args.serve {
            return serve_demo(store, cx, url, args.listen).await;
        }
    } else if let Some(path) = &args.csv {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        println!("Import it with: pmhc {db} import {} --mapping pmhc", super::shell_word(&path.display().to_string()));
    }
    Ok(0)
}

/// The demo project coordinator `pmhc demo --serve` signs newcomers in as.
const DEMO_USER: &str = "coordinator";

/// `pmhc demo --serve`: a demo project coordinator (made once, its password printed once), then the
/// web application.
async fn serve_demo(store: &Store, cx: &ServiceContext, url: &str, listen: std::net::SocketAddr) -> Result<u8> {
    use pmhc_service::{Acting, accounts, audit::Actor};
    let exists = accounts::visible_accounts(cx, Acting::Operator).await?.iter().any(|u| u.username == DEMO_USER);
    if exists {
        println!(
            "\nThe demo coordinator `{DEMO_USER}` exists already (its password was printed when it was made; \
             `pmhc user passwd {DEMO_USER}` sets a new one)."
        );
    } else {
        // A password nobody chose: 20 hex digits, shown here once and kept only as its hash.
        let password = accounts::new_secret()?[..20].to_string();
        let roles = pmhc_core::access::Roles::of(&[pmhc_core::access::Role::ProjectCoordinator]);
        accounts::create_account(cx, &Actor::cli(), Acting::Operator, DEMO_USER, "Demo coordinator", roles, pmhc_core::sharing::DEFAULT_PARTNER, &password)
            .await?;
        println!("\nSign in as `{DEMO_USER}` with the password {password} (shown once); the first sign-in enrols a second factor.");
    }
    let args = crate::cli::ServeArgs {
        listen,
        behind_tls: false,
        trusted_proxies: Vec::new(),
        max_upload_mb: 256,
        work_dir: None,
        // The demo is dated from the same clock as every command (PMHC_NOW when set).
        test_clock: std::env::var_os("PMHC_NOW").is_some(),
    };
    super::serve::serve(store, cx, url, args).await
}
