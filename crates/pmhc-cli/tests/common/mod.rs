//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn pmhc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pmhc"));
    c.env_remove("PMHC_DATABASE").env("PMHC_LOG", "error");
    c
}

pub fn run(db: &str, args: &[&str]) -> Output {
    pmhc().arg("--database").arg(db).args(args).output().expect("run pmhc")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

pub fn require_all() -> bool {
    std::env::var_os("PMHC_REQUIRE_ALL").is_some()
}

/// A file of the shared public datasets, or `None` (the test then skips) when absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(!require_all(), "PMHC_REQUIRE_ALL is set but {} is missing", p.display());
    eprintln!("skipped: {} is not present", p.display());
    None
}

/// The databases to run a test against: a fresh SQLite file, and a fresh PostgreSQL database when
/// `PMHC_TEST_POSTGRES` is set.
pub struct Databases {
    _dir: tempfile::TempDir,
    pub urls: Vec<String>,
    pg: Option<(String, String)>,
}

impl Databases {
    pub fn new() -> Databases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut urls = vec![format!("sqlite:{}", dir.path().join("t.sqlite").display())];
        let mut pg = None;
        match std::env::var("PMHC_TEST_POSTGRES") {
            Ok(admin) => {
                let name = format!("pmhc_cli_{}_{}", std::process::id(), rand_suffix());
                let out = Command::new("psql").args([&admin, "-q", "-c", &format!("CREATE DATABASE {name}")]).output();
                match out {
                    Ok(o) if o.status.success() => {
                        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
                        urls.push(format!("{base}/{name}"));
                        pg = Some((admin, name));
                    }
                    other => panic!("PMHC_TEST_POSTGRES is set but creating a database failed: {other:?}"),
                }
            }
            Err(_) => {
                assert!(!require_all(), "PMHC_REQUIRE_ALL is set but PMHC_TEST_POSTGRES is not");
                eprintln!("PostgreSQL variant skipped: PMHC_TEST_POSTGRES is not set");
            }
        }
        Databases { _dir: dir, urls, pg }
    }

    pub fn dir(&self) -> &Path {
        self._dir.path()
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            let _ = Command::new("psql").args([admin.as_str(), "-q", "-c", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")]).output();
        }
    }
}

pub fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish() % 1_000_000_000
}

