//! `pmhc partner`, `pmhc agreement`, `pmhc consent`: the partners, their information-sharing
//! agreements and the people's consents. Every change is audited (actor `cli:$USER`).

use anyhow::Result;
use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::sharing::{Consent, Direction, FieldGroups, InformationSharingAgreement, Purpose, Sector};
use pmhc_service::Acting;
use pmhc_service::audit::{self, Actor};
use pmhc_store::Store;

use crate::cli::{AgreementCommand, ConsentCommand, PartnerCommand, ReferralsCommand, ServicesCommand};

/// Audit an administrative action with its outcome, then pass the result on.
pub(crate) async fn audited<T>(store: &Store, object: String, detail: String, groups: &[&str], r: Result<T>) -> Result<T> {
    let outcome = if r.is_ok() { AuditOutcome::Success } else { AuditOutcome::Failed };
    audit::record(store, &Actor::cli(), AuditAction::Admin, object, groups, outcome, detail).await?;
    r
}

pub async fn partner(store: &Store, cmd: PartnerCommand) -> Result<u8> {
    match cmd {
        PartnerCommand::List => {
            println!("{:>4}  {:<26} name", "#", "sector");
            for p in store.list_partners().await? {
                println!("{:>4}  {:<26} {}", p.id, p.sector.label(), p.name);
            }
        }
        PartnerCommand::Add { name, sector } => {
            let sector: Sector = sector.parse()?;
            let p = pmhc_service::partners::add(store, &Actor::cli(), pmhc_service::Acting::Operator, &name, sector).await?;
            println!("Added partner {} ({}, {}).", p.id, p.name, p.sector.label());
        }
        PartnerCommand::Set { partner, name, sector } => {
            let sector = sector.map(|s| s.parse::<Sector>()).transpose()?;
            let p = pmhc_service::partners::change(store, &Actor::cli(), pmhc_service::Acting::Operator, &partner, name.as_deref(), sector).await?;
            println!("Partner {} is now {} ({}).", p.id, p.name, p.sector.label());
        }
    }
    Ok(0)
}

pub async fn agreement(store: &Store, cmd: AgreementCommand) -> Result<u8> {
    let today = store.clock().today();
    match cmd {
        AgreementCommand::List => {
            let partners = store.list_partners().await?;
            let name = |id: i64| partners.iter().find(|p| p.id == id).map_or_else(|| id.to_string(), |p| p.name.clone());
            for a in store.list_agreements().await? {
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
                discloser: store.find_partner(&discloser).await?.id,
                recipient: store.find_partner(&recipient).await?.id,
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
            let a = pmhc_service::agreements::propose(store, &Actor::cli(), Acting::Operator, a).await?;
            println!("Recorded agreement #{} ({}); it is {} today.", a.id, a.title, a.state(today));
        }
        AgreementCommand::End { id, on } => {
            let day = pmhc_service::agreements::end(store, &Actor::cli(), Acting::Operator, id, on).await?;
            println!("Agreement #{id} ends from {day}: nothing is shared under it from that day.");
        }
        AgreementCommand::Approve { id, partner } => {
            let p = store.find_partner(&partner).await?;
            let a = pmhc_service::agreements::approve(store, &Actor::cli(), Acting::Operator, id, Some(p.id)).await?;
            println!("Agreement #{id} approved for {}; it is {} today.", p.name, a.state(today));
        }
    }
    Ok(0)
}

pub async fn consent(store: &Store, cmd: ConsentCommand) -> Result<u8> {
    let today = store.clock().today();
    match cmd {
        ConsentCommand::List { subject } => {
            for c in store.list_consents(subject.as_deref()).await? {
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
                discloser: store.find_partner(&discloser).await?.id,
                recipient: store.find_partner(&recipient).await?.id,
                information,
                purpose: purpose.parse::<Purpose>()?,
                expires_on: expires,
                expiry_event,
                right_to_revoke_acknowledged: right_to_revoke_explained,
                signed_by,
                signed_on,
                revoked_on: None,
            };
            let c = pmhc_service::consents::record(store, &Actor::cli(), pmhc_service::Acting::Operator, c).await?;
            println!("Recorded consent #{}: {}.", c.id, c.scope());
        }
        ConsentCommand::Revoke { id, on } => {
            let day = on.unwrap_or(today);
            let c = pmhc_service::consents::revoke(store, &Actor::cli(), pmhc_service::Acting::Operator, id, Some(day)).await?;
            println!("Consent #{} is revoked from {day}; disclosures already made stay in the accounting.", c.id);
        }
        ConsentCommand::Accounting { subject, json } => {
            let rows = pmhc_service::sharing::accounting(store, &subject).await?;
            audit::record(
                store,
                &Actor::cli(),
                AuditAction::View,
                format!("accounting:{subject}"),
                &["subject_identity"],
                AuditOutcome::Success,
                format!("{} disclosures", rows.len()),
            )
            .await?;
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

pub async fn services(store: &Store, cmd: ServicesCommand) -> Result<u8> {
    use pmhc_service::inventory;
    match cmd {
        ServicesCommand::List => {
            let partners = store.list_partners().await?;
            let now = store.clock().local_now();
            println!("{:>4}  {:<4} {:<26} {:<9} {:<6} {:<30} name (provider)", "#", "int.", "type", "capacity", "open", "hours");
            for s in store.list_services().await? {
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
            let r = inventory::import_inventory(store, &bytes).await.map_err(anyhow::Error::from);
            let saved = audited(store, format!("services:{}", file.display()), "import".into(), &[], r).await?;
            println!("Imported {} services from {}.", saved.len(), file.display());
        }
        ServicesCommand::Capacity { service_id, available, total, at } => {
            println!("{}", report_capacity(store, service_id, available, total, at).await?);
        }
        ServicesCommand::CapacityImport { file } => {
            let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let r = inventory::import_capacity(store, &bytes, &Actor::cli().name).await.map_err(anyhow::Error::from);
            let n = audited(store, format!("capacity:{}", file.display()), "import".into(), &[], r).await?;
            println!("Imported {n} capacity reports from {}.", file.display());
        }
        ServicesCommand::Export { output } => {
            let partners = store.list_partners().await?;
            let services = store.list_services().await?;
            let bytes = inventory::inventory_csv(&services, &partners)?;
            let to = output.as_ref().map_or_else(|| "stdout".to_string(), |p| p.display().to_string());
            audit::record(store, &Actor::cli(), AuditAction::Export, "services:inventory", &[], AuditOutcome::Success, format!("{} services to {to}", services.len()))
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

async fn report_capacity(store: &Store, service_id: i64, available: u32, total: Option<u32>, at: Option<String>) -> Result<String> {
    let at = match at {
        Some(a) => pmhc_import::inventory::parse_reported_at(&a).ok_or_else(|| anyhow::anyhow!("--at `{a}` is not a date and time (YYYY-MM-DD HH:MM)"))?,
        None => store.clock().now().naive_utc(),
    };
    pmhc_service::inventory::record_capacity(store, &audit::Actor::cli(), pmhc_service::Acting::Operator, service_id, at, available, total).await?;
    Ok(format!("Service {service_id}: {available} free{} at {} (UTC).", total.map(|t| format!(" of {t}")).unwrap_or_default(), at.format("%Y-%m-%d %H:%M")))
}

pub async fn referrals(store: &Store, cmd: ReferralsCommand) -> Result<u8> {
    use pmhc_service::referrals;
    let all = referrals::all(store).await?;
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
            let bundle = referrals::fhir_bundle(&all, &subjects, &store.list_partners().await?, store.clock().now());
            audit::record(
                store,
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
