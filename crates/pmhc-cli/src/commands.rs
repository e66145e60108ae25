//! What each command does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use chrono::Datelike;
use indicatif::{ProgressBar, ProgressStyle};
use pmhc_core::Encounter;
use pmhc_import::{MappingSpec, UnknownCodeCount, shipped};
use pmhc_service::ServiceError;
use pmhc_service::audit::Actor;
use pmhc_service::imports::{ImportRequest, import_file};
use pmhc_store::{BatchCounts, Clock, EncounterFilter, ImportStatus, NewImport, Store};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::cli::*;
use crate::output;

pub async fn run(cli: Cli) -> Result<u8> {
    // The one clock of this command: the system clock, or the instant PMHC_NOW names.
    let clock = Clock::from_env()?;
    if let Command::Serve(args) = &cli.command
        && clock.is_set()
        && !args.test_clock
    {
        bail!(
            "{} is set ({}): a server runs on the system clock. Unset it, or start a test server with \
             `pmhc serve --test-clock` to move what pmhc considers today",
            pmhc_store::clock::ENV,
            std::env::var(pmhc_store::clock::ENV).unwrap_or_default()
        );
    }
    match cli.command {
        Command::Mappings(cmd) => mappings(cmd),
        Command::Db(DbCommand::Status) => db_status(&cli.database).await,
        // Writing CSV needs no database.
        Command::Demo(args) if args.csv.is_some() => demo(None, &cli.database, clock, args).await,
        command => {
            let store = open(&cli.database).await?.with_clock(clock);
            let code = match command {
                Command::Init => init(&store, &cli.database).await,
                Command::Db(DbCommand::Migrate) => {
                    println!("{}: migrations applied", redact(&cli.database));
                    Ok(0)
                }
                Command::Import(args) => import(&store, args).await,
                Command::Demo(args) => demo(Some(&store), &cli.database, clock, args).await,
                Command::Encounters(cmd) => encounters(&store, cmd).await,
                Command::Imports { limit, json } => imports(&store, limit, json).await,
                Command::Report(args) => crate::report_cmd::report(&store, args).await,
                Command::Definitions(cmd) => crate::report_cmd::definitions(&store, cmd).await,
                Command::People(cmd) => crate::report_cmd::people(&store, cmd).await,
                Command::Serve(args) => crate::web_cmd::serve(&store, &cli.database, args).await,
                Command::User(cmd) => crate::web_cmd::user(&store, cmd).await,
                Command::Audit(cmd) => crate::web_cmd::audit(&store, cmd).await,
                Command::Partner(cmd) => crate::sharing_cmd::partner(&store, cmd).await,
                Command::Agreement(cmd) => crate::sharing_cmd::agreement(&store, cmd).await,
                Command::Consent(cmd) => crate::sharing_cmd::consent(&store, cmd).await,
                Command::Services(cmd) => crate::sharing_cmd::services(&store, cmd).await,
                Command::Referrals(cmd) => crate::sharing_cmd::referrals(&store, cmd).await,
                Command::Training(cmd) => crate::training_cmd::training(&store, cmd).await,
                Command::Mappings(_) | Command::Db(DbCommand::Status) => unreachable!("handled above"),
            };
            store.close().await;
            code
        }
    }
}

/// The database URL without a password.
fn redact(url: &str) -> String {
    pmhc_store::redact_url(url)
}

/// Open the database and bring its schema up to date (SQLite files are created when missing).
async fn open(url: &str) -> Result<Store> {
    let store = Store::open(url).await.with_context(|| format!("cannot open the database {}", redact(url)))?;
    store.migrate().await.with_context(|| format!("cannot migrate the database {}", redact(url)))?;
    // An import whose process died is marked interrupted (and audited) by the next command.
    match pmhc_service::imports::interrupt_dead(&store, &Actor::cli()).await {
        Ok(found) => {
            for (id, stored) in found {
                eprintln!("Import {id} was interrupted (its process stopped); {stored} of its encounters are stored. Importing the file again is safe.");
            }
        }
        Err(e) => eprintln!("warning: cannot check for interrupted imports: {e}"),
    }
    Ok(store)
}

