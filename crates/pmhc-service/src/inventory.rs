//! Importing the service inventory from CSV (read and checked by `pmhc_import::inventory`).

use pmhc_import::inventory::parse_inventory;
use pmhc_core::services::Service;
use pmhc_store::Store;

use crate::ServiceError;

pub use pmhc_import::inventory::{COLUMNS, RowProblem, inventory_csv, open_at};

/// Import an inventory file: every row saved (added, or changed when the provider already has a
/// service of that name), or nothing when any row has a problem.
pub async fn import_inventory(store: &Store, bytes: &[u8]) -> Result<Vec<Service>, ServiceError> {
    let partners = store.list_partners().await?;
    let services = parse_inventory(bytes, &partners).map_err(|problems| {
        ServiceError::Invalid(format!(
            "the inventory was not imported ({} problem{}):\n{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.iter().map(|p| format!("  line {}: {}", p.line, p.message)).collect::<Vec<_>>().join("\n")
        ))
    })?;
    let mut saved = Vec::with_capacity(services.len());
    for s in &services {
        saved.push(store.save_service(s).await?);
    }
    Ok(saved)
}
