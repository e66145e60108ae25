//! The `audit_log` table: appending under a lock (one writer at a time, so the chain never
//! forks), reading in order for verification, and filtered listing for the audit page.

use pmhc_core::audit::{AuditAction, AuditEntry, AuditEvent, AuditOutcome, PURGE_OBJECT, next_keyed_entry, purge_detail};
use sqlx::Row;

use crate::{Store, StoreError, on_pool};

pub(crate) const HEAD: &str = "audit_head";
/// The id and hash of the last entry removed by a purge ("id:hash").
const ANCHOR: &str = "audit_anchor";

/// Which entries to list. Every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    pub outcome: Option<AuditOutcome>,
    /// Entries whose object starts with this (e.g. `encounter:`).
    pub object_prefix: Option<String>,
    /// First day (YYYY-MM-DD) included.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD) included.
    pub to: Option<String>,
    /// Only the entries about one partner (its users' actions, its records, its accounts).
    pub scope: Option<AuditScope>,
}

/// The entries one partner's administrators and coordinators read: those whose actor works for
/// the partner, and those about its objects — its records (`encounter:SYSTEM/…` of the source
/// systems it owns), its accounts (`user:NAME`), the agreements and consents it is a party to
/// (`agreement:ID` or `agreement:TITLE`, `consent:ID` or `consent:SUBJECT`). Matched in the
/// database (subqueries), so a partner with many records, accounts or consents costs no more
/// parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditScope {
    pub partner: i64,
}

const COLUMNS: &str = "id, at, actor, partner, action, object, field_groups, source, outcome, detail, prev_hash, hash";

fn decode<R: Row>(r: &R, backend: &'static str) -> Result<AuditEntry, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let op = "read the audit log";
    let text = |i: usize| -> Result<String, StoreError> { r.try_get::<String, _>(i).map_err(StoreError::db(backend, op)) };
    let corrupt = |what: &str, v: &str| StoreError::Corrupt { what: format!("audit_log.{what}"), detail: format!("`{v}`") };
    let action = text(4)?;
    let outcome = text(8)?;
    let groups = text(6)?;
    Ok(AuditEntry {
        id: u64::try_from(r.try_get::<i64, _>(0).map_err(StoreError::db(backend, op))?).unwrap_or(0),
        event: AuditEvent {
            at: text(1)?,
            actor: text(2)?,
            partner: r.try_get(3).map_err(StoreError::db(backend, op))?,
            action: AuditAction::parse(&action).ok_or_else(|| corrupt("action", &action))?,
            object: text(5)?,
            field_groups: if groups.is_empty() { Vec::new() } else { groups.split(',').map(String::from).collect() },
            source: text(7)?,
            outcome: AuditOutcome::parse(&outcome).ok_or_else(|| corrupt("outcome", &outcome))?,
            detail: text(9)?,
        },
        prev_hash: text(10)?,
        hash: text(11)?,
    })
}

/// Write a chain setting ("id:hash") in `settings`.
pub(crate) const SET_CHAIN_SETTING: &str =
    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// Run `$body` in a transaction that holds the audit log's write lock (SQLite: an immediate
/// transaction; PostgreSQL: a table lock), so writers of the chain take turns; commit it and give
/// the body's value. `$backend` names the backend inside the body; `?` in the body returns early
/// (the transaction is then rolled back).
macro_rules! with_audit_lock {
    ($store:expr, $op:expr, |$tx:ident, $backend:ident| $body:block) => {
        match ($store.sqlite_pool(), $store.postgres_pool()) {
            (Some(pool), _) => {
                let $backend: &'static str = "sqlite";
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(StoreError::db($backend, $op))?;
                let out = $body;
                $tx.commit().await.map_err(StoreError::db($backend, $op))?;
                Ok(out)
            }
            (None, Some(pool)) => {
                let $backend: &'static str = "postgres";
                let mut $tx = pool.begin().await.map_err(StoreError::db($backend, $op))?;
                sqlx::query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *$tx)
                    .await
                    .map_err(StoreError::db($backend, $op))?;
                let out = $body;
                $tx.commit().await.map_err(StoreError::db($backend, $op))?;
                Ok(out)
            }
            (None, None) => unreachable!("a store has one backend"),
        }
    };
}
pub(crate) use with_audit_lock;

