//! Schemathesis against `pmhc serve`: the API's OpenAPI document (`/api/v1/openapi.json`) drives
//! property-based requests to every operation — its examples, the coverage phase (boundary and
//! invalid values), fuzzing, and stateful sequences following the links between operations
//! (create an encounter, read it, change it) — and every answer must be no server error and
//! agree with the document (status code, content type, headers, body schema).
//!
//! Runs when `PMHC_SCHEMATHESIS` names the `st` executable of a venv made from
//! `tests/schemathesis/requirements.txt`:
//!
//! ```sh
//! python3.11 -m venv target/schemathesis-venv
//! target/schemathesis-venv/bin/pip install -r tests/schemathesis/requirements.txt
//! PMHC_SCHEMATHESIS=$PWD/target/schemathesis-venv/bin/st cargo test -p pmhc-cli --test schemathesis -- --nocapture
//! ```
//!
//! Otherwise it is skipped, unless `PMHC_REQUIRE_ALL` is set (CI), when it fails. It runs on
//! SQLite, and on PostgreSQL too when `PMHC_TEST_POSTGRES` is set. The database is a throwaway:
//! Schemathesis creates and changes encounters, definitions and imports in it.
//!
//! Tuning (optional): `PMHC_SCHEMATHESIS_EXAMPLES` (examples per operation and phase, 100 by
//! default), `PMHC_SCHEMATHESIS_SEED` (fixed by default so that CI is repeatable; any other
//! number explores other inputs), `PMHC_SCHEMATHESIS_ARGS` (more `st run` arguments, split on
//! whitespace, e.g. `--checks all` to see the stricter request-validation checks too).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// What every answer is checked for: Schemathesis's own checks, and `created_location_resolves`
/// from `tests/schemathesis/hooks.py` (a 201's `Location` leads to the record). Left out:
/// `positive_data_acceptance` and `negative_data_rejection` (does the server accept exactly what
/// the schema allows): the document cannot state every rule the server enforces (a definitions
/// version that exists, times in order, a key not taken yet), and those answers are documented
/// 400/409/422s, not contradictions of the schema.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,\
                      response_headers_conformance,ignored_auth,use_after_free,ensure_resource_availability,\
                      unsupported_method,created_location_resolves";
const HOOKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/schemathesis/hooks.py");
const PHASES: &str = "examples,coverage,fuzzing,stateful";
const DEFAULT_EXAMPLES: &str = "100";
const DEFAULT_SEED: &str = "20260101";
/// A run that takes longer than this has hung (it takes well under a minute).
const TIMEOUT: Duration = Duration::from_secs(600);

#[test]
fn the_api_agrees_with_its_openapi_document() {
    let Some(st) = std::env::var_os("PMHC_SCHEMATHESIS").filter(|s| !s.is_empty()) else {
        assert!(
            !require_all(),
            "PMHC_REQUIRE_ALL is set but PMHC_SCHEMATHESIS is not (the path of `st` from a venv made with \
             `pip install -r tests/schemathesis/requirements.txt`)"
        );
        eprintln!("skipped: PMHC_SCHEMATHESIS (the path of Schemathesis's `st`) is not set");
        return;
    };
    let version = Command::new(&st).arg("--version").output().unwrap_or_else(|e| panic!("PMHC_SCHEMATHESIS={st:?} does not run: {e}"));
    assert!(version.status.success(), "{st:?} --version failed: {}", stderr(&version));
    println!("{}", stdout(&version).trim());

    let dbs = Databases::new();
    let mut failed = Vec::new();
    for db in &dbs.urls {
        let out = run(db, &["demo", "--encounters", "3000"]);
        assert!(out.status.success(), "demo on {db}: {}", stderr(&out));
        add_user(db, "schemathesis", "administrator", "conformance checker 1");
        let token = add_token(db, "schemathesis");
        assert!(token.starts_with("pmhc_"), "not a token: {token:?}");
        let server = Server::start(db);
        let started = Instant::now();
        let (ok, output) = schemathesis(&st, &server.base, &token, dbs.dir());
        println!("==== Schemathesis on {db} ({:.0?})\n{output}", started.elapsed());
        drop(server);
        if !ok {
            failed.push(db.clone());
        }
    }
    assert!(failed.is_empty(), "Schemathesis found problems on {failed:?}; its report is above");
}

/// Run `st run` against the server; whether it passed, and what it printed.
fn schemathesis(st: &std::ffi::OsStr, base: &str, token: &str, dir: &std::path::Path) -> (bool, String) {
    let env = |name: &str, default: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_string());
    let log_path = dir.join(format!("schemathesis-{}.log", rand_suffix()));
    let log = std::fs::File::create(&log_path).expect("create the log");
    let mut cmd = Command::new(st);
    cmd.arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args(["--phases", PHASES])
        .args(["--max-examples", &env("PMHC_SCHEMATHESIS_EXAMPLES", DEFAULT_EXAMPLES)])
        .args(["--seed", &env("PMHC_SCHEMATHESIS_SEED", DEFAULT_SEED)])
        .args(["--workers", "1"])
        // Report every failure of a run, not only the first of each operation.
        .arg("--continue-on-failure")
        .args(["--request-timeout", "60"])
        // Hypothesis keeps no example database (nothing written to the working directory).
        .args(["--generation-database", "none"])
        .arg("--no-color")
        .args(env("PMHC_SCHEMATHESIS_ARGS", "").split_whitespace())
        .current_dir(dir)
        .env("SCHEMATHESIS_HOOKS", HOOKS)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {st:?}: {e}"));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for Schemathesis") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let ok = match status {
        Some(s) => {
            output.push_str(&format!("\n(st exited with {s})\n"));
            s.success()
        }
        None => {
            output.push_str(&format!("\n(st was stopped after {TIMEOUT:?})\n"));
            false
        }
    };
    (ok, output)
}
