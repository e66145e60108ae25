//! `pmhc services`: the service inventory, capacity reports and its export.

use anyhow::Result;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_service::Acting;
use pmhc_service::audit::{self, Actor};
use pmhc_service::ServiceContext;
use crate::cli::ServicesCommand;

pub(crate) async fn services(cx: &ServiceContext, cmd: ServicesCommand) -> Result<u8> {
    use pmhc_service::inventory;
    match cmd {
        ServicesCommand::List => {
            let partners = pmhc_service::partners::list(cx).await?;
            let now = cx.clock().local_now();
            println!("{:>4}  {:<4} {:<26} {:<9} {:<6} {:<30} name (provider)", "#", "int.", "type", "capacity", "open", "hours");
            for s in inventory::services(cx).await? {
                let provider = partners.iter().find(|p| p.id == s.provider).map_or_else(|| s.provider.to_string(), |p| p.name.clone());
                println!(
                    "{:>4}  {:<4} {:<26} {:<9} {:<6} {:<30} {} ({provider}){}",
                    s.id,
                    s.intercept.as_str(),
                    s.kind.label(),
                    s.capacity.map(|c| c.to_string()).unwrap_or_default(),
                    if inventory::open_at(&s, now) { "yes" } else { "no" },
                    s.hours,
                    s.name,
                    if s.police_dropoff { "; police drop-off" } else { "" }
                );
            }
        }
        ServicesCommand::Import { file } => {
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let saved = inventory::import_inventory(cx, &Actor::cli(), Acting::Operator, &file.display().to_string(), &bytes).await?;
            println!("Imported {} services from {}.", saved.len(), file.display());
        }
        ServicesCommand::Capacity { service_id, available, total, at } => {
            println!("{}", report_capacity(cx, service_id, available, total, at).await?);
        }
        ServicesCommand::CapacityImport { file } => {
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let n = inventory::import_capacity(cx, &Actor::cli(), Acting::Operator, &file.display().to_string(), &bytes).await?;
            println!("Imported {n} capacity reports from {}.", file.display());
        }
        ServicesCommand::Export { output } => {
            let partners = pmhc_service::partners::list(cx).await?;
            let services = inventory::services(cx).await?;
            let bytes = inventory::inventory_csv(&services, &partners)?;
            let to = output.as_ref().map_or_else(|| "stdout".to_string(), |p| p.display().to_string());
            audit::record(cx, &Actor::cli(), AuditAction::Export, "services:inventory", &[], AuditOutcome::Success, format!("{} services to {to}", services.len()))
                .await?;
            match output {
                Some(p) => {
                    std::fs::write(&p, &bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
                    eprintln!("Wrote the inventory to {}.", p.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
    }
    Ok(0)
}

pub(crate) async fn report_capacity(cx: &ServiceContext, service_id: i64, available: u32, total: Option<u32>, at: Option<String>) -> Result<String> {
    let at = match at {
        Some(a) => pmhc_import::inventory::parse_reported_at(&a).ok_or_else(|| anyhow::anyhow!("--at `{a}` is not a date and time (YYYY-MM-DD HH:MM)"))?,
        None => cx.clock().now().naive_utc(),
    };
    pmhc_service::inventory::record_capacity(cx, &Actor::cli(), Acting::Operator, service_id, at, available, total).await?;
    Ok(format!("Service {service_id}: {available} free{} at {} (UTC).", total.map(|t| format!(" of {t}")).unwrap_or_default(), at.format("%Y-%m-%d %H:%M")))
}
