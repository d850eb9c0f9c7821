//! The explorer page in real headless Chromium: each state is reached through its deep link
//! (the URL fragment), the page's scripts run, and the DOM they leave is checked. Text from the
//! data is rendered as text — an injection fixture neither adds an element nor runs a script.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::util::run_ok;

/// The Chromium binary: `CHORUS_CHROMIUM`, else `chromium` or `chromium-browser` on the path.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHORUS_CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium", "chromium-browser"] {
        if let Ok(output) = Command::new("which").arg(name).output()
            && output.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        }
    }
    panic!(
        "the page tests need Chromium: `apt-get install chromium` (.ci/run does), or set CHORUS_CHROMIUM"
    );
}

/// The DOM of `page` once its scripts have run, opened at `#fragment`.
pub fn dump_dom(page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}#{fragment}", page.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The text of the element with `id` (tags dropped; entities left as they are).
fn text_of(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let tag_start = dom[..start].rfind('<').unwrap();
    let tag: String = dom[tag_start + 1..]
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect();
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let body_start = start + dom[start..].find('>').unwrap() + 1;
    // The matching close tag: same-name elements may nest.
    let (mut depth, mut at) = (1, body_start);
    while depth > 0 {
        let next_close = at + dom[at..].find(&close).unwrap();
        match dom[at..next_close].find(&open) {
            Some(offset) => {
                depth += 1;
                at += offset + open.len();
            }
            None => {
                depth -= 1;
                at = next_close + close.len();
            }
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in dom[body_start..at - close.len()].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

const SCRIPT_NAME: &str = "<script>document.body.dataset.pwned='script'</script> tax questions";
const IMG_NAME: &str = "\"><img src=x onerror=\"document.body.dataset.pwned='img'\"> piano lessons";

fn node(
    id: &str,
    level: u64,
    name: &str,
    conversations: u64,
    languages: Value,
    children: Vec<Value>,
) -> Value {
    json!({
        "id": id, "level": level, "name": name,
        "description": format!("Users asked about {name}."),
        "keywords": [{"term": "lessons", "score": 0.2, "users": 30, "share": 0.5}],
        "conversations": conversations, "users": conversations / 2, "share_of_parent": 0.5,
        "other": false, "folded_clusters": 0,
        "facets": {
            "language": languages,
            "turns": {"mean": 1.5, "histogram": [["1", conversations / 2], ["2", conversations / 2]]},
            "day": {}, "week": {"2026-W37": conversations / 4, "2026-W38": conversations * 3 / 4},
            "concern": {"mean": 1.2, "histogram": [["1", conversations], ["2", 0], ["3", 0], ["4", 0], ["5", 0]]}
        },
        "children": children,
        "position": [0.5, 0.5]
    })
}

/// A report whose cluster names carry injection attempts (as a chat model could write them).
fn hostile_report() -> Value {
    let tax = node(
        "L1.0",
        1,
        SCRIPT_NAME,
        100,
        json!({"English": 90, "Japanese": 10}),
        vec![
            node(
                "L0.0",
                0,
                "Quarterly tax filing",
                60,
                json!({"English": 60}),
                vec![],
            ),
            node(
                "L0.1",
                0,
                "Japanese tax forms",
                40,
                json!({"English": 30, "Japanese": 10}),
                vec![],
            ),
        ],
    );
    let piano = node(
        "L1.1",
        1,
        IMG_NAME,
        100,
        json!({"English": 50, "Japanese": 50}),
        vec![node(
            "L0.2",
            0,
            "Piano scales",
            100,
            json!({"English": 50, "Japanese": 50}),
            vec![],
        )],
    );
    let mut root = node(
        "root",
        2,
        "All conversations",
        200,
        json!({}),
        vec![tax, piano],
    );
    root["position"] = Value::Null;
    json!({
        "schema_version": 1, "mode": "summary",
        "totals": {"conversations": 200, "clustered": 200, "users": 100},
        "parameters": {"min_users": 5, "min_conversations": 10},
        "tree": root,
        "map": {"sampled": 4, "neighbours": 15, "epochs": 200,
                "points": {"x": [0.1, 0.2, 0.8, 0.9], "y": [0.1, 0.3, 0.7, 0.9], "cluster": ["L0.0", "L0.1", "L0.2", "L0.2"]}}
    })
}

fn hostile_page(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("report.json"), hostile_report().to_string()).unwrap();
    run_ok(&["report", &dir.display().to_string()]);
    dir.join("index.html")
}

#[test]
fn data_renders_as_text_and_no_injected_script_runs() {
    let dir = tempfile::tempdir().unwrap();
    let page = hostile_page(dir.path());
    let dom = dump_dom(&page, "view=tree");
    assert!(!dom.contains("data-pwned"), "an injected script ran");
    assert!(
        !dom.contains("<img src=\"x\""),
        "an injected element was created"
    );
    let tree = text_of(&dom, "tree");
    assert!(
        tree.contains("&lt;script&gt;document.body.dataset.pwned"),
        "{tree}"
    );
    assert!(tree.contains("\"&gt;&lt;img src=x onerror="), "{tree}");
    // The summary line and both top-level clusters are on screen.
    assert!(text_of(&dom, "summary").contains("200 conversations"));
    assert!(tree.contains("tax questions") && tree.contains("piano lessons"));
}

#[test]
fn deep_links_select_switch_views_overlay_facets_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let page = hostile_page(dir.path());

    // A selected cluster: its branch opens, its detail panel shows its breakdowns.
    let dom = dump_dom(&page, "view=tree&node=L0.1");
    let detail = text_of(&dom, "detail");
    assert!(detail.contains("Japanese tax forms"), "{detail}");
    assert!(detail.contains("40 conversations"), "{detail}");
    assert!(detail.to_uppercase().contains("LANGUAGES"), "{detail}");
    assert!(
        dom.contains("class=\"node selected\" role=\"treeitem\" data-id=\"L0.1\""),
        "the tree marks the selection"
    );

    // The map view: the canvas is shown, the tree hidden, the legend names the top clusters.
    let dom = dump_dom(&page, "view=map");
    assert!(
        dom.contains("<ul id=\"tree\" role=\"tree\" aria-label=\"Cluster hierarchy\" hidden=\"\">"),
        "tree hidden on the map"
    );
    assert!(dom.contains("<div id=\"map\">"), "map shown");
    // Long names are cut in the legend; the start of the first is there, as text.
    assert!(text_of(&dom, "legend").contains("&lt;script&gt;document"));

    // A language overlay ranks clusters by over-representation.
    let dom = dump_dom(&page, "facet=language&value=Japanese");
    let detail = text_of(&dom, "detail");
    assert!(
        detail.contains("Japanese: over-represented clusters (overall 30.0%)"),
        "{detail}"
    );
    let first = detail.split("over-represented clusters").nth(1).unwrap();
    assert!(
        first.find("piano lessons").unwrap() < first.find("tax questions").unwrap(),
        "{detail}"
    );

    // Search highlights matches and opens their branches.
    let dom = dump_dom(&page, "q=scales");
    assert!(
        dom.contains("Piano <mark>scales</mark>"),
        "search did not highlight"
    );
}
