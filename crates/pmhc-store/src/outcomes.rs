//! What the outcome engine reads: the encounters as compact [`OutcomeData`], and the versioned
//! shared definitions.

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use pmhc_core::definition::{DefinitionVersion, SharedDefinition};
use pmhc_core::outcomes::{OutcomeData, OutcomeRecord, cit_presence, referral_bits};
use pmhc_core::sharing::PartnerId;
use pmhc_core::{CodeList, Referral};
use sqlx::Row;

use crate::encounters::blocking;
use crate::sqlite_raw::{Columns, Db, RawError};
use crate::{Store, StoreError, on_pool};

/// The columns the outcome engine reads, in this order.
const OUTCOME_COLUMNS: &str = "occurred_on, date_precision, agency, precinct, sector, beat, initial_call_type, \
    final_call_type, call_source, mh_recognised_at_dispatch, mental_health_flag, response_model, cit_requested, \
    cit_arrived, officers, time_on_scene_minutes, disposition, arrested, cited, involuntary_hold, referrals, \
    use_of_force, subject_key, age_band, gender, race_ethnicity, source_system, source_key";

/// One stored row, borrowed.
struct RawRow<'a> {
    occurred_on: NaiveDate,
    date_precision: &'a str,
    agency: Option<&'a str>,
    precinct: Option<&'a str>,
    sector: Option<&'a str>,
    beat: Option<&'a str>,
    initial_call_type: Option<&'a str>,
    final_call_type: Option<&'a str>,
    call_source: &'a str,
    mh_recognised_at_dispatch: Option<bool>,
    mental_health_flag: Option<bool>,
    response_model: &'a str,
    cit_requested: Option<bool>,
    cit_arrived: Option<bool>,
    officers: &'a str,
    time_on_scene_minutes: Option<i64>,
    disposition: &'a str,
    arrested: Option<bool>,
    cited: Option<bool>,
    involuntary_hold: Option<bool>,
    referrals: &'a str,
    use_of_force: &'a str,
    subject_key: Option<&'a str>,
    age_band: &'a str,
    gender: &'a str,
    race_ethnicity: &'a str,
    source_system: &'a str,
    source_key: &'a str,
}

/// The partner owning each source system (a handful: looked up by a scan).
type Owners = [(String, PartnerId)];

/// What the outcome read needs besides the encounters: each source system's partner, and the
/// closed-loop referrals by encounter (when one was made; the first confirmed connection).
struct Context {
    owners: Vec<(String, PartnerId)>,
    loops: std::collections::HashMap<(String, String), Option<chrono::DateTime<chrono::Utc>>>,
}

fn owner_of(owners: &Owners, system: &str) -> Result<PartnerId, StoreError> {
    owners
        .iter()
        .find(|(s, _)| s == system)
        .map(|(_, p)| *p)
        .ok_or_else(|| corrupt("source_system", format!("`{system}` belongs to no partner")))
}

fn corrupt(col: &str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what: format!("encounters.{col}"), detail: detail.into() }
}

fn code<C: CodeList>(col: &str, s: &str) -> Result<C, StoreError> {
    C::parse_code(s).map_err(|e| corrupt(col, e.to_string()))
}

/// `YYYY-MM-DD` without the general parser (this runs once per stored encounter).
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

fn push(data: &mut OutcomeData, r: RawRow<'_>, ctx: &Context) -> Result<(), StoreError> {
    let owners: &Owners = &ctx.owners;
    let certified = r.officers.contains("\"cit_certified\":true");
    let cert_known = certified || r.officers.contains("\"cit_certified\":false");
    let cit_present = cit_presence(r.cit_arrived, certified, cert_known);
    let (has_referral, referral_results, referral_services) = if r.referrals.len() <= 2 {
        referral_bits(&[])
    } else {
        let list: Vec<Referral> = serde_json::from_str(r.referrals).map_err(|e| corrupt("referrals", e.to_string()))?;
        referral_bits(&list)
    };
    let record = OutcomeRecord {
        partner: owner_of(owners, r.source_system)?,
        occurred_on: r.occurred_on,
        date_precision: code("date_precision", r.date_precision)?,
        agency: data.sym(r.agency),
        precinct: data.sym(r.precinct),
        sector: data.sym(r.sector),
        beat: data.sym(r.beat),
        initial_call_type: data.call_type_sym(r.initial_call_type),
        final_call_type: data.call_type_sym(r.final_call_type),
        call_source: code("call_source", r.call_source)?,
        mh_recognised_at_dispatch: r.mh_recognised_at_dispatch,
        mental_health_flag: r.mental_health_flag,
        response_model: code("response_model", r.response_model)?,
        cit_requested: r.cit_requested,
        cit_arrived: r.cit_arrived,
        cit_present,
        time_on_scene_minutes: r.time_on_scene_minutes.and_then(|m| u32::try_from(m).ok()),
        disposition: code("disposition", r.disposition)?,
        arrested: r.arrested,
        cited: r.cited,
        involuntary_hold: r.involuntary_hold,
        has_referral,
        referral_results,
        referral_services,
        loop_referral: false,
        loop_connected_days: None,
        use_of_force: code("use_of_force", r.use_of_force)?,
        subject: data.sym(r.subject_key),
        age_band: code("age_band", r.age_band)?,
        gender: code("gender", r.gender)?,
        race_ethnicity: code("race_ethnicity", r.race_ethnicity)?,
    };
    let mut record = record;
    if !ctx.loops.is_empty()
        && let Some(connected) = ctx.loops.get(&(r.source_system.to_string(), r.source_key.to_string()))
    {
        record.loop_referral = true;
        record.loop_connected_days = connected.map(|t| {
            let days = (t.date_naive() - r.occurred_on).num_days().max(0);
            u16::try_from(days).unwrap_or(u16::MAX)
        });
    }
    data.records.push(record);
    Ok(())
}

