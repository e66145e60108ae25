//! `pmhc db status`: the schema migrations.

use anyhow::{Context, Result};
use pmhc_store::Store;
use super::redact;

pub(crate) async fn db_status(url: &str) -> Result<u8> {
    let store = Store::open(url).await.with_context(|| format!("cannot open the database {}", redact(url)))?;
    let status = store.migration_status().await?;
    println!("{} ({})", redact(url), store.backend_name());
    for m in &status {
        let when = m.applied_at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default();
        println!("  {:>4}  {:<8} {:<40} {}", m.version, if m.applied { "applied" } else { "PENDING" }, m.description, when);
    }
    let pending = status.iter().filter(|m| !m.applied).count();
    if pending > 0 {
        println!("{pending} migration(s) pending: run `pmhc db migrate`.");
    }
    store.close().await;
    Ok(0)
}
