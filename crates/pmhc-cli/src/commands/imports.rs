//! `pmhc imports`: the import history.

use anyhow::Result;
use pmhc_service::{Acting, ServiceContext};
use crate::output;

pub(crate) async fn imports(cx: &ServiceContext, limit: u32, json: bool) -> Result<u8> {
    let list = pmhc_service::imports::history(cx, Acting::Operator, limit).await?;
    if json {
        let rows: Vec<serde_json::Value> = list
            .iter()
            .map(|i| {
                let mut row = serde_json::json!({
                    "id": i.id, "file": i.file_name, "mapping": i.mapping_name, "source_system": i.source_system,
                    "status": i.status.as_str(), "started_at": i.started_at, "finished_at": i.finished_at,
                });
                // The counts under their own names, beside the import's.
                if let (Some(row), serde_json::Value::Object(counts)) = (row.as_object_mut(), serde_json::to_value(i.counts)?) {
                    row.extend(counts);
                }
                Ok(row)
            })
            .collect::<Result<_>>()?;
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        output::imports_table(&list);
    }
    Ok(0)
}
