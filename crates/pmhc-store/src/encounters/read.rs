//! Reading encounters: one by key, a filtered page (most recent first) and a filtered count.

use std::sync::OnceLock;

use chrono::NaiveDate;
use pmhc_core::{CodeList, Encounter};
use sqlx::AssertSqlSafe;

use crate::{EncounterFilter, Store, StoreError, count_from_db, on_pool};
use super::columns::{decode_row, select_list};

/// A filter's WHERE clause (`$n` placeholders from `$1`) and its values in order.
enum FilterValue<'a> {
    Text(&'a str),
    Date(NaiveDate),
}

fn filter_sql<'a>(f: &'a EncounterFilter) -> (String, Vec<FilterValue<'a>>) {
    let mut conds: Vec<String> = Vec::new();
    let mut vals: Vec<FilterValue<'a>> = Vec::new();
    // `cond` with `?` where the value goes.
    let mut push = |cond: &str, v: FilterValue<'a>| {
        vals.push(v);
        conds.push(cond.replace('?', &format!("${}", vals.len())));
    };
    if let Some(s) = &f.source_system {
        push("source_system = ?", FilterValue::Text(s));
    }
    if let Some(d) = f.from {
        push("occurred_on >= ?", FilterValue::Date(d));
    }
    if let Some(d) = f.to {
        push("occurred_on <= ?", FilterValue::Date(d));
    }
    if let Some(s) = &f.precinct {
        // Whatever the case typed: "north" finds North's encounters.
        push("lower(precinct) = lower(?)", FilterValue::Text(s));
    }
    if let Some(d) = f.disposition {
        push("disposition = ?", FilterValue::Text(d.as_str()));
    }
    if let Some(r) = f.response_model {
        push("response_model = ?", FilterValue::Text(r.as_str()));
    }
    if let Some(s) = &f.subject_key {
        push("subject_key = ?", FilterValue::Text(s));
    }
    if let Some(ps) = &f.partners {
        // Integers, written into the SQL (no quoting involved).
        let list: Vec<String> = ps.iter().map(i64::to_string).collect();
        conds.push(if list.is_empty() {
            "FALSE".to_string()
        } else {
            format!("source_system IN (SELECT name FROM source_systems WHERE partner_id IN ({}))", list.join(", "))
        });
    }
    let sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    (sql, vals)
}

impl Store {
    /// The stored encounter with this key, if any.
    pub async fn get_encounter(&self, source_system: &str, source_key: &str) -> Result<Option<Encounter>, StoreError> {
        static SQL: OnceLock<String> = OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!("SELECT {} FROM encounters WHERE source_system = $1 AND source_key = $2", select_list())
        });
        on_pool!(self, pool => {
            let row = sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(source_system)
                .bind(source_key)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read an encounter"))?;
            row.map(|r| decode_row(&r, BACKEND)).transpose()
        })
    }

    /// The encounters matching `filter`, most recent first (by `occurred_on`, then
    /// `occurred_time` with unknown times last, then key), `limit` of them after skipping `offset`.
    pub async fn list_encounters(
        &self,
        filter: &EncounterFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Encounter>, StoreError> {
        let (cond, vals) = filter_sql(filter);
        let n = vals.len();
        let sql = format!(
            "SELECT {} FROM encounters{cond} ORDER BY occurred_on DESC, occurred_time DESC NULLS LAST, \
             source_system, source_key LIMIT ${} OFFSET ${}",
            select_list(),
            n + 1,
            n + 2
        );
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        on_pool!(self, pool => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for v in vals {
                q = match v {
                    FilterValue::Text(s) => q.bind(s),
                    FilterValue::Date(d) => q.bind(d),
                };
            }
            let rows = q
                .bind(i64::from(limit))
                .bind(offset)
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list encounters"))?;
            rows.iter().map(|r| decode_row(r, BACKEND)).collect()
        })
    }

    /// Whether the database holds any encounter at all (one index probe, not a count).
    pub async fn has_encounters(&self) -> Result<bool, StoreError> {
        let found: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT CAST(1 AS BIGINT) FROM encounters LIMIT 1")
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "look for encounters"))?
        });
        Ok(found.is_some())
    }

    /// How many encounters match `filter`.
    pub async fn count_encounters(&self, filter: &EncounterFilter) -> Result<u64, StoreError> {
        let (cond, vals) = filter_sql(filter);
        let sql = format!("SELECT COUNT(*) FROM encounters{cond}");
        let n: i64 = on_pool!(self, pool => {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql));
            for v in vals {
                q = match v {
                    FilterValue::Text(s) => q.bind(s),
                    FilterValue::Date(d) => q.bind(d),
                };
            }
            q.fetch_one(pool).await.map_err(StoreError::db(BACKEND, "count encounters"))?
        });
        Ok(count_from_db(n))
    }
}
