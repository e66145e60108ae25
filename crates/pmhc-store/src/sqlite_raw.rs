//! Direct SQLite C API access for the bulk write path of [`crate::Store::write_batch`].
//!
//! sqlx executes every statement on its connection's worker thread and keeps each argument in
//! its own allocation; at hundreds of thousands of rows per second that hand-off, the argument
//! vectors and the statement journal of multi-row `INSERT`s cost more than SQLite's own work.
//! Inside a transaction opened by sqlx, [`Db`] borrows the connection's raw handle (sqlx's
//! `LockedSqliteHandle`: the worker thread waits while it is held) and runs single-row prepared
//! statements, binding values straight from the caller's memory.
//!
//! All `unsafe` code of the crate is in this module. The invariants it relies on:
//! - the handle is valid and used by nobody else while the `LockedSqliteHandle` it came from is
//!   borrowed, which the `'h` lifetime of [`Db`] and [`Statement`] ensures;
//! - text is bound with `SQLITE_STATIC` (no copy) from borrows that [`Row`] keeps alive until
//!   the row has been stepped; SQLite keeps the pointers afterwards but reads bound values only
//!   when stepping, and [`Row::step`] refuses to step unless every parameter of the statement was
//!   bound anew for that row;
//! - every return code is checked; failures become a [`RawError`] carrying `sqlite3_errmsg`.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::ffi::{CStr, c_int};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::sqlite::LockedSqliteHandle;

/// A failed SQLite call: its extended result code and message.
#[derive(Debug, Clone)]
pub(crate) struct RawError {
    code: c_int,
    message: String,
}

impl RawError {
    /// The error of the last failed call on `db` (`rc` is what the call returned).
    fn from_db(db: NonNull<ffi::sqlite3>, rc: c_int) -> RawError {
        // SAFETY: `db` is a valid open handle (see the module invariants). `sqlite3_errmsg`
        // returns a NUL-terminated string owned by SQLite, valid until the next call on `db`;
        // it is copied at once.
        let (code, message) = unsafe {
            let code = ffi::sqlite3_extended_errcode(db.as_ptr());
            let msg = ffi::sqlite3_errmsg(db.as_ptr());
            let message = if msg.is_null() {
                String::from("unknown error")
            } else {
                CStr::from_ptr(msg).to_string_lossy().into_owned()
            };
            (if code == ffi::SQLITE_OK { rc } else { code }, message)
        };
        RawError { code, message }
    }

    fn misuse(message: &str) -> RawError {
        RawError { code: ffi::SQLITE_MISUSE, message: message.to_string() }
    }
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The same form as sqlx's own SQLite errors.
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl StdError for RawError {}

impl DatabaseError for RawError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ErrorKind::UniqueViolation,
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// The raw handle of a connection locked out of its sqlx worker for `'h`.
pub(crate) struct Db<'h> {
    db: NonNull<ffi::sqlite3>,
    _locked: PhantomData<&'h mut ()>,
}

// SAFETY: a SQLite connection may be used from any thread as long as one thread uses it at a
// time (SQLite is built thread-safe by libsqlite3-sys; sqlx itself runs each connection on a
// worker thread of its own). `Db` is not `Sync`, so moving it to another thread (a scoped thread
// of the outcome scan) leaves exactly one user; the `'h` borrow keeps the handle locked meanwhile.
unsafe impl Send for Db<'_> {}

impl<'h> Db<'h> {
    pub(crate) fn new(locked: &'h mut LockedSqliteHandle<'_>) -> Db<'h> {
        Db { db: locked.as_raw_handle(), _locked: PhantomData }
    }

    /// Prepare one statement (`SQLITE_PREPARE_PERSISTENT`: it is reused for many rows).
    pub(crate) fn prepare(&self, sql: &str) -> Result<Statement<'h>, RawError> {
        let len = c_int::try_from(sql.len()).map_err(|_| RawError::misuse("statement too long"))?;
        let mut stmt = ptr::null_mut();
        let mut tail = ptr::null();
        // SAFETY: `self.db` is valid (module invariants); `sql` is valid for `len` bytes (it need
        // not be NUL-terminated when the length is given); the out pointers are valid.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                self.db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT as _,
                &mut stmt,
                &mut tail,
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(RawError::from_db(self.db, rc));
        }
        let Some(stmt) = NonNull::new(stmt) else {
            return Err(RawError::misuse("empty statement"));
        };
        // Owned (finalised on every path) from here.
        let mut statement = Statement { stmt, db: self.db, params: 0, _db: PhantomData };
        // SAFETY: `stmt` is valid.
        statement.params = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) };
        // `tail` points into `sql`, just after the first statement.
        let used = (tail as usize).saturating_sub(sql.as_ptr() as usize).min(sql.len());
        if !sql.as_bytes()[used..].iter().all(u8::is_ascii_whitespace) {
            return Err(RawError::misuse("more than one statement"));
        }
        Ok(statement)
    }
}

