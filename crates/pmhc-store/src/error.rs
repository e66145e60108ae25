//! The store's error type.

/// Everything that can go wrong in the store. Each variant says what was being done (the
/// operation, the database URL with any password removed, the record key) so that a message
/// shown to an operator is actionable on its own.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one the store understands.
    #[error("unsupported database URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: &'static str },

    /// The database could not be opened or connected to.
    #[error("cannot open the {backend} database at `{url}`: {source}")]
    Open {
        backend: &'static str,
        url: String,
        #[source]
        source: sqlx::Error,
    },

    /// Applying the schema migrations failed.
    #[error("cannot migrate the {backend} database: {source}")]
    Migrate {
        backend: &'static str,
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// A database operation failed.
    #[error("database error while trying to {op} ({backend}): {source}")]
    Database {
        backend: &'static str,
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// The same `(source_system, source_key)` appears twice in one batch.
    #[error("encounter {source_system}/{source_key} appears more than once in the batch (records {first} and {second})")]
    DuplicateKey { source_system: String, source_key: String, first: usize, second: usize },

    /// A record breaks a rule every stored encounter obeys.
    #[error("encounter {source_system}/{source_key} (record {index} of the batch) is invalid: {source}")]
    InvalidEncounter {
        source_system: String,
        source_key: String,
        index: usize,
        #[source]
        source: pmhc_core::InvalidEncounter,
    },

    /// A record could not be encoded for storage.
    #[error("cannot encode {field} of encounter {source_system}/{source_key}: {detail}")]
    Encode { source_system: String, source_key: String, field: &'static str, detail: String },

    /// A stored value cannot be read back (edited by hand, or written by an incompatible version).
    #[error("corrupt stored value in {what}: {detail}")]
    Corrupt { what: String, detail: String },

    /// `finish_import` was given an import id that does not exist.
    #[error("import {0} does not exist")]
    ImportNotFound(i64),

    /// Shared definitions that break a rule.
    #[error("the shared definitions are not valid: {0}")]
    InvalidDefinition(String),

    /// A source system written by one partner that another partner tried to write to.
    #[error(
        "source system `{system}` belongs to partner {owner} (`{owner_name}`); records of one partner cannot \
         be written to another's source system (import with a source system name of your own: \
         `pmhc import --source-system NAME`, or the Source system field of the import page and API)"
    )]
    ForeignSource { system: String, owner: i64, owner_name: String },

    /// A partner id or name that does not exist.
    #[error("there is no partner {0}")]
    PartnerNotFound(String),

    /// A partner name that is taken already.
    #[error("there is already a partner called `{0}`")]
    PartnerExists(String),

    /// An agreement or consent that does not exist.
    #[error("there is no {what} #{id}")]
    NotFound { what: &'static str, id: i64 },

    /// An agreement or consent that breaks a rule.
    #[error("{0}")]
    Invalid(String),

    /// A user name that is taken already.
    #[error("there is already a user called `{0}`")]
    UserExists(String),

    /// A user that does not exist.
    #[error("there is no user called `{0}`")]
    UserNotFound(String),

    /// The key file cannot be read, or is missing while the database names a key.
    #[error("the audit key is unavailable ({path}): {reason}")]
    KeyUnavailable { path: String, reason: String },

    /// The key file is not one pmhc can read.
    #[error("the key file {path} is not valid: {detail}")]
    KeyFile { path: String, detail: String },

    /// The key file belongs to another database.
    #[error(
        "the key file {path} holds key {file}, but this database's audit trail is keyed with key {database}: \
         it belongs to another database (name the right one with PMHC_KEY_FILE)"
    )]
    KeyMismatch { path: String, file: String, database: String },

    /// The disk (or the database's quota) is full: nothing of the failed write was kept.
    #[error("the disk holding the {backend} database is full (while trying to {op}); free some space and try again — nothing of this write was kept")]
    DiskFull { backend: &'static str, op: &'static str },

    /// The operating system's random number generator failed.
    #[error("cannot generate the pseudonymisation key: {0}")]
    Random(String),
}

impl StoreError {
    pub(crate) fn db(backend: &'static str, op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| {
            if is_disk_full(&source) {
                StoreError::DiskFull { backend, op }
            } else {
                StoreError::Database { backend, op, source }
            }
        }
    }

    /// Whether this is the disk (or the database) being full.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull { .. })
    }

    /// Whether this is the key file missing, unreadable or belonging to another database.
    pub fn is_key_problem(&self) -> bool {
        matches!(self, StoreError::KeyUnavailable { .. } | StoreError::KeyMismatch { .. } | StoreError::KeyFile { .. })
    }
}

/// SQLite's `SQLITE_FULL` (13; also a `max_page_count` reached) and PostgreSQL's SQLSTATE 53100
/// (`disk_full`).
pub(crate) fn is_disk_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or("");
            // SQLite reports the primary code (13) or an extended one whose low byte is 13.
            code == "53100" || code.parse::<i64>().is_ok_and(|c| c & 0xff == 13) || d.message().contains("database or disk is full")
        }
        _ => false,
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else { return url.to_string() };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else { return url.to_string() };
    format!("{}{}:***{}", &url[..scheme_end + 3], &userinfo[..colon], &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
        assert_eq!(redact_url("postgresql://u:p%40ss@h/db?sslmode=require"), "postgresql://u:***@h/db?sslmode=require");
    }
}