async fn init(store: &Store, url: &str) -> Result<u8> {
    let keys = store.keys().await.context("cannot set up the key file (the audit key and the pseudonymisation secret)")?;
    let status = store.migration_status().await?;
    println!(
        "{} ({}) is ready: {} migration(s) applied.",
        redact(url),
        store.backend_name(),
        status.iter().filter(|m| m.applied).count()
    );
    if let pmhc_store::KeyLocation::File(path) = store.key_location() {
        println!(
            "Key file (the audit key {} and the pseudonymisation secret): {}\n  Keep it owner-only, outside the database and its backups, with a copy offline: \n  without it the audit trail cannot be verified or written and person ids cannot be derived again.",
            keys.audit.id(),
            path.display()
        );
    }
    println!("Next: `pmhc demo` for synthetic data, or `pmhc import FILE --mapping NAME` for a real export.");
    Ok(0)
}

async fn db_status(url: &str) -> Result<u8> {
    let store = Store::open(url).await.with_context(|| format!("cannot open the database {}", redact(url)))?;
    let status = store.migration_status().await?;
    println!("{} ({})", redact(url), store.backend_name());
    for m in &status {
        let when = m.applied_at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default();
        println!("  {:>4}  {:<8} {:<40} {}", m.version, if m.applied { "applied" } else { "PENDING" }, m.description, when);
    }
    let pending = status.iter().filter(|m| !m.applied).count();
    if pending > 0 {
        println!("{pending} migration(s) pending: run `pmhc db migrate`.");
    }
    store.close().await;
    Ok(0)
}

fn mappings(cmd: MappingsCommand) -> Result<u8> {
    match cmd {
        MappingsCommand::List => {
            for (name, text) in shipped::SHIPPED {
                let desc = MappingSpec::from_toml(text).map(|s| s.source.description).unwrap_or_else(|e| format!("(invalid: {e})"));
                println!("{name:<22} {desc}");
            }
            println!("\nUse one with `pmhc import FILE --mapping NAME`; copy one with `pmhc mappings show NAME > my.toml`.");
        }
        MappingsCommand::Show { name } => {
            let Some((_, text)) = shipped::SHIPPED.iter().find(|(n, _)| *n == name) else {
                bail!("no shipped mapping is called `{name}`; shipped: {}", shipped::names().join(", "));
            };
            print!("{text}");
        }
    }
    Ok(0)
}

/// A shipped mapping by name, or a mapping file by path.
fn load_mapping(name_or_path: &str) -> Result<(String, MappingSpec)> {
    if let Some(spec) = shipped::shipped(name_or_path) {
        return Ok((name_or_path.to_string(), spec.with_context(|| format!("shipped mapping `{name_or_path}`"))?));
    }
    let path = Path::new(name_or_path);
    if !path.exists() {
        bail!(
            "`{name_or_path}` is neither a shipped mapping ({}) nor a mapping file",
            shipped::names().join(", ")
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the mapping {}", path.display()))?;
    let spec = MappingSpec::from_toml(&text).with_context(|| format!("mapping {}", path.display()))?;
    Ok((path.display().to_string(), spec))
}

#[derive(Debug, Serialize)]
struct ImportReport {
    file: String,
    mapping: String,
    source_system: String,
    import_id: i64,
    status: &'static str,
    received: u64,
    accepted: u64,
    rejected: u64,
    skipped_rows: u64,
    encounters: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    stale: u64,
    unknown_codes: Vec<UnknownCodeCount>,
    absent_columns: Vec<String>,
    rejects_path: Option<PathBuf>,
    first_rejects: Vec<pmhc_import::RejectedRow>,
    seconds: f64,
    rows_per_second: f64,
}

async fn import(store: &Store, args: ImportArgs) -> Result<u8> {
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
    let rejects_path = args.rejects.clone().unwrap_or_else(|| {
        let stem = args.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "import".into());
        PathBuf::from(format!("{stem}.rejects.csv"))
    });
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
            Some(p) => store.find_partner(p).await?.id,
            None => pmhc_core::sharing::DEFAULT_PARTNER,
        },
    };
    // The service audits the import as it starts (before any record) and as it ends.
    let result = import_file(store, request).await;
    bar.finish_and_clear();
    let outcome = match result {
        Ok(o) => o,
        Err(e @ ServiceError::ImportWrite { .. }) => {
            return Err(anyhow::Error::new(e).context(format!("importing {} failed", args.file.display())));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("the import stopped")),
    };
    let (summary, counts, status, import_id) = (outcome.summary, outcome.counts, outcome.status, outcome.import_id);
    let seconds = outcome.seconds;
    let report = ImportReport {
        file: args.file.display().to_string(),
        mapping: mapping_name,
        source_system: spec.source.system.clone(),
        import_id,
        status: status.as_str(),
        received: summary.received,
        accepted: summary.accepted,
        rejected: summary.rejected,
        skipped_rows: summary.skipped_rows,
        encounters: summary.encounters,
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: counts.unchanged,
        stale: counts.stale,
        unknown_codes: summary.unknown_codes,
        absent_columns: summary.absent_columns,
        rejects_path: summary.rejects_path,
        first_rejects: summary.first_rejects,
        seconds,
        rows_per_second: if seconds > 0.0 { summary.received as f64 / seconds } else { 0.0 },
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        output::import_report(&report_view(&report));
    }
    Ok(if report.rejected > 0 { crate::EXIT_PARTIAL } else { 0 })
}