/// A prepared statement, finalised when dropped.
pub(crate) struct Statement<'h> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    db: NonNull<ffi::sqlite3>,
    params: c_int,
    _db: PhantomData<&'h mut ()>,
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: `stmt` is valid and finalised exactly once. (Its return code repeats the
        // statement's last error, which was already reported.)
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

impl<'h> Statement<'h> {
    /// Start binding the next execution's parameters, in order from the first.
    pub(crate) fn row<'v>(&mut self) -> Row<'_, 'h, 'v> {
        Row { stmt: self, next: 1, error: None, _values: PhantomData }
    }

    fn fail(&self, rc: c_int) -> RawError {
        RawError::from_db(self.db, rc)
    }

    /// `sqlite3_reset`, after an execution. Its return code repeats the step's error (already
    /// reported), so it is only checked after a successful step.
    fn reset(&mut self) -> c_int {
        // SAFETY: `stmt` is valid.
        unsafe { ffi::sqlite3_reset(self.stmt.as_ptr()) }
    }
}

/// The parameters of one execution of a [`Statement`], bound in order. Values borrowed for `'v`
/// are bound without copying; the row must be stepped while they are alive.
pub(crate) struct Row<'s, 'h, 'v> {
    stmt: &'s mut Statement<'h>,
    /// The next parameter index (1-based).
    next: c_int,
    /// The first bind that failed (reported by [`Row::step`]).
    error: Option<RawError>,
    _values: PhantomData<&'v str>,
}

impl<'v> Row<'_, '_, 'v> {
    fn check(&mut self, rc: c_int) {
        if rc != ffi::SQLITE_OK && self.error.is_none() {
            self.error = Some(self.stmt.fail(rc));
        }
        self.next += 1;
    }

    pub(crate) fn text(&mut self, v: &'v str) {
        let Ok(len) = c_int::try_from(v.len()) else {
            self.error.get_or_insert_with(|| RawError { code: ffi::SQLITE_TOOBIG, message: "text too long".into() });
            self.next += 1;
            return;
        };
        // SAFETY: `stmt` is valid; `v` stays alive and unchanged until this row is stepped
        // (`'v`), and SQLite reads it only while stepping (module invariants).
        let rc = unsafe {
            ffi::sqlite3_bind_text(self.stmt.stmt.as_ptr(), self.next, v.as_ptr().cast(), len, ffi::SQLITE_STATIC())
        };
        self.check(rc);
    }

    pub(crate) fn null(&mut self) {
        // SAFETY: `stmt` is valid.
        let rc = unsafe { ffi::sqlite3_bind_null(self.stmt.stmt.as_ptr(), self.next) };
        self.check(rc);
    }

    pub(crate) fn int(&mut self, v: i64) {
        // SAFETY: `stmt` is valid.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.stmt.stmt.as_ptr(), self.next, v) };
        self.check(rc);
    }

    pub(crate) fn double(&mut self, v: f64) {
        // SAFETY: `stmt` is valid.
        let rc = unsafe { ffi::sqlite3_bind_double(self.stmt.stmt.as_ptr(), self.next, v) };
        self.check(rc);
    }

    pub(crate) fn opt_text(&mut self, v: Option<&'v str>) {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub(crate) fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    pub(crate) fn opt_double(&mut self, v: Option<f64>) {
        match v {
            Some(v) => self.double(v),
            None => self.null(),
        }
    }

    /// A boolean as SQLite stores it (and sqlx binds it): 0 or 1.
    pub(crate) fn opt_bool(&mut self, v: Option<bool>) {
        self.opt_int(v.map(i64::from))
    }

    /// Check every parameter was bound, then run the statement (an `INSERT`, `UPDATE` or
    /// `DELETE`) and reset it. Returns how many rows it changed (`sqlite3_changes64`).
    pub(crate) fn execute(self) -> Result<u64, RawError> {
        let db = self.stmt.db;
        self.run(|_| Ok(()))?;
        // SAFETY: `db` is valid (module invariants).
        let changes = unsafe { ffi::sqlite3_changes64(db.as_ptr()) };
        Ok(u64::try_from(changes).unwrap_or(0))
    }

