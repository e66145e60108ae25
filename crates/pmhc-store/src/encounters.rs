//! The `encounters` table: batch writes (insert / unchanged / update / stale) and reads.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use pmhc_core::sharing::PartnerId;
use pmhc_core::{CodeList, Encounter};
use sqlx::postgres::PgConnection;
use sqlx::{Arguments, AssertSqlSafe, ColumnIndex, Decode, Row, Type, postgres::PgArguments};

use crate::sqlite_raw::{self, Db, RawError};
use crate::sqlite_text;
use crate::{Backend, BatchCounts, EncounterFilter, Store, StoreError, count_from_db, on_pool};

/// The stored columns of an encounter, in the order rows are bound and decoded. `content_hash`
/// comes last and is written but not read back into the record.
const COLUMNS: [&str; 49] = [
    "source_system",
    "source_key",
    "source_updated_at",
    "agency",
    "call_number",
    "occurred_on",
    "occurred_time",
    "date_precision",
    "reported_at",
    "dispatched_at",
    "arrived_at",
    "cleared_at",
    "precinct",
    "sector",
    "beat",
    "latitude",
    "longitude",
    "call_source",
    "priority",
    "initial_call_type",
    "final_call_type",
    "mh_recognised_at_dispatch",
    "mental_health_flag",
    "response_model",
    "cit_requested",
    "cit_dispatched",
    "cit_arrived",
    "clinician_on_scene",
    "officers",
    "time_on_scene_minutes",
    "disposition",
    "arrested",
    "cited",
    "involuntary_hold",
    "referrals",
    "use_of_force",
    "force_types",
    "subject_injured",
    "officer_injured",
    "weapon_involved",
    "behaviours",
    "veteran",
    "housing_status",
    "substance_use",
    "subject_key",
    "age_band",
    "gender",
    "race_ethnicity",
    "content_hash",
];
/// Bound parameters per row.
const PER_ROW: usize = COLUMNS.len();
/// Columns read back into an `Encounter` (all but `content_hash`).
const READ_COLUMNS: usize = COLUMNS.len() - 1;
/// SQLite parameters per row: the columns, then `import_id`, `created_at`, `updated_at`.
const SQLITE_PER_ROW: usize = PER_ROW + 3;
/// Largest number of rows per multi-row INSERT (PostgreSQL). Smaller chunks are powers of two, so
/// at most `log2(MAX_CHUNK) + 1` distinct statements exist per kind and all stay in the statement
/// cache. 512 rows × 49 parameters + 2 = 25 090 parameters, under PostgreSQL's 65 535.
const MAX_CHUNK: usize = 512;
const CHUNK_SIZES: usize = MAX_CHUNK.trailing_zeros() as usize + 1;
/// Keys per existence lookup query.
const LOOKUP_CHUNK: usize = 8192;

fn select_list() -> &'static str {
    static S: OnceLock<String> = OnceLock::new();
    S.get_or_init(|| COLUMNS[..READ_COLUMNS].join(", "))
}

const _: () = assert!(2 + MAX_CHUNK * PER_ROW <= 65_535, "PostgreSQL's bound-parameter limit");

/// `ON CONFLICT` clause overwriting an existing key in place (every column but `created_at`).
fn upsert_clause() -> String {
    use std::fmt::Write;
    let mut s = String::from(" ON CONFLICT (source_system, source_key) DO UPDATE SET ");
    for c in &COLUMNS[2..] {
        let _ = write!(s, "{c} = excluded.{c}, ");
    }
    s.push_str("import_id = excluded.import_id, updated_at = excluded.updated_at");
    s
}

/// The PostgreSQL multi-row statement writing `rows` encounters (a power of two up to
/// `MAX_CHUNK`). With `upsert`, an existing key is overwritten in place. `$1` is the import id and
/// `$2` the write time, shared by every row; row `r` uses `$(3 + r * PER_ROW) ..`.
fn write_sql(rows: usize, upsert: bool) -> Arc<str> {
    static CACHE: [[OnceLock<Arc<str>>; CHUNK_SIZES]; 2] = [const { [const { OnceLock::new() }; CHUNK_SIZES] }; 2];
    debug_assert!(rows.is_power_of_two() && rows <= MAX_CHUNK);
    let slot = rows.trailing_zeros() as usize;
    CACHE[usize::from(upsert)][slot]
        .get_or_init(|| {
            use std::fmt::Write;
            let mut s = String::with_capacity(200 + rows * PER_ROW * 7);
            s.push_str("INSERT INTO encounters (");
            s.push_str(&COLUMNS.join(", "));
            s.push_str(", import_id, created_at, updated_at) VALUES ");
            let mut p = 3;
            for r in 0..rows {
                if r > 0 {
                    s.push(',');
                }
                s.push('(');
                for _ in 0..PER_ROW {
                    let _ = write!(s, "${p},");
                    p += 1;
                }
                s.push_str("$1,$2,$2)");
            }
            if upsert {
                s.push_str(&upsert_clause());
            }
            Arc::from(s)
        })
        .clone()
}

