//! The mappings shipped with pmhc (the `mappings/` folder of the repository, embedded in the
//! binary), so `--mapping NAME` works anywhere.

use crate::mapping::{MappingError, MappingSpec};

/// (name, TOML text) of every shipped mapping.
pub const SHIPPED: &[(&str, &str)] = &[
    ("pmhc", include_str!("../../../mappings/pmhc.toml")),
    ("toronto-pic", include_str!("../../../mappings/toronto-pic.toml")),
    ("dallas-uof", include_str!("../../../mappings/dallas-uof.toml")),
    ("seattle-uof", include_str!("../../../mappings/seattle-uof.toml")),
    ("seattle-call-data", include_str!("../../../mappings/seattle-call-data.toml")),
    ("seattle-call-data-r", include_str!("../../../mappings/seattle-call-data-r.toml")),
    ("seattle-crisis", include_str!("../../../mappings/seattle-crisis.toml")),
];

/// The shipped mapping called `name`.
pub fn shipped(name: &str) -> Option<Result<MappingSpec, MappingError>> {
    SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, text)| MappingSpec::from_toml(text))
}

/// The names of the shipped mappings.
pub fn names() -> Vec<&'static str> {
    SHIPPED.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_mapping_is_valid_and_named_as_listed() {
        for (name, text) in super::SHIPPED {
            let spec = crate::MappingSpec::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(spec.source.name, *name);
        }
    }
}
