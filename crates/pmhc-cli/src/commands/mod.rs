//! What each command does: one module per top-level command of `pmhc` (see `cli.rs` for their
//! arguments), each a thin caller of `pmhc_service`. This module opens the store and dispatches.

mod agreement;
mod audit;
mod consent;
mod db;
mod definitions;
mod demo;
mod demo_programme;
mod demo_workgroup;
mod encounters;
mod import;
mod imports;
mod init;
mod link;
mod mappings;
mod partner;
mod people;
mod referrals;
mod report;
mod serve;
mod services;
mod training;
mod user;
mod workgroup;

pub(crate) use mappings::load_mapping;

use anyhow::{Context, Result, bail};
use pmhc_service::ServiceContext;
use pmhc_service::audit::Actor;
use pmhc_store::{Clock, Store};

use crate::cli::*;

pub(crate) async fn run(cli: Cli) -> Result<u8> {
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
        Command::Mappings(cmd) => mappings::mappings(cmd),
        // Linkage runs where the identities are: no database.
        Command::Link(cmd) => link::link(cmd),
        Command::Db(DbCommand::Status) => db::db_status(&cli.database).await,
        // Writing CSV needs no database.
        Command::Demo(args) if args.csv.is_some() => demo::demo(None, &cli.database, clock, args).await,
        command => {
            // A command that only reads, pointed at a SQLite file that does not exist (a hint
            // followed from another folder): say so, and create nothing.
            if reads_only(&command)
                && let Some(file) = pmhc_store::sqlite_file(&cli.database)
                && !file.exists()
            {
                eprintln!(
                    "error: there is no database at {} (nothing was created). Point --database (or PMHC_DATABASE) at \
                     an existing one, or make one: `pmhc import FILE --mapping NAME` or `pmhc demo`.",
                    std::path::absolute(&file).unwrap_or(file).display()
                );
                return Ok(crate::EXIT_NO_DATA);
            }
            let store = open(&cli.database).await?.with_clock(clock);
            // Every use case goes through the service context; the store itself serves only the
            // operator's maintenance (keys, migrations, the demo's bulk data).
            let cx = ServiceContext::new(store.clone());
            interrupt_dead(&cx).await;
            let code = match command {
                Command::Init => init::init(&store, &cli.database).await,
                Command::Db(DbCommand::Migrate) => {
                    println!("{}: migrations applied", redact(&cli.database));
                    Ok(0)
                }
                Command::Import(args) => import::import(&cx, args).await,
                Command::Demo(args) => demo::demo(Some((&store, &cx)), &cli.database, clock, args).await,
                Command::Encounters(cmd) => encounters::encounters(&store, &cx, cmd).await,
                Command::Imports { limit, json } => imports::imports(&cx, limit, json).await,
                Command::Report(args) => report::report(&store, &cx, &cli.database, args).await,
                Command::Releases { json, check } => report::releases(&cx, json, check).await,
                Command::Definitions(cmd) => definitions::definitions(&cx, cmd).await,
                Command::People(cmd) => people::people(&store, &cx, &cli.database, cmd).await,
                Command::Serve(args) => serve::serve(&store, &cx, &cli.database, args).await,
                Command::User(cmd) => user::user(&cx, cmd).await,
                Command::Audit(cmd) => audit::audit(&cx, cmd).await,
                Command::Partner(cmd) => partner::partner(&cx, cmd).await,
                Command::Agreement(cmd) => agreement::agreement(&cx, cmd).await,
                Command::Consent(cmd) => consent::consent(&cx, cmd).await,
                Command::Services(cmd) => services::services(&cx, cmd).await,
                Command::Referrals(cmd) => referrals::referrals(&store, &cx, cmd).await,
                Command::Training(cmd) => training::training(&store, &cx, cmd).await,
                Command::Workgroup(cmd) => workgroup::workgroup(&cx, cmd).await,
                Command::Mappings(_) | Command::Link(_) | Command::Db(DbCommand::Status) => unreachable!("handled above"),
            };
            store.close().await;
            code
        }
    }
}

