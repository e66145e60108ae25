//! The SQLite path of `write_batch`: per record, a prepared single-key lookup and (if needed) a
//! prepared single-row insert or upsert, on the raw handle (`sqlite_raw`, the crate's `unsafe`).

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDateTime};
use pmhc_core::Encounter;
use pmhc_core::import::ImportCounts;

use crate::StoreError;
use crate::sqlite_raw::{self, Db, RawError};
use crate::sqlite_text;
use super::columns::{COLUMNS, Cell, ListBuffers, PER_ROW, cells};
use super::write::upsert_clause;

/// SQLite parameters per row: the columns, then `import_id`, `created_at`, `updated_at`.
const SQLITE_PER_ROW: usize = PER_ROW + 3;
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
pub(super) fn write_batch_sqlite(
    db: &Db<'_>,
    batch: &[Encounter],
    import_id: Option<i64>,
    now: &str,
) -> Result<ImportCounts, StoreError> {
    const LOOKUP: &str = "look up existing encounters";
    let mut lookup = db.prepare(SQLITE_LOOKUP_SQL).map_err(raw_err(LOOKUP))?;
    // The insert and the upsert statement, prepared when first needed.
    let mut statements: [Option<sqlite_raw::Statement<'_>>; 2] = [None, None];
    let mut lists = ListBuffers::default();
    let mut counts = ImportCounts::default();
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

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime};

    use super::*;

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
    fn sqlite_write_sql_has_the_right_parameter_count() {
        for upsert in [false, true] {
            let sql = sqlite_write_sql(upsert);
            assert_eq!(sql.matches('?').count(), SQLITE_PER_ROW);
            assert!(!sql.contains('$'));
            assert_eq!(sql.contains("ON CONFLICT"), upsert);
        }
    }
}
