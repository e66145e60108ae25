//! The audit trail against an attacker with write access to the database (SQLite and, with
//! `PMHC_TEST_POSTGRES`, PostgreSQL), on the real binary: the keyed chain finds a re-hashed edit,
//! a removed tail (with the head kept outside, `--expect-head`), a forged anchor and a wiped log;
//! a missing key is reported as such (exit 2), never as tampering; an older unkeyed chain is
//! migrated; an import killed mid-way has its "started" entry and is marked interrupted.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use pmhc_core::audit::{AuditEntry, entry_hash, next_entry};
use sqlx::Connection;

fn cmd(db: &str, key: &Path, args: &[&str]) -> Output {
    pmhc().env("PMHC_KEY_FILE", key).arg("--database").arg(db).args(args).output().expect("run pmhc")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Run statements as the attacker: straight on the database, around pmhc.
async fn sql(db: &str, statements: &[String]) {
    if db.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db).await.expect("connect");
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s.clone())).execute(&mut c).await.unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    } else {
        let mut c = sqlx::PgConnection::connect(db).await.expect("connect");
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s.clone())).execute(&mut c).await.unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }
}

/// Lift the append-only triggers (what an attacker with the database can do).
fn lift(db: &str) -> Vec<String> {
    if db.starts_with("sqlite:") {
        vec!["DROP TRIGGER audit_log_no_update".into(), "DROP TRIGGER audit_log_no_delete".into()]
    } else {
        vec!["ALTER TABLE audit_log DISABLE TRIGGER USER".into()]
    }
}

