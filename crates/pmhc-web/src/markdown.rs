//! Markdown to HTML for text people write into pmhc (a meeting's minutes): CommonMark through
//! pulldown-cmark, with everything that could run or load something turned into text. The use
//! case refuses such input in the first place (`pmhc_core::workgroup::check_minutes`); this is
//! what makes stored text inert whatever reached the database (an older row, a hand edit):
//! raw HTML (blocks and inline) is rendered as escaped text, a link or image to anything but
//! http, https, mailto or a relative address loses its address, and images become links (no
//! remote load from a page, as the security policy wants).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Where a link whose address was removed points.
const REMOVED: &str = "#link-removed";

/// The HTML of `md`, safe to place in a page as it is.
pub fn to_html(md: &str) -> String {
    let safe = |url: CowStr<'_>| -> CowStr<'static> {
        if pmhc_core::workgroup::safe_link(&url) { CowStr::from(url.into_string()) } else { CowStr::Borrowed(REMOVED) }
    };
    let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => Event::Start(Tag::Link { link_type, dest_url: safe(dest_url), title, id }),
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => Event::Start(Tag::Link { link_type, dest_url: safe(dest_url), title, id }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever is stored renders inert: no element or attribute of the input survives, unsafe
    /// addresses are gone, and ordinary Markdown still renders.
    #[test]
    fn hostile_markdown_renders_inert() {
        for bad in [
            "<script>alert(1)</script>",
            "x <img src=x onerror=alert(1)> y",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[click](javascript:alert(1))",
            "[click](JAVASCRIPT:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[ref]\n\n[ref]: javascript:alert(1)",
            "![i](data:text/html;base64,PHNjcmlwdD4=)",
            "<iframe src=//evil></iframe>",
            "<svg onload=alert(1)>",
            "[t](vbscript:msgbox(1))",
            "<style>body{display:none}</style>",
        ] {
            let h = to_html(bad);
            let lower = h.to_lowercase();
            for needle in ["<script", "<img", "<iframe", "<svg", "<style", "<a href=\"javascript", "href=\"data:", "href=\"vbscript"] {
                assert!(!lower.contains(needle), "{bad} rendered as {h}");
            }
            assert!(!lower.contains("javascript:") || lower.contains("&lt;"), "{bad} rendered as {h}");
        }
        let h = to_html("# Minutes\n\n- **Decided**: ask [988](https://988lifeline.org)\n- ![chart](/static/x.svg)");
        assert!(h.contains("<h1>Minutes</h1>") && h.contains("<strong>Decided</strong>") && h.contains("<a href=\"https://988lifeline.org\">988</a>"), "{h}");
        assert!(h.contains("<a href=\"/static/x.svg\">chart</a>") && !h.contains("<img"), "{h}");
    }
}
