//! Load test of `pmhc serve`: the dashboard (and the outcomes API and the public page) with a
//! million encounters loaded, 50 concurrent clients, latency percentiles from `wrk`.
//!
//! `cargo bench -p pmhc-cli --bench web` (needs `wrk`, Debian package `wrk`). Options through the
//! environment: `PMHC_BENCH_ENCOUNTERS` (default 1,000,000), `PMHC_BENCH_RUNS` (3),
//! `PMHC_BENCH_SECONDS` (20 per run), `PMHC_BENCH_CONNECTIONS` (50). The database is made once by
//! `pmhc demo` and kept in `target/bench-web/` for the next run.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{machine, median, run};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const WRK_SCRIPT: &str = r#"
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT p50=%.3f p95=%.3f p99=%.3f max=%.3f requests=%d errors=%d seconds=%.3f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, errors, summary.duration / 1e6))
end
"#;

/// Every request a question not asked before (a new baseline period): the report is computed,
/// not taken from the cache (the index is reused).
const WRK_NEW_QUESTIONS: &str = r#"
math.randomseed(7)
request = function()
  local y = math.random(2019, 2021)
  local m = math.random(1, 12)
  local d = math.random(1, 28)
  local path = string.format("/?baseline=%d-%02d-%02d..%d-%02d-%02d&comparison=2024-01-01..2024-12-31", y, m, d, y + 1, m, d)
  return wrk.format("GET", path)
end
"#;

struct Sample {
    p50: f64,
    p95: f64,
    p99: f64,
    rps: f64,
    errors: u64,
}

fn parse(out: &str) -> Sample {
    let line = out.lines().find(|l| l.starts_with("RESULT ")).unwrap_or_else(|| panic!("no RESULT line in wrk output:\n{out}"));
    let get = |k: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    Sample { p50: get("p50"), p95: get("p95"), p99: get("p99"), rps: get("requests") / get("seconds"), errors: get("errors") as u64 }
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is not installed (apt-get install wrk); skipping the web load test");
        return;
    }
    let encounters = env_u64("PMHC_BENCH_ENCOUNTERS", 1_000_000);
    let runs = env_u64("PMHC_BENCH_RUNS", 3);
    let seconds = env_u64("PMHC_BENCH_SECONDS", 20);
    let connections = env_u64("PMHC_BENCH_CONNECTIONS", 50);
    let exe = env!("CARGO_BIN_EXE_pmhc");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-web");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let db_path = dir.join(format!("web-{encounters}.sqlite"));
    let db = format!("sqlite:{}", db_path.display());
    if !db_path.exists() {
        eprintln!("making {encounters} encounters in {} (once)…", db_path.display());
        let (secs, _) = run(Command::new(exe).args(["--database", &db, "demo", "--encounters", &encounters.to_string(), "--json"]));
        eprintln!("  {secs:.1} s");
    }
    let password = "load test password";
    let users = Command::new(exe).args(["--database", &db, "user", "list"]).output().expect("pmhc user list");
    if !String::from_utf8_lossy(&users.stdout).contains("loadtest ") {
        let mut c = Command::new(exe)
            .args(["--database", &db, "user", "add", "loadtest", "--role", "viewer", "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("pmhc user add");
        c.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("password");
        assert!(c.wait().expect("user add").success());
    }
    let mut server = Command::new(exe)
        .args(["--database", &db, "serve", "--listen", "127.0.0.1:0"])
        .env("PMHC_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("pmhc serve");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let base = loop {
        let line = lines.next().expect("pmhc serve output").expect("line");
        if let Some(rest) = line.split("at http://").nth(1) {
            break format!("http://{}", rest.split('/').next().unwrap_or_default());
        }
    };
    std::thread::spawn(move || for _ in lines {});

    // Sign in through the form (curl keeps the cookies).
    let jar = dir.join("cookies.txt");
    let _ = std::fs::remove_file(&jar);
    let (_, form) = run(Command::new("curl").args(["-s", "-c", jar.to_str().unwrap_or(""), &format!("{base}/sign-in")]));
    let csrf = form.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
    run(Command::new("curl").args([
        "-s", "-o", "/dev/null", "-b", jar.to_str().unwrap_or(""), "-c", jar.to_str().unwrap_or(""),
        "--data-urlencode", "username=loadtest", "--data-urlencode", &format!("password={password}"),
        "--data-urlencode", &format!("csrf={csrf}"), "--data-urlencode", "acknowledge=yes", &format!("{base}/sign-in"),
    ]));
    let cookies = std::fs::read_to_string(&jar).expect("cookie jar");
    let session = cookies
        .lines()
        .find(|l| l.contains("pmhc_session"))
        .and_then(|l| l.split('\t').next_back())
        .expect("signed in")
        .to_string();
    let cookie = format!("Cookie: pmhc_session={session}");
    // The first request loads the data and builds the index (the cold path, measured elsewhere).
    let (cold, page) = run(Command::new("curl").args(["-s", "-H", &cookie, &format!("{base}/")]));
    assert!(page.contains("Outcome 1: Connection to resources"), "the dashboard did not render: {}", &page[..page.len().min(500)]);
    eprintln!("first dashboard (loads {encounters} encounters, builds the index): {cold:.2} s");
    let script = dir.join("report.lua");
    std::fs::write(&script, WRK_SCRIPT).expect("lua");
    let new_questions = dir.join("new-questions.lua");
    std::fs::write(&new_questions, format!("{WRK_NEW_QUESTIONS}\n{WRK_SCRIPT}")).expect("lua");

    println!("\n## Web load test: {encounters} encounters, {connections} concurrent clients, {seconds} s per run, {runs} runs");
    println!("Machine: {}. Server and wrk on the same machine (wrk uses 2 threads).\n", machine());
    println!("| page | p50 ms | p95 ms | p99 ms | requests/s | errors |");
    println!("|---|---|---|---|---|---|");
    let targets = [
        ("dashboard `/` (a question asked before: the report is cached)", "/".to_string(), true),
        ("dashboard, every request a new baseline period (the report is computed)", "NEW".to_string(), true),
        ("dashboard, filtered (`?precinct=North&response_model=co_responder`)", "/?precinct=North&response_model=co_responder".to_string(), true),
        ("outcomes API `/api/v1/outcomes`", "/api/v1/outcomes".to_string(), true),
        ("public page `/public`", "/public".to_string(), false),
    ];
    for (label, path, auth) in targets {
        let fresh = path == "NEW";
        let path = if fresh { "/".to_string() } else { path };
        // Warm this question once (index and report cached afterwards).
        let mut warm = Command::new("curl");
        warm.args(["-s", "-o", "/dev/null"]);
        if auth {
            warm.args(["-H", &cookie]);
        }
        run(warm.arg(format!("{base}{path}")));
        let lua = if fresh { &new_questions } else { &script };
        let mut samples = Vec::new();
        for _ in 0..runs {
            let mut c = Command::new("wrk");
            c.args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--timeout", "10s", "-s", lua.to_str().unwrap_or("")]);
            if auth {
                c.args(["-H", &cookie]);
            }
            let (_, out) = run(c.arg(format!("{base}{path}")));
            samples.push(parse(&out));
        }
        let errors: u64 = samples.iter().map(|s| s.errors).sum();
        println!(
            "| {label} | {:.1} | {:.1} | {:.1} | {:.0} | {errors} |",
            median(samples.iter().map(|s| s.p50).collect()),
            median(samples.iter().map(|s| s.p95).collect()),
            median(samples.iter().map(|s| s.p99).collect()),
            median(samples.iter().map(|s| s.rps).collect()),
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}
