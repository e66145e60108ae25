//! # pmhc-service
//!
//! The operations pmhc offers, written once and called by the CLI, the web pages and the JSON
//! API alike: importing a file ([`imports`]), computing outcome reports with the cache a server
//! keeps warm ([`outcomes`]), and accounts — password hashing, secrets for sessions and API
//! tokens ([`accounts`]), and record access through partners, agreements and consents
//! ([`sharing`]). Every use case takes the [`ServiceContext`] (the store and what a server keeps) and
//! reaches the store through it: front ends hold a `ServiceContext`, never the store. The domain rules
//! are in `pmhc-core`.

mod context;
pub use context::ServiceContext;

pub mod accounts;
pub mod agreements;
pub mod audit;
pub mod consents;
pub mod encounters;
pub mod definitions;
pub mod partners;
pub mod imports;
pub mod inventory;
pub mod outcomes;
pub mod referrals;
pub mod releases;
pub mod sharing;
pub mod signin;
pub mod training;
pub mod workgroup;

pub use definitions::definitions_toml;

/// The stored records front ends read and fill in, named here so that a front end needs no
/// access to the store itself.
pub mod model {
    pub use pmhc_store::{ApiTokenInfo, AuditFilter, Clock, DisclosureRecord, EncounterFilter, ImportRecord, ImportStatus, ReferralEvent, ReferralRecord, User};
}

/// What can go wrong in a service operation.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(Box<pmhc_store::StoreError>),
    #[error(transparent)]
    Import(Box<pmhc_import::ImportError>),
    /// Storing a batch failed part-way through an import.
    #[error(
        "storing encounters failed after {written} were written ({inserted} new, {updated} updated; importing the file again is safe): {source}",
        written = .counts.inserted + .counts.updated, inserted = .counts.inserted, updated = .counts.updated
    )]
    ImportWrite {
        /// What the batches committed before the error wrote.
        counts: pmhc_core::import::ImportCounts,
        #[source]
        source: Box<pmhc_store::StoreError>,
    },
    /// A report was asked for without periods, and the definitions have no default ones.
    #[error(
        "which periods? Give a baseline and a comparison period (FROM..TO, e.g. 2020-01-01..2020-12-31), \
         or save default periods in the shared definitions"
    )]
    NoPeriods,
    /// A period that cuts a month (year) holding encounters dated only to the month (year).
    #[error(transparent)]
    PeriodPrecision(#[from] pmhc_core::outcomes::PeriodPrecisionError),
    /// A definitions version that was never saved.
    #[error("there is no version {0} of the shared definitions")]
    NoSuchDefinitionVersion(u32),
    /// The request cannot be answered as asked (a bad period, an unknown version…); the message
    /// says what to change.
    #[error("{0}")]
    Invalid(String),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// An action on another partner's object (its agreements, users, audit entries) without that
    /// partner's part in it: refused, nothing changed.
    #[error("{0}")]
    NotYourPartner(String),
    /// No such object (or none the asker may know of).
    #[error("{0}")]
    NotFound(String),
    /// The audit trail could not be written, so the access it would record is refused.
    #[error("the audit trail cannot be written, so this access is refused; try again or tell an administrator")]
    AuditUnavailable,
    /// The audit trail could not be written because the disk is full.
    #[error("the audit trail cannot be written because the disk holding the database is full, so this is refused: free some space and try again")]
    AuditDiskFull,
    /// The audit trail could not be written because the audit key is unavailable.
    #[error("the audit trail cannot be written, so this is refused: {0}")]
    AuditKey(String),
    /// A record of a source system another partner owns.
    #[error("the records of source system `{0}` belong to another partner")]
    ForeignRecord(String),
    /// Only the service's provider may do this.
    #[error("only the provider of {0} may do this")]
    NotProvider(String),
    /// It exists already.
    #[error("{0}")]
    Conflict(String),
    /// A value that breaks a rule, naming the field.
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// Several values that break rules, each naming its field (a form's submission).
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    InvalidFields(Vec<pmhc_core::field_form::FieldProblem>),
    /// A public output asked for something that is not published (other periods, filters…); the
    /// message says what is.
    #[error("{0}")]
    NotPublished(String),
    /// A public release that cannot be made: it would reveal what earlier releases suppressed.
    #[error("this public release is refused: {0}")]
    ReleaseRefused(pmhc_core::outcomes::ReleaseRefusal),
    /// A worker thread stopped unexpectedly.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What kind of failure a [`ServiceError`] is, so that a front end can answer it (an HTTP status,
/// an exit code) without knowing the store's or the importer's errors. What to say is the error's
/// message (its `Display`), except where the kind carries something more precise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot be done as asked (a bad value, a rule broken); the message says what to
    /// change.
    Invalid,
    /// One field breaks a rule.
    InvalidField { field: String, message: String },
    /// Several fields break rules (a form).
    InvalidFields(Vec<pmhc_core::field_form::FieldProblem>),
    /// It exists already, or its state does not allow this.
    Conflict,
    /// No such thing (or none the asker may know of).
    NotFound,
    /// A record of this source system, which another partner owns.
    ForeignRecord(String),
    /// Only the provider of this service may do this.
    NotProvider(String),
    /// The asker's role or partner may not do this.
    Refused,
    /// Something outside pmhc needs mending first (a full disk, the key file, the audit trail):
    /// the message says what; asking again passes once it is mended.
    Unavailable,
    /// A bug or an outage: to be logged, not shown.
    Internal,
}

