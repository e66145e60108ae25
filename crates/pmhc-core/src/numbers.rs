//! The one number formatter: every number a person reads — in the report's sentences, the terminal
//! table, the HTML report, the web pages, the CSV files and the command line's summaries — is
//! written here. Its promises (property-tested below):
//!
//! - no negative zero: a value that rounds to zero is written `0.0`, never `−0.0` or `+0.0`;
//! - no exponent (`4.3e-19`) and no binary noise (`0.9999999999999999`): values are rounded to the
//!   decimals shown, and the CSV's full-precision values are written without an exponent;
//! - a signed value carries a true minus sign (U+2212) or a plus;
//! - a relative change is shown only with an interval that contains it and has a width; otherwise
//!   it is "not estimable" ([`relative_change`]);
//! - a change between two values that are written the same is "unchanged" ([`movement`]).

use crate::stats::Interval;

/// What a value that cannot be written as a number (NaN, infinite) shows.
pub const NOT_A_NUMBER: &str = "n/a";

/// What a relative change that cannot be estimated shows.
pub const NOT_ESTIMABLE: &str = "not estimable";

/// `x` with `decimals` decimals, no sign on a value that rounds to zero.
pub fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.to_string();
    }
    let s = format!("{x:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => s,
    }
}

/// `x` with `decimals` decimals, a `+` or a true minus sign in front; a value that rounds to zero
/// has no sign ("0.0").
pub fn signed(x: f64, decimals: usize) -> String {
    let s = fixed(x, decimals);
    if s == NOT_A_NUMBER || s.bytes().all(|b| b == b'0' || b == b'.') {
        return s;
    }
    match s.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => format!("+{s}"),
    }
}

/// A plain number with up to two decimals: "12", "1.33", "12.30".
pub fn number(x: f64) -> String {
    let s = fixed(x, 2);
    match s.strip_suffix(".00") {
        Some(whole) => whole.to_string(),
        None => s,
    }
}

/// A signed number with up to two decimals ("+2", "−1.25").
pub fn signed_number(x: f64) -> String {
    let s = signed(x, 2);
    match s.strip_suffix(".00") {
        Some(whole) => whole.to_string(),
        None => s,
    }
}

/// A share (0 to 1) as a percentage with one decimal: "4.1%".
pub fn percent(share: f64) -> String {
    with_percent(fixed(share * 100.0, 1))
}

/// A share as a whole percentage: "87%".
pub fn percent_whole(share: f64) -> String {
    with_percent(fixed(share * 100.0, 0))
}

/// A share as a percentage with one decimal, without the sign ("4.1"), for a column headed "%".
pub fn percent_number(share: f64) -> String {
    fixed(share * 100.0, 1)
}

/// A relative change (a ratio minus one) as a signed percentage: "+12.0%", "−3.1%", "0.0%".
pub fn percent_signed(x: f64) -> String {
    with_percent(signed(x * 100.0, 1))
}

/// A difference of shares in percentage points, signed, one decimal: "−1.2", "0.0".
pub fn points(x: f64) -> String {
    signed(x * 100.0, 1)
}

/// A ratio (a disparity ratio, a rate ratio) with two decimals: "1.25".
pub fn ratio(x: f64) -> String {
    fixed(x, 2)
}

/// A value at full precision for a machine-readable file (the CSV): the shortest text that reads
/// back as the same number, never with an exponent, `0` for negative zero.
pub fn exact(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    // Rust's `Display` for floats never uses an exponent.
    x.to_string()
}

/// A number behind any number of references, for templates, which hand values over by reference:
/// `{{ pmhc_core::numbers::percent(r.real()) }}` (with `use pmhc_core::numbers::Real as _;` beside
/// the template's struct).
pub trait Real {
    fn real(&self) -> f64;
}

impl Real for f64 {
    fn real(&self) -> f64 {
        *self
    }
}

impl<T: Real + ?Sized> Real for &T {
    fn real(&self) -> f64 {
        (**self).real()
    }
}

fn with_percent(s: String) -> String {
    if s == NOT_A_NUMBER { s } else { s + "%" }
}

/// How a value moved between two periods, judged on the values as they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Rose,
    Fell,
    /// The two values are written the same.
    Unchanged,
}

/// Whether a value written `before` and then `after` rose, fell or stayed the same as written:
/// "fell from 1.33 to 1.33" is "unchanged". `delta` (after minus before, unrounded) gives the
/// direction when the texts differ.
pub fn movement(before: &str, after: &str, delta: f64) -> Movement {
    if before == after || !delta.is_finite() || delta == 0.0 {
        Movement::Unchanged
    } else if delta > 0.0 {
        Movement::Rose
    } else {
        Movement::Fell
    }
}

