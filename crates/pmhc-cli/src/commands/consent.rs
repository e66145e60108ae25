//! `pmhc consent`: 42 CFR Part 2 consents and the accounting of disclosures.

use anyhow::Result;
use pmhc_core::sharing::{Consent, Purpose};
use pmhc_service::audit::Actor;
use pmhc_service::{Acting, ServiceContext};
use crate::cli::ConsentCommand;

pub(crate) async fn consent(cx: &ServiceContext, cmd: ConsentCommand) -> Result<u8> {
    let today = cx.clock().today();
    match cmd {
        ConsentCommand::List { subject } => {
            // Audited, like the consents page (they name people).
            for c in pmhc_service::consents::list(cx, &Actor::cli(), Acting::Operator, subject.as_deref(), usize::MAX).await? {
                let state = if c.in_force(today) { "in force" } else if c.revoked_on.is_some() { "revoked" } else { "not in force" };
                println!(
                    "#{} [{}] person {}: partner {} -> partner {}; {}",
                    c.id,
                    state,
                    c.subject_key,
                    c.discloser,
                    c.recipient,
                    c.scope()
                );
            }
        }
        ConsentCommand::Add {
            subject,
            discloser,
            recipient,
            information,
            purpose,
            expires,
            expiry_event,
            right_to_revoke_explained,
            signed_by,
            signed_on,
        } => {
            let c = Consent {
                id: 0,
                subject_key: subject.clone(),
                discloser: pmhc_service::partners::find(cx, &discloser).await?.id,
                recipient: pmhc_service::partners::find(cx, &recipient).await?.id,
                information,
                purpose: purpose.parse::<Purpose>()?,
                expires_on: expires,
                expiry_event,
                right_to_revoke_acknowledged: right_to_revoke_explained,
                signed_by,
                signed_on,
                revoked_on: None,
            };
            let c = pmhc_service::consents::record(cx, &Actor::cli(), Acting::Operator, c).await?;
            println!("Recorded consent #{}: {}.", c.id, c.scope());
        }
        ConsentCommand::Revoke { id, on } => {
            let day = on.unwrap_or(today);
            let c = pmhc_service::consents::revoke(cx, &Actor::cli(), Acting::Operator, id, Some(day)).await?;
            println!("Consent #{} is revoked from {day}; disclosures already made stay in the accounting.", c.id);
        }
        ConsentCommand::Accounting { subject, json } => {
            // Audited before it is shown.
            let rows = pmhc_service::sharing::accounting(cx, &Actor::cli(), Acting::Operator, &subject).await?;
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "disclosed_at": d.disclosed_at, "consent": d.consent_id, "discloser": d.discloser,
                            "recipient": d.recipient, "purpose": d.purpose, "user": d.username, "channel": d.channel,
                            "record": format!("{}/{}", d.source_system, d.source_key),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if rows.is_empty() {
                println!("No disclosures of {subject}'s records under consent in the last three years.");
            } else {
                for d in rows {
                    println!(
                        "{}  consent #{}  partner {} -> partner {} ({})  by {} via {}  record {}/{}",
                        d.disclosed_at.format("%Y-%m-%d %H:%M:%S"),
                        d.consent_id,
                        d.discloser,
                        d.recipient,
                        d.purpose.label(),
                        d.username,
                        d.channel,
                        d.source_system,
                        d.source_key
                    );
                }
            }
        }
    }
    Ok(0)
}
