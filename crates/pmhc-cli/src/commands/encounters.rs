//! `pmhc encounters`: list, show and count records (the operator reads everything, audited).

use anyhow::{Result, bail};
use pmhc_service::audit::Actor;
use pmhc_service::ServiceContext;
use pmhc_store::{EncounterFilter, Store};
use crate::cli::*;
use crate::output;

pub(crate) fn filter_of(f: &FilterArgs) -> Result<EncounterFilter> {
    Ok(EncounterFilter {
        source_system: f.source.clone(),
        from: f.from,
        to: f.to,
        precinct: f.precinct.clone(),
        disposition: f.disposition.as_deref().map(str::parse).transpose()?,
        response_model: f.response_model.as_deref().map(str::parse).transpose()?,
        subject_key: f.subject.clone(),
        partners: None,
    })
}

pub(crate) async fn encounters(store: &Store, cx: &ServiceContext, cmd: EncountersCommand) -> Result<u8> {
    match cmd {
        EncountersCommand::List(args) => {
            let filter = filter_of(&args.filter)?;
            let rows = pmhc_service::sharing::operator_list(cx, &Actor::cli(), format!("encounters: {}", filter.describe()), &filter, args.limit, args.offset).await?;
            match args.format {
                ListFormat::Table => {
                    let total = store.count_encounters(&filter).await?;
                    output::encounter_table(&rows);
                    let first = if rows.is_empty() { 0 } else { args.offset + 1 };
                    println!("\n{}–{} of {total} encounters", first, args.offset + rows.len() as u64);
                }
                ListFormat::Csv => {
                    let stdout = std::io::stdout();
                    let mut w = pmhc_import::canonical::CanonicalWriter::new(stdout.lock())?;
                    for e in rows.iter() {
                        w.write(e)?;
                    }
                    let _stdout = w.finish()?;
                }
                ListFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
            }
        }
        EncountersCommand::Show { source_system, source_key, json } => {
            let Some(e) = pmhc_service::sharing::operator_one(cx, &Actor::cli(), &source_system, &source_key).await? else {
                bail!("no encounter {source_system} / {source_key}");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&e)?);
            } else {
                output::encounter_detail(&e);
            }
        }
        EncountersCommand::Count(f) => {
            println!("{}", store.count_encounters(&filter_of(&f)?).await?);
        }
    }
    Ok(0)
}
