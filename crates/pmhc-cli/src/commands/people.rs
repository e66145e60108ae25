//! `pmhc people repeat`: the repeat-encounter list for case management (identifiable; audited).

use anyhow::{Result, bail};
use pmhc_core::outcomes::{OutcomeFilter, repeat_people};
use pmhc_import::csv_safe::write_safe_record;
use pmhc_service::ServiceContext;
use pmhc_store::Store;
use crate::cli::*;

pub(crate) async fn people(store: &Store, cx: &ServiceContext, url: &str, cmd: PeopleCommand) -> Result<u8> {
    let PeopleCommand::Repeat { period, identifiable, format, source, limit } = cmd;
    if !identifiable {
        eprintln!(
            "The repeat-encounter list is identifiable case-management data (pseudonymous keys and dates of each \
             person's encounters). Add --identifiable to confirm you are authorised to see it. For counts only, use \
             `pmhc report`."
        );
        return Ok(2);
    }
    if let Some(code) = super::nothing_to_answer_from(store, url).await? {
        return Ok(code);
    }
    let dv = store.current_definition().await?;
    let period = match period.or(dv.definition.periods.map(|p| p.comparison)) {
        Some(p) => p,
        None => bail!("which period? Give --period FROM..TO, e.g. --period 2023-01-01..2023-12-31"),
    };
    let data = store.load_outcome_data(source.as_deref()).await?;
    let people = repeat_people(&data, &dv.definition, &OutcomeFilter::default(), &period);
    use pmhc_core::audit::{AuditAction, AuditOutcome};
    pmhc_service::audit::record(cx, &pmhc_service::audit::Actor::cli(), AuditAction::View, format!("people:repeat?period={period}"),
        &["subject_identity", "area_time"], AuditOutcome::Success, format!("{} people", people.len())).await?;
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&people)?),
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            write_safe_record(&mut w, ["subject_key", "encounters", "first", "last", "dates"])?;
            for p in &people {
                let dates: Vec<String> = p.dates.iter().map(|d| d.to_string()).collect();
                write_safe_record(&mut w, [
                    p.subject_key.clone(),
                    p.encounters.to_string(),
                    p.first.to_string(),
                    p.last.to_string(),
                    dates.join(" "),
                ])?;
            }
            w.flush()?;
        }
        ListFormat::Table => {
            println!(
                "{} people with {}+ mental-health encounters within {} days in {} (definitions version {})",
                people.len(),
                dv.definition.repeat.min_encounters,
                dv.definition.repeat.window_days,
                period,
                dv.version
            );
            println!("{:<28} {:>10}  {:<10}  {:<10}", "person key", "encounters", "first", "last");
            for p in people.iter().take(limit) {
                println!("{:<28} {:>10}  {:<10}  {:<10}", p.subject_key, p.encounters, p.first, p.last);
            }
            if people.len() > limit {
                println!("... and {} more (--limit, or --format csv for all)", people.len() - limit);
            }
        }
    }
    Ok(0)
}
