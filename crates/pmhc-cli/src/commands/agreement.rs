//! `pmhc agreement`: information-sharing agreements.

use anyhow::Result;
use pmhc_core::sharing::{Direction, FieldGroups, InformationSharingAgreement, Purpose};
use pmhc_service::Acting;
use pmhc_service::audit::Actor;
use pmhc_service::ServiceContext;
use crate::cli::AgreementCommand;

pub(crate) async fn agreement(cx: &ServiceContext, cmd: AgreementCommand) -> Result<u8> {
    let today = cx.clock().today();
    match cmd {
        AgreementCommand::List => {
            let partners = pmhc_service::partners::list(cx).await?;
            let name = |id: i64| partners.iter().find(|p| p.id == id).map_or_else(|| id.to_string(), |p| p.name.clone());
            for a in pmhc_service::agreements::visible(cx, Acting::Operator).await? {
                println!(
                    "#{} {} [{}]\n    {} {} {}\n    shares: {}\n    purpose: {}; legal basis: {}\n    {} to {}{}",
                    a.id,
                    a.title,
                    a.state(today),
                    name(a.discloser),
                    if a.direction == Direction::BothWays { "<->" } else { "->" },
                    name(a.recipient),
                    a.field_groups.labels(),
                    a.purpose.label(),
                    a.legal_basis,
                    a.effective_on,
                    a.expires_on,
                    a.ended_on.map(|d| format!(", ended {d}")).unwrap_or_default(),
                );
            }
        }
        AgreementCommand::Add { title, discloser, recipient, both_ways, groups, purpose, legal_basis, effective, expires } => {
            let a = InformationSharingAgreement {
                id: 0,
                title: title.clone(),
                discloser: pmhc_service::partners::find(cx, &discloser).await?.id,
                recipient: pmhc_service::partners::find(cx, &recipient).await?.id,
                direction: if both_ways { Direction::BothWays } else { Direction::OneWay },
                field_groups: groups.parse::<FieldGroups>()?,
                purpose: purpose.parse::<Purpose>()?,
                legal_basis: legal_basis.clone(),
                effective_on: effective,
                expires_on: expires,
                ended_on: None,
                discloser_approved_on: None,
                recipient_approved_on: None,
            };
            let a = pmhc_service::agreements::propose(cx, &Actor::cli(), Acting::Operator, a).await?;
            println!("Recorded agreement #{} ({}); it is {} today.", a.id, a.title, a.state(today));
        }
        AgreementCommand::End { id, on } => {
            let day = pmhc_service::agreements::end(cx, &Actor::cli(), Acting::Operator, id, on).await?;
            println!("Agreement #{id} ends from {day}: nothing is shared under it from that day.");
        }
        AgreementCommand::Approve { id, partner } => {
            let p = pmhc_service::partners::find(cx, &partner).await?;
            let a = pmhc_service::agreements::approve(cx, &Actor::cli(), Acting::Operator, id, Some(p.id)).await?;
            println!("Agreement #{id} approved for {}; it is {} today.", p.name, a.state(today));
        }
    }
    Ok(0)
}