/// The SQLite single-row statement writing one encounter: `COLUMNS`, then `import_id`,
/// `created_at`, `updated_at`, as anonymous `?` parameters. With `upsert`, an existing key is
/// overwritten in place.
fn sqlite_write_sql(upsert: bool) -> &'static str {
    static CACHE: [OnceLock<String>; 2] = [const { OnceLock::new() }; 2];
    CACHE[usize::from(upsert)].get_or_init(|| {
        let mut s = format!(
            "INSERT INTO encounters ({}, import_id, created_at, updated_at) VALUES ({}?)",
            COLUMNS.join(", "),
            "?, ".repeat(SQLITE_PER_ROW - 1)
        );
        if upsert {
            s.push_str(&upsert_clause());
        }
        s
    })
}

/// One stored value of an encounter (see [`cells`]).
#[derive(Clone, Copy)]
enum Cell<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Date(NaiveDate),
    OptTime(Option<NaiveTime>),
    OptDateTime(Option<NaiveDateTime>),
    OptDouble(Option<f64>),
    OptBool(Option<bool>),
    OptInt(Option<i64>),
}

/// An encounter's stored values in [`COLUMNS`] order: the one place that says which field is
/// stored in which column, for both databases. Exhaustive: a field added to `Encounter` stops the
/// build here, and the compiler checks the array against `COLUMNS`' length. (Reading back is
/// [`decode_row`], a struct literal in the same order.)
fn cells<'a>(e: &'a Encounter, lists: &'a ListBuffers, hash: &'a str) -> [Cell<'a>; PER_ROW] {
    use Cell::*;
    let Encounter {
        source_system,
        source_key,
        source_updated_at,
        agency,
        call_number,
        occurred_on,
        occurred_time,
        date_precision,
        reported_at,
        dispatched_at,
        arrived_at,
        cleared_at,
        area,
        call_source,
        priority,
        initial_call_type,
        final_call_type,
        mh_recognised_at_dispatch,
        mental_health_flag,
        response_model,
        cit_requested,
        cit_dispatched,
        cit_arrived,
        clinician_on_scene,
        officers: _,
        time_on_scene_minutes,
        disposition,
        arrested,
        cited,
        involuntary_hold,
        referrals: _,
        use_of_force,
        force_types: _,
        subject_injured,
        officer_injured,
        weapon_involved,
        behaviours: _,
        veteran,
        housing_status,
        substance_use,
        subject_key,
        age_band,
        gender,
        race_ethnicity,
    } = e;
    let pmhc_core::Area { precinct, sector, beat, latitude, longitude } = area;
    [
        Text(source_system),
        Text(source_key),
        OptDateTime(*source_updated_at),
        OptText(agency.as_deref()),
        OptText(call_number.as_deref()),
        Date(*occurred_on),
        OptTime(*occurred_time),
        Text(date_precision.as_str()),
        OptDateTime(*reported_at),
        OptDateTime(*dispatched_at),
        OptDateTime(*arrived_at),
        OptDateTime(*cleared_at),
        OptText(precinct.as_deref()),
        OptText(sector.as_deref()),
        OptText(beat.as_deref()),
        OptDouble(*latitude),
        OptDouble(*longitude),
        Text(call_source.as_str()),
        OptText(priority.as_deref()),
        OptText(initial_call_type.as_deref()),
        OptText(final_call_type.as_deref()),
        OptBool(*mh_recognised_at_dispatch),
        OptBool(*mental_health_flag),
        Text(response_model.as_str()),
        OptBool(*cit_requested),
        OptBool(*cit_dispatched),
        OptBool(*cit_arrived),
        OptBool(*clinician_on_scene),
        Text(json_text(&lists.officers)),
        OptInt(time_on_scene_minutes.map(i64::from)),
        Text(disposition.as_str()),
        OptBool(*arrested),
        OptBool(*cited),
        OptBool(*involuntary_hold),
        Text(json_text(&lists.referrals)),
        Text(use_of_force.as_str()),
        Text(json_text(&lists.force_types)),
        OptBool(*subject_injured),
        OptBool(*officer_injured),
        OptBool(*weapon_involved),
        Text(json_text(&lists.behaviours)),
        OptBool(*veteran),
        Text(housing_status.as_str()),
        OptBool(*substance_use),
        OptText(subject_key.as_deref()),
        Text(age_band.as_str()),
        Text(gender.as_str()),
        Text(race_ethnicity.as_str()),
        Text(hash),
    ]
}

