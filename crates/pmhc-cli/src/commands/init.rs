//! `pmhc init`: create (or bring up to date) the database and its key file.

use anyhow::{Context, Result};
use pmhc_store::Store;
use super::redact;

pub(crate) async fn init(store: &Store, url: &str) -> Result<u8> {
    let keys = store.keys().await.context("cannot set up the key file (the audit key and the pseudonymisation secret)")?;
    let status = store.migration_status().await?;
    println!(
        "{} ({}) is ready: {} migration(s) applied.",
        redact(url),
        store.backend_name(),
        status.iter().filter(|m| m.applied).count()
    );
    if let pmhc_store::KeyLocation::File(path) = store.key_location() {
        println!(
            "Key file (the audit key {} and the pseudonymisation secret): {}\n  Keep it owner-only, outside the database and its backups, with a copy offline: \n  without it the audit trail cannot be verified or written and person ids cannot be derived again.",
            keys.audit.id(),
            path.display()
        );
    }
    println!("Next: `pmhc demo` for synthetic data, or `pmhc import FILE --mapping NAME` for a real export.");
    Ok(0)
}
