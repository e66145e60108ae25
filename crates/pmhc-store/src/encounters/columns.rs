//! The stored columns of an encounter: their names and order, an encounter's values in that order
//! (for both dialects' writes), the JSON of its lists, and an encounter read back from a row.
//!
//! All of it follows the walk of [`Encounter::visit`] (pmhc-core's one list of fields): a column
//! per field (the area's five), named as the field, each value stored by its kind; the content
//! hash last. A new field of `Encounter` needs its column in both migrations, nothing here.

use std::sync::{LazyLock, OnceLock};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use pmhc_core::Encounter;
use pmhc_core::visit::{ValueMut, ValueRef};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::StoreError;

/// Bound parameters per row: the encounter's columns, then its content hash.
pub(super) const PER_ROW: usize = Encounter::COLUMNS + 1;
/// Columns read back into an `Encounter` (all but `content_hash`).
const READ_COLUMNS: usize = Encounter::COLUMNS;

/// The stored columns of an encounter, in the order rows are bound and decoded. `content_hash`
/// comes last and is written but not read back into the record.
pub(super) static COLUMNS: LazyLock<[&'static str; PER_ROW]> = LazyLock::new(|| {
    let mut columns = ["content_hash"; PER_ROW];
    for (c, name) in columns.iter_mut().zip(pmhc_core::visit::column_names()) {
        *c = name;
    }
    columns
});

pub(super) fn select_list() -> &'static str {
    static S: OnceLock<String> = OnceLock::new();
    S.get_or_init(|| COLUMNS[..READ_COLUMNS].join(", "))
}

/// One stored value of an encounter (see [`cells`]).
#[derive(Clone, Copy)]
pub(super) enum Cell<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Date(NaiveDate),
    OptTime(Option<NaiveTime>),
    OptDateTime(Option<NaiveDateTime>),
    OptDouble(Option<f64>),
    OptBool(Option<bool>),
    OptInt(Option<i64>),
}

/// An encounter's stored values in [`COLUMNS`] order, for both databases: each value of the walk
/// by its kind (codes as their text, lists as the JSON `lists` holds), then `hash`.
pub(super) fn cells<'a>(e: &'a Encounter, lists: &'a ListBuffers, hash: &'a str) -> [Cell<'a>; PER_ROW] {
    let mut out = [Cell::Text(hash); PER_ROW];
    let (mut i, mut list) = (0, 0);
    e.visit(|_, v| {
        out[i] = match v {
            ValueRef::Text(s) | ValueRef::Code(s) => Cell::Text(s),
            ValueRef::OptText(s) => Cell::OptText(s),
            ValueRef::Date(d) => Cell::Date(d),
            ValueRef::OptTime(t) => Cell::OptTime(t),
            ValueRef::OptDateTime(t) => Cell::OptDateTime(t),
            ValueRef::OptF64(v) => Cell::OptDouble(v),
            ValueRef::OptBool(b) => Cell::OptBool(b),
            ValueRef::OptU32(v) => Cell::OptInt(v.map(i64::from)),
            ValueRef::Officers(_) | ValueRef::Referrals(_) | ValueRef::Texts(_) => {
                list += 1;
                Cell::Text(lists.json(list - 1))
            }
        };
        i += 1;
    });
    debug_assert_eq!(i, READ_COLUMNS);
    out
}

