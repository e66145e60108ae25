//! `pmhc audit`: verify the chain, print its head, list and purge entries.

use anyhow::{Context, Result};
use pmhc_service::{Acting, ServiceContext};
use pmhc_core::audit::AuditAction;
use pmhc_service::audit::{self, Actor};
use crate::cli::AuditCommand;

pub(crate) async fn audit(cx: &ServiceContext, cmd: AuditCommand) -> Result<u8> {
    match cmd {
        AuditCommand::Head => {
            println!("{}", audit::head(cx).await?);
            Ok(0)
        }
        AuditCommand::Verify { expect_head } => match audit::verify(cx, expect_head.as_deref()).await? {
            Ok(v) => {
                match &v.head {
                    Some((id, hash)) => println!(
                        "The audit trail is intact: {} entries, the newest is {id} with hash {hash}. \
                         Keep the hash outside the database: `pmhc audit verify --expect-head HASH` later finds entries removed after it.",
                        v.entries
                    ),
                    None => println!("The audit trail is empty."),
                }
                Ok(0)
            }
            Err(e) if !e.is_tampering() => {
                eprintln!("The audit trail cannot be verified: {e}. Restore the key file (PMHC_KEY_FILE names it) and verify again.");
                Ok(2)
            }
            Err(broken) => {
                eprintln!("The audit trail is BROKEN at entry {}: {broken}.", broken.entry());
                Ok(1)
            }
        },
        AuditCommand::Purge { before } => {
            let n = audit::purge(cx, &Actor::cli(), before).await?;
            println!("Removed {n} audit entries from before {before}; the chain still verifies from the last one removed.");
            Ok(0)
        }
        AuditCommand::List { limit, actor, action, json } => {
            let action = match action {
                Some(a) => Some(AuditAction::parse(&a).with_context(|| {
                    format!("--action {a}: use one of {}", AuditAction::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "))
                })?),
                None => None,
            };
            let filter = pmhc_service::model::AuditFilter { actor, action, ..Default::default() };
            // Reading the audit trail is itself audited (before it is shown).
            let entries = audit::list(cx, &Actor::cli(), Acting::Operator, filter, limit, 0).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                for e in entries {
                    let ev = &e.event;
                    println!(
                        "{:>6}  {}  {:<16} {:<8} {:<8} {}{}{}",
                        e.id,
                        ev.at,
                        ev.actor,
                        ev.action.as_str(),
                        ev.outcome.as_str(),
                        ev.object,
                        if ev.field_groups.is_empty() { String::new() } else { format!(" [{}]", ev.field_groups.join(",")) },
                        if ev.detail.is_empty() { String::new() } else { format!(" — {}", ev.detail) }
                    );
                }
            }
            Ok(0)
        }
    }
}
