//! How long a text may be. Every text field has a limit: 4 KiB for short fields (names, codes,
//! keys, call types, places), 64 KiB for free text (reasons, notes, purposes, eligibility,
//! descriptions). An import row with a longer value is rejected naming the field and the limit;
//! a form or an API body gets 422 naming the field; the OpenAPI schema states the limits. A value
//! never reaches the database unbounded (one 200 MB field once made an API page 209 MB).

/// The limit of a short text field, in bytes (UTF-8).
pub const SHORT_TEXT: usize = 4 * 1024;
/// The limit of a free-text field, in bytes.
pub const FREE_TEXT: usize = 64 * 1024;
/// The most items a list field (officers, referrals, force types, behaviours) may hold.
pub const LIST_ITEMS: usize = 256;

/// The names of the free-text fields (anywhere: records, forms, API bodies); every other text
/// field is short.
pub const FREE_TEXT_FIELDS: &[&str] = &[
    "reason",
    "reasons",
    "note",
    "notes",
    "purpose",
    "legal_basis",
    "information",
    "eligibility",
    "description",
    "detail",
    "details",
    "comment",
    "comments",
    "narrative",
    "summary",
    "text",
    "body",
    "definition",
    "toml",
    // The workgroup's charge, minutes and notes.
    "vision",
    "mission",
    "principles",
    "focus_areas",
    "minutes",
    "agenda",
    "decisions",
    "follow_up",
    "in_own_words",
    "community",
];

/// The limit of a field by its name (the last segment of a path such as `referrals[0].reason`).
pub fn limit_for(field: &str) -> usize {
    let name = field.rsplit(['.', '/']).next().unwrap_or(field);
    let name = name.split('[').next().unwrap_or(name);
    if FREE_TEXT_FIELDS.contains(&name) { FREE_TEXT } else { SHORT_TEXT }
}

/// A text over its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} is {bytes} bytes long; the limit is {limit} bytes ({kind})", kind = if *.limit == FREE_TEXT { "free text" } else { "a short field" })]
pub struct TooLong {
    pub field: String,
    pub bytes: usize,
    pub limit: usize,
}

/// Check one value against the limit of its field.
pub fn check(field: &str, value: &str) -> Result<(), TooLong> {
    // Nearly every value is short: within every limit, whatever its field (no name lookup, which
    // costs a re-import ~20% on the million-row benchmark).
    if value.len() <= SHORT_TEXT {
        return Ok(());
    }
    let limit = limit_for(field);
    if value.len() > limit { Err(TooLong { field: field.to_string(), bytes: value.len(), limit }) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_have_their_limits() {
        assert_eq!(limit_for("precinct"), SHORT_TEXT);
        assert_eq!(limit_for("reason"), FREE_TEXT);
        assert_eq!(limit_for("referrals[3].reason"), FREE_TEXT);
        assert_eq!(limit_for("consent.purpose"), FREE_TEXT);
        assert!(check("precinct", &"x".repeat(SHORT_TEXT)).is_ok());
        let e = check("precinct", &"x".repeat(SHORT_TEXT + 1)).unwrap_err();
        assert_eq!(e.to_string(), "precinct is 4097 bytes long; the limit is 4096 bytes (a short field)");
        assert!(check("note", &"é".repeat(FREE_TEXT / 2)).is_ok());
        assert!(check("note", &"é".repeat(FREE_TEXT / 2 + 1)).is_err(), "bytes, not characters");
    }
}
