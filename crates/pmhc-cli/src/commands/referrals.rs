//! `pmhc referrals`: closed-loop referrals and their FHIR export.

use anyhow::Result;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_service::audit::{self, Actor};
use pmhc_service::ServiceContext;
use pmhc_store::Store;
use crate::cli::ReferralsCommand;

pub(crate) async fn referrals(store: &Store, cx: &ServiceContext, cmd: ReferralsCommand) -> Result<u8> {
    use pmhc_service::referrals;
    let all = referrals::all(cx).await?;
    match cmd {
        ReferralsCommand::List => {
            println!("{:>5}  {:<12} {:<20} {:<30} encounter", "#", "state", "updated", "service");
            for v in &all {
                let r = &v.referral;
                println!(
                    "{:>5}  {:<12} {:<20} {:<30} {}/{}",
                    r.id,
                    r.state.as_str(),
                    r.updated_at.format("%Y-%m-%d %H:%M"),
                    v.service.name,
                    r.source_system,
                    r.source_key
                );
            }
        }
        ReferralsCommand::Export { format, output } => {
            if format != "fhir" {
                anyhow::bail!("--format `{format}`: the export format is fhir");
            }
            let mut subjects = Vec::with_capacity(all.len());
            for v in &all {
                let e = store.get_encounter(&v.referral.source_system, &v.referral.source_key).await?;
                subjects.push(e.and_then(|e| e.subject_key));
            }
            let bundle = referrals::fhir_bundle(&all, &subjects, &pmhc_service::partners::list(cx).await?, cx.clock().now());
            audit::record(
                cx,
                &Actor::cli(),
                AuditAction::Export,
                "referrals:fhir",
                &["subject_identity"],
                AuditOutcome::Success,
                format!("{} referrals", all.len()),
            )
            .await?;
            let text = serde_json::to_string_pretty(&bundle)?;
            match output {
                Some(p) => {
                    std::fs::write(&p, text + "\n").map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
                    eprintln!("Wrote {} referrals as a FHIR R4 Bundle to {}.", all.len(), p.display());
                }
                None => println!("{text}"),
            }
        }
    }
    Ok(0)
}
