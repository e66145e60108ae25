//! `pmhc mappings`: the shipped mapping files; loading a mapping by name or path.

use std::path::Path;
use anyhow::{Context, Result, bail};
use pmhc_import::{MappingSpec, shipped};
use crate::cli::*;

pub(crate) fn mappings(cmd: MappingsCommand) -> Result<u8> {
    match cmd {
        MappingsCommand::List => {
            for (name, text) in shipped::SHIPPED {
                let desc = MappingSpec::from_toml(text).map(|s| s.source.description).unwrap_or_else(|e| format!("(invalid: {e})"));
                println!("{name:<22} {desc}");
            }
            println!("\nUse one with `pmhc import FILE --mapping NAME`; copy one with `pmhc mappings show NAME > my.toml`.");
        }
        MappingsCommand::Show { name } => {
            let Some((_, text)) = shipped::SHIPPED.iter().find(|(n, _)| *n == name) else {
                bail!("no shipped mapping is called `{name}`; shipped: {}", shipped::names().join(", "));
            };
            print!("{text}");
        }
    }
    Ok(0)
}

/// A shipped mapping by name, or a mapping file by path.
pub(crate) fn load_mapping(name_or_path: &str) -> Result<(String, MappingSpec)> {
    if let Some(spec) = shipped::shipped(name_or_path) {
        return Ok((name_or_path.to_string(), spec.with_context(|| format!("shipped mapping `{name_or_path}`"))?));
    }
    let path = Path::new(name_or_path);
    if !path.exists() {
        bail!(
            "`{name_or_path}` is neither a shipped mapping ({}) nor a mapping file",
            shipped::names().join(", ")
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the mapping {}", path.display()))?;
    let spec = MappingSpec::from_toml(&text).with_context(|| format!("mapping {}", path.display()))?;
    Ok((path.display().to_string(), spec))
}
