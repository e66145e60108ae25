//! `pmhc imports`: the import history.

use anyhow::Result;
use pmhc_service::{Acting, ServiceContext};
use crate::output;

pub(crate) async fn imports(cx: &ServiceContext, limit: u32, json: bool) -> Result<u8> {
    let list = pmhc_service::imports::history(cx, Acting::Operator, limit).await?;
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|i| {
                serde_json::json!({
                    "id": i.id, "file": i.file_name, "mapping": i.mapping_name, "source_system": i.source_system,
                    "status": i.status.as_str(), "started_at": i.started_at, "finished_at": i.finished_at,
                    "received": i.received, "accepted": i.accepted, "rejected": i.rejected,
                    "inserted": i.inserted, "updated": i.updated, "unchanged": i.unchanged, "stale": i.stale,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        output::imports_table(&list);
    }
    Ok(0)
}