    /// Check every parameter was bound, then run the statement; if it returns a row, give it to
    /// `read` (only the first row is read). The statement is reset afterwards.
    pub(crate) fn run<T>(self, read: impl FnOnce(&Columns<'_>) -> Result<T, RawError>) -> Result<Option<T>, RawError> {
        let Row { stmt, next, error, .. } = self;
        if let Some(e) = error {
            stmt.reset();
            return Err(e);
        }
        if next != stmt.params + 1 {
            stmt.reset();
            return Err(RawError::misuse("not every parameter of the statement was bound"));
        }
        // SAFETY: `stmt` is valid and every parameter was bound for this row from values alive
        // for `'v`, which outlives this call.
        let rc = unsafe { ffi::sqlite3_step(stmt.stmt.as_ptr()) };
        let out = match rc {
            ffi::SQLITE_DONE => Ok(None),
            ffi::SQLITE_ROW => read(&Columns { stmt: stmt.stmt, _row: PhantomData }).map(Some),
            rc => Err(stmt.fail(rc)),
        };
        let rc = stmt.reset();
        match out {
            Ok(v) if rc == ffi::SQLITE_OK => Ok(v),
            Ok(_) => Err(stmt.fail(rc)),
            Err(e) => Err(e),
        }
    }
}

impl Statement<'_> {
    /// Run a statement without parameters and give every row it returns to `each`, in order.
    /// The statement is reset afterwards.
    pub(crate) fn for_each_row(&mut self, mut each: impl FnMut(&Columns<'_>) -> Result<(), RawError>) -> Result<(), RawError> {
        if self.params != 0 {
            return Err(RawError::misuse("for_each_row takes statements without parameters"));
        }
        loop {
            // SAFETY: `stmt` is valid and has no parameters to bind.
            let rc = unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) };
            match rc {
                ffi::SQLITE_ROW => {
                    if let Err(e) = each(&Columns { stmt: self.stmt, _row: PhantomData }) {
                        self.reset();
                        return Err(e);
                    }
                }
                ffi::SQLITE_DONE => break,
                rc => {
                    let e = self.fail(rc);
                    self.reset();
                    return Err(e);
                }
            }
        }
        match self.reset() {
            ffi::SQLITE_OK => Ok(()),
            rc => Err(self.fail(rc)),
        }
    }
}

/// The current result row of a statement.
pub(crate) struct Columns<'r> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    _row: PhantomData<&'r ()>,
}

impl Columns<'_> {
    /// Column `i` as text (`None` when NULL). Numbers are converted to text by SQLite.
    pub(crate) fn text(&self, i: c_int) -> Result<Option<&str>, RawError> {
        // SAFETY: `stmt` is valid and positioned on a row for `'_`; the text pointer is read
        // before any other call on the column, stays valid until the statement is stepped,
        // reset or the column converted (none of which can happen while `&self` is borrowed),
        // and is `len` bytes long.
        let bytes = unsafe {
            if ffi::sqlite3_column_type(self.stmt.as_ptr(), i) == ffi::SQLITE_NULL {
                return Ok(None);
            }
            let p = ffi::sqlite3_column_text(self.stmt.as_ptr(), i);
            if p.is_null() {
                return Err(RawError { code: ffi::SQLITE_NOMEM, message: "out of memory reading a column".into() });
            }
            let len = usize::try_from(ffi::sqlite3_column_bytes(self.stmt.as_ptr(), i)).unwrap_or(0);
            std::slice::from_raw_parts(p, len)
        };
        std::str::from_utf8(bytes).map(Some).map_err(|_| RawError::misuse("stored text is not UTF-8"))
    }

    /// Column `i` as an integer (`None` when NULL).
    pub(crate) fn int(&self, i: c_int) -> Option<i64> {
        // SAFETY: `stmt` is valid and positioned on a row for `'_`.
        unsafe {
            if ffi::sqlite3_column_type(self.stmt.as_ptr(), i) == ffi::SQLITE_NULL {
                None
            } else {
                Some(ffi::sqlite3_column_int64(self.stmt.as_ptr(), i))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, sqlite::SqliteConnection};

    use super::*;

    #[tokio::test]
    async fn binds_steps_and_reports_errors() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (a TEXT NOT NULL, b INTEGER, c REAL)").execute(&mut conn).await.unwrap();
        let mut locked = conn.lock_handle().await.unwrap();
        let db = Db::new(&mut locked);
        let mut insert = db.prepare("INSERT INTO t (a, b, c) VALUES (?, ?, ?)").unwrap();
        for i in 0..3 {
            let text = format!("row {i}");
            let mut r = insert.row();
            r.text(&text);
            r.opt_int((i > 0).then_some(i));
            r.double(0.5);
            assert_eq!(r.execute().unwrap(), 1);
        }
        // A parameter left unbound is refused before stepping (stale pointers are never read).
        let mut r = insert.row();
        r.text("partial");
        let err = r.execute().unwrap_err();
        assert!(err.to_string().contains("not every parameter"), "{err}");
        // Errors carry SQLite's message and code.
        let mut r = insert.row();
        r.null();
        r.null();
        r.null();
        let err = r.execute().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotNullViolation);
        assert!(err.to_string().contains("NOT NULL constraint failed: t.a"), "{err}");
        let err = db.prepare("SELECT * FROM missing").err().unwrap();
        assert!(err.to_string().contains("no such table"), "{err}");
        assert!(db.prepare("SELECT 1; SELECT 2").is_err());

        let mut select = db.prepare("SELECT a, b FROM t WHERE b IS ?").unwrap();
        let mut r = select.row();
        r.int(2);
        let got = r.run(|row| Ok((row.text(0)?.map(str::to_owned), row.text(1)?.map(str::to_owned)))).unwrap();
        assert_eq!(got, Some((Some("row 2".into()), Some("2".into()))));
        let mut r = select.row();
        r.null();
        let got = r.run(|row| Ok((row.text(0)?.map(str::to_owned), row.text(1)?.map(str::to_owned)))).unwrap();
        assert_eq!(got, Some((Some("row 0".into()), None)));
        let mut r = select.row();
        r.int(99);
        assert_eq!(r.run(|_| Ok(())).unwrap(), None);
    }
}