impl ServiceError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        use pmhc_store::StoreError as S;
        match self {
            ServiceError::Invalid(_)
            | ServiceError::NoPeriods
            | ServiceError::PeriodPrecision(_)
            | ServiceError::NoSuchDefinitionVersion(_)
            | ServiceError::NotPublished(_)
            | ServiceError::Import(_) => ErrorKind::Invalid,
            ServiceError::ReleaseRefused(_) => ErrorKind::Conflict,
            ServiceError::InvalidField { field, message } => ErrorKind::InvalidField { field: field.clone(), message: message.clone() },
            ServiceError::InvalidFields(problems) => ErrorKind::InvalidFields(problems.clone()),
            ServiceError::ForeignRecord(system) => ErrorKind::ForeignRecord(system.clone()),
            ServiceError::Conflict(_) => ErrorKind::Conflict,
            ServiceError::NotProvider(name) => ErrorKind::NotProvider(name.clone()),
            ServiceError::NotYourPartner(_) => ErrorKind::Refused,
            ServiceError::NotFound(_) => ErrorKind::NotFound,
            ServiceError::AuditUnavailable | ServiceError::AuditDiskFull | ServiceError::AuditKey(_) => ErrorKind::Unavailable,
            ServiceError::Store(e) => match e.as_ref() {
                S::InvalidDefinition(_) | S::Invalid(_) => ErrorKind::Invalid,
                S::InvalidEncounter { source, .. } => ErrorKind::InvalidField { field: "encounter".into(), message: source.to_string() },
                S::UserExists(_) | S::PartnerExists(_) => ErrorKind::Conflict,
                S::UserNotFound(_) | S::PartnerNotFound(_) | S::NotFound { .. } => ErrorKind::NotFound,
                S::ForeignSource { system, .. } => ErrorKind::ForeignRecord(system.clone()),
                // Said as it is (the disk, the key file): it passes once mended.
                e if e.is_disk_full() || e.is_key_problem() => ErrorKind::Unavailable,
                _ => ErrorKind::Internal,
            },
            ServiceError::ImportWrite { .. } | ServiceError::Io { .. } | ServiceError::Internal(_) => ErrorKind::Internal,
        }
    }
}

/// Who acts: a signed-in user, or the installation's operator (the `pmhc` command, with access
/// to the database itself).
#[derive(Debug, Clone, Copy)]
pub enum Acting<'a> {
    User(&'a pmhc_store::User),
    Operator,
}

impl Acting<'_> {
    pub(crate) fn require(&self, p: pmhc_core::access::Permission) -> Result<(), ServiceError> {
        match self {
            Acting::User(u) if !u.roles.can(p) => Err(ServiceError::NotYourPartner(format!("your role may not {}", p.describe()))),
            _ => Ok(()),
        }
    }

    /// The user's partner, if a user acts.
    pub(crate) fn partner(&self) -> Option<pmhc_core::sharing::PartnerId> {
        match self {
            Acting::User(u) => Some(u.partner),
            Acting::Operator => None,
        }
    }

    /// The user acting, if one does.
    pub fn user(&self) -> Option<&pmhc_store::User> {
        match self {
            Acting::User(u) => Some(u),
            Acting::Operator => None,
        }
    }

    /// The acting user's name, or the operator's audit name.
    pub(crate) fn name_or<'b>(&'b self, actor: &'b crate::audit::Actor) -> &'b str {
        match self {
            Acting::User(u) => &u.username,
            Acting::Operator => &actor.name,
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Acting::User(u) => &u.username,
            Acting::Operator => "cli",
        }
    }
}

impl From<pmhc_store::StoreError> for ServiceError {
    fn from(e: pmhc_store::StoreError) -> Self {
        ServiceError::Store(Box::new(e))
    }
}

impl From<pmhc_import::ImportError> for ServiceError {
    fn from(e: pmhc_import::ImportError) -> Self {
        ServiceError::Import(Box::new(e))
    }
}