/// The newest entry's id and hash, inside the lock (`$tx` a transaction of either backend).
macro_rules! last_entry {
    ($tx:ident, $backend:expr, $op:expr) => {{
        let last: Option<(i64, String)> = sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *$tx)
            .await
            .map_err(StoreError::db($backend, $op))?;
        last.map(|(id, h)| (u64::try_from(id).unwrap_or(0), h))
    }};
}

/// Write an entry and move the head to it, inside the lock.
macro_rules! insert_entry {
    ($tx:ident, $backend:expr, $entry:expr) => {{
        let op = "write the audit log";
        let entry: &pmhc_core::audit::AuditEntry = $entry;
        let e = &entry.event;
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, partner, action, object, field_groups, source, outcome, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(i64::try_from(entry.id).unwrap_or(i64::MAX))
        .bind(&e.at)
        .bind(&e.actor)
        .bind(&e.partner)
        .bind(e.action.as_str())
        .bind(&e.object)
        .bind(e.field_groups.join(","))
        .bind(&e.source)
        .bind(e.outcome.as_str())
        .bind(&e.detail)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *$tx)
        .await
        .map_err(StoreError::db($backend, op))?;
        sqlx::query(SET_CHAIN_SETTING)
            .bind(HEAD)
            .bind(format!("{}:{}", entry.id, entry.hash))
            .execute(&mut *$tx)
            .await
            .map_err(StoreError::db($backend, op))?;
    }};
}
pub(crate) use insert_entry;

impl Store {
    /// Append an event to the audit trail; returns the entry as written. Appends are serialized
    /// (see `with_audit_lock`), so every entry links to the one before it. An error means nothing
    /// was written: the caller must refuse the access it was recording (fail closed).
    pub async fn append_audit(&self, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        let op = "write the audit log";
        // The key comes first: without it nothing is written (the caller refuses the access).
        let keys = self.keys().await?;
        with_audit_lock!(self, op, |tx, backend| {
            let last = last_entry!(tx, backend, op);
            let entry = next_keyed_entry(&keys.audit, last.as_ref().map(|(id, h)| (*id, h.as_str())), event);
            insert_entry!(tx, backend, &entry);
            entry
        })
    }

