//! The `imports` table: one row per file imported, with its totals.

use chrono::{DateTime, Utc};
use sqlx::Row;

use pmhc_core::import::ImportCounts;

use crate::{ImportRecord, ImportStatus, NewImport, Store, StoreError, count_from_db, count_to_db, on_pool};

/// The process running an import, as recorded: `HOST pid PID started TICKS` (the start time in
/// clock ticks since boot, from `/proc`, so that a reused pid is not taken for the same process).
pub fn this_process() -> String {
    let pid = std::process::id();
    format!("{} pid {pid} started {}", host_name(), start_ticks(pid).map_or_else(|| "?".into(), |t| t.to_string()))
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// Field 22 of `/proc/PID/stat` (after the command name, which may hold spaces).
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process recorded for an import is gone: on this host, its pid no longer runs the
/// same process; elsewhere (or without `/proc`), its heartbeat is older than `stale_after`.
pub fn process_is_gone(process: Option<&str>, heartbeat: Option<DateTime<Utc>>, now: DateTime<Utc>, stale_after: chrono::Duration) -> bool {
    let stale = heartbeat.is_none_or(|h| now - h > stale_after);
    let Some(p) = process else { return stale };
    let mut words = p.split(' ');
    let (Some(host), Some("pid"), Some(pid), Some("started"), Some(ticks)) = (words.next(), words.next(), words.next(), words.next(), words.next())
    else {
        return stale;
    };
    if host != host_name() || !std::path::Path::new("/proc/self/stat").exists() {
        return stale;
    }
    let Ok(pid) = pid.parse::<u32>() else { return stale };
    match start_ticks(pid) {
        None => true,
        Some(now_ticks) => ticks.parse::<u64>().is_ok_and(|t| t != now_ticks),
    }
}

impl Store {
    /// Record the start of an import; returns its id (pass it to `write_batch` and `finish_import`).
    /// The row names this process, so that its death is found (see [`Store::dead_imports`]).
    pub async fn start_import(&self, meta: &NewImport) -> Result<i64, StoreError> {
        let now = crate::clock::real_now();
        let process = this_process();
        on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO imports (file_name, file_sha256, mapping_name, source_system, status, started_at, partner_id, process, heartbeat_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6) RETURNING id",
            )
            .bind(&meta.file_name)
            .bind(&meta.file_sha256)
            .bind(&meta.mapping_name)
            .bind(&meta.source_system)
            .bind(ImportStatus::Running.as_str())
            .bind(now)
            .bind(meta.partner)
            .bind(&process)
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(BACKEND, "record the start of an import"))
        })
    }

    /// The import is alive: called after every batch.
    pub async fn import_heartbeat(&self, import_id: i64) -> Result<(), StoreError> {
        let now = crate::clock::real_now();
        on_pool!(self, pool => {
            sqlx::query("UPDATE imports SET heartbeat_at = $2 WHERE id = $1")
                .bind(import_id)
                .bind(now)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "record an import's progress"))?;
        });
        Ok(())
    }

    /// The imports still `running` whose process is gone (see `process_is_gone`; a heartbeat
    /// older than `stale_after` for a process on another host), each with how many encounters
    /// it stored.
    pub async fn dead_imports(&self, stale_after: chrono::Duration) -> Result<Vec<(ImportRecord, u64)>, StoreError> {
        let op = "find interrupted imports";
        let rows: Vec<(i64, Option<String>, Option<DateTime<Utc>>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, process, heartbeat_at FROM imports WHERE status = 'running' ORDER BY id")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, op))?
        });
        let now = crate::clock::real_now();
        let mut out = Vec::new();
        for (id, process, heartbeat) in rows {
            if !process_is_gone(process.as_deref(), heartbeat, now, stale_after) {
                continue;
            }
            let stored: i64 = on_pool!(self, pool => {
                sqlx::query_scalar("SELECT COUNT(*) FROM encounters WHERE import_id = $1")
                    .bind(id)
                    .fetch_one(pool)
                    .await
                    .map_err(StoreError::db(BACKEND, op))?
            });
            if let Some(r) = self.get_import(id).await? {
                out.push((r, count_from_db(stored)));
            }
        }
        Ok(out)
    }

    /// Mark a running import `interrupted` with what it stored; false if it was not running any
    /// more (another command marked it, or it finished).
    pub async fn mark_import_interrupted(&self, import_id: i64, stored: u64) -> Result<bool, StoreError> {
        let now = crate::clock::real_now();
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE imports SET status = 'interrupted', finished_at = $2, inserted = $3 WHERE id = $1 AND status = 'running'")
                .bind(import_id)
                .bind(now)
                .bind(count_to_db(stored))
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "mark an import interrupted"))?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Record the end of an import: its totals, status and the finishing time.
    pub async fn finish_import(&self, import_id: i64, counts: &ImportCounts, status: ImportStatus) -> Result<(), StoreError> {
        let now = crate::clock::real_now();
        let result = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE imports SET received = $2, accepted = $3, rejected = $4, inserted = $5, updated = $6, \
                 unchanged = $7, stale = $8, status = $9, finished_at = $10 WHERE id = $1",
            )
            .bind(import_id)
            .bind(count_to_db(counts.received))
            .bind(count_to_db(counts.accepted))
            .bind(count_to_db(counts.rejected))
            .bind(count_to_db(counts.inserted))
            .bind(count_to_db(counts.updated))
            .bind(count_to_db(counts.unchanged))
            .bind(count_to_db(counts.stale))
            .bind(status.as_str())
            .bind(now)
            .execute(pool)
            .await
            .map_err(StoreError::db(BACKEND, "record the end of an import"))?
            .rows_affected()
        });
        if result == 0 {
            return Err(StoreError::ImportNotFound(import_id));
        }
        Ok(())
    }

    /// The most recent imports first (at most `limit`), of one partner or of all.
    pub async fn list_imports(&self, partner: Option<i64>, limit: u32) -> Result<Vec<ImportRecord>, StoreError> {
        match partner {
            Some(p) => self.select_imports("WHERE partner_id = $2 ORDER BY id DESC LIMIT $1", i64::from(limit), Some(p)).await,
            None => self.select_imports("ORDER BY id DESC LIMIT $1", i64::from(limit), None).await,
        }
    }

    /// Every (partner, source system, mapping) an import has brought records in through, each once.
    pub async fn import_sources(&self) -> Result<Vec<(i64, String, String)>, StoreError> {
        let op = "list import sources";
        on_pool!(self, pool => {
            let rows = sqlx::query("SELECT DISTINCT partner_id, source_system, mapping_name FROM imports ORDER BY source_system, mapping_name")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, op))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((
                    r.try_get(0).map_err(StoreError::db(BACKEND, op))?,
                    r.try_get(1).map_err(StoreError::db(BACKEND, op))?,
                    r.try_get(2).map_err(StoreError::db(BACKEND, op))?,
                ));
            }
            Ok(out)
        })
    }

    /// One import by id.
    pub async fn get_import(&self, id: i64) -> Result<Option<ImportRecord>, StoreError> {
        Ok(self.select_imports("WHERE id = $1", id, None).await?.pop())
    }

    async fn select_imports(&self, tail: &'static str, arg: i64, arg2: Option<i64>) -> Result<Vec<ImportRecord>, StoreError> {
        let sql = format!(
            "SELECT id, file_name, file_sha256, mapping_name, source_system, status, started_at, \
             finished_at, received, accepted, rejected, inserted, updated, unchanged, stale, partner_id FROM imports {tail}"
        );
        let op = "list imports";
        on_pool!(self, pool => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(arg);
            if let Some(a) = arg2 {
                q = q.bind(a);
            }
            let rows = q
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, op))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let status: String = r.try_get(5).map_err(StoreError::db(BACKEND, op))?;
                let count = |i: usize| -> Result<u64, StoreError> {
                    r.try_get::<i64, _>(i).map(count_from_db).map_err(StoreError::db(BACKEND, op))
                };
                out.push(ImportRecord {
                    id: r.try_get(0).map_err(StoreError::db(BACKEND, op))?,
                    file_name: r.try_get(1).map_err(StoreError::db(BACKEND, op))?,
                    file_sha256: r.try_get(2).map_err(StoreError::db(BACKEND, op))?,
                    mapping_name: r.try_get(3).map_err(StoreError::db(BACKEND, op))?,
                    source_system: r.try_get(4).map_err(StoreError::db(BACKEND, op))?,
                    status: status.parse().map_err(|e: crate::UnknownImportStatus| StoreError::Corrupt {
                        what: "imports.status".into(),
                        detail: e.to_string(),
                    })?,
                    started_at: r.try_get::<DateTime<Utc>, _>(6).map_err(StoreError::db(BACKEND, op))?,
                    finished_at: r.try_get::<Option<DateTime<Utc>>, _>(7).map_err(StoreError::db(BACKEND, op))?,
                    counts: ImportCounts {
                        received: count(8)?,
                        accepted: count(9)?,
                        rejected: count(10)?,
                        inserted: count(11)?,
                        updated: count(12)?,
                        unchanged: count(13)?,
                        stale: count(14)?,
                    },
                    partner: r.try_get(15).map_err(StoreError::db(BACKEND, op))?,
                });
            }
            Ok(out)
        })
    }
}
