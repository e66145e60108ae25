//! The key file: the audit key (the HMAC key of the audit chain) and the pseudonymisation secret,
//! kept **outside the database**, so that write access to the database alone neither rewrites the
//! audit trail undetected nor re-identifies person ids by dictionary.
//!
//! Where it is: `PMHC_KEY_FILE` when set; otherwise beside a SQLite file (`pmhc.sqlite.key`); for
//! PostgreSQL, `$XDG_CONFIG_HOME/pmhc/keys/HOST_PORT_DATABASE.key` (or `~/.config/…`). An
//! in-memory SQLite database (tests) keeps its keys in memory. The file is text, owner-only
//! (mode 0600), written atomically:
//!
//! ```text
//! # pmhc key file …
//! key_id = 1f2e…           (public: the database keeps it too, to recognise its key file)
//! audit_key = 64 hex digits
//! pseudonym_key = 64 hex digits
//! keyed_from = 1           (the first audit entry chained under the key)
//! ```
//!
//! The first command that needs the keys creates the file when the database has none yet
//! (`settings.audit_key_id` absent); an older database is migrated then: its pseudonymisation
//! secret moves from `settings` to the file and a re-keying entry starts the keyed part of the
//! chain. When the database names a key and the file is missing, nothing is created: the audit
//! trail refuses new entries (and so every audited access) and verification says the key is
//! unavailable.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pmhc_core::PseudonymKey;
use pmhc_core::audit::{AuditAction, AuditEvent, AuditKey, AuditOutcome, REKEY_OBJECT, audit_time, next_keyed_entry, rekey_detail};
use rand::TryRngCore;
use rand::rngs::OsRng;

use crate::audit::{HEAD, SET_CHAIN_SETTING};
use crate::{Store, StoreError};

/// The environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "PMHC_KEY_FILE";

const KEY_ID: &str = "audit_key_id";
const KEYED_FROM: &str = "audit_keyed_from";
const LEGACY_PSEUDONYM_KEY: &str = "pseudonym_key";

/// The keys of one database.
#[derive(Clone)]
pub struct Keys {
    pub audit: AuditKey,
    pub pseudonym: PseudonymKey,
    /// The first audit entry chained under `audit`.
    pub keyed_from: u64,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys {{ audit: {:?}, keyed_from: {} }}", self.audit, self.keyed_from)
    }
}

/// Where a store's keys live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    File(PathBuf),
    /// In memory, for an in-memory database.
    Memory,
    /// Nowhere known (the reason).
    Unknown(String),
}

/// The keys' location and, once read, the keys (shared by clones of a store).
#[derive(Debug)]
pub(crate) struct KeyRing {
    pub(crate) location: KeyLocation,
    loaded: tokio::sync::OnceCell<Keys>,
    /// The in-memory "file" of [`KeyLocation::Memory`].
    memory: std::sync::Mutex<Option<String>>,
}

impl KeyRing {
    pub(crate) fn new(location: KeyLocation) -> Arc<KeyRing> {
        Arc::new(KeyRing { location, loaded: tokio::sync::OnceCell::new(), memory: std::sync::Mutex::new(None) })
    }
}

/// The key location for a database, before `PMHC_KEY_FILE` is considered.
/// Beside a SQLite file (an in-memory database keeps its keys in memory: see `Store::open`).
pub(crate) fn default_location_sqlite(path: &str) -> KeyLocation {
    KeyLocation::File(PathBuf::from(format!("{path}.key")))
}

pub(crate) fn default_location_postgres(options: &sqlx::postgres::PgConnectOptions) -> KeyLocation {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")));
    let Some(base) = base else {
        return KeyLocation::Unknown(format!("set {KEY_FILE_ENV} (there is no HOME to keep the key file in)"));
    };
    let clean = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect::<String>();
    let db = options.get_database().unwrap_or("postgres");
    let name = format!("{}_{}_{}.key", clean(options.get_host()), options.get_port(), clean(db));
    KeyLocation::File(base.join("pmhc").join("keys").join(name))
}