/// Bind one encounter's `PER_ROW` values to a PostgreSQL statement, in `COLUMNS` order.
fn push_row_postgres(args: &mut PgArguments, e: &Encounter, lists: &ListBuffers, hash: &str) -> Result<(), StoreError> {
    for (cell, column) in cells(e, lists, hash).into_iter().zip(COLUMNS) {
        let added = match cell {
            Cell::Text(v) => args.add(v),
            Cell::OptText(v) => args.add(v),
            Cell::Date(v) => args.add(v),
            Cell::OptTime(v) => args.add(v),
            Cell::OptDateTime(v) => args.add(v),
            Cell::OptDouble(v) => args.add(v),
            Cell::OptBool(v) => args.add(v),
            Cell::OptInt(v) => args.add(v),
        };
        added.map_err(|err| StoreError::Encode {
            source_system: e.source_system.clone(),
            source_key: e.source_key.clone(),
            field: column,
            detail: err.to_string(),
        })?;
    }
    Ok(())
}

/// Read an encounter from a row whose first `READ_COLUMNS` columns are `COLUMNS` in order.
fn decode_row<R>(row: &R, backend: &'static str) -> Result<Encounter, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> NaiveDate: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> NaiveTime: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> NaiveDateTime: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let op = "read an encounter";
    let mut i = 0usize;
    macro_rules! get {
        ($t:ty) => {{
            let v: $t = row.try_get(i).map_err(StoreError::db(backend, op))?;
            i += 1;
            v
        }};
    }
    let source_system: String = get!(String);
    let source_key: String = get!(String);
    let corrupt = |col: &str, detail: String| StoreError::Corrupt {
        what: format!("encounters.{col} of {source_system}/{source_key}"),
        detail,
    };
    macro_rules! code {
        ($col:literal) => {{
            let s: String = get!(String);
            s.parse().map_err(|e: pmhc_core::UnknownCode| corrupt($col, e.to_string()))?
        }};
    }
    macro_rules! list {
        ($col:literal) => {{
            let s: String = get!(String);
            serde_json::from_str(&s).map_err(|e| corrupt($col, e.to_string()))?
        }};
    }
    let source_updated_at = get!(Option<NaiveDateTime>);
    let agency = get!(Option<String>);
    let call_number = get!(Option<String>);
    let occurred_on = get!(NaiveDate);
    let occurred_time = get!(Option<NaiveTime>);
    let date_precision = code!("date_precision");
    let reported_at = get!(Option<NaiveDateTime>);
    let dispatched_at = get!(Option<NaiveDateTime>);
    let arrived_at = get!(Option<NaiveDateTime>);
    let cleared_at = get!(Option<NaiveDateTime>);
    let area = pmhc_core::Area {
        precinct: get!(Option<String>),
        sector: get!(Option<String>),
        beat: get!(Option<String>),
        latitude: get!(Option<f64>),
        longitude: get!(Option<f64>),
    };
    let call_source = code!("call_source");
    let priority = get!(Option<String>);
    let initial_call_type = get!(Option<String>);
    let final_call_type = get!(Option<String>);
    let mh_recognised_at_dispatch = get!(Option<bool>);
    let mental_health_flag = get!(Option<bool>);
    let response_model = code!("response_model");
    let cit_requested = get!(Option<bool>);
    let cit_dispatched = get!(Option<bool>);
    let cit_arrived = get!(Option<bool>);
    let clinician_on_scene = get!(Option<bool>);
    let officers = list!("officers");
    let time_on_scene_minutes = match get!(Option<i64>) {
        None => None,
        Some(m) => Some(u32::try_from(m).map_err(|_| corrupt("time_on_scene_minutes", format!("{m} is out of range")))?),
    };
    let disposition = code!("disposition");
    let arrested = get!(Option<bool>);
    let cited = get!(Option<bool>);
    let involuntary_hold = get!(Option<bool>);
    let referrals = list!("referrals");
    let use_of_force = code!("use_of_force");
    let force_types = list!("force_types");
    let subject_injured = get!(Option<bool>);
    let officer_injured = get!(Option<bool>);
    let weapon_involved = get!(Option<bool>);
    let behaviours = list!("behaviours");
    let veteran = get!(Option<bool>);
    let housing_status = code!("housing_status");
    let substance_use = get!(Option<bool>);
    let subject_key = get!(Option<String>);
    let age_band = code!("age_band");
    let gender = code!("gender");
    let race_ethnicity = code!("race_ethnicity");
    debug_assert_eq!(i, READ_COLUMNS);
    Ok(Encounter {
        source_system,
        source_key,
        source_updated_at,
        agency,
        call_number,
        occurred_on,
        occurred_time,
        date_precision,
        reported_at,
        dispatched_at,
        arrived_at,
        cleared_at,
        area,
        call_source,
        priority,
        initial_call_type,
        final_call_type,
        mh_recognised_at_dispatch,
        mental_health_flag,
        response_model,
        cit_requested,
        cit_dispatched,
        cit_arrived,
        clinician_on_scene,
        officers,
        time_on_scene_minutes,
        disposition,
        arrested,
        cited,
        involuntary_hold,
        referrals,
        use_of_force,
        force_types,
        subject_injured,
        officer_injured,
        weapon_involved,
        behaviours,
        veteran,
        housing_status,
        substance_use,
        subject_key,
        age_band,
        gender,
        race_ethnicity,
    })
}

