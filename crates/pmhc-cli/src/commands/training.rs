//! `pmhc training`: courses, rosters, completions and coverage.

use anyhow::{Context, Result};
use pmhc_service::training::{self, CoverageReader};
use pmhc_store::Store;
use pmhc_service::ServiceContext;
use crate::cli::TrainingCommand;
use pmhc_service::Acting;
use pmhc_service::audit::Actor;

pub(crate) async fn partner_id(cx: &ServiceContext, partner: Option<String>) -> Result<i64> {
    Ok(match partner {
        Some(p) => pmhc_service::partners::find(cx, &p).await?.id,
        None => pmhc_core::sharing::DEFAULT_PARTNER,
    })
}

pub(crate) fn read(file: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

pub(crate) fn pct(x: Option<f64>) -> String {
    x.map(pmhc_core::numbers::percent_whole).unwrap_or_else(|| "–".into())
}

pub(crate) async fn training(store: &Store, cx: &ServiceContext, cmd: TrainingCommand) -> Result<u8> {
    match cmd {
        TrainingCommand::ImportCourses { file } => {
            let bytes = read(&file)?;
            let n = training::import_courses(cx, &Actor::cli(), Acting::Operator, &file.display().to_string(), &bytes).await?;
            println!("Imported {n} courses from {}.", file.display());
        }
        TrainingCommand::ImportRoster { file, partner } => {
            let bytes = read(&file)?;
            let partner = partner_id(cx, partner).await?;
            let c = training::import_roster(cx, &Actor::cli(), Acting::Operator, partner, &file.display().to_string(), &bytes).await?;
            println!("Roster of partner {partner} from {}: {} added, {} updated.", file.display(), c.added, c.updated);
        }
        TrainingCommand::ImportCompletions { file, partner } => {
            let bytes = read(&file)?;
            let partner = partner_id(cx, partner).await?;
            let c = training::import_completions(cx, &Actor::cli(), Acting::Operator, partner, &file.display().to_string(), &bytes).await?;
            println!("Completions from {}: {} added, {} updated.", file.display(), c.added, c.updated);
        }
        TrainingCommand::Courses => {
            let records = store.training_records().await?;
            println!("{:>4}  {:<22} {:>6} {:>8} {:>11} {:>5} {:>5} {:>5}  name", "#", "kind", "hours", "sessions", "completions", "pre", "post", "eval");
            for c in pmhc_core::training::course_results(&records, store.clock().today()) {
                let f = |x: Option<f64>| x.map(|v| pmhc_core::numbers::fixed(v, 1)).unwrap_or_else(|| "–".into());
                println!(
                    "{:>4}  {:<22} {:>6} {:>8} {:>11} {:>5} {:>5} {:>5}  {}",
                    c.course_id,
                    c.kind.label(),
                    c.hours,
                    c.sessions,
                    c.completions,
                    f(c.mean_pre),
                    f(c.mean_post),
                    f(c.mean_evaluation),
                    c.name
                );
            }
        }
        TrainingCommand::Roster { partner } => {
            let partner = match partner {
                Some(p) => Some(pmhc_service::partners::find(cx, &p).await?.id),
                None => None,
            };
            let records = store.training_records().await?;
            let today = store.clock().today();
            let statuses = records.statuses(today);
            // Staff names and their training status: audited before they are shown.
            use pmhc_core::audit::{AuditAction, AuditOutcome};
            let shown = records.staff.iter().filter(|s| partner.is_none_or(|p| p == s.partner)).count();
            pmhc_service::audit::record(
                cx,
                &pmhc_service::audit::Actor::cli(),
                AuditAction::View,
                format!("training:roster{}", partner.map(|p| format!("?partner={p}")).unwrap_or_default()),
                &[],
                AuditOutcome::Success,
                format!("{shown} staff"),
            )
            .await?;
            println!("{:<8} {:<10} {:<8} {:<16} {:<10} {:<12} name", "number", "precinct", "shift", "role", "trained", "refresher");
            for s in records.staff.iter().filter(|s| partner.is_none_or(|p| p == s.partner)) {
                let st = &statuses[&s.id];
                println!(
                    "{:<8} {:<10} {:<8} {:<16} {:<10} {:<12} {}{}",
                    s.staff_key,
                    s.precinct.as_deref().unwrap_or("–"),
                    s.shift.as_deref().unwrap_or("–"),
                    s.role.label(),
                    st.trained_on.map(|d| d.to_string()).unwrap_or_else(|| "no".into()),
                    st.refresher_due.map(|d| if d < today { format!("{d} overdue") } else { d.to_string() }).unwrap_or_else(|| "–".into()),
                    s.name,
                    if s.active { "" } else { " (inactive)" }
                );
            }
        }
        TrainingCommand::Coverage { format, on, output } => {
            let partners: Vec<i64> = pmhc_service::partners::list(cx).await?.iter().map(|p| p.id).collect();
            let today = on.unwrap_or_else(|| cx.clock().today());
            let c = training::training_coverage(cx, &CoverageReader::operator(partners), today).await?;
            let bytes = match format.as_str() {
                "csv" => training::coverage_csv(&c)?,
                "reach-csv" => training::reach_csv(&c)?,
                "json" => serde_json::to_vec_pretty(&c)?,
                "table" => coverage_table(&c).into_bytes(),
                other => anyhow::bail!("unknown format `{other}`: use table, csv, reach-csv or json"),
            };
            match output {
                Some(p) => std::fs::write(&p, &bytes).with_context(|| format!("cannot write {}", p.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
    }
    Ok(0)
}

pub(crate) fn coverage_table(c: &training::TrainingCoverage) -> String {
    let mut out = format!("Training coverage on {} ({} active staff on the rosters)\n\n", c.today, c.staff_on_roster);
    out += &format!("{:<32} {:<18} {:<10} {:>6} {:>8} {:>8} {:>8} {:>7}\n", "group", "precinct", "shift", "staff", "trained", "share", "current", "overdue");
    for r in &c.coverage {
        let (p, s) = if r.total { ("all".to_string(), "all".to_string()) } else {
            (r.precinct.clone().unwrap_or_else(|| "–".into()), r.shift.clone().unwrap_or_else(|| "–".into()))
        };
        out += &format!(
            "{:<32} {:<18} {:<10} {:>6} {:>8} {:>8} {:>8} {:>7}\n",
            r.group.label(), p, s, r.staff, r.trained, pct(r.share_trained()), r.current, r.overdue
        );
    }
    if let Some(t) = c.reach.first() {
        out += &format!(
            "\nCalls that requested a CIT officer: {}; reached by a trained officer: {} ({} of those whose officers are on a roster); \
             by officers not trained then: {}; officers not known: {}\n",
            t.requested, t.reached_by_trained, pct(t.share()), t.reached_by_untrained, t.not_known
        );
    }
    out += &format!("Refreshers overdue: {}\n", c.overdue_total);
    out
}
