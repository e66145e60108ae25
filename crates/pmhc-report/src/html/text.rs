//! The text helpers of the report: the escaper (the workspace's one), the filter in words, and
//! the formatting of dates, months and signed numbers.

use pmhc_core::CodeList;
use pmhc_core::outcomes::OutcomeFilter;

/// Escape text for HTML content and attribute values (quoted with `"` or `'`), and for SVG text
/// inlined in HTML: `& < > " '` become entities. Control characters (invalid in HTML) other than
/// tab and line ends become U+FFFD. The one escaper of the workspace: the web's charts and pages
/// use it too (`pmhc_report::escape_html`).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\n' | '\t' | '\r' => o.push(c),
            c if c.is_control() => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// The filter in words (raw text: escape before use), or None when there is none.
pub(super) fn filter_text(f: &OutcomeFilter) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(a) = &f.agency {
        parts.push(format!("agency {a}"));
    }
    if let Some(p) = &f.precinct {
        parts.push(format!("precinct / division {p}"));
    }
    if let Some(s) = &f.sector {
        parts.push(format!("sector {s}"));
    }
    if let Some(b) = &f.beat {
        parts.push(format!("beat / neighbourhood {b}"));
    }
    if let Some(m) = f.response_model {
        parts.push(format!("response model {}", m.label()));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

pub(super) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        // Keep acronyms ("CIT officer ...") as they are.
        Some(f) if c.clone().next().is_some_and(|n| n.is_lowercase()) => f.to_lowercase().chain(c).collect(),
        _ => s.to_string(),
    }
}

pub(super) fn fmt_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}


const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `YYYY-MM` as a month number (`year * 12 + month0`).
pub(super) fn month_num(ym: &str) -> Option<i32> {
    let (y, m) = ym.split_once('-')?;
    let (y, m) = (y.parse::<i32>().ok()?, m.parse::<i32>().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

/// `YYYY-MM` as "Mar 2021" (escaped).
pub(super) fn month_label(ym: &str) -> String {
    match month_num(ym) {
        Some(n) => format!("{} {}", MONTHS[n.rem_euclid(12) as usize], n.div_euclid(12)),
        None => esc(ym),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::thousands;

    #[test]
    fn the_escaper_escapes_every_markup_character() {
        assert_eq!(crate::escape_html("&"), "&amp;");
        assert_eq!(crate::escape_html("<"), "&lt;");
        assert_eq!(crate::escape_html(">"), "&gt;");
        assert_eq!(crate::escape_html("\""), "&quot;");
        assert_eq!(crate::escape_html("'"), "&#39;");
        assert_eq!(crate::escape_html("'><script>alert(1)</script>"), "&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(crate::escape_html("South 'Side' & <North>"), "South &#39;Side&#39; &amp; &lt;North&gt;");
        assert_eq!(crate::escape_html("a\tb\nc\u{7}d"), "a\tb\nc\u{FFFD}d");
        assert_eq!(crate::escape_html("Café – 24/7"), "Café – 24/7");
    }

    #[test]
    fn html_helpers() {
        assert_eq!(esc("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(month_label("2021-03"), "Mar 2021");
        assert_eq!(month_label("<x>"), "&lt;x&gt;");
        assert_eq!(lower_first("Arrests"), "arrests");
        assert_eq!(lower_first("CIT officer arrived"), "CIT officer arrived");
    }
}