/// What the database holds for a key: its content hash and source version time.
type Existing = (String, Option<NaiveDateTime>);

/// The batch's keys grouped by source system (usually one), as batch indices.
fn group_by_system(batch: &[Encounter]) -> Vec<(&str, Vec<usize>)> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        match groups.iter_mut().find(|(s, _)| *s == e.source_system) {
            Some((_, v)) => v.push(i),
            None => groups.push((&e.source_system, vec![i])),
        }
    }
    groups
}

/// Fill `out[i]` with what is stored for `batch[i]`, one query per system and key chunk.
async fn lookup_postgres(
    conn: &mut PgConnection,
    batch: &[Encounter],
    out: &mut [Option<Existing>],
) -> Result<(), StoreError> {
    let op = "look up existing encounters";
    for (system, indices) in group_by_system(batch) {
        for chunk in indices.chunks(LOOKUP_CHUNK) {
            let by_key: HashMap<&str, usize> = chunk.iter().map(|&i| (batch[i].source_key.as_str(), i)).collect();
            let keys: Vec<&str> = chunk.iter().map(|&i| batch[i].source_key.as_str()).collect();
            let rows = sqlx::query(
                "SELECT source_key, content_hash, source_updated_at FROM encounters \
                 WHERE source_system = $1 AND source_key = ANY($2)",
            )
            .bind(system)
            .bind(keys)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db("postgres", op))?;
            for r in rows {
                let key: &str = r.try_get(0).map_err(StoreError::db("postgres", op))?;
                if let Some(&i) = by_key.get(key) {
                    out[i] = Some((
                        r.try_get(1).map_err(StoreError::db("postgres", op))?,
                        r.try_get(2).map_err(StoreError::db("postgres", op))?,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Split `n` rows into chunk sizes: `MAX_CHUNK` while possible, then descending powers of two.
fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = if n >= MAX_CHUNK { MAX_CHUNK } else { 1 << (usize::BITS - 1 - n.leading_zeros()) };
        n -= size;
        Some(size)
    })
}

/// The content hash of `batch[i]`: already computed during the lookup, or computed now.
fn hash_of(batch: &[Encounter], hashes: &[Option<String>], i: usize) -> String {
    match &hashes[i] {
        Some(h) => h.clone(),
        None => batch[i].content_hash(),
    }
}

fn encode_err(field: &'static str) -> impl FnOnce(sqlx::error::BoxDynError) -> StoreError {
    move |e| StoreError::Encode { source_system: String::new(), source_key: String::new(), field, detail: e.to_string() }
}

/// Reused buffers for the JSON text of the list columns of one SQLite row.
#[derive(Default)]
struct ListBuffers {
    officers: Vec<u8>,
    referrals: Vec<u8>,
    force_types: Vec<u8>,
    behaviours: Vec<u8>,
}

impl ListBuffers {
    /// Encode `e`'s lists (`[]` is written without serialising).
    fn encode(&mut self, e: &Encounter) -> Result<(), StoreError> {
        macro_rules! one {
            ($field:ident) => {{
                let buf = &mut self.$field;
                buf.clear();
                if e.$field.is_empty() {
                    buf.extend_from_slice(b"[]");
                } else {
                    serde_json::to_writer(&mut *buf, &e.$field).map_err(|err| StoreError::Encode {
                        source_system: e.source_system.clone(),
                        source_key: e.source_key.clone(),
                        field: stringify!($field),
                        detail: err.to_string(),
                    })?;
                }
            }};
        }
        one!(officers);
        one!(referrals);
        one!(force_types);
        one!(behaviours);
        Ok(())
    }
}

/// JSON written by serde_json, as text.
fn json_text(buf: &[u8]) -> &str {
    // serde_json only writes UTF-8.
    std::str::from_utf8(buf).unwrap_or("[]")
}

/// Bind one encounter's values to the SQLite write statement (`COLUMNS`, then `import_id`,
/// `created_at`, `updated_at`), with its lists already in `lists`, and execute it.
fn execute_row_sqlite(
    stmt: &mut sqlite_raw::Statement<'_>,
    e: &Encounter,
    hash: &str,
    lists: &ListBuffers,
    import_id: Option<i64>,
    now: &str,
) -> Result<u64, RawError> {
    use sqlite_text::{Text, date, datetime, time};
    /// A value ready to bind: text is bound without a copy, so dates are formatted first and
    /// kept alive until the row is executed.
    enum Bound<'a> {
        Str(Option<&'a str>),
        Formatted(Option<Text>),
        Double(Option<f64>),
        Bool(Option<bool>),
        Int(Option<i64>),
    }
    let values = cells(e, lists, hash).map(|c| match c {
        Cell::Text(v) => Bound::Str(Some(v)),
        Cell::OptText(v) => Bound::Str(v),
        Cell::Date(v) => Bound::Formatted(Some(date(v))),
        Cell::OptTime(v) => Bound::Formatted(v.map(time)),
        Cell::OptDateTime(v) => Bound::Formatted(v.map(datetime)),
        Cell::OptDouble(v) => Bound::Double(v),
        Cell::OptBool(v) => Bound::Bool(v),
        Cell::OptInt(v) => Bound::Int(v),
    });
    let mut r = stmt.row();
    for v in &values {
        match v {
            Bound::Str(v) => r.opt_text(*v),
            Bound::Formatted(v) => r.opt_text(v.as_ref().map(Text::as_str)),
            Bound::Double(v) => r.opt_double(*v),
            Bound::Bool(v) => r.opt_bool(*v),
            Bound::Int(v) => r.opt_int(*v),
        }
    }
    r.opt_int(import_id);
    r.text(now);
    r.text(now);
    r.execute()
}

fn raw_err(op: &'static str) -> impl Fn(RawError) -> StoreError {
    move |e| StoreError::db("sqlite", op)(e.into())
}

/// What the stored row of a key says about an incoming record (SQLite).
enum Stored {
    /// Same content hash.
    Same,
    /// Different content: the incoming record's hash, and the stored `source_updated_at` text
    /// (read only when the incoming record has one too).
    Differs { hash: String, version: Option<String> },
}

/// A stored `source_updated_at`, read as sqlx decodes a `NaiveDateTime` from SQLite text (the
/// store writes `%F %T%.f`; the other forms are what sqlx would also accept).
fn stored_datetime(s: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%F %T%.f") {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.naive_local());
    }
    const FORMATS: [&str; 12] = [
        "%F %T%.f",
        "%F %R",
        "%F %RZ",
        "%F %R%:z",
        "%F %T%.fZ",
        "%F %T%.f%:z",
        "%FT%R",
        "%FT%RZ",
        "%FT%R%:z",
        "%FT%T%.f",
        "%FT%T%.fZ",
        "%FT%T%.f%:z",
    ];
    FORMATS.iter().find_map(|f| {
        DateTime::parse_from_str(s, f).map(|t| t.naive_local()).or_else(|_| NaiveDateTime::parse_from_str(s, f)).ok()
    })
}

const SQLITE_LOOKUP_SQL: &str =
    "SELECT content_hash, source_updated_at FROM encounters WHERE source_system = ? AND source_key = ?";

/// Write a batch on a SQLite connection's raw handle, inside the caller's transaction (which
/// holds the write lock): per record, one prepared single-key lookup, then (if needed) one
/// prepared single-row insert or upsert. Keys are unique within the batch (checked before), so
/// deciding and writing record by record gives the same result as deciding for all first.
fn write_batch_sqlite(
    db: &Db<'_>,
    batch: &[Encounter],
    import_id: Option<i64>,
    now: &str,
) -> Result<BatchCounts, StoreError> {
    const LOOKUP: &str = "look up existing encounters";
    let mut lookup = db.prepare(SQLITE_LOOKUP_SQL).map_err(raw_err(LOOKUP))?;
    // The insert and the upsert statement, prepared when first needed.
    let mut statements: [Option<sqlite_raw::Statement<'_>>; 2] = [None, None];
    let mut lists = ListBuffers::default();
    let mut counts = BatchCounts::default();
    for e in batch {
        let mut r = lookup.row();
        r.text(&e.source_system);
        r.text(&e.source_key);
        let stored = r
            .run(|row| {
                let stored_hash = row.text(0)?.unwrap_or_default();
                let hash = e.content_hash();
                if hash == stored_hash {
                    return Ok(Stored::Same);
                }
                let version = match e.source_updated_at {
                    Some(_) => row.text(1)?.map(str::to_owned),
                    None => None,
                };
                Ok(Stored::Differs { hash, version })
            })
            .map_err(raw_err(LOOKUP))?;
        let (hash, upsert) = match stored {
            None => {
                counts.inserted += 1;
                (e.content_hash(), false)
            }
            Some(Stored::Same) => {
                counts.unchanged += 1;
                continue;
            }
            Some(Stored::Differs { hash, version }) => {
                if let (Some(incoming), Some(stored)) = (e.source_updated_at, version) {
                    let stored = stored_datetime(&stored).ok_or_else(|| StoreError::Corrupt {
                        what: format!("encounters.source_updated_at of {}/{}", e.source_system, e.source_key),
                        detail: format!("`{stored}` is not a date and time"),
                    })?;
                    if incoming < stored {
                        counts.stale += 1;
                        continue;
                    }
                }
                counts.updated += 1;
                (hash, true)
            }
        };
        let op = if upsert { "update encounters" } else { "insert encounters" };
        let stmt = &mut statements[usize::from(upsert)];
        let stmt = match stmt {
            Some(s) => s,
            None => stmt.insert(db.prepare(sqlite_write_sql(upsert)).map_err(raw_err(op))?),
        };
        lists.encode(e)?;
        execute_row_sqlite(stmt, e, &hash, &lists, import_id, now).map_err(raw_err(op))?;
    }
    Ok(counts)
}

/// The arguments of one PostgreSQL chunk statement.
fn build_postgres(
    batch: &[Encounter],
    hashes: &[Option<String>],
    chunk: &[usize],
    import_id: Option<i64>,
    now: &DateTime<Utc>,
) -> Result<PgArguments, StoreError> {
    let mut args = PgArguments::default();
    args.reserve(2 + chunk.len() * PER_ROW, 0);
    args.add(import_id).map_err(encode_err("import_id"))?;
    args.add(*now).map_err(encode_err("updated_at"))?;
    let mut lists = ListBuffers::default();
    for &i in chunk {
        lists.encode(&batch[i])?;
        push_row_postgres(&mut args, &batch[i], &lists, &hash_of(batch, hashes, i))?;
    }
    Ok(args)
}

/// Write the rows `rows` (batch indices) with multi-row statements, building the next chunk's
/// arguments (hashing, encoding) while the database executes the current one.
async fn write_rows_postgres(
    conn: &mut PgConnection,
    batch: &[Encounter],
    hashes: &[Option<String>],
    rows: &[usize],
    import_id: Option<i64>,
    now: &DateTime<Utc>,
    upsert: bool,
) -> Result<(), StoreError> {
    let op = if upsert { "update encounters" } else { "insert encounters" };
    let mut start = 0;
    let mut chunks = chunk_sizes(rows.len()).map(|size| {
        let chunk = &rows[start..start + size];
        start += size;
        chunk
    });
    let build = |chunk: &[usize]| build_postgres(batch, hashes, chunk, import_id, now).map(|a| (chunk.len(), a));
    let mut next = chunks.next().map(build).transpose()?;
    while let Some((size, args)) = next.take() {
        let exec = sqlx::query_with(AssertSqlSafe(write_sql(size, upsert)), args).execute(&mut *conn);
        // `join!` polls `exec` first, which hands the statement to the database; the next
        // chunk is then built while it runs.
        let (done, built) = tokio::join!(exec, async { chunks.next().map(build).transpose() });
        done.map_err(StoreError::db("postgres", op))?;
        next = built?;
    }
    Ok(())
}

/// Claim the batch's source systems for `partner` in the open transaction `conn`, or fail with
/// [`StoreError::ForeignSource`] when another partner owns one.
macro_rules! claim_sources {
    ($conn:expr, $backend:expr, $batch:expr, $partner:expr) => {{
        let op = "claim a source system";
        let now = crate::clock::real_now();
        for (system, _) in group_by_system($batch) {
            sqlx::query(
                "INSERT INTO source_systems (name, partner_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(system)
            .bind($partner)
            .bind(now)
            .execute(&mut *$conn)
            .await
            .map_err(StoreError::db($backend, op))?;
            let (owner, owner_name): (i64, String) = sqlx::query_as(
                "SELECT s.partner_id, COALESCE(p.name, '') FROM source_systems s LEFT JOIN partners p ON p.id = s.partner_id \
                 WHERE s.name = $1",
            )
            .bind(system)
            .fetch_one(&mut *$conn)
            .await
            .map_err(StoreError::db($backend, op))?;
            if owner != $partner {
                return Err(StoreError::ForeignSource { system: system.to_string(), owner, owner_name });
            }
        }
    }};
}

/// A filter's WHERE clause (`$n` placeholders from `$1`) and its values in order.
enum FilterValue<'a> {
    Text(&'a str),
    Date(NaiveDate),
}

fn filter_sql<'a>(f: &'a EncounterFilter) -> (String, Vec<FilterValue<'a>>) {
    let mut conds: Vec<String> = Vec::new();
    let mut vals: Vec<FilterValue<'a>> = Vec::new();
    let mut push = |col: &str, op: &str, v: FilterValue<'a>| {
        vals.push(v);
        conds.push(format!("{col} {op} ${}", vals.len()));
    };
    if let Some(s) = &f.source_system {
        push("source_system", "=", FilterValue::Text(s));
    }
    if let Some(d) = f.from {
        push("occurred_on", ">=", FilterValue::Date(d));
    }
    if let Some(d) = f.to {
        push("occurred_on", "<=", FilterValue::Date(d));
    }
    if let Some(s) = &f.precinct {
        push("precinct", "=", FilterValue::Text(s));
    }
    if let Some(d) = f.disposition {
        push("disposition", "=", FilterValue::Text(d.as_str()));
    }
    if let Some(r) = f.response_model {
        push("response_model", "=", FilterValue::Text(r.as_str()));
    }
    if let Some(s) = &f.subject_key {
        push("subject_key", "=", FilterValue::Text(s));
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

/// Run CPU-bound work that does not await: on a multi-threaded runtime, tell tokio so that other
/// tasks move off this worker meanwhile.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Store {
    /// Write a batch of canonical encounters in one transaction, and say what happened to each.
    ///
    /// Every record must be valid ([`Encounter::validate`]) and its key `(source_system,
    /// source_key)` unique within the batch; otherwise nothing is written. Records are stored as
    /// given (normalise them first). For each record:
    /// - absent: inserted;
    /// - present with the same [`Encounter::content_hash`]: unchanged (no write);
    /// - present, both have `source_updated_at` and the incoming one is older: stale (no write);
    /// - otherwise: every column is overwritten (updated), `created_at` is kept.
    ///
    /// On SQLite the transaction takes the write lock at its start (`BEGIN IMMEDIATE`), so the
    /// lookup and the writes see the same state. On PostgreSQL a concurrent writer inserting the
    /// same new key makes the batch fail with a unique violation (retry it).
    ///
    /// The records belong to `partner`: each source system of the batch is claimed for it when
    /// first written, and a source system another partner owns is refused
    /// ([`StoreError::ForeignSource`]), nothing written.
    pub async fn write_batch(
        &self,
        partner: PartnerId,
        import_id: Option<i64>,
        batch: &[Encounter],
    ) -> Result<BatchCounts, StoreError> {
        if batch.is_empty() {
            return Ok(BatchCounts::default());
        }
        let mut seen: HashMap<(&str, &str), usize> = HashMap::with_capacity(batch.len());
        for (i, e) in batch.iter().enumerate() {
            e.validate().map_err(|source| StoreError::InvalidEncounter {
                source_system: e.source_system.clone(),
                source_key: e.source_key.clone(),
                index: i,
                source,
            })?;
            if let Some(first) = seen.insert((&e.source_system, &e.source_key), i) {
                return Err(StoreError::DuplicateKey {
                    source_system: e.source_system.clone(),
                    source_key: e.source_key.clone(),
                    first,
                    second: i,
                });
            }
        }
        drop(seen);
        let now = crate::clock::real_now();
        let counts = match &self.inner {
            Backend::Sqlite(pool) => {
                let backend = "sqlite";
                let now = now.to_rfc3339_opts(SecondsFormat::AutoSi, false);
                let mut tx =
                    pool.begin_with("BEGIN IMMEDIATE").await.map_err(StoreError::db(backend, "begin a write"))?;
                claim_sources!(&mut *tx, backend, batch, partner);
                let counts = {
                    // The lookups and writes run on the raw handle (see `sqlite_raw`), in this
                    // transaction.
                    let mut locked =
                        tx.lock_handle().await.map_err(StoreError::db(backend, "lock the connection"))?;
                    let db = Db::new(&mut locked);
                    blocking(|| write_batch_sqlite(&db, batch, import_id, &now))?
                };
                tx.commit().await.map_err(StoreError::db(backend, "commit a batch"))?;
                counts
            }
            Backend::Postgres(pool) => {
                let backend = "postgres";
                let mut existing: Vec<Option<Existing>> = vec![None; batch.len()];
                let mut tx = pool.begin().await.map_err(StoreError::db(backend, "begin a write"))?;
                claim_sources!(&mut *tx, backend, batch, partner);
                lookup_postgres(&mut tx, batch, &mut existing).await?;
                // Hashes of the records found in the database (to compare); the others are
                // hashed while their rows are encoded.
                let mut hashes: Vec<Option<String>> = vec![None; batch.len()];
                let mut counts = BatchCounts::default();
                let (mut inserts, mut updates) = (Vec::new(), Vec::new());
                for (i, e) in batch.iter().enumerate() {
                    let Some((stored_hash, stored_version)) = &existing[i] else {
                        counts.inserted += 1;
                        inserts.push(i);
                        continue;
                    };
                    let hash = e.content_hash();
                    if hash == *stored_hash {
                        counts.unchanged += 1;
                    } else if let (Some(incoming), Some(stored)) = (e.source_updated_at, stored_version)
                        && incoming < *stored
                    {
                        counts.stale += 1;
                    } else {
                        counts.updated += 1;
                        updates.push(i);
                        hashes[i] = Some(hash);
                    }
                }
                write_rows_postgres(&mut tx, batch, &hashes, &inserts, import_id, &now, false).await?;
                write_rows_postgres(&mut tx, batch, &hashes, &updates, import_id, &now, true).await?;
                tx.commit().await.map_err(StoreError::db(backend, "commit a batch"))?;
                counts
            }
        };
        tracing::debug!(backend = self.backend_name(), records = batch.len(), ?counts, "batch written");
        Ok(counts)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored columns are the registry's fields in its order (the area spread over its five
    /// columns), then the content hash.
    #[test]
    fn the_columns_are_the_registry_fields() {
        let mut expected: Vec<&str> = Vec::new();
        for (field, _) in pmhc_core::registry::ENCOUNTER_FIELDS {
            if *field == "area" {
                expected.extend(["precinct", "sector", "beat", "latitude", "longitude"]);
            } else {
                expected.push(field);
            }
        }
        expected.push("content_hash");
        assert_eq!(COLUMNS.to_vec(), expected);
    }

    #[test]
    fn chunks_are_powers_of_two_and_cover_everything() {
        for n in [0, 1, 2, 3, 511, 512, 513, 1000, 5000] {
            let sizes: Vec<usize> = chunk_sizes(n).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes.iter().all(|s| s.is_power_of_two() && *s <= MAX_CHUNK));
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn stored_datetimes_read_back() {
        let d = NaiveDate::from_ymd_opt(2023, 7, 4).unwrap();
        for nano in [0, 1_000, 120_000_000, 999_999_999] {
            let t = d.and_time(NaiveTime::from_hms_nano_opt(9, 5, 7, nano).unwrap());
            assert_eq!(stored_datetime(sqlite_text::datetime(t).as_str()), Some(t));
        }
        let t = d.and_hms_opt(9, 5, 0).unwrap();
        assert_eq!(stored_datetime("2023-07-04T09:05:00Z"), Some(t));
        assert_eq!(stored_datetime("2023-07-04T09:05:00+02:00"), Some(t), "local time, as sqlx reads it");
        assert_eq!(stored_datetime("2023-07-04 09:05"), Some(t));
        assert_eq!(stored_datetime("yesterday"), None);
    }

    #[test]
    fn write_sql_has_the_right_parameter_count() {
        let sql = write_sql(2, true);
        assert!(sql.contains(&format!("${}", 2 + 2 * PER_ROW)));
        assert!(!sql.contains(&format!("${}", 3 + 2 * PER_ROW)));
        assert!(sql.contains("ON CONFLICT"));
        assert!(!write_sql(4, false).contains("ON CONFLICT"));
        for upsert in [false, true] {
            let sql = sqlite_write_sql(upsert);
            assert_eq!(sql.matches('?').count(), SQLITE_PER_ROW);
            assert!(!sql.contains('$'));
            assert_eq!(sql.contains("ON CONFLICT"), upsert);
        }
    }
}
