//! Spreadsheet-safe CSV cells (OWASP "CSV injection").
//!
//! A spreadsheet opening a CSV file reads a cell starting with `=`, `+`, `-` or `@` (and, in some,
//! tab or carriage return) as a formula: a name, a call type or a sign-in name such as
//! `=HYPERLINK("http://…","…")` would run on the reader's machine. Every CSV pmhc writes passes
//! its cells through [`neutralise`]: such a *text* cell gets a leading `'`, which spreadsheets
//! show as text and do not evaluate. Numbers (`-122.33`, `+3`, `-1e5`) are left as they are.
//!
//! The rule is reversible: a cell that already starts with `'` followed by something that would
//! need the prefix gets one more, so [`restore`] (used by pmhc's own imports of what it exports)
//! gives back exactly the original text, for any text.

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The prefix that keeps a cell text.
const PREFIX: char = '\'';

/// A decimal number as spreadsheets read one: an optional sign, digits with at most one point
/// (`12`, `-1.6`, `.5`, `3.`), and an optional exponent (`-1e5`, `2.5E-3`). Nothing else (no
/// spaces, no thousands separators, no `inf` or `NaN`).
fn is_number(cell: &str) -> bool {
    let s = cell.as_bytes();
    let mut i = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while s.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if s.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == s.len()
}

/// Whether a cell is written with the prefix: text starting with a trigger, or `'` followed by
/// a cell that needs it (so that the prefix can always be told from the text). Equivalent to
/// the recursive rule, without recursion: skip every leading `'` and look at what follows.
fn needs_prefix(cell: &str) -> bool {
    let rest = cell.trim_start_matches(PREFIX);
    rest.starts_with(TRIGGERS) && !is_number(rest)
}

/// The cell as written to a CSV file: with a leading `'` when a spreadsheet would otherwise read
/// it as a formula (or when it is `'` before such a text); unchanged otherwise, numbers always.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_prefix(cell) {
        let mut out = String::with_capacity(cell.len() + 1);
        out.push(PREFIX);
        out.push_str(cell);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(cell)
    }
}

/// The original text of a cell [`neutralise`] wrote: the prefix it added, taken off. Cells it
/// did not change come back unchanged. (Only ever a part of the cell, so never a copy.)
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix(PREFIX) {
        Some(rest) if needs_prefix(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_get_the_prefix_and_come_back() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+1 555 0100", "'+1 555 0100"),
            ("-A5", "'-A5"),
            ("-", "'-"),
            ("--2", "'--2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\r=1", "'\r=1"),
            ("-1.6 km", "'-1.6 km"),
            ("-inf", "'-inf"),
            ("-1,000", "'-1,000"),
            // A quote before such a text gets one more, so the prefix is never mistaken.
            ("'=1+1", "''=1+1"),
            ("''-x", "'''-x"),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{written:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_are_left_alone() {
        for cell in [
            "-122.33", "-1.6", "+3", "-0", "-.5", "3.", "-1e5", "+2.5E-3", "47.61", "", "North", "CIT", "'", "''", "'quoted'",
            "'-1.6", "'North", " =1", "a=b", "\u{2212}1.6", "x-1",
        ] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
            assert!(matches!(neutralise(cell), Cow::Borrowed(_)), "no copy for {cell:?}");
            assert_eq!(restore(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn what_counts_as_a_number() {
        for n in ["0", "-1", "+1", "1.5", "-.5", "5.", "1e9", "-1E-9", "+0.0e+0"] {
            assert!(is_number(n), "{n}");
        }
        for t in ["", "-", "+", ".", "-.", "e5", "-e5", "1e", "1e+", "1.2.3", "--1", "- 1", "1 ", "inf", "NaN", "0x1F", "1_000"] {
            assert!(!is_number(t), "{t}");
        }
    }

    /// Strings made mostly of the characters the rule is about.
    fn cells() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "['=+@\t\r.eE0-9 a\u{2212}-]{0,10}"]
    }

    proptest! {
        #[test]
        fn restore_undoes_neutralise(s in cells()) {
            let written = neutralise(&s);
            prop_assert_eq!(restore(&written), s.as_str());
        }

        #[test]
        fn a_written_cell_starts_with_a_trigger_only_when_it_is_a_number(s in cells()) {
            let out = neutralise(&s);
            if out.starts_with(TRIGGERS) {
                prop_assert!(is_number(&s), "{:?} -> {:?}", s, out);
                prop_assert_eq!(out.as_ref(), s.as_str());
            }
        }

        #[test]
        fn only_the_prefix_is_added(s in cells()) {
            let out = neutralise(&s);
            prop_assert!(out == s.as_str() || out.strip_prefix('\'') == Some(s.as_str()));
        }
    }
}
