//! The templates' own filters. `count` writes a whole number the one way pmhc writes numbers
//! everywhere (`pmhc_report::thousands`: 12,345), on pages as in reports.

/// `{{ n|count }}`: a whole number with thousands separators; anything else as it is.
pub fn count<T: std::fmt::Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
    let s = value.to_string();
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    Ok(match digits.parse::<u64>() {
        Ok(n) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => format!("{sign}{}", pmhc_report::thousands(n)),
        _ => s,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_written_one_way() {
        let c = |v: &dyn std::fmt::Display| super::count(v, &()).unwrap();
        assert_eq!(c(&1234567u64), "1,234,567");
        assert_eq!(c(&999), "999");
        assert_eq!(c(&-12345i64), "-12,345");
        assert_eq!(c(&"51%"), "51%");
        assert_eq!(c(&"0"), "0");
    }
}
