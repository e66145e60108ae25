//! `pmhc definitions`: show, save (a new version) and list the shared definitions.

use anyhow::{Context, Result};
use pmhc_core::definition::SharedDefinition;
use pmhc_service::{Acting, ServiceContext};
use crate::cli::*;

pub(crate) async fn definitions(cx: &ServiceContext, cmd: DefinitionsCommand) -> Result<u8> {
    match cmd {
        DefinitionsCommand::Show { version, json } => {
            let dv = match version {
                Some(v) => pmhc_service::definitions::version(cx, Acting::Operator, v)
                    .await?
                    .with_context(|| format!("there is no version {v} (see `pmhc definitions history`)"))?,
                None => (*pmhc_service::definitions::current(cx, Acting::Operator).await?).clone(),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&dv)?);
            } else {
                println!("# pmhc shared definitions, version {} ({} by {}{})", dv.version, dv.created_at, dv.author,
                    if dv.note.is_empty() { String::new() } else { format!(": {}", dv.note) });
                println!("# Edit and save a new version with `pmhc definitions set FILE --note \"why\"`.\n");
                let text = pmhc_service::definitions_toml(&dv.definition).map_err(anyhow::Error::msg)?;
                print!("{text}");
            }
            Ok(0)
        }
        DefinitionsCommand::Set { file, note, author } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let def: SharedDefinition =
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            def.validate().map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let actor = pmhc_service::audit::Actor::cli();
            let name = def.name.clone();
            let saved = match pmhc_service::definitions::save(cx, &actor, Acting::Operator, def, &note, author.as_deref()).await {
                Ok(pmhc_service::definitions::Saved::New(saved)) => saved,
                Ok(pmhc_service::definitions::Saved::Unchanged(v)) => {
                    println!("These are the definitions in force already (version {v}); nothing saved.");
                    return Ok(0);
                }
                Err(pmhc_service::ServiceError::InvalidField { field, message }) if field == "note" => {
                    anyhow::bail!("--note: {message}")
                }
                Err(e) => return Err(e.into()),
            };
            println!("Saved shared definitions version {} (\"{}\"). Reports now use it.", saved.version, name);
            Ok(0)
        }
        DefinitionsCommand::History => {
            for dv in pmhc_service::definitions::history(cx, Acting::Operator).await? {
                println!(
                    "{:>4}  {}  {:<12} {}{}",
                    dv.version,
                    dv.created_at,
                    dv.author,
                    dv.definition.name,
                    if dv.note.is_empty() { String::new() } else { format!(" -- {}", dv.note) }
                );
            }
            Ok(0)
        }
    }
}