async fn entries(db: &str) -> Vec<AuditEntry> {
    let store = pmhc_store::Store::open(db).await.expect("open");
    let v = store.audit_entries_after(0, 100_000).await.expect("entries");
    store.close().await;
    v
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A database with a few entries (each `audit list` is itself an entry) and its kept head.
fn setup(db: &str, key: &Path) -> String {
    let o = cmd(db, key, &["init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&key.display().to_string()), "init names the key file: {}", stdout(&o));
    for _ in 0..6 {
        let o = cmd(db, key, &["audit", "list", "--limit", "1"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = cmd(db, key, &["audit", "head"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let head = stdout(&o).trim().to_string();
    assert_eq!(head.len(), 64, "a SHA-256 in hex: {head}");
    let o = cmd(db, key, &["audit", "verify", "--expect-head", &head]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    head
}

fn verify(db: &str, key: &Path, expect: Option<&str>) -> (Option<i32>, String) {
    let mut args = vec!["audit", "verify"];
    if let Some(h) = expect {
        args.extend(["--expect-head", h]);
    }
    let o = cmd(db, key, &args);
    (o.status.code(), format!("{}{}", stdout(&o), stderr(&o)))
}

fn each_database(test: impl Fn(&str, &Path)) {
    let dbs = Databases::new();
    for (i, db) in dbs.urls.iter().enumerate() {
        let key = dbs.dir().join(format!("db{i}.key"));
        test(db, &key);
    }
}

#[test]
fn an_edit_with_the_chain_rehashed_is_found() {
    each_database(|db, key| {
        setup(db, key);
        rt().block_on(async {
            let v = entries(db).await;
            // Change entry 3 and recompute every hash from it on (SHA-256: no key), and the head.
            let mut stmts = lift(db);
            let mut prev = v[1].hash.clone();
            for e in &v[2..] {
                let mut ev = e.event.clone();
                if e.id == 3 {
                    ev.actor = "someone-else".into();
                }
                let hash = entry_hash(&prev, e.id, &ev);
                stmts.push(format!(
                    "UPDATE audit_log SET actor = {}, prev_hash = {}, hash = {} WHERE id = {}",
                    q(&ev.actor),
                    q(&prev),
                    q(&hash),
                    e.id
                ));
                prev = hash;
            }
            let last = v.last().expect("entries").id;
            stmts.push(format!("UPDATE settings SET value = {} WHERE key = 'audit_head'", q(&format!("{last}:{prev}"))));
            sql(db, &stmts).await;
        });
        let (code, out) = verify(db, key, None);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("BROKEN at entry 3"), "{out}");
    });
}

#[test]
fn a_removed_tail_with_a_rewritten_head_is_found_with_the_kept_head() {
    each_database(|db, key| {
        let head = setup(db, key);
        rt().block_on(async {
            let v = entries(db).await;
            let keep = &v[v.len() - 3];
            let mut stmts = lift(db);
            stmts.push(format!("DELETE FROM audit_log WHERE id > {}", keep.id));
            stmts.push(format!("UPDATE settings SET value = {} WHERE key = 'audit_head'", q(&format!("{}:{}", keep.id, keep.hash))));
            sql(db, &stmts).await;
        });
        // Consistent in the database alone…
        assert_eq!(verify(db, key, None).0, Some(0));
        // …but the head kept outside is gone.
        let (code, out) = verify(db, key, Some(&head));
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("is not in the log"), "{out}");
    });
}

#[test]
fn a_forged_anchor_after_removing_the_first_entries_is_found() {
    each_database(|db, key| {
        let head = setup(db, key);
        rt().block_on(async {
            let v = entries(db).await;
            let mut stmts = lift(db);
            stmts.push("DELETE FROM audit_log WHERE id <= 3".into());
            stmts.push(format!(
                "INSERT INTO settings (key, value) VALUES ('audit_anchor', {}) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                q(&format!("3:{}", v[2].hash))
            ));
            sql(db, &stmts).await;
        });
        for expect in [None, Some(head.as_str())] {
            let (code, out) = verify(db, key, expect);
            assert_eq!(code, Some(1), "{out}");
            assert!(out.contains("no purge of the audit trail recorded that anchor"), "{out}");
        }
    });
}

#[test]
fn a_wiped_log_is_found_with_the_kept_head() {
    each_database(|db, key| {
        let head = setup(db, key);
        rt().block_on(async {
            let mut stmts = lift(db);
            stmts.push("DELETE FROM audit_log".into());
            stmts.push("DELETE FROM settings WHERE key IN ('audit_head', 'audit_anchor')".into());
            sql(db, &stmts).await;
        });
        let (code, out) = verify(db, key, Some(&head));
        assert_eq!(code, Some(1), "{out}");
    });
}

#[test]
fn a_missing_key_is_reported_plainly_and_refuses_audited_access() {
    each_database(|db, key| {
        setup(db, key);
        let away = key.with_extension("away");
        std::fs::rename(key, &away).expect("move the key away");
        let (code, out) = verify(db, key, None);
        assert_eq!(code, Some(2), "{out}");
        assert!(out.contains("cannot verify entries after 0: the audit key is unavailable"), "{out}");
        assert!(!out.contains("BROKEN"), "{out}");
        // Nothing audited happens without the key (and no new key is made in its place).
        let o = cmd(db, key, &["audit", "list"]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("key file is missing"), "{}", stderr(&o));
        assert!(!key.exists(), "no key is made in place of a lost one");
        std::fs::rename(&away, key).expect("restore");
        assert_eq!(verify(db, key, None).0, Some(0));
    });
}

#[test]
fn the_key_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    each_database(|db, key| {
        setup(db, key);
        let mode = std::fs::metadata(key).expect("key file").permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
        let text = std::fs::read_to_string(key).expect("read");
        assert!(text.contains("audit_key = ") && text.contains("pseudonym_key = "), "{text}");
    });
}

#[test]
fn an_older_unkeyed_chain_is_migrated_and_stays_verifiable() {
    each_database(|db, key| {
        let o = cmd(db, &PathBuf::from("/nonexistent/none.key"), &["db", "migrate"]);
        // `db migrate` needs no key.
        assert!(o.status.success(), "{}", stderr(&o));
        // What an older pmhc left: unkeyed entries, the head, the secret in `settings`.
        let legacy_secret = "ab".repeat(32);
        rt().block_on(async {
            let mut v: Vec<AuditEntry> = Vec::new();
            for i in 0..4u64 {
                let ev = pmhc_core::audit::AuditEvent {
                    at: format!("2026-01-0{}T00:00:00.00Z", i + 1),
                    actor: "old".into(),
                    partner: None,
                    action: pmhc_core::audit::AuditAction::View,
                    object: format!("encounter:x/{i}"),
                    field_groups: vec![],
                    source: "cli".into(),
                    outcome: pmhc_core::audit::AuditOutcome::Success,
                    detail: String::new(),
                };
                v.push(next_entry(v.last().map(|l| (l.id, l.hash.as_str())), ev));
            }
            let mut stmts = Vec::new();
            for e in &v {
                let ev = &e.event;
                stmts.push(format!(
                    "INSERT INTO audit_log (id, at, actor, partner, action, object, field_groups, source, outcome, detail, prev_hash, hash) \
                     VALUES ({}, {}, 'old', NULL, 'view', {}, '', 'cli', 'success', '', {}, {})",
                    e.id,
                    q(&ev.at),
                    q(&ev.object),
                    q(&e.prev_hash),
                    q(&e.hash)
                ));
            }
            let last = v.last().expect("4");
            stmts.push(format!("INSERT INTO settings (key, value) VALUES ('audit_head', {})", q(&format!("4:{}", last.hash))));
            stmts.push(format!("INSERT INTO settings (key, value) VALUES ('pseudonym_key', {})", q(&legacy_secret)));
            sql(db, &stmts).await;
        });
        let (code, out) = verify(db, key, None);
        assert_eq!(code, Some(0), "{out}");
        let text = std::fs::read_to_string(key).expect("the key file was made");
        assert!(text.contains(&format!("pseudonym_key = {legacy_secret}")), "the secret moved to the key file: {text}");
        assert!(text.contains("keyed_from = 5"), "{text}");
        rt().block_on(async {
            let v = entries(db).await;
            assert_eq!(v.len(), 5, "the four older entries and the re-keying entry");
            assert_eq!(v[4].event.object, "audit:key");
            let store = pmhc_store::Store::open(db).await.expect("open");
            let secret = match (store.sqlite_pool(), store.postgres_pool()) {
                (Some(p), _) => sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = 'pseudonym_key'").fetch_optional(p).await,
                (_, Some(p)) => sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = 'pseudonym_key'").fetch_optional(p).await,
                _ => unreachable!(),
            };
            assert_eq!(secret.expect("read"), None, "the secret left the database");
            store.close().await;
        });
        // Later entries are keyed; an edit of an older one is still found.
        let o = cmd(db, key, &["audit", "list"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(verify(db, key, None).0, Some(0));
        rt().block_on(async {
            let mut stmts = lift(db);
            stmts.push("UPDATE audit_log SET actor = 'x' WHERE id = 2".into());
            sql(db, &stmts).await;
        });
        let (code, out) = verify(db, key, None);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("entry 2"), "{out}");
    });
}

#[test]
fn the_cli_actor_is_the_operating_system_account() {
    each_database(|db, key| {
        setup(db, key);
        // $USER is whatever the caller says; the entry names the account the system knows.
        let o = pmhc().env("PMHC_KEY_FILE", key).env("USER", "mallory").arg("--database").arg(db).args(["audit", "list", "--json", "--limit", "1"]).output().expect("run");
        assert!(o.status.success(), "{}", stderr(&o));
        let o = cmd(db, key, &["audit", "list", "--json", "--limit", "1"]);
        let v = json(&o);
        let newest = &v[0];
        let actor = newest["actor"].as_str().expect("actor");
        assert!(actor.starts_with("os:") && actor != "os:mallory", "{newest}");
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc_getuid() };
        assert_eq!(newest["source"], format!("cli uid {uid}"), "{newest}");
    });
}

unsafe extern "C" {
    #[link_name = "getuid"]
    fn libc_getuid() -> u32;
}

#[test]
fn an_import_killed_mid_way_has_its_entry_and_is_marked_interrupted() {
    let dbs = Databases::new();
    let csv = dbs.dir().join("big.csv");
    let o = run("sqlite::memory:", &["demo", "--encounters", "150000", "--seed", "3", "--csv", csv.to_str().expect("path")]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (i, db) in dbs.urls.iter().enumerate() {
        let key = dbs.dir().join(format!("import{i}.key"));
        let o = cmd(db, &key, &["init"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut child = pmhc()
            .env("PMHC_KEY_FILE", &key)
            .arg("--database")
            .arg(db)
            .args(["import", csv.to_str().expect("path"), "--mapping", "pmhc", "--batch-size", "2000", "--json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Kill it once some records are written, before it ends.
        let written = rt().block_on(async {
            for _ in 0..600 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let n = count(db, "SELECT COUNT(*) FROM encounters").await;
                if n > 0 {
                    return n;
                }
            }
            0
        });
        child.kill().expect("kill -9");
        let _ = child.wait();
        assert!(written > 0, "the import wrote nothing before the deadline");
        rt().block_on(async {
            let stored = count(db, "SELECT COUNT(*) FROM encounters").await;
            assert!(stored < 150_000, "killed before the end ({stored})");
            // The entry was written before the first record, whatever killed the process.
            let started = count(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND detail LIKE 'started:%'").await;
            assert_eq!(started, 1);
        });
        // The next command marks it interrupted, with an entry saying what it stored.
        let o = cmd(db, &key, &["imports", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("was interrupted"), "{}", stderr(&o));
        let v = json(&o);
        assert_eq!(v[0]["status"], "interrupted", "{v}");
        let stored = rt().block_on(count(db, "SELECT COUNT(*) FROM encounters"));
        assert_eq!(v[0]["inserted"].as_i64(), Some(stored), "the count is the count stored: {v}");
        let o = cmd(db, &key, &["audit", "list", "--action", "import", "--json"]);
        let entries = json(&o);
        let interrupted = entries.as_array().expect("list").iter().find(|e| e["detail"].as_str().is_some_and(|d| d.starts_with("interrupted:")));
        let interrupted = interrupted.unwrap_or_else(|| panic!("an interrupted entry: {entries}"));
        assert!(interrupted["detail"].as_str().is_some_and(|d| d.contains(&format!("{stored} encounters"))), "{interrupted}");
        assert_eq!(interrupted["outcome"], "failed");
        // Only once.
        let o = cmd(db, &key, &["imports", "--json"]);
        assert!(!stderr(&o).contains("was interrupted"), "{}", stderr(&o));
        assert_eq!(verify(db, &key, None).0, Some(0));
    }
}

async fn count(db: &str, query: &str) -> i64 {
    if db.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db).await.expect("connect");
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(query.to_string())).fetch_one(&mut c).await.unwrap_or(0)
    } else {
        let mut c = sqlx::PgConnection::connect(db).await.expect("connect");
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(query.to_string())).fetch_one(&mut c).await.unwrap_or(0)
    }
}

#[test]
fn forgetting_the_key_in_the_database_and_rehashing_everything_is_found() {
    each_database(|db, key| {
        setup(db, key);
        rt().block_on(async {
            let v = entries(db).await;
            // Every entry re-hashed the older, unkeyed way, and the database's record of the key gone.
            let mut stmts = lift(db);
            let mut prev = pmhc_core::audit::GENESIS.to_string();
            for e in &v {
                let hash = entry_hash(&prev, e.id, &e.event);
                stmts.push(format!("UPDATE audit_log SET prev_hash = {}, hash = {} WHERE id = {}", q(&prev), q(&hash), e.id));
                prev = hash;
            }
            let last = v.last().expect("entries").id;
            stmts.push(format!("UPDATE settings SET value = {} WHERE key = 'audit_head'", q(&format!("{last}:{prev}"))));
            stmts.push("DELETE FROM settings WHERE key IN ('audit_key_id', 'audit_keyed_from')".into());
            sql(db, &stmts).await;
        });
        let (code, out) = verify(db, key, None);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("BROKEN at entry 1"), "{out}");
    });
}

#[test]
fn every_cli_action_that_shows_or_changes_data_leaves_its_entry_with_the_os_account() {
    each_database(|db, key| {
        let o = cmd(db, key, &["demo", "--encounters", "400", "--seed", "2"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let dir = key.parent().expect("dir");
        let report = cmd(db, key, &["report", "--baseline", &demo_year(0), "--comparison", &demo_year(5), "--format", "json"]);
        assert!(report.status.success(), "{}", stderr(&report));
        assert!(cmd(db, key, &["training", "roster"]).status.success());
        let out = dir.join("inventory.csv");
        assert!(cmd(db, key, &["services", "export", "--output", out.to_str().expect("p")]).status.success());
        // A changed copy of the definitions in force, saved with --author (a name beside the account).
        let shown = cmd(db, key, &["definitions", "show"]);
        let toml = stdout(&shown);
        let changed = toml.lines().map(|l| if l.starts_with("name = ") { "name = \"Changed for the audit test\"".to_string() } else { l.to_string() }).collect::<Vec<_>>().join("\n");
        assert_ne!(changed, toml.trim_end(), "a name line to change:\n{toml}");
        let file = dir.join("defs.toml");
        std::fs::write(&file, changed).expect("write");
        let set = cmd(db, key, &["definitions", "set", file.to_str().expect("p"), "--note", "audit test", "--author", "Ann Analyst"]);
        assert!(set.status.success(), "{}", stderr(&set));
        assert!(cmd(db, key, &["audit", "list", "--limit", "1"]).status.success());
        let entries = json(&cmd(db, key, &["audit", "list", "--json", "--limit", "200"]));
        let entries = entries.as_array().expect("entries");
        let actor = entries.iter().find(|e| e["object"] == "audit").expect("audit list")["actor"].as_str().expect("actor").to_string();
        assert!(actor.starts_with("os:"), "{actor}");
        for (action, object) in [
            ("export", "report:outcomes"),
            ("view", "training:roster"),
            ("export", "services:inventory"),
            ("change", "definitions:"),
            ("view", "audit"),
            ("import", "import:1"),
        ] {
            assert!(
                entries.iter().any(|e| e["action"] == action && e["actor"] == actor.as_str() && e["object"].as_str().is_some_and(|o| o.starts_with(object))),
                "{action} {object} by {actor}: {entries:?}"
            );
        }
        // The definitions' author is the account, with the name given beside it.
        let history = stdout(&cmd(db, key, &["definitions", "history"]));
        assert!(history.contains(&format!("Ann Analyst ({actor})")), "{history}");
    });
}

/// When the audit trail cannot be written (a trigger refuses every entry), no change happens and
/// no record is shown: each use case writes its entry before its change, through every front end.
#[test]
fn a_failed_audit_write_leaves_no_change_behind() {
    each_database(|db, key| {
        let o = cmd(db, key, &["demo", "--encounters", "300", "--seed", "4"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let list = json(&cmd(db, key, &["encounters", "list", "--limit", "1", "--format", "json"]));
        let (system, rec_key) = (list[0]["source_system"].as_str().expect("system").to_string(), list[0]["source_key"].as_str().expect("key").to_string());
        let dir = key.parent().expect("dir");
        let defs = dir.join("defs.toml");
        let shown = stdout(&cmd(db, key, &["definitions", "show"]));
        std::fs::write(&defs, shown.replace("name = ", "name = \"changed\"\nold_name = ").lines().filter(|l| !l.starts_with("old_name")).collect::<Vec<_>>().join("\n")).expect("write");
        let partners_before = stdout(&cmd(db, key, &["partner", "list"]));
        let definitions_before = stdout(&cmd(db, key, &["definitions", "history"]));
        let users_before = stdout(&cmd(db, key, &["user", "list"]));
        // A file of services and one of capacity reports (for the demo's first service).
        let inventory = dir.join("inventory.csv");
        std::fs::write(&inventory, "provider,name,kind,intercept,hours\n1,Blocked Centre,crisis_centre,1,24/7\n").expect("write");
        let capacity = dir.join("capacity.csv");
        std::fs::write(&capacity, format!("service_id,reported_at,available,total\n1,{} 08:00,3,\n", day(-1))).expect("write");
        let services_before = stdout(&cmd(db, key, &["services", "list"]));
        let capacity_before = rt().block_on(count(db, "SELECT COUNT(*) FROM capacity_updates"));
        assert!(capacity_before > 0 && services_before.contains("Crisis Receiving Centre"), "{services_before}");
        rt().block_on(async {
            let block: Vec<String> = if db.starts_with("sqlite:") {
                vec!["CREATE TRIGGER block_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'blocked'); END".into()]
            } else {
                vec![
                    "CREATE FUNCTION block_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'blocked'; END $$".into(),
                    "CREATE TRIGGER block_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION block_audit()".into(),
                ]
            };
            sql(db, &block).await;
        });
        let refused = |args: &[&str], stdin: Option<&str>| {
            let mut c = pmhc();
            c.env("PMHC_KEY_FILE", key).arg("--database").arg(db).args(args);
            let o = if let Some(input) = stdin {
                use std::io::Write;
                let mut child = c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().expect("spawn");
                child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("password");
                child.wait_with_output().expect("run")
            } else {
                c.output().expect("run")
            };
            assert!(!o.status.success(), "{args:?} succeeded without its audit entry");
            assert!(stderr(&o).contains("audit trail cannot be written"), "{args:?}: {}", stderr(&o));
            stdout(&o)
        };
        // Writes.
        refused(&["partner", "add", "Blocked Clinic", "--sector", "behavioral_health"], None);
        refused(&["definitions", "set", defs.to_str().expect("p"), "--note", "blocked"], None);
        refused(&["user", "add", "blocked-user", "--role", "analyst", "--password-stdin"], Some("a long enough password 1\n"));
        refused(&["services", "import", inventory.to_str().expect("p")], None);
        refused(&["services", "capacity-import", capacity.to_str().expect("p")], None);
        // Reads: nothing of the record is printed.
        let out = refused(&["encounters", "show", &system, &rec_key, "--json"], None);
        assert!(!out.contains(&rec_key), "{out}");
        let out = refused(&["encounters", "list", "--limit", "5"], None);
        assert!(out.trim().is_empty(), "{out}");
        rt().block_on(async {
            let unblock: Vec<String> = if db.starts_with("sqlite:") {
                vec!["DROP TRIGGER block_audit".into()]
            } else {
                vec!["DROP TRIGGER block_audit ON audit_log".into(), "DROP FUNCTION block_audit()".into()]
            };
            sql(db, &unblock).await;
        });
        assert_eq!(stdout(&cmd(db, key, &["partner", "list"])), partners_before);
        assert_eq!(stdout(&cmd(db, key, &["definitions", "history"])), definitions_before);
        assert_eq!(stdout(&cmd(db, key, &["user", "list"])), users_before);
        assert_eq!(stdout(&cmd(db, key, &["services", "list"])), services_before);
        assert_eq!(rt().block_on(count(db, "SELECT COUNT(*) FROM capacity_updates")), capacity_before);
        // Unblocked, the same files are imported, each audited (a refused file as failed).
        assert!(cmd(db, key, &["services", "import", inventory.to_str().expect("p")]).status.success());
        assert!(cmd(db, key, &["services", "capacity-import", capacity.to_str().expect("p")]).status.success());
        std::fs::write(&capacity, "service_id,reported_at,available,total\n9999,soon,x,\n").expect("write");
        assert!(!cmd(db, key, &["services", "capacity-import", capacity.to_str().expect("p")]).status.success());
        assert_eq!(rt().block_on(count(db, "SELECT COUNT(*) FROM capacity_updates")), capacity_before + 1);
        // The newest three entries (the listing's own entry comes after what it lists).
        let entries = json(&cmd(db, key, &["audit", "list", "--json", "--limit", "3"]));
        let shape: Vec<(&str, &str, &str)> = entries
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| (e["action"].as_str().unwrap_or(""), e["object"].as_str().unwrap_or(""), e["outcome"].as_str().unwrap_or("")))
            .collect();
        let (inv, cap) = (format!("services:{}", inventory.display()), format!("capacity:{}", capacity.display()));
        assert_eq!(shape, [("admin", cap.as_str(), "failed"), ("admin", cap.as_str(), "success"), ("admin", inv.as_str(), "success")]);
        assert_eq!(verify(db, key, None).0, Some(0));
    });
}
