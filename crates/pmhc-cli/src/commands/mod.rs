//! What each command does: one module per top-level command of `pmhc` (see `cli.rs` for their
//! arguments), each a thin caller of `pmhc_service`. This module opens the store and dispatches.

mod agreement;
mod audit;
mod consent;
mod db;
mod definitions;
mod demo;
mod demo_programme;
mod encounters;
mod import;
mod imports;
mod init;
mod mappings;
mod partner;
mod people;
mod referrals;
mod report;
mod serve;
mod services;
mod training;
mod user;

pub(crate) use mappings::load_mapping;

use anyhow::{Context, Result, bail};
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
        Command::Db(DbCommand::Status) => db::db_status(&cli.database).await,
        // Writing CSV needs no database.
        Command::Demo(args) if args.csv.is_some() => demo::demo(None, &cli.database, clock, args).await,
        command => {
            let store = open(&cli.database).await?.with_clock(clock);
            let code = match command {
                Command::Init => init::init(&store, &cli.database).await,
                Command::Db(DbCommand::Migrate) => {
                    println!("{}: migrations applied", redact(&cli.database));
                    Ok(0)
                }
                Command::Import(args) => import::import(&store, args).await,
                Command::Demo(args) => demo::demo(Some(&store), &cli.database, clock, args).await,
                Command::Encounters(cmd) => encounters::encounters(&store, cmd).await,
                Command::Imports { limit, json } => imports::imports(&store, limit, json).await,
                Command::Report(args) => report::report(&store, args).await,
                Command::Definitions(cmd) => definitions::definitions(&store, cmd).await,
                Command::People(cmd) => people::people(&store, cmd).await,
                Command::Serve(args) => serve::serve(&store, &cli.database, args).await,
                Command::User(cmd) => user::user(&store, cmd).await,
                Command::Audit(cmd) => audit::audit(&store, cmd).await,
                Command::Partner(cmd) => partner::partner(&store, cmd).await,
                Command::Agreement(cmd) => agreement::agreement(&store, cmd).await,
                Command::Consent(cmd) => consent::consent(&store, cmd).await,
                Command::Services(cmd) => services::services(&store, cmd).await,
                Command::Referrals(cmd) => referrals::referrals(&store, cmd).await,
                Command::Training(cmd) => training::training(&store, cmd).await,
                Command::Mappings(_) | Command::Db(DbCommand::Status) => unreachable!("handled above"),
            };
            store.close().await;
            code
        }
    }
}

/// The database URL without a password.
pub(crate) fn redact(url: &str) -> String {
    pmhc_store::redact_url(url)
}

/// Open the database and bring its schema up to date (SQLite files are created when missing).
pub(crate) async fn open(url: &str) -> Result<Store> {
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
