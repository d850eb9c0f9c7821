//! The explorer page: `index.html`, one file with the report embedded, plain JS and CSS written
//! here, that opens from `file://` with no server and no network. It shows only what
//! `report.json` holds (what the privacy gate released), and renders every text from the data
//! as text, never as markup.
#![warn(missing_docs)]

use chorus_report::{Comparison, Report};

/// The page, with `<!--POLICY-->` where its content security policy goes and `<!--REPORT-->`
/// where the data goes.
const TEMPLATE: &str = include_str!("../assets/explorer.html");
const POLICY_SLOT: &str = "<!--POLICY-->";
const REPORT_SLOT: &str = "<!--REPORT-->";
/// Where a comparison goes (left empty on a plain run's page).
const COMPARE_SLOT: &str = "<!--COMPARE-->";

/// The policy of the page opened from a file: it may make no request at all.
const EMBEDDED_POLICY: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
/// The policy of the served page: it may fetch its report from the server that sent it, and
/// nothing else.
pub const SERVED_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'";

/// The page for a report, with the data embedded.
///
/// The report's JSON sits in a `<script type="application/json">` element; every `<`, `>` and
/// `&` in it is written as a JSON escape, so no text in the data can close that element or open
/// another, whatever it contains.
pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    Ok(render_json(&serde_json::to_string(report)?))
}

/// The page for a report with a comparison beside it (`chorus compare`): the explorer of the
/// second run, every cluster showing its change from the first.
pub fn render_compared(
    report: &Report,
    comparison: &Comparison,
) -> Result<String, serde_json::Error> {
    let compare = format!(
        "<script id=\"compare-data\" type=\"application/json\">{}</script>",
        escape_for_script(&serde_json::to_string(comparison)?)
    );
    Ok(fill(&serde_json::to_string(report)?, &compare))
}

/// [`render`] for the JSON text of a report.
fn render_json(report_json: &str) -> String {
    fill(report_json, "")
}

/// The page with a report's JSON text and `compare` (a script element, or nothing).
fn fill(report_json: &str, compare: &str) -> String {
    let data = format!(
        "<script id=\"report-data\" type=\"application/json\">{}</script>",
        escape_for_script(report_json)
    );
    TEMPLATE
        .replacen(POLICY_SLOT, EMBEDDED_POLICY, 1)
        .replacen(REPORT_SLOT, &data, 1)
        .replacen(COMPARE_SLOT, compare, 1)
}

/// The same page without the data: it fetches `report.json` from where it was served, for
/// reports too large to embed.
pub fn render_for_server() -> String {
    TEMPLATE
        .replacen(POLICY_SLOT, SERVED_POLICY, 1)
        .replacen(REPORT_SLOT, "", 1)
        .replacen(COMPARE_SLOT, "", 1)
}

/// JSON text made safe inside a script element: `<`, `>`, `&` and the two line separators that
/// JavaScript treats as line ends become `\uXXXX` escapes, which JSON reads back unchanged.
fn escape_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_close_its_script_element() {
        let report = r#"{"name": "</script><script>alert(1)</script>", "d": "\"><img src=x onerror=alert(2)> & co"}"#;
        let page = render_json(report);
        assert_eq!(page.matches("<script id=\"report-data\"").count(), 1);
        let start = page.find("<script id=\"report-data\"").unwrap();
        let end = start + page[start..].find("</script>").unwrap();
        let embedded = &page[start..end];
        assert!(!embedded.contains("<img"), "{embedded}");
        assert!(!embedded[10..].contains('<'), "{embedded}");
        assert!(embedded.contains("\\u003c/script\\u003e"));
        assert!(!page.contains(REPORT_SLOT) && !page.contains(POLICY_SLOT));
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = render(&Report::default()).unwrap();
        // The policy forbids every request, whatever a later edit adds.
        assert!(page.contains(&format!("content=\"{EMBEDDED_POLICY}\"")));
        assert!(!page.contains("connect-src"));
        for outside in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "url(",
            "@import",
            "<link",
            "XMLHttpRequest",
        ] {
            assert!(!page.contains(outside), "the page refers to {outside}");
        }
        // The one request the code can make is for report.json beside the page, and only the
        // served page's policy allows it.
        assert_eq!(page.matches("fetch(").count(), 1);
        assert!(page.contains("fetch(\"report.json\""));
    }

    #[test]
    fn the_served_page_fetches_its_report_from_its_own_origin_only() {
        let page = render_for_server();
        assert!(page.contains(&format!("content=\"{SERVED_POLICY}\"")));
        assert!(SERVED_POLICY.ends_with("connect-src 'self'"));
        assert!(!page.contains("id=\"report-data\""));
        assert!(!page.contains(REPORT_SLOT) && !page.contains(POLICY_SLOT));
    }
}