fn report_view(r: &ImportReport) -> output::ImportView<'_> {
    output::ImportView {
        file: &r.file,
        mapping: &r.mapping,
        received: r.received,
        accepted: r.accepted,
        rejected: r.rejected,
        skipped_rows: r.skipped_rows,
        encounters: r.encounters,
        inserted: r.inserted,
        updated: r.updated,
        unchanged: r.unchanged,
        stale: r.stale,
        unknown_codes: &r.unknown_codes,
        absent_columns: &r.absent_columns,
        rejects_path: r.rejects_path.as_deref(),
        first_rejects: &r.first_rejects,
        seconds: r.seconds,
    }
}

#[derive(Debug, Serialize)]
struct DemoReport {
    encounters: u64,
    seed: u64,
    destination: String,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    /// The services, referrals and training programme added around the encounters.
    extras: crate::demo_programme::Extras,
    seconds: f64,
}

/// The demo's window: the six full years before the clock's year, so the demo always ends with the
/// last full year (and its training programme runs up to today).
fn demo_config(args: &DemoArgs, clock: Clock) -> pmhc_synth::DemoConfig {
    let defaults = pmhc_synth::DemoConfig::default();
    let start = chrono::NaiveDate::from_ymd_opt(clock.today().year() - defaults.years as i32, 1, 1).unwrap_or(defaults.start);
    pmhc_synth::DemoConfig { encounters: args.encounters, seed: args.seed, start, ..defaults }
}