    /// The newest entry in the log itself: its id and hash.
    pub async fn audit_newest(&self) -> Result<Option<(u64, String)>, StoreError> {
        let last: Option<(i64, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the audit log"))?
        });
        Ok(last.map(|(id, h)| (u64::try_from(id).unwrap_or(0), h)))
    }

    /// The chain's head as kept in `settings`: the newest entry's id and hash.
    pub async fn audit_head(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.chain_setting(HEAD).await
    }

    /// Where the kept chain starts after a purge: the last removed entry's id and hash.
    pub async fn audit_anchor(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.chain_setting(ANCHOR).await
    }

    async fn chain_setting(&self, key: &'static str) -> Result<Option<(u64, String)>, StoreError> {
        let v: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the audit chain's settings"))?
        });
        let Some(v) = v else { return Ok(None) };
        let bad = || StoreError::Corrupt { what: format!("settings.{key}"), detail: v.clone() };
        let (id, hash) = v.split_once(':').ok_or_else(bad)?;
        Ok(Some((id.parse().map_err(|_| bad())?, hash.to_string())))
    }

    /// Remove the entries older than `before` (an ISO date; the caller enforces the retention
    /// period), keeping the chain verifiable: the last removed entry becomes the anchor, and an
    /// entry (`by`, with the object `audit:purge`) records the anchor under the key, in the same
    /// transaction — so an anchor nobody recorded is found. The append-only trigger is lifted for
    /// this one transaction only. Returns how many entries went.
    pub async fn purge_audit_before(&self, before: &str, by: AuditEvent) -> Result<u64, StoreError> {
        let op = "purge the audit log";
        let keys = self.keys().await?;
        with_audit_lock!(self, op, |tx, backend| {
            let last: Option<(i64, String)> = sqlx::query_as("SELECT id, hash FROM audit_log WHERE at < $1 ORDER BY id DESC LIMIT 1")
                .bind(before)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::db(backend, op))?;
            let Some((last_id, last_hash)) = last else { return Ok(0) };
            let (lift, restore) = if backend == "sqlite" {
                (
                    "DROP TRIGGER IF EXISTS audit_log_no_delete",
                    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
                )
            } else {
                ("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update", "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
            };
            sqlx::query(lift).execute(&mut *tx).await.map_err(StoreError::db(backend, op))?;
            let n = sqlx::query("DELETE FROM audit_log WHERE id <= $1")
                .bind(last_id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(backend, op))?
                .rows_affected();
            sqlx::query(restore).execute(&mut *tx).await.map_err(StoreError::db(backend, op))?;
            sqlx::query(SET_CHAIN_SETTING)
                .bind(ANCHOR)
                .bind(format!("{last_id}:{last_hash}"))
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(backend, op))?;
            let newest = last_entry!(tx, backend, op);
            let anchor_id = u64::try_from(last_id).unwrap_or(0);
            let prev = newest.as_ref().map(|(id, h)| (*id, h.as_str())).unwrap_or((anchor_id, last_hash.as_str()));
            let event = AuditEvent { object: PURGE_OBJECT.into(), detail: purge_detail(anchor_id, &last_hash, n), ..by };
            let entry = next_keyed_entry(&keys.audit, Some(prev), event);
            insert_entry!(tx, backend, &entry);
            n
        })
    }

    /// Entries with an id above `after`, in order, at most `limit` (for verification in pages).
    pub async fn audit_entries_after(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2");
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(i64::try_from(after).unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the audit log"))?;
            rows.iter().map(|r| decode(r, BACKEND)).collect()
        })
    }

    /// Entries matching a filter, newest first, `limit` of them after skipping `offset`.
    pub async fn list_audit(&self, f: &AuditFilter, limit: u32, offset: u64) -> Result<Vec<AuditEntry>, StoreError> {
        let mut cond = Vec::new();
        let mut vals: Vec<String> = Vec::new();
        let mut add = |sql: &str, v: String| {
            vals.push(v);
            cond.push(sql.replace('?', &format!("${}", vals.len())));
        };
        if let Some(a) = &f.actor {
            add("actor = ?", a.clone());
        }
        if let Some(a) = f.action {
            add("action = ?", a.as_str().into());
        }
        if let Some(o) = f.outcome {
            add("outcome = ?", o.as_str().into());
        }
        if let Some(p) = &f.object_prefix {
            // One parameter used twice (both `?` become the same `$n`).
            add("substr(object, 1, length(?)) = ?", p.clone());
        }
        if let Some(d) = &f.from {
            add("at >= ?", d.clone());
        }
        if let Some(d) = &f.to {
            add("at < ?", format!("{d}~"));
        }
        if let Some(sc) = &f.scope {
            vals.push(sc.partner.to_string());
            let n = vals.len();
            let p = format!("CAST(${n} AS BIGINT)");
            cond.push(format!(
                "(partner = ${n} \
                 OR EXISTS (SELECT 1 FROM source_systems s WHERE s.partner_id = {p} \
                    AND substr(object, 1, length('encounter:' || s.name || '/')) = 'encounter:' || s.name || '/') \
                 OR object IN (SELECT 'user:' || u.username FROM users u WHERE u.partner_id = {p}) \
                 OR object IN (SELECT 'agreement:' || a.id FROM sharing_agreements a WHERE a.discloser_id = {p} OR a.recipient_id = {p}) \
                 OR object IN (SELECT 'agreement:' || a.title FROM sharing_agreements a WHERE a.discloser_id = {p} OR a.recipient_id = {p}) \
                 OR object IN (SELECT 'consent:' || c.id FROM consents c WHERE c.discloser_id = {p} OR c.recipient_id = {p}) \
                 OR object IN (SELECT 'consent:' || c.subject_key FROM consents c WHERE c.discloser_id = {p} OR c.recipient_id = {p}))"
            ));
        }
        let wh = if cond.is_empty() { String::new() } else { format!(" WHERE {}", cond.join(" AND ")) };
        let n = vals.len();
        let sql = format!("SELECT {COLUMNS} FROM audit_log{wh} ORDER BY id DESC LIMIT ${} OFFSET ${}", n + 1, n + 2);
        on_pool!(self, pool => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in &vals {
                q = q.bind(v);
            }
            let rows = q
                .bind(i64::from(limit))
                .bind(i64::try_from(offset).unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list the audit log"))?;
            rows.iter().map(|r| decode(r, BACKEND)).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use pmhc_core::audit::{AuditAction, AuditEvent, AuditOutcome, ChainVerifier};

    use crate::Store;

    fn event(at: &str) -> AuditEvent {
        AuditEvent {
            at: at.into(),
            actor: "a".into(),
            partner: None,
            action: AuditAction::View,
            object: "encounter:x/1".into(),
            field_groups: vec!["incident".into()],
            source: "cli".into(),
            outcome: AuditOutcome::Success,
            detail: String::new(),
        }
    }

    #[tokio::test]
    async fn a_purge_keeps_the_chain_verifiable_and_the_log_append_only() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        purge_on(store).await;
        // The same on PostgreSQL, in a database of its own, when one is given.
        if let Ok(admin) = std::env::var("PMHC_TEST_POSTGRES") {
            use sqlx::Connection;
            let name = format!("pmhc_audit_purge_{}", std::process::id());
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).execute(&mut c).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut c).await.unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
            let store = Store::open(&format!("{base}/{name}")).await.unwrap();
            purge_on(store.clone()).await;
            store.close().await;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut c).await.unwrap();
        }
    }

    async fn purge_on(store: Store) {
        store.migrate().await.unwrap();
        for i in 0..5 {
            store.append_audit(event(&format!("2020-01-0{}T00:00:00.00Z", i + 1))).await.unwrap();
        }
        for i in 0..3 {
            store.append_audit(event(&format!("2026-01-0{}T00:00:00.00Z", i + 1))).await.unwrap();
        }
        assert_eq!(store.purge_audit_before("2021-01-01", event("2026-01-09T00:00:00.00Z")).await.unwrap(), 5);
        let anchor = store.audit_anchor().await.unwrap().unwrap();
        assert_eq!(anchor.0, 5);
        let kept = store.audit_entries_after(anchor.0, 100).await.unwrap();
        // The kept entries and the purge's own entry, which names the anchor.
        assert_eq!(kept.iter().map(|e| e.id).collect::<Vec<_>>(), vec![6, 7, 8, 9]);
        assert_eq!(kept[3].event.object, pmhc_core::audit::PURGE_OBJECT);
        let keys = store.keys().await.unwrap();
        let keying = pmhc_core::audit::ChainKeying { key: Some(keys.audit.clone()), keyed_from: keys.keyed_from };
        let mut v = ChainVerifier::from_anchor(Some((anchor.0, &anchor.1))).keyed(keying);
        for e in &kept {
            v.push(e).unwrap();
        }
        let head = store.audit_head().await.unwrap().unwrap();
        assert_eq!(v.finish(Some((head.0, &head.1))), Ok(4));
        // Nothing older is left to purge; the trigger is back.
        assert_eq!(store.purge_audit_before("2021-01-01", event("2026-01-09T00:00:00.00Z")).await.unwrap(), 0);
        let refused = match (store.sqlite_pool(), store.postgres_pool()) {
            (Some(p), _) => sqlx::query("DELETE FROM audit_log WHERE id = 6").execute(p).await.is_err(),
            (_, Some(p)) => {
                let truncate = sqlx::query("TRUNCATE audit_log").execute(p).await;
                assert!(truncate.is_err(), "TRUNCATE is refused");
                sqlx::query("DELETE FROM audit_log WHERE id = 6").execute(p).await.is_err()
            }
            _ => unreachable!(),
        };
        assert!(refused, "append-only again");
        // Appending continues the chain.
        let e = store.append_audit(event("2026-02-01T00:00:00.00Z")).await.unwrap();
        assert_eq!(e.id, 10);
        assert_eq!(e.prev_hash, head.1);
    }
}
