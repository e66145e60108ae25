//! The register of public releases (see `pmhc_service::releases`): stored as written, JSON kept as
//! text; the service decodes it.

use crate::error::StoreError;
use crate::{Store, on_pool};

/// A release as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRecord {
    pub id: i64,
    /// When it was made (UTC, RFC 3339, from the store's clock).
    pub created_at: String,
    /// Who or what made it (a user, the CLI's OS account, "the public page").
    pub made_by: String,
    /// The question it answers (canonical JSON).
    pub question: String,
    /// The data it was made from (see [`Store::data_stamp`]).
    pub data_stamp: String,
    pub definitions_version: u32,
    /// Its periods, `FROM..TO`.
    pub baseline: String,
    pub comparison: String,
    /// The public report, JSON, as published.
    pub report: String,
    /// Its disclosure problem, JSON (`pmhc_core::outcomes::ReleaseCells`).
    pub cells: String,
}

/// A new release for the register.
#[derive(Debug, Clone)]
pub struct NewRelease<'a> {
    pub made_by: &'a str,
    pub question: &'a str,
    pub data_stamp: &'a str,
    pub definitions_version: u32,
    pub baseline: &'a str,
    pub comparison: &'a str,
    pub report: &'a str,
    pub cells: &'a str,
}

type Row = (i64, String, String, String, String, i64, String, String, String, String);

fn record(r: Row) -> ReleaseRecord {
    let (id, created_at, made_by, question, data_stamp, v, baseline, comparison, report, cells) = r;
    ReleaseRecord {
        id,
        created_at,
        made_by,
        question,
        data_stamp,
        definitions_version: u32::try_from(v).unwrap_or(0),
        baseline,
        comparison,
        report,
        cells,
    }
}

macro_rules! columns {
    () => {
        "id, created_at, made_by, question, data_stamp, definitions_version, baseline, comparison, report, cells"
    };
}

impl Store {
    /// What the outcome data is made from: the newest encounter and the finished imports. Two
    /// releases of the same question with the same stamp publish the same numbers.
    pub async fn data_stamp(&self) -> Result<String, StoreError> {
        let (max_id, imports, finished, _) = self.change_stamp().await?;
        Ok(format!("e{max_id}.i{imports}.f{finished}"))
    }

    /// Registers a release; returns its id and when it was made.
    pub async fn insert_release(&self, r: &NewRelease<'_>) -> Result<(i64, String), StoreError> {
        let now = self.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let id = on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO releases (created_at, made_by, question, data_stamp, definitions_version, baseline, comparison, report, cells) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&now)
            .bind(r.made_by)
            .bind(r.question)
            .bind(r.data_stamp)
            .bind(i64::from(r.definitions_version))
            .bind(r.baseline)
            .bind(r.comparison)
            .bind(r.report)
            .bind(r.cells)
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(BACKEND, "register a release"))?
        });
        Ok((id, now))
    }

    /// The latest release of a question, from the given data (any data when `None`).
    pub async fn latest_release(&self, question: &str, data_stamp: Option<&str>) -> Result<Option<ReleaseRecord>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM releases WHERE question = $1 AND ($2 IS NULL OR data_stamp = $2) ORDER BY id DESC LIMIT 1");
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(question)
                .bind(data_stamp)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read a release"))?
        });
        Ok(row.map(record))
    }

    /// Every release, oldest first (with their reports and cells: a register is small).
    pub async fn releases(&self) -> Result<Vec<ReleaseRecord>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM releases ORDER BY id");
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(sql).fetch_all(pool).await.map_err(StoreError::db(BACKEND, "read the releases"))?
        });
        Ok(rows.into_iter().map(record).collect())
    }
}