/// `PMHC_KEY_FILE` when set, else the default.
pub(crate) fn location_from_env(default: KeyLocation) -> KeyLocation {
    match std::env::var_os(KEY_FILE_ENV) {
        Some(p) if !p.is_empty() => KeyLocation::File(PathBuf::from(p)),
        _ => default,
    }
}

fn random_32() -> Result<[u8; 32], StoreError> {
    let mut b = [0u8; 32];
    OsRng.try_fill_bytes(&mut b).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(b)
}

fn parse_32(what: &str, v: &str, path: &str) -> Result<[u8; 32], StoreError> {
    let bad = |d: String| StoreError::KeyFile { path: path.into(), detail: format!("{what}: {d}") };
    let b = hex::decode(v.trim()).map_err(|e| bad(format!("not hex ({e})")))?;
    b.try_into().map_err(|b: Vec<u8>| bad(format!("{} bytes, expected 32", b.len())))
}

fn render(k: &Keys) -> String {
    format!(
        "# pmhc key file: the audit key and the pseudonymisation secret of ONE pmhc database.\n\
         # Keep it owner-only and keep a copy offline. Without it the audit trail after entry\n\
         # {} cannot be verified, no audited access is possible, and person ids cannot be\n\
         # derived again. Never store it in the database or beside its backups.\n\
         key_id = {}\naudit_key = {}\npseudonym_key = {}\nkeyed_from = {}\n",
        k.keyed_from.saturating_sub(1),
        k.audit.id(),
        hex::encode(k.audit.as_bytes()),
        hex::encode(k.pseudonym.as_bytes()),
        k.keyed_from
    )
}

fn parse(text: &str, path: &str) -> Result<Keys, StoreError> {
    let mut audit = None;
    let mut pseudonym = None;
    let mut keyed_from = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let Some((k, v)) = line.split_once('=') else {
            return Err(StoreError::KeyFile { path: path.into(), detail: format!("`{line}` is not `name = value`") });
        };
        match k.trim() {
            "audit_key" => audit = Some(AuditKey::from_bytes(parse_32("audit_key", v, path)?)),
            "pseudonym_key" => pseudonym = Some(PseudonymKey::from_bytes(parse_32("pseudonym_key", v, path)?)),
            "keyed_from" => {
                keyed_from = Some(v.trim().parse::<u64>().map_err(|_| StoreError::KeyFile {
                    path: path.into(),
                    detail: format!("keyed_from `{}` is not a number", v.trim()),
                })?)
            }
            _ => {}
        }
    }
    let missing = |what: &str| StoreError::KeyFile { path: path.into(), detail: format!("{what} is missing") };
    Ok(Keys {
        audit: audit.ok_or_else(|| missing("audit_key"))?,
        pseudonym: pseudonym.ok_or_else(|| missing("pseudonym_key"))?,
        keyed_from: keyed_from.ok_or_else(|| missing("keyed_from"))?.max(1),
    })
}

/// Write the file atomically (a temporary beside it, renamed), owner-only.
fn write_file(path: &Path, text: &str) -> Result<(), StoreError> {
    let err = |e: std::io::Error| StoreError::KeyFile { path: path.display().to_string(), detail: format!("cannot write it: {e}") };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp).map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(())
}

impl Store {
    /// Where this store's key file is.
    pub fn key_location(&self) -> &KeyLocation {
        &self.keys.location
    }

    /// This store with its keys in `path` instead of the default location.
    #[must_use]
    pub fn with_key_file(mut self, path: impl Into<PathBuf>) -> Store {
        self.keys = KeyRing::new(KeyLocation::File(path.into()));
        self
    }

    /// The database's keys: read from the key file, or (for a database that has none yet) made,
    /// written and recorded — see the module's documentation.
    pub async fn keys(&self) -> Result<Keys, StoreError> {
        self.keys.loaded.get_or_try_init(|| self.load_keys()).await.cloned()
    }