/// Read an encounter from a row whose first `READ_COLUMNS` columns are `COLUMNS` in order.
pub(super) fn decode_row<R>(row: &R, backend: &'static str) -> Result<Encounter, StoreError>
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
    // The key (the first two columns) names the record in the messages.
    let source_system: String = row.try_get(0).map_err(StoreError::db(backend, op))?;
    let source_key: String = row.try_get(1).map_err(StoreError::db(backend, op))?;
    let corrupt = |col: &str, detail: String| StoreError::Corrupt {
        what: format!("encounters.{col} of {source_system}/{source_key}"),
        detail,
    };
    let mut e = Encounter::new(String::new(), String::new(), NaiveDate::MIN);
    let mut i = 0usize;
    e.visit_mut(|column, slot| {
        macro_rules! get {
            ($t:ty) => {
                row.try_get::<$t, usize>(i).map_err(StoreError::db(backend, op))?
            };
        }
        macro_rules! list {
            () => {{
                let s: String = get!(String);
                serde_json::from_str(&s).map_err(|err| corrupt(column, err.to_string()))?
            }};
        }
        match slot {
            ValueMut::Text(v) => *v = get!(String),
            ValueMut::OptText(v) => *v = get!(Option<String>),
            ValueMut::Date(v) => *v = get!(NaiveDate),
            ValueMut::OptTime(v) => *v = get!(Option<NaiveTime>),
            ValueMut::OptDateTime(v) => *v = get!(Option<NaiveDateTime>),
            ValueMut::OptF64(v) => *v = get!(Option<f64>),
            ValueMut::OptBool(v) => *v = get!(Option<bool>),
            ValueMut::OptU32(v) => {
                *v = match get!(Option<i64>) {
                    None => None,
                    Some(m) => Some(u32::try_from(m).map_err(|_| corrupt(column, format!("{m} is out of range")))?),
                }
            }
            ValueMut::Code(v) => v.set_code(&get!(String)).map_err(|err| corrupt(column, err.to_string()))?,
            ValueMut::Officers(v) => *v = list!(),
            ValueMut::Referrals(v) => *v = list!(),
            ValueMut::Texts(v) => *v = list!(),
        }
        i += 1;
        Ok::<(), StoreError>(())
    })?;
    debug_assert_eq!(i, READ_COLUMNS);
    Ok(e)
}

/// Reused buffers for the JSON text of the list columns of one row, in the walk's order.
#[derive(Default)]
pub(super) struct ListBuffers {
    buffers: Vec<Vec<u8>>,
}

impl ListBuffers {
    /// Encode `e`'s lists (`[]` is written without serialising).
    pub(super) fn encode(&mut self, e: &Encounter) -> Result<(), StoreError> {
        let mut n = 0;
        let mut failed = None;
        e.visit_lists(|column, v| {
            if self.buffers.len() <= n {
                self.buffers.resize_with(n + 1, Vec::new);
            }
            let buf = &mut self.buffers[n];
            n += 1;
            buf.clear();
            let written = match v {
                ValueRef::Officers([]) | ValueRef::Referrals([]) | ValueRef::Texts([]) => {
                    buf.extend_from_slice(b"[]");
                    Ok(())
                }
                ValueRef::Officers(l) => serde_json::to_writer(&mut *buf, l),
                ValueRef::Referrals(l) => serde_json::to_writer(&mut *buf, l),
                ValueRef::Texts(l) => serde_json::to_writer(&mut *buf, l),
                _ => Ok(()),
            };
            if let (Err(err), None) = (written, &failed) {
                failed = Some(StoreError::Encode {
                    source_system: e.source_system.clone(),
                    source_key: e.source_key.clone(),
                    field: column,
                    detail: err.to_string(),
                });
            }
        });
        failed.map_or(Ok(()), Err)
    }

    /// The JSON of the `n`th list column.
    fn json(&self, n: usize) -> &str {
        self.buffers.get(n).map_or("[]", |b| json_text(b))
    }
}

/// JSON written by serde_json, as text.
fn json_text(buf: &[u8]) -> &str {
    // serde_json only writes UTF-8.
    std::str::from_utf8(buf).unwrap_or("[]")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored columns are the walk's (the registry's fields in its order, the area spread
    /// over its five columns), then the content hash.
    #[test]
    fn the_columns_are_the_walks_then_the_hash() {
        assert_eq!(COLUMNS[..READ_COLUMNS], *pmhc_core::visit::column_names());
        assert_eq!(COLUMNS[READ_COLUMNS..], ["content_hash"]);
    }
}
