//! `pmhc partner`: the partners of the collaboration.

use anyhow::Result;
use pmhc_core::sharing::Sector;
use pmhc_service::audit::Actor;
use pmhc_service::ServiceContext;
use crate::cli::PartnerCommand;

pub(crate) async fn partner(cx: &ServiceContext, cmd: PartnerCommand) -> Result<u8> {
    match cmd {
        PartnerCommand::List => {
            println!("{:>4}  {:<26} name", "#", "sector");
            for p in pmhc_service::partners::list(cx).await? {
                println!("{:>4}  {:<26} {}", p.id, p.sector.label(), p.name);
            }
        }
        PartnerCommand::Add { name, sector } => {
            let sector: Sector = sector.parse()?;
            let p = pmhc_service::partners::add(cx, &Actor::cli(), pmhc_service::Acting::Operator, &name, sector).await?;
            println!("Added partner {} ({}, {}).", p.id, p.name, p.sector.label());
        }
        PartnerCommand::Set { partner, name, sector, person_namespace } => {
            let sector = sector.map(|s| s.parse::<Sector>()).transpose()?;
            let mut p = pmhc_service::partners::find(cx, &partner).await?;
            if name.is_some() || sector.is_some() {
                p = pmhc_service::partners::change(cx, &Actor::cli(), pmhc_service::Acting::Operator, &partner, name.as_deref(), sector).await?;
                println!("Partner {} is now {} ({}).", p.id, p.name, p.sector.label());
            }
            if let Some(ns) = person_namespace {
                let id = p.id.to_string();
                pmhc_service::partners::set_person_namespace(cx, &Actor::cli(), pmhc_service::Acting::Operator, &id, Some(&ns)).await?;
                let ns = pmhc_service::encounters::person_namespace(cx, p.id).await?;
                println!("Partner {}'s field form and API make person keys in namespace {ns}.", p.id);
            }
        }
    }
    Ok(0)
}