/// "rose from 4.1% to 5.0%", "fell from 12 to 9", "remained unchanged at 1.33", with `unit` after
/// the second value ("rose from 54 to 55 minutes"; "remained unchanged at 54 minutes"). The verbs
/// agree with a singular and a plural subject alike ("Arrests fell", "Time on scene remained").
pub fn moved(before: &str, after: &str, delta: f64, unit: &str) -> String {
    match movement(before, after, delta) {
        Movement::Rose => format!("rose from {before} to {after}{unit}"),
        Movement::Fell => format!("fell from {before} to {after}{unit}"),
        Movement::Unchanged => format!("remained unchanged at {after}{unit}"),
    }
}

/// A relative change ready to show, or the reason it is not shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelativeChange {
    /// No estimate, or an interval that has no width or does not contain the estimate: printing
    /// it would mislead.
    NotEstimable,
    /// The estimate ("+12.0%") and, when there is one, its interval's ends.
    Shown { value: String, ci: Option<(String, String)> },
}

impl RelativeChange {
    /// "+12.0% [+3.1%, +21.0%]", "+12.0%" or "not estimable".
    pub fn bracketed(&self) -> String {
        match self {
            RelativeChange::NotEstimable => NOT_ESTIMABLE.to_string(),
            RelativeChange::Shown { value, ci: Some((lo, hi)) } => format!("{value} [{lo}, {hi}]"),
            RelativeChange::Shown { value, ci: None } => value.clone(),
        }
    }

    pub fn is_shown(&self) -> bool {
        matches!(self, RelativeChange::Shown { .. })
    }
}

/// Whether a relative change with this interval may be shown: a finite estimate inside an interval
/// of positive width (or no interval at all).
pub fn relative_is_estimable(value: Option<f64>, ci: Option<Interval>) -> bool {
    let Some(v) = value.filter(|v| v.is_finite()) else { return false };
    match ci {
        None => true,
        Some(i) => i.lower.is_finite() && i.upper.is_finite() && i.lower < i.upper && i.contains(v),
    }
}