fn sqlite_row(data: &mut OutcomeData, c: &Columns<'_>, ctx: &Context) -> Result<Result<(), StoreError>, RawError> {
    let b = |i| c.int(i).map(|v| v != 0);
    let t = |i| c.text(i);
    let req = |i, col: &'static str| -> Result<Result<&str, StoreError>, RawError> {
        Ok(t(i)?.ok_or_else(|| corrupt(col, "NULL")))
    };
    macro_rules! req {
        ($i:expr, $col:literal) => {
            match req($i, $col)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            }
        };
    }
    let date = req!(0, "occurred_on");
    let Some(occurred_on) = iso_date(date) else {
        return Ok(Err(corrupt("occurred_on", format!("'{date}' is not a date"))));
    };
    let row = RawRow {
        occurred_on,
        date_precision: req!(1, "date_precision"),
        agency: t(2)?,
        precinct: t(3)?,
        sector: t(4)?,
        beat: t(5)?,
        initial_call_type: t(6)?,
        final_call_type: t(7)?,
        call_source: req!(8, "call_source"),
        mh_recognised_at_dispatch: b(9),
        mental_health_flag: b(10),
        response_model: req!(11, "response_model"),
        cit_requested: b(12),
        cit_arrived: b(13),
        officers: req!(14, "officers"),
        time_on_scene_minutes: c.int(15),
        disposition: req!(16, "disposition"),
        arrested: b(17),
        cited: b(18),
        involuntary_hold: b(19),
        referrals: req!(20, "referrals"),
        use_of_force: req!(21, "use_of_force"),
        subject_key: t(22)?,
        age_band: req!(23, "age_band"),
        gender: req!(24, "gender"),
        race_ethnicity: req!(25, "race_ethnicity"),
        source_system: req!(26, "source_system"),
        source_key: req!(27, "source_key"),
    };
    Ok(push(data, row, ctx))
}

impl Store {
    /// Each encounter with a closed-loop referral, and the first time a provider confirmed a
    /// connection for it (connected or completed), if one did.
    async fn referral_loops(
        &self,
    ) -> Result<std::collections::HashMap<(String, String), Option<chrono::DateTime<chrono::Utc>>>, StoreError> {
        let mut out: std::collections::HashMap<(String, String), Option<chrono::DateTime<chrono::Utc>>> =
            std::collections::HashMap::new();
        for (system, key, fact) in self.referral_facts().await? {
            let slot = out.entry((system, key)).or_insert(None);
            // The earliest confirmation of any of the encounter's referrals.
            if let Some(t) = fact.connected_at.map(|t| t.and_utc()) {
                *slot = Some(slot.map_or(t, |s| s.min(t)));
            }
        }
        Ok(out)
    }

