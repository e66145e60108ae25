//! `pmhc workgroup`: members, meetings and action items as CSV; the overdue action items; the
//! representation table. Thin callers of `pmhc_service::workgroup`.

use anyhow::{Context, Result};
use pmhc_service::audit::Actor;
use pmhc_service::workgroup::{self as uc, csv};
use pmhc_service::{Acting, ServiceContext};

use crate::cli::{WorkgroupActions, WorkgroupCommand, WorkgroupFile};

fn write(output: Option<std::path::PathBuf>, bytes: &[u8]) -> Result<()> {
    match output {
        Some(p) => std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display())),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(bytes).context("cannot write to standard output")
        }
    }
}

fn said(what: &str, file: &std::path::Path, n: csv::Imported) {
    println!("{what} from {}: {} added, {} changed.", file.display(), n.added, n.changed);
}

pub(crate) async fn workgroup(cx: &ServiceContext, cmd: WorkgroupCommand) -> Result<u8> {
    let (actor, by) = (Actor::cli(), Acting::Operator);
    let read = |f: &std::path::Path| super::training::read(f);
    match cmd {
        WorkgroupCommand::Members(WorkgroupFile::Export { output }) => write(output, &csv::members_csv(cx, &actor, by).await?)?,
        WorkgroupCommand::Members(WorkgroupFile::Import { file }) => {
            said("Members", &file, csv::import_members(cx, &actor, by, &file.display().to_string(), &read(&file)?).await?)
        }
        WorkgroupCommand::Meetings(WorkgroupFile::Export { output }) => write(output, &csv::meetings_csv(cx, &actor, by).await?)?,
        WorkgroupCommand::Meetings(WorkgroupFile::Import { file }) => {
            said("Meetings", &file, csv::import_meetings(cx, &actor, by, &file.display().to_string(), &read(&file)?).await?)
        }
        WorkgroupCommand::Actions(WorkgroupActions::Export { output }) => write(output, &csv::actions_csv(cx, &actor, by).await?)?,
        WorkgroupCommand::Actions(WorkgroupActions::Import { file }) => {
            said("Action items", &file, csv::import_actions(cx, &actor, by, &file.display().to_string(), &read(&file)?).await?)
        }
        WorkgroupCommand::Actions(WorkgroupActions::Overdue) => {
            let today = cx.clock().today();
            let items = uc::action_items(cx, by).await?;
            let members = uc::members(cx, by).await?;
            let names = uc::by_id(&members);
            let overdue = pmhc_core::workgroup::overdue(&items, today);
            println!("{} action items overdue on {today}", overdue.len());
            for a in overdue {
                let owner = names.get(&a.owner).map_or("?", |m| m.name.as_str());
                println!("  #{:<4} due {} ({} days)  {:<24} {}", a.id, a.due_on, (today - a.due_on).num_days(), owner, a.text);
            }
        }
        WorkgroupCommand::Representation => {
            let w = uc::workgroup(cx, by).await?;
            let r = &w.representation;
            println!("{} current members on {} (small groups show \"fewer than 3\")", r.members, r.on);
            println!("\nSectors: {}", r.sectors.iter().map(|s| format!("{} {}", s.sector.label(), s.members)).collect::<Vec<_>>().join(", "));
            for t in &r.categories {
                println!("\n{}{}", t.category, if t.source.is_empty() { String::new() } else { format!(" (community: {})", t.source) });
                for row in &t.rows {
                    let pct = |x: Option<f64>| x.map(pmhc_core::numbers::percent_whole).unwrap_or_else(|| "–".into());
                    println!("  {:<36} community {:>5}  members {:>13}  {:>5}  {}", row.group, pct(row.community_share), row.members.words(), pct(row.member_share), row.gap);
                }
            }
            if !r.gaps.is_empty() {
                println!("\nThe gaps:");
                for g in &r.gaps {
                    println!("  - {g}");
                }
            }
        }
    }
    Ok(0)
}