async fn demo(store: Option<&Store>, url: &str, clock: Clock, args: DemoArgs) -> Result<u8> {
    let config = demo_config(&args, clock);
    let started = Instant::now();
    let bar = if args.json { ProgressBar::hidden() } else { ProgressBar::new(args.encounters) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} generating [{bar:30}] {human_pos}/{human_len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut counts = BatchCounts::default();
    let destination;
    let mut extras = crate::demo_programme::Extras::default();
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
        let store = store.ok_or_else(|| anyhow!("writing demo data into a database needs the database"))?;
        destination = redact(url);
        let actor = Actor::cli();
        let import_id = pmhc_service::imports::begin(
            store,
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
                candidates.extend(crate::demo_programme::candidate(&e));
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
                Ok(c) => counts += c,
                Err(e) => {
                    failure = Some(ServiceError::ImportWrite { counts, source: Box::new(e) });
                    break;
                }
            }
        }
        drop(rx);
        let (roster, candidates) = producer.await?;
        let summary = pmhc_import::EngineSummary { received: args.encounters, accepted: args.encounters, ..Default::default() };
        if let Some(e) = failure {
            pmhc_service::imports::end(store, &actor, import_id, &summary, counts, ImportStatus::Failed, &e.to_string()).await;
            return Err(anyhow::Error::new(e).context("the demo data could not be written"));
        }
        pmhc_service::imports::end(store, &actor, import_id, &summary, counts, ImportStatus::Complete, "").await;
        // A provider with its services, referrals from the encounters, and the training
        // programme of the officers who answered the calls, so that every page has something to show.
        extras = crate::demo_programme::add(store, args.seed, &config.source_system, &pmhc_synth::programme(&config), &roster, candidates)
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
    if let (None, Some(store)) = (&args.csv, store) {
        let total = store.count_encounters(&EncounterFilter::default()).await?;
        let x = &report.extras;
        println!(
            "Around them: {} services of a demo provider with {} capacity reports, {} closed-loop referrals with their \
             histories, and a training programme of {} staff with {} completions (see /resources, /referrals, /gaps and \
             /training in `pmhc serve`).",
            x.services, x.capacity_reports, x.referrals, x.staff, x.completions
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
        let periods = format!("--baseline {b_from}..{b_to} --comparison {c_from}..{c_to}");
        let summary = crate::report_cmd::outcome_sentences(store, b_from, b_to, c_from, c_to).await?;
        println!(
            "\nThe four key outcomes, the year before the co-responder launch ({b_from}..{b_to}) against the \
             last full year ({c_from}..{c_to}):"
        );
        for line in summary {
            println!("  - {line}");
        }
        println!("\nNext: the full report with `pmhc report {periods}` (add --format html --output report.html),");
        println!("`pmhc encounters list --help`, or import a real export with `pmhc import --help`.");
    } else {
        println!("Import it with: pmhc import {} --mapping pmhc", report.destination);
    }
    Ok(0)
}

fn filter_of(f: &FilterArgs) -> Result<EncounterFilter> {
    Ok(EncounterFilter {
        source_system: f.source.clone(),
        from: f.from,
        to: f.to,
        precinct: f.precinct.clone(),
        disposition: f.disposition.as_deref().map(str::parse).transpose()?,
        response_model: f.response_model.as_deref().map(str::parse).transpose()?,
        subject_key: f.subject.clone(),
        partners: None,
    })
}

async fn encounters(store: &Store, cmd: EncountersCommand) -> Result<u8> {
    match cmd {
        EncountersCommand::List(args) => {
            let filter = filter_of(&args.filter)?;
            let rows = pmhc_service::sharing::operator_list(store, &Actor::cli(), format!("encounters?{filter:?}"), &filter, args.limit, args.offset).await?;
            match args.format {
                ListFormat::Table => {
                    let total = store.count_encounters(&filter).await?;
                    output::encounter_table(&rows);
                    let first = if rows.is_empty() { 0 } else { args.offset + 1 };
                    println!("\n{}–{} of {total} encounters", first, args.offset + rows.len() as u64);
                }
                ListFormat::Csv => {
                    let stdout = std::io::stdout();
                    let mut w = pmhc_import::canonical::CanonicalWriter::new(stdout.lock())?;
                    for e in rows.iter() {
                        w.write(e)?;
                    }
                    let _stdout = w.finish()?;
                }
                ListFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
            }
        }
        EncountersCommand::Show { source_system, source_key, json } => {
            let Some(e) = pmhc_service::sharing::operator_one(store, &Actor::cli(), &source_system, &source_key).await? else {
                bail!("no encounter {source_system} / {source_key}");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&e)?);
            } else {
                output::encounter_detail(&e);
            }
        }
        EncountersCommand::Count(f) => {
            println!("{}", store.count_encounters(&filter_of(&f)?).await?);
        }
    }
    Ok(0)
}

async fn imports(store: &Store, limit: u32, json: bool) -> Result<u8> {
    let list = store.list_imports(None, limit).await?;
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|i| {
                serde_json::json!({
                    "id": i.id, "file": i.file_name, "mapping": i.mapping_name, "source_system": i.source_system,
                    "status": i.status.as_str(), "started_at": i.started_at, "finished_at": i.finished_at,
                    "received": i.received, "accepted": i.accepted, "rejected": i.rejected,
                    "inserted": i.inserted, "updated": i.updated, "unchanged": i.unchanged, "stale": i.stale,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        output::imports_table(&list);
    }
    Ok(0)
}