    /// Every stored encounter (of one source system, if given), as the outcome engine reads them.
    ///
    /// On SQLite the needed columns are read in two row ranges on two threads, through a memory
    /// map; on PostgreSQL they are streamed.
    pub async fn load_outcome_data(&self, source_system: Option<&str>) -> Result<OutcomeData, StoreError> {
        let op = "read encounters for the outcome report";
        let mut data = OutcomeData::new();
        let ctx = Context { owners: self.source_system_owners().await?, loops: self.referral_loops().await? };
        let ctx = &ctx;
        match (self.sqlite_pool(), self.postgres_pool()) {
            (Some(pool), _) => {
                // The one value is quoted as an SQL string literal (quotes doubled).
                let quoted = match source_system {
                    Some(s) => format!(" AND source_system = '{}'", s.replace('\'', "''")),
                    None => String::new(),
                };
                let mut conns = Vec::new();
                let mut bounds = (0i64, 0i64);
                for i in 0..2 {
                    let mut conn = pool.acquire().await.map_err(StoreError::db("sqlite", op))?;
                    // Read pages through a memory map for the scan (no copy into SQLite's cache).
                    sqlx::query("PRAGMA mmap_size = 68719476736")
                        .execute(&mut *conn)
                        .await
                        .map_err(StoreError::db("sqlite", op))?;
                    if i == 0 {
                        let (lo, hi): (Option<i64>, Option<i64>) =
                            sqlx::query_as("SELECT MIN(rowid), MAX(rowid) FROM encounters")
                                .fetch_one(&mut *conn)
                                .await
                                .map_err(StoreError::db("sqlite", op))?;
                        bounds = (lo.unwrap_or(0), hi.unwrap_or(0));
                    }
                    conns.push(conn);
                }
                // Two halves of the table by rowid, read on two threads, each into its own data.
                let (lo, hi) = bounds;
                let mid = lo + (hi - lo) / 2;
                let ranges = [(lo, mid), (mid + 1, hi)];
                let mut locked = Vec::new();
                for c in &mut conns {
                    locked.push(c.lock_handle().await.map_err(StoreError::db("sqlite", op))?);
                }
                let mut dbs: Vec<Db<'_>> = locked.iter_mut().map(Db::new).collect();
                let (Some(db2), Some(db1)) = (dbs.pop(), dbs.pop()) else { unreachable!("two connections") };
                let all = usize::try_from(hi - lo + 1).unwrap_or(0);
                let scan = |db: Db<'_>, (a, b): (i64, i64), room: usize| -> Result<OutcomeData, StoreError> {
                    let sql = format!("SELECT {OUTCOME_COLUMNS} FROM encounters WHERE rowid BETWEEN {a} AND {b}{quoted}");
                    let raw = |e: RawError| StoreError::db("sqlite", op)(sqlx::Error::Database(Box::new(e)));
                    // The first half gets room for everything: the second is appended to it.
                    let mut data = OutcomeData::with_capacity(room);
                    let mut failure: Option<StoreError> = None;
                    let mut stmt = db.prepare(&sql).map_err(raw)?;
                    stmt.for_each_row(|c| {
                        if failure.is_some() {
                            return Ok(());
                        }
                        if let Err(e) = sqlite_row(&mut data, c, ctx)? {
                            failure = Some(e);
                        }
                        Ok(())
                    })
                    .map_err(raw)?;
                    drop(stmt);
                    match failure {
                        Some(e) => Err(e),
                        None => Ok(data),
                    }
                };
                let (first, second) = blocking(|| {
                    std::thread::scope(|s| {
                        let h = s.spawn(|| scan(db2, ranges[1], all / 2 + 1));
                        let first = scan(db1, ranges[0], all);
                        (first, h.join())
                    })
                });
                data = first?;
                match second {
                    Ok(second) => data.append(second?),
                    Err(_) => return Err(corrupt("encounters", "the reading thread panicked")),
                }
            }
            (None, Some(pool)) => {
                let sql = format!(
                    "SELECT {OUTCOME_COLUMNS} FROM encounters WHERE ($1::text IS NULL OR source_system = $1)"
                );
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(source_system).fetch(pool);
                while let Some(r) = rows.try_next().await.map_err(StoreError::db("postgres", op))? {
                    let g = |e| StoreError::db("postgres", op)(e);
                    let row = RawRow {
                        occurred_on: r.try_get(0).map_err(g)?,
                        date_precision: r.try_get(1).map_err(g)?,
                        agency: r.try_get(2).map_err(g)?,
                        precinct: r.try_get(3).map_err(g)?,
                        sector: r.try_get(4).map_err(g)?,
                        beat: r.try_get(5).map_err(g)?,
                        initial_call_type: r.try_get(6).map_err(g)?,
                        final_call_type: r.try_get(7).map_err(g)?,
                        call_source: r.try_get(8).map_err(g)?,
                        mh_recognised_at_dispatch: r.try_get(9).map_err(g)?,
                        mental_health_flag: r.try_get(10).map_err(g)?,
                        response_model: r.try_get(11).map_err(g)?,
                        cit_requested: r.try_get(12).map_err(g)?,
                        cit_arrived: r.try_get(13).map_err(g)?,
                        officers: r.try_get(14).map_err(g)?,
                        time_on_scene_minutes: r.try_get(15).map_err(g)?,
                        disposition: r.try_get(16).map_err(g)?,
                        arrested: r.try_get(17).map_err(g)?,
                        cited: r.try_get(18).map_err(g)?,
                        involuntary_hold: r.try_get(19).map_err(g)?,
                        referrals: r.try_get(20).map_err(g)?,
                        use_of_force: r.try_get(21).map_err(g)?,
                        subject_key: r.try_get(22).map_err(g)?,
                        age_band: r.try_get(23).map_err(g)?,
                        gender: r.try_get(24).map_err(g)?,
                        race_ethnicity: r.try_get(25).map_err(g)?,
                        source_system: r.try_get(26).map_err(g)?,
                        source_key: r.try_get(27).map_err(g)?,
                    };
                    push(&mut data, row, ctx)?;
                }
            }
            (None, None) => unreachable!("a store has one backend"),
        }
        Ok(data)
    }

    /// The definitions in force: the newest version. A database that has none gets the default
    /// definitions saved as version 1 first.
    pub async fn current_definition(&self) -> Result<DefinitionVersion, StoreError> {
        if let Some(d) = self.definition_version(None).await? {
            return Ok(d);
        }
        let default = SharedDefinition::default();
        match self.save_definition(&default, "pmhc", "default definitions").await {
            Ok(d) => Ok(d),
            // Another process saved version 1 at the same moment: read what it saved.
            Err(_) => self.definition_version(None).await?.ok_or_else(|| corrupt("definitions", "no version")),
        }
    }

    /// One stored version (the newest when `version` is None).
    pub async fn definition_version(&self, version: Option<u32>) -> Result<Option<DefinitionVersion>, StoreError> {
        let op = "read the shared definitions";
        let backend = self.backend_name();
        let row: Option<(i64, String, String, String, String)> = on_pool!(self, pool => {
            match version {
                Some(v) => sqlx::query_as("SELECT version, body, author, note, created_at FROM definitions WHERE version = $1")
                    .bind(i64::from(v))
                    .fetch_optional(pool)
                    .await,
                None => sqlx::query_as("SELECT version, body, author, note, created_at FROM definitions ORDER BY version DESC LIMIT 1")
                    .fetch_optional(pool)
                    .await,
            }
            .map_err(StoreError::db(backend, op))?
        });
        row.map(decode_definition).transpose()
    }

    /// Every stored version, newest first.
    pub async fn definition_history(&self) -> Result<Vec<DefinitionVersion>, StoreError> {
        let backend = self.backend_name();
        let rows: Vec<(i64, String, String, String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT version, body, author, note, created_at FROM definitions ORDER BY version DESC")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(backend, "read the definition history"))?
        });
        rows.into_iter().map(decode_definition).collect()
    }

    /// Save new definitions as the next version (they must be valid).
    pub async fn save_definition(
        &self,
        definition: &SharedDefinition,
        author: &str,
        note: &str,
    ) -> Result<DefinitionVersion, StoreError> {
        definition.validate().map_err(|e| StoreError::InvalidDefinition(e.to_string()))?;
        let backend = self.backend_name();
        let body = serde_json::to_string(definition).map_err(|e| StoreError::InvalidDefinition(e.to_string()))?;
        let now = crate::clock::real_now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let version: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO definitions (version, name, body, author, note, created_at) \
                 SELECT COALESCE(MAX(version), 0) + 1, $1, $2, $3, $4, $5 FROM definitions RETURNING version",
            )
            .bind(&definition.name)
            .bind(&body)
            .bind(author)
            .bind(note)
            .bind(&now)
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(backend, "save the shared definitions"))?
        });
        Ok(DefinitionVersion {
            version: u32::try_from(version).unwrap_or(u32::MAX),
            definition: definition.clone(),
            author: author.to_string(),
            note: note.to_string(),
            created_at: now,
        })
    }
}

fn decode_definition((version, body, author, note, created_at): (i64, String, String, String, String)) -> Result<DefinitionVersion, StoreError> {
    let definition: SharedDefinition =
        serde_json::from_str(&body).map_err(|e| corrupt("definitions.body", format!("version {version}: {e}")))?;
    Ok(DefinitionVersion { version: u32::try_from(version).unwrap_or(0), definition, author, note, created_at })
}

#[cfg(test)]
mod tests {
    use super::iso_date;

    #[test]
    fn dates() {
        assert_eq!(iso_date("2024-02-29"), chrono::NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(iso_date("2023-02-29"), None);
        assert_eq!(iso_date("20x4-01-01"), None);
        // Short forms go to the general parser.
        assert_eq!(iso_date("2024-1-1"), chrono::NaiveDate::from_ymd_opt(2024, 1, 1));
    }
}