/// Whether a command only reads the database (so a missing SQLite file is an error, not a new
/// empty database).
fn reads_only(c: &Command) -> bool {
    match c {
        Command::Report(_) | Command::People(_) | Command::Encounters(_) | Command::Imports { .. } | Command::Releases { .. } => true,
        Command::Definitions(d) => !matches!(d, DefinitionsCommand::Set { .. }),
        Command::Audit(a) => !matches!(a, AuditCommand::Purge { .. }),
        Command::Referrals(_) => true,
        Command::Services(s) => matches!(s, ServicesCommand::List | ServicesCommand::Export { .. }),
        Command::Training(t) => matches!(t, TrainingCommand::Courses | TrainingCommand::Roster { .. } | TrainingCommand::Coverage { .. }),
        Command::User(u) => matches!(u, UserCommand::List | UserCommand::Tokens),
        Command::Workgroup(w) => !matches!(
            w,
            WorkgroupCommand::Members(WorkgroupFile::Import { .. }) | WorkgroupCommand::Meetings(WorkgroupFile::Import { .. }) | WorkgroupCommand::Actions(WorkgroupActions::Import { .. })
        ),
        Command::Partner(p) => matches!(p, PartnerCommand::List),
        Command::Agreement(a) => matches!(a, AgreementCommand::List),
        Command::Consent(c) => matches!(c, ConsentCommand::List { .. } | ConsentCommand::Accounting { .. }),
        Command::Init | Command::Import(_) | Command::Demo(_) | Command::Db(_) | Command::Mappings(_) | Command::Serve(_) | Command::Link(_) => false,
    }
}

/// `--database URL` as a command to copy needs it: a SQLite file by its absolute path (so the
/// command works from any folder), a server's URL without its password; quoted for a POSIX shell
/// when it holds anything but plain characters.
pub(crate) fn database_arg(url: &str) -> String {
    let url = match pmhc_store::sqlite_file(url) {
        Some(file) => format!("sqlite:{}", std::path::absolute(&file).unwrap_or(file).display()),
        None => redact(url),
    };
    format!("--database {}", shell_word(&url))
}

/// A word for a POSIX shell: as it is when it holds only plain characters, else single-quoted.
pub(crate) fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A command that answers from the encounters, pointed at a database that holds none, says so
/// (and returns [`crate::EXIT_NO_DATA`]) instead of answering with zeros.
pub(crate) async fn nothing_to_answer_from(store: &Store, url: &str) -> Result<Option<u8>> {
    if store.has_encounters().await? {
        return Ok(None);
    }
    let place = match pmhc_store::sqlite_file(url) {
        Some(file) => std::path::absolute(&file).unwrap_or(file).display().to_string(),
        None => redact(url),
    };
    eprintln!(
        "The database at {place} holds no encounters yet: import a file with `pmhc {db} import FILE --mapping NAME` \
         (see `pmhc mappings list`) or make a synthetic jurisdiction with `pmhc {db} demo`.",
        db = database_arg(url)
    );
    Ok(Some(crate::EXIT_NO_DATA))
}

/// The database URL without a password.
pub(crate) fn redact(url: &str) -> String {
    pmhc_store::redact_url(url)
}

/// Open the database and bring its schema up to date (SQLite files are created when missing).
pub(crate) async fn open(url: &str) -> Result<Store> {
    let store = Store::open(url).await.with_context(|| format!("cannot open the database {}", redact(url)))?;
    store.migrate().await.with_context(|| format!("cannot migrate the database {}", redact(url)))?;
    Ok(store)
}

/// An import whose process died is marked interrupted (and audited) by the next command.
async fn interrupt_dead(cx: &ServiceContext) {
    match pmhc_service::imports::interrupt_dead(cx, &Actor::cli()).await {
        Ok(found) => {
            for (id, stored) in found {
                eprintln!("Import {id} was interrupted (its process stopped); {stored} of its encounters are stored. Importing the file again is safe.");
            }
        }
        Err(e) => eprintln!("warning: cannot check for interrupted imports: {e}"),
    }
}
