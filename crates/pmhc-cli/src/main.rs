//! `pmhc`: the command line of the pmhc data system.

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

// Imports allocate and free many small strings on two threads; mimalloc is markedly faster at
// that than the system allocator (measured in docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code when a command ran but some input rows were rejected.
pub const EXIT_PARTIAL: u8 = 3;

/// Exit code when there is nothing to answer from: the database holds no encounters, or the
/// SQLite file a command that only reads was pointed at does not exist.
pub const EXIT_NO_DATA: u8 = 2;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // The server logs its requests by default; other commands only warnings.
    let default_level = if matches!(args.command, cli::Command::Serve(_)) { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PMHC_LOG").unwrap_or_else(|_| default_level.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("PMHC_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