/// A relative change (comparison ÷ baseline − 1) and its interval, as percentages, or
/// [`RelativeChange::NotEstimable`].
pub fn relative_change(value: Option<f64>, ci: Option<Interval>) -> RelativeChange {
    if !relative_is_estimable(value, ci) {
        return RelativeChange::NotEstimable;
    }
    let v = value.unwrap_or(0.0);
    RelativeChange::Shown { value: percent_signed(v), ci: ci.map(|i| (percent_signed(i.lower), percent_signed(i.upper))) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn examples() {
        assert_eq!(fixed(-0.0, 1), "0.0");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(signed(-0.04, 1), "0.0");
        assert_eq!(signed(0.04, 1), "0.0");
        assert_eq!(signed(-1.26, 1), "\u{2212}1.3");
        assert_eq!(signed(2.0, 0), "+2");
        assert_eq!(number(0.9999999999999999), "1");
        assert_eq!(number(1.334), "1.33");
        assert_eq!(number(12.3), "12.30");
        assert_eq!(number(-0.001), "0");
        assert_eq!(signed_number(2.0), "+2");
        assert_eq!(signed_number(-1.254), "\u{2212}1.25");
        assert_eq!(percent(0.041), "4.1%");
        assert_eq!(percent(4.3e-19), "0.0%");
        assert_eq!(percent(0.9999999999999999), "100.0%");
        assert_eq!(percent_whole(0.874), "87%");
        assert_eq!(percent_signed(-0.031), "\u{2212}3.1%");
        assert_eq!(percent_signed(-0.0), "0.0%");
        assert_eq!(points(-0.0004), "0.0");
        assert_eq!(points(0.012), "+1.2");
        assert_eq!(ratio(1.0 / 3.0), "0.33");
        assert_eq!(exact(4.3e-19), "0.00000000000000000043");
        assert_eq!(exact(-0.0), "0");
        assert_eq!(exact(0.25), "0.25");
        assert_eq!(fixed(f64::NAN, 1), NOT_A_NUMBER);
        assert_eq!(percent(f64::INFINITY), NOT_A_NUMBER);
        assert_eq!(moved("1.33", "1.33", -0.001, ""), "remained unchanged at 1.33");
        assert_eq!(moved("54", "55", 1.0, " minutes"), "rose from 54 to 55 minutes");
        assert_eq!(moved("6.8%", "5.1%", -0.017, ""), "fell from 6.8% to 5.1%");
    }

    /// The cases the outside recomputation found: −100% with an interval of −99.6% to +12.8%, and
    /// a zero-width interval (100% in both periods).
    #[test]
    fn misleading_relative_changes_are_not_estimable() {
        let ci = |lower, upper| Some(Interval { lower, upper });
        assert_eq!(relative_change(Some(-1.0), ci(-0.996, 0.128)), RelativeChange::NotEstimable);
        assert_eq!(relative_change(Some(0.0), ci(0.0, 0.0)), RelativeChange::NotEstimable);
        assert_eq!(relative_change(None, None).bracketed(), "not estimable");
        assert_eq!(relative_change(Some(f64::NAN), None), RelativeChange::NotEstimable);
        assert_eq!(relative_change(Some(0.12), ci(0.031, 0.21)).bracketed(), "+12.0% [+3.1%, +21.0%]");
        assert_eq!(relative_change(Some(0.12), None).bracketed(), "+12.0%");
    }

    fn any_value() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            -1e6f64..1e6,
            -1e-12f64..1e-12,
            (0u64..1_000_000, 1u64..1_000_000).prop_map(|(x, n)| x as f64 / n as f64),
            Just(-0.0),
            Just(0.9999999999999999),
            Just(4.3e-19),
        ]
    }

    /// The text of a number as pmhc writes it: digits, at most one point, an optional sign in
    /// front and `%` at the end; or "n/a".
    fn well_formed(s: &str) -> bool {
        if s == NOT_A_NUMBER {
            return true;
        }
        let body = s.strip_prefix(['+', '-', '\u{2212}']).unwrap_or(s);
        let body = body.strip_suffix('%').unwrap_or(body);
        !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && body.bytes().filter(|&b| b == b'.').count() <= 1
            && !body.starts_with('.')
            && !body.ends_with('.')
    }

    fn is_zero_text(s: &str) -> bool {
        s.trim_end_matches('%').bytes().all(|b| b == b'0' || b == b'.')
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Never a negative (or signed) zero, never an exponent, never more digits than asked.
        #[test]
        fn texts_are_clean(x in any_value(), d in 0usize..4) {
            for s in [fixed(x, d), signed(x, d), number(x), signed_number(x), percent(x), percent_signed(x), points(x), ratio(x)] {
                prop_assert!(well_formed(&s), "{x} -> {s:?}");
                prop_assert!(!s.contains('e') && !s.contains('E'), "{x} -> {s:?}");
                let unsigned = s.trim_start_matches(['+', '-', '\u{2212}']);
                if is_zero_text(unsigned) {
                    prop_assert_eq!(unsigned, s.as_str(), "a zero with a sign: {} -> {:?}", x, s);
                }
                if let Some((_, frac)) = s.trim_end_matches('%').split_once('.') {
                    prop_assert!(frac.len() <= 3, "{x} -> {s:?}");
                }
            }
            // The fixed text reads back within half a unit of its last digit.
            if x.is_finite() && x.abs() < 1e15 {
                let back: f64 = fixed(x, d).parse().unwrap();
                prop_assert!((back - x).abs() <= 0.5 * 10f64.powi(-(d as i32)) * (1.0 + 1e-9) + x.abs() * 1e-15);
            }
        }

        /// `exact` reads back as the same number and has no exponent.
        #[test]
        fn exact_round_trips(x in any_value()) {
            let s = exact(x);
            if x.is_finite() {
                prop_assert!(!s.contains('e'), "{s}");
                let back: f64 = s.parse().unwrap();
                prop_assert!(back == x, "{x} -> {s}");
                if x == 0.0 {
                    prop_assert_eq!(s, "0");
                }
            } else {
                prop_assert_eq!(s, "");
            }
        }

        /// A shown relative change lies inside its interval as written, and the interval has a width.
        #[test]
        fn relative_changes_shown_are_inside_their_interval(v in any_value(), a in any_value(), b in any_value(), with_ci in any::<bool>()) {
            let ci = with_ci.then_some(Interval { lower: a.min(b), upper: a.max(b) });
            match relative_change(Some(v), ci) {
                RelativeChange::NotEstimable => prop_assert!(!relative_is_estimable(Some(v), ci)),
                RelativeChange::Shown { value, ci: shown } => {
                    prop_assert!(v.is_finite());
                    prop_assert!(well_formed(&value));
                    if let (Some(i), Some((lo, hi))) = (ci, shown) {
                        prop_assert!(i.lower < i.upper && i.lower <= v && v <= i.upper);
                        let num = |s: &str| s.trim_end_matches('%').replace('\u{2212}', "-").parse::<f64>().ok();
                        if let (Some(l), Some(x), Some(h)) = (num(&lo), num(&value), num(&hi)) {
                            prop_assert!(l <= x && x <= h, "{lo} {value} {hi}");
                        }
                    }
                }
            }
        }

        /// "unchanged" exactly when the two values are written the same.
        #[test]
        fn unchanged_when_written_the_same(a in any_value(), b in any_value()) {
            for f in [number as fn(f64) -> String, percent] {
                let (ta, tb) = (f(a), f(b));
                let s = moved(&ta, &tb, b - a, "");
                if ta == tb {
                    prop_assert!(s.starts_with("remained unchanged at"), "{s}");
                } else if (b - a).is_finite() && b != a {
                    prop_assert!(s.starts_with(if b > a { "rose from" } else { "fell from" }), "{s}");
                }
            }
        }
    }
}
