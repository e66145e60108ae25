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
        PartnerCommand::Set { partner, name, sector } => {
            let sector = sector.map(|s| s.parse::<Sector>()).transpose()?;
            let p = pmhc_service::partners::change(cx, &Actor::cli(), pmhc_service::Acting::Operator, &partner, name.as_deref(), sector).await?;
            println!("Partner {} is now {} ({}).", p.id, p.name, p.sector.label());
        }
    }
    Ok(0)
}