    /// The key id and first keyed entry the database records (`None` before it has a key).
    pub async fn recorded_key(&self) -> Result<Option<(String, u64)>, StoreError> {
        let id = self.setting(KEY_ID).await?;
        let from = self.setting(KEYED_FROM).await?;
        Ok(match (id, from) {
            (Some(id), Some(from)) => Some((id, from.parse().map_err(|_| StoreError::Corrupt { what: format!("settings.{KEYED_FROM}"), detail: from })?)),
            _ => None,
        })
    }

    /// The keys in the key file, if there is one.
    fn read_keys(&self) -> Result<Option<Keys>, StoreError> {
        let text = self.read_key_text()?;
        text.map(|t| parse(&t, &self.location_text())).transpose()
    }

    fn read_key_text(&self) -> Result<Option<String>, StoreError> {
        match &self.keys.location {
            KeyLocation::Memory => Ok(self.keys.memory.lock().ok().and_then(|m| m.clone())),
            KeyLocation::Unknown(why) => Err(StoreError::KeyUnavailable { path: "(none)".into(), reason: why.clone() }),
            KeyLocation::File(p) => match std::fs::read_to_string(p) {
                Ok(t) => {
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        if let Ok(m) = std::fs::metadata(p)
                            && m.permissions().mode() & 0o077 != 0
                        {
                            tracing::warn!(path = %p.display(), "the key file is readable by others than its owner: chmod 600 it");
                        }
                    }
                    Ok(Some(t))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::KeyUnavailable { path: p.display().to_string(), reason: e.to_string() }),
            },
        }
    }

    fn write_key_text(&self, text: &str) -> Result<(), StoreError> {
        match &self.keys.location {
            KeyLocation::Memory => {
                if let Ok(mut m) = self.keys.memory.lock() {
                    *m = Some(text.to_string());
                }
                Ok(())
            }
            KeyLocation::Unknown(why) => Err(StoreError::KeyUnavailable { path: "(none)".into(), reason: why.clone() }),
            KeyLocation::File(p) => write_file(p, text),
        }
    }

    fn location_text(&self) -> String {
        match &self.keys.location {
            KeyLocation::File(p) => p.display().to_string(),
            KeyLocation::Memory => "(memory)".into(),
            KeyLocation::Unknown(_) => "(none)".into(),
        }
    }

    async fn load_keys(&self) -> Result<Keys, StoreError> {
        let recorded = self.recorded_key().await?;
        let file = self.read_keys()?;
        match (recorded, file) {
            (Some((id, _)), Some(keys)) => {
                if keys.audit.id() != id {
                    return Err(StoreError::KeyMismatch { path: self.location_text(), file: keys.audit.id(), database: id });
                }
                Ok(keys)
            }
            (Some((id, from)), None) => Err(StoreError::KeyUnavailable {
                path: self.location_text(),
                reason: format!(
                    "the database's audit trail is keyed (key {id}, from entry {from}) and the key file is missing; \
                     restore it from its copy (or name it with {KEY_FILE_ENV})"
                ),
            }),
            // The key file says entries up to the log's end are keyed, yet the database names no
            // key: its settings were removed (perhaps with the log re-hashed without the key).
            // The file is believed, so verification checks those entries under the key.
            (None, Some(keys)) if self.audit_newest().await?.is_some_and(|(last, _)| keys.keyed_from <= last) => {
                tracing::warn!(path = %self.location_text(), "the database names no audit key, but the key file says its entries are keyed");
                Ok(keys)
            }
            (None, file) => match self.adopt_keys(file).await? {
                Some(keys) => Ok(keys),
                // Another process gave the database its key meanwhile: read that.
                None => self.read_keys()?.ok_or_else(|| StoreError::KeyUnavailable {
                    path: self.location_text(),
                    reason: "another process is creating it; try again".into(),
                }),
            },
        }
    }

    /// Give a database without a key its key file (a new one, or an existing file adopted), under
    /// the audit log's lock: record the key id and the first keyed entry, move an older
    /// pseudonymisation secret out of `settings`, and start the keyed part with an entry when
    /// older entries exist.
    async fn adopt_keys(&self, file: Option<Keys>) -> Result<Option<Keys>, StoreError> {
        let op = "give the database its key file";
        let set = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        crate::audit::with_audit_lock!(self, op, |tx, backend| {
            let again: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(KEY_ID)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::db(backend, op))?;
            if again.is_some() {
                // Another process gave it one meanwhile: read that (after this transaction ends).
                None
            } else {
                let last: Option<(i64, String)> = sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::db(backend, op))?;
                let legacy: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                    .bind(LEGACY_PSEUDONYM_KEY)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::db(backend, op))?;
                let last_id = last.as_ref().map_or(0, |(id, _)| u64::try_from(*id).unwrap_or(0));
                // The records' person keys were made with the database's secret: it wins.
                let pseudonym = match (&legacy, &file) {
                    (Some(hexkey), _) => PseudonymKey::from_bytes(parse_32("settings.pseudonym_key", hexkey, "settings")?),
                    (None, Some(f)) => f.pseudonym.clone(),
                    (None, None) => PseudonymKey::from_bytes(random_32()?),
                };
                let audit = match &file {
                    Some(f) => f.audit.clone(),
                    None => AuditKey::from_bytes(random_32()?),
                };
                let keys = Keys { audit, pseudonym, keyed_from: last_id + 1 };
                self.write_key_text(&render(&keys))?;
                for (k, v) in [(KEY_ID, keys.audit.id()), (KEYED_FROM, keys.keyed_from.to_string())] {
                    sqlx::query(set).bind(k).bind(v).execute(&mut *tx).await.map_err(StoreError::db(backend, op))?;
                }
                sqlx::query("DELETE FROM settings WHERE key = $1")
                    .bind(LEGACY_PSEUDONYM_KEY)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(backend, op))?;
                if let Some((id, hash)) = &last {
                    let anchor: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'audit_anchor'")
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(StoreError::db(backend, op))?;
                    let anchor = anchor.as_deref().and_then(|a| a.split_once(':')).and_then(|(i, h)| Some((i.parse::<u64>().ok()?, h)));
                    let event = AuditEvent {
                        at: audit_time(crate::clock::real_now()),
                        actor: "pmhc".into(),
                        partner: None,
                        action: AuditAction::Admin,
                        object: REKEY_OBJECT.into(),
                        field_groups: Vec::new(),
                        source: "pmhc".into(),
                        outcome: AuditOutcome::Success,
                        detail: rekey_detail(last_id, &keys.audit.id(), anchor),
                    };
                    let entry = next_keyed_entry(&keys.audit, Some((u64::try_from(*id).unwrap_or(0), hash.as_str())), event);
                    crate::audit::insert_entry!(tx, backend, &entry);
                }
                tracing::info!(path = %self.location_text(), keyed_from = keys.keyed_from, "created the key file");
                Some(keys)
            }
        })
    }

    async fn setting(&self, key: &'static str) -> Result<Option<String>, StoreError> {
        crate::on_pool!(self, pool => {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read the settings"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_reads_back_what_it_wrote() {
        let k = Keys { audit: AuditKey::from_bytes([3; 32]), pseudonym: PseudonymKey::from_bytes([4; 32]), keyed_from: 17 };
        let back = parse(&render(&k), "f").unwrap();
        assert_eq!(back.audit, k.audit);
        assert_eq!(back.pseudonym.as_bytes(), k.pseudonym.as_bytes());
        assert_eq!(back.keyed_from, 17);
        assert!(matches!(parse("audit_key = zz\n", "f"), Err(StoreError::KeyFile { .. })));
        assert!(matches!(parse("", "f"), Err(StoreError::KeyFile { .. })));
    }
}
