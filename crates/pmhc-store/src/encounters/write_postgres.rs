//! The PostgreSQL path of `write_batch`: one lookup query per key chunk, then multi-row INSERT
//! (or upsert) statements in power-of-two chunks, the next chunk built while one runs.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDateTime, Utc};
use pmhc_core::Encounter;
use sqlx::{Arguments, AssertSqlSafe, Row};
use sqlx::postgres::{PgArguments, PgConnection};

use crate::StoreError;
use super::columns::{COLUMNS, Cell, ListBuffers, PER_ROW, cells};
use super::write::{group_by_system, upsert_clause};

/// Largest number of rows per multi-row INSERT (PostgreSQL). Smaller chunks are powers of two, so
/// at most `log2(MAX_CHUNK) + 1` distinct statements exist per kind and all stay in the statement
/// cache. 512 rows × 49 parameters + 2 = 25 090 parameters, under PostgreSQL's 65 535.
const MAX_CHUNK: usize = 512;
const CHUNK_SIZES: usize = MAX_CHUNK.trailing_zeros() as usize + 1;
/// Keys per existence lookup query.
const LOOKUP_CHUNK: usize = 8192;

const _: () = assert!(2 + MAX_CHUNK * PER_ROW <= 65_535, "PostgreSQL's bound-parameter limit");

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

/// Bind one encounter's `PER_ROW` values to a PostgreSQL statement, in `COLUMNS` order.
fn push_row_postgres(args: &mut PgArguments, e: &Encounter, lists: &ListBuffers, hash: &str) -> Result<(), StoreError> {
    for (cell, column) in cells(e, lists, hash).into_iter().zip(*COLUMNS) {
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

/// What the database holds for a key: its content hash and source version time.
pub(super) type Existing = (String, Option<NaiveDateTime>);

/// Fill `out[i]` with what is stored for `batch[i]`, one query per system and key chunk.
pub(super) async fn lookup_postgres(
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
pub(super) async fn write_rows_postgres(
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn write_sql_has_the_right_parameter_count() {
        let sql = write_sql(2, true);
        assert!(sql.contains(&format!("${}", 2 + 2 * PER_ROW)));
        assert!(!sql.contains(&format!("${}", 3 + 2 * PER_ROW)));
        assert!(sql.contains("ON CONFLICT"));
        assert!(!write_sql(4, false).contains("ON CONFLICT"));
    }
}
