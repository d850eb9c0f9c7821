//! The explorer page in real headless Chromium, driven as a user drives it (clicks, keys, drags,
//! the wheel, deep links), checking what is on screen. Text from the data is rendered as text —
//! an injection fixture neither adds an element nor runs a script.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use serde_json::{Value, json};

use crate::browser::{ARROW_DOWN, Browser, ENTER, fragment_value, http_get};
use crate::util::{chorus, run_ok};

const SCRIPT_NAME: &str = "<script>document.body.dataset.pwned='script'</script> tax questions";
const IMG_NAME: &str = "\"><img src=x onerror=\"document.body.dataset.pwned='img'\"> piano lessons";

pub fn node(
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
    let mut tax = node(
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
    let mut piano = node(
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
    // Most of the Japanese tax questions come as one text from 15 of the cluster's 20 accounts.
    tax["facets"]["cross_account_duplicates"] = json!(30);
    tax["facets"]["largest_sender_group"] = json!(15);
    tax["children"][1]["facets"]["cross_account_duplicates"] = json!(30);
    tax["children"][1]["facets"]["largest_sender_group"] = json!(15);
    tax["children"][1]["signals"] =
        json!({"conversations_per_user": 2.0, "concentrated": false, "coordinated": true});
    // Ten quiet days for the tax questions; the piano lessons burst on one of them.
    for day in 10..20 {
        let key = format!("2026-09-{day}");
        tax["facets"]["day"][&key] = json!(10);
        piano["facets"]["day"][&key] = json!(if day == 15 { 60 } else { 2 });
    }
    // The release computes the signals; the page only shows them.
    piano["signals"] = json!({
        "conversations_per_user": 2.0, "concentrated": false, "coordinated": false,
        "burst": {"day": "2026-09-15", "conversations": 60, "ratio": 5.14}
    });
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
        "totals": {"conversations": 200, "clustered": 200, "users": 100, "no_user_text": 0,
                   "not_embedded": 0, "no_summary": 0, "facet_missing": {}},
        "parameters": {"embed_model": "all-MiniLM-L6-v2", "k": 3, "k_source": "config",
                       "k_sweep": [], "level_sizes": [3, 1], "min_users": 5,
                       "min_conversations": 10, "unknown_users": "shared", "seed": 7},
        "kmeans": {"iterations": 3, "converged": true, "inertia": 1.0},
        "redactions": {},
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

/// Fails the test if anything the data smuggled in ran or became an element.
fn assert_nothing_injected(browser: &Browser) {
    let pwned = browser.script("return document.body.dataset.pwned || null;", json!([]));
    assert_eq!(pwned, Value::Null, "an injected script ran");
    let images = browser.script("return document.images.length;", json!([]));
    assert_eq!(images, 0, "an injected element was created");
}

/// Exactly one flag matches `selector`, on the cluster and with the text `expected` ("ID TEXT"),
/// and the detail panel's note (selector, opening words) explains it.
fn assert_flagged(browser: &Browser, selector: &str, expected: &str, note: (&str, &str)) {
    // Read from the DOM: a long name can push the flag out of view.
    let flags = browser.script(
        "return Array.from(document.querySelectorAll(arguments[0]), \
         f => f.closest('li').dataset.id + ' ' + f.textContent);",
        json!([selector]),
    );
    assert_eq!(flags, json!([expected]));
    let text = browser.text(&browser.find(note.0));
    assert!(text.starts_with(note.1), "{text}");
}

#[test]
fn data_renders_as_text_and_no_injected_script_runs() {
    let dir = tempfile::tempdir().unwrap();
    let page = hostile_page(dir.path());
    let browser = Browser::start();
    browser.open_file(&page, "view=tree");
    assert_nothing_injected(&browser);
    let tree = browser.text(&browser.find("#tree"));
    assert!(tree.contains(SCRIPT_NAME), "{tree}");
    assert!(tree.contains(IMG_NAME), "{tree}");
    assert!(
        browser
            .text(&browser.find("#summary"))
            .contains("200 conversations")
    );
    // Selected, the hostile names fill the detail panel, the map labels and the legend: still text.
    browser.click(&browser.find("#tree li[data-id='L1.1'] > .row"));
    assert_eq!(browser.text(&browser.find("#detail h2")), IMG_NAME);
    browser.click(&browser.find("#tab-map"));
    assert!(
        browser
            .text(&browser.find("#legend"))
            .contains("<script>document")
    );
    assert_nothing_injected(&browser);
}

#[test]
fn deep_links_select_switch_views_overlay_facets_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let page = hostile_page(dir.path());
    let browser = Browser::start();

    // A selected cluster: its branch opens, its detail panel shows its breakdowns.
    browser.open_file(&page, "view=tree&node=L0.1");
    let detail = browser.text(&browser.find("#detail"));
    assert!(detail.contains("Japanese tax forms"), "{detail}");
    assert!(detail.contains("40 conversations"), "{detail}");
    assert!(detail.to_uppercase().contains("LANGUAGES"), "{detail}");
    let selected = browser.find("#tree li.selected");
    assert_eq!(
        browser.attribute(&selected, "data-id").as_deref(),
        Some("L0.1")
    );

    // The map view: the canvas is shown, the tree hidden.
    browser.open_file(&page, "view=map");
    assert!(!browser.displayed(&browser.find("#tree")));
    assert!(browser.displayed(&browser.find("#canvas")));

    // A language overlay ranks clusters by over-representation.
    browser.open_file(&page, "facet=language&value=Japanese");
    let ranking = browser.text(&browser.find("#ranking"));
    assert!(
        ranking
            .to_lowercase()
            .contains("japanese: over-represented clusters (overall 30.0%)"),
        "{ranking}"
    );
    assert!(
        ranking.find("piano lessons").unwrap() < ranking.find("tax questions").unwrap(),
        "{ranking}"
    );

    // A one-day burst is flagged in the tree and explained in the detail panel.
    browser.open_file(&page, "node=L1.1");
    assert_flagged(
        &browser,
        "#tree > li > .row .flag.burst",
        "L1.1 burst 2026-09-15",
        (
            "#detail .burst-note",
            "Burst on 2026-09-15: 60 conversations",
        ),
    );

    // A base cluster where most accounts sent one text is flagged; its parent, where they are
    // a minority, is not.
    browser.open_file(&page, "node=L0.1");
    assert_flagged(
        &browser,
        "#tree .flag.twins",
        "L0.1 coordinated?",
        (
            "#detail .twins-note",
            "Possibly coordinated: 15 accounts sent one near-identical request, 75.0% of this \
             cluster's accounts; 75.0% of its conversations",
        ),
    );

    // Search highlights matches and opens their branches.
    browser.open_file(&page, "q=scales");
    let marks: Vec<String> = browser
        .find_all("#tree mark")
        .iter()
        .map(|m| browser.text(m))
        .collect();
    assert!(marks.contains(&"scales".to_string()), "{marks:?}");
    assert!(browser.displayed(&browser.find("#tree li[data-id='L0.2']")));
}

/// The explorer of a finished run, used as an analyst would: expand the tree, click a cluster,
/// move with the keyboard, switch to the map, pan and zoom, overlay a facet, search, and follow
/// a deep link — each step checked against `report.json`.
pub fn explore_finished_run(page: &Path, report: &Value) {
    let browser = Browser::start();
    browser.open_file(page, "");
    let top: Vec<&Value> = report["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let rows = browser.find_all("#tree > li");
    assert_eq!(rows.len(), top.len(), "one row per top-level cluster");

    // Expand the largest cluster with children: its children appear, largest first.
    let parent = top
        .iter()
        .filter(|n| !n["children"].as_array().unwrap().is_empty() && n["other"] == false)
        .max_by_key(|n| n["conversations"].as_u64())
        .expect("a top-level cluster with children");
    let parent_id = parent["id"].as_str().unwrap();
    let parent_css = format!("#tree > li[data-id='{parent_id}']");
    browser.click(&browser.find(&format!("{parent_css} > .row .toggle")));
    assert_eq!(
        browser
            .attribute(&browser.find(&parent_css), "aria-expanded")
            .as_deref(),
        Some("true")
    );
    let children = browser.find_all(&format!("{parent_css} > ul > li"));
    assert_eq!(children.len(), parent["children"].as_array().unwrap().len());
    let first_child_id = browser.attribute(&children[0], "data-id").unwrap();
    let first_child = parent["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == first_child_id.as_str())
        .unwrap();
    assert!(
        parent["children"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["other"] == false)
            .all(|c| c["conversations"].as_u64() <= first_child["conversations"].as_u64()),
        "children are not sorted by size"
    );

    // Click a cluster: the detail panel shows it, the link records it.
    browser.click(&browser.find(&format!("{parent_css} > ul > li > .row")));
    let name = first_child["name"].as_str().unwrap();
    assert_eq!(browser.text(&browser.find("#detail h2")), name);
    assert!(
        browser
            .fragment()
            .contains(&format!("node={first_child_id}"))
    );

    // The keyboard: the selected row holds the focus; Down moves it to the next row, Enter
    // selects that one.
    assert_eq!(browser.focused().1, first_child_id);
    browser.press(ARROW_DOWN);
    let (_, focused) = browser.focused();
    assert_ne!(focused, first_child_id, "focus did not move");
    browser.press(ENTER);
    assert!(browser.fragment().contains(&format!("node={focused}")));

    // The map: shown instead of the tree, points drawn, the top level named in the legend.
    browser.click(&browser.find("#tab-map"));
    let canvas = browser.find("#canvas");
    assert!(browser.displayed(&canvas) && !browser.displayed(&browser.find("#tree")));
    let drawn = browser.script(
        "const c = arguments[0]; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;\
         let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n;",
        json!([canvas.as_arg()]),
    );
    assert!(drawn.as_u64().unwrap() > 500, "{drawn} pixels drawn");
    let legend = browser.text(&browser.find("#legend"));
    let largest = top.iter().find(|n| n["other"] == false).unwrap()["name"]
        .as_str()
        .unwrap();
    assert!(
        legend.contains(&largest.chars().take(20).collect::<String>()),
        "{legend}"
    );
    // The wheel zooms, a drag pans; both land in the link.
    browser.wheel(&canvas, (0, 0), -600);
    let zoom = fragment_number(&browser.fragment(), "zoom");
    assert!(zoom > 2.0, "zoom {zoom}");
    let before = fragment_number(&browser.fragment(), "cx");
    browser.drag(&canvas, 120, 40);
    let after = fragment_number(&browser.fragment(), "cx");
    assert!(
        after < before,
        "dragging right did not move the view left: {before} -> {after}"
    );

    // A facet overlay: the legend names it; back in the tree every row shows its value.
    browser.click(&browser.find("#facet option[value='concern']"));
    assert!(
        browser
            .text(&browser.find("#legend"))
            .contains("mean concern")
    );
    browser.click(&browser.find("#tab-tree"));
    let annotated = browser.find_all("#tree > li > .row .annot");
    assert_eq!(annotated.len(), top.len());
    for (annotation, node) in annotated.iter().zip(&top) {
        let shown: f64 = browser.text(annotation).parse().unwrap();
        assert!((1.0..=5.0).contains(&shown), "{node}");
    }

    // Search: a word of a cluster's name is highlighted and its branch opened.
    let deep = first_child["children"]
        .as_array()
        .and_then(|c| c.first())
        .unwrap_or(first_child);
    let word = deep["name"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .to_lowercase();
    browser.type_text(&browser.find("#search"), &word);
    let marks: Vec<String> = browser
        .find_all("#tree mark")
        .iter()
        .map(|m| browser.text(m).to_lowercase())
        .collect();
    assert!(
        !marks.is_empty() && marks.iter().all(|m| *m == word),
        "{marks:?}"
    );
    let deep_id = deep["id"].as_str().unwrap();
    assert!(browser.displayed(&browser.find(&format!("#tree li[data-id='{deep_id}']"))));

    // A shared link, opened fresh: the map, the cluster selected, the facet overlaid.
    browser.open_file(page, &format!("view=map&node={deep_id}&facet=concern4"));
    assert_eq!(
        browser
            .attribute(&browser.find("#tab-map"), "aria-pressed")
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        browser.text(&browser.find("#detail h2")),
        deep["name"].as_str().unwrap()
    );
    assert!(
        browser
            .text(&browser.find("#legend"))
            .contains("share concern")
    );
}

fn fragment_number(fragment: &str, key: &str) -> f64 {
    fragment_value(fragment, key)
        .unwrap_or_else(|| panic!("no {key} in #{fragment}"))
        .parse()
        .unwrap()
}

/// `chorus serve` on a free port, and the URL it printed.
fn serve(run_dir: &Path) -> (Child, String) {
    let mut child = chorus()
        .args(["serve", &run_dir.display().to_string(), "--port", "0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    (child, url)
}

/// A GET to the server at `url`, naming `host` (default: the server's own address).
fn get(url: &str, path: &str, host: Option<&str>) -> (u16, Vec<u8>) {
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    http_get(address, path, host.unwrap_or(address))
        .unwrap_or_else(|| panic!("nothing listens at {address}"))
}

#[test]
fn serve_hands_out_the_page_and_report_on_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    hostile_page(dir.path());
    std::fs::write(dir.path().join("conversations.parquet"), "secret").unwrap();
    let (mut server, url) = serve(dir.path());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let (status, body) = get(&url, "/report.json", None);
    assert_eq!(status, 200);
    assert_eq!(body, std::fs::read(dir.path().join("report.json")).unwrap());
    for path in ["/conversations.parquet", "/../report.json", "/run.json"] {
        let (status, body) = get(&url, path, None);
        assert_eq!(status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
    }
    // A page elsewhere, reaching the loopback server through a rebound name, is refused.
    let (status, _) = get(&url, "/report.json", Some("attacker.example:80"));
    assert_eq!(status, 421);

    // The served page fetches the report and renders it, as text.
    let browser = Browser::start();
    browser.open(&format!("{url}#node=L0.2"));
    assert_eq!(browser.text(&browser.find("#detail h2")), "Piano scales");
    assert!(browser.text(&browser.find("#tree")).contains(SCRIPT_NAME));
    assert_nothing_injected(&browser);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn report_refuses_a_report_of_another_schema() {
    let dir = tempfile::tempdir().unwrap();
    let attempt = |report: &str| -> String {
        std::fs::write(dir.path().join("report.json"), report).unwrap();
        let output = chorus()
            .args(["report", &dir.path().display().to_string()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        assert!(!dir.path().join("index.html").exists());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = attempt(r#"{"schema_version": 99, "tree": {}}"#);
    assert!(
        stderr.contains("schema version 99") && stderr.contains("chorus run"),
        "{stderr}"
    );
    let stderr = attempt(r#"{"schema_version": 1, "tree": {"id": "root"}}"#);
    assert!(
        stderr.contains("does not match the report schema"),
        "{stderr}"
    );
}

#[test]
fn serve_refuses_a_folder_without_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let output = chorus()
        .args(["serve", &dir.path().display().to_string(), "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("report.json") && stderr.contains("finished `chorus run`"),
        "{stderr}"
    );
}

/// Conversations about four topics from 120 users, some with an e-mail address in them.
fn write_topics(path: &Path) {
    let topics = [
        "How do I reset the password of my router",
        "Which vegetables grow well in a shady garden",
        "Explain how compound interest works on savings",
        "Write a birthday poem for my grandmother",
    ];
    let mut text = String::new();
    for i in 0..1200 {
        let mut words = format!("{} please, attempt {i}", topics[i % topics.len()]);
        if i % 10 == 0 {
            words.push_str(&format!(" and reply to person{i}@example.com"));
        }
        let line = json!({
            "id": format!("c{i}"), "user_id": format!("u{}", i % 120),
            "messages": [{"role": "user", "content": words}, {"role": "assistant", "content": "Sure."}],
        });
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn investigation_mode_carries_excerpts_and_says_so_on_every_screen() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("topics.jsonl");
    write_topics(&input);
    let run = |name: &str, config: &str| -> PathBuf {
        let out = dir.path().join(name);
        let config_path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&config_path, config).unwrap();
        run_ok(&[
            "run",
            &input.display().to_string(),
            "-o",
            &out.display().to_string(),
            "--config",
            &config_path.display().to_string(),
            "--k",
            "4",
            "-q",
        ]);
        out
    };

    // By default: no excerpt anywhere, no banner.
    let plain = run("plain", "");
    let report = std::fs::read_to_string(plain.join("report.json")).unwrap();
    assert!(!report.contains("\"examples\"") && !report.contains("\"investigation\""));
    assert!(!report.contains("please, attempt"));
    // `chorus report` writes the run's own page again, byte for byte, from the typed report.
    let page = std::fs::read(plain.join("index.html")).unwrap();
    std::fs::remove_file(plain.join("index.html")).unwrap();
    run_ok(&["report", &plain.display().to_string()]);
    assert_eq!(std::fs::read(plain.join("index.html")).unwrap(), page);

    let out = run(
        "investigation",
        "[privacy]\ninvestigation = true\ninvestigation_examples = 3\n",
    );
    let report = crate::util::read_json(&out.join("report.json"));
    assert_eq!(report["investigation"]["examples_per_cluster"], 3);
    let mut excerpts = Vec::new();
    let mut stack = vec![&report["tree"]];
    while let Some(node) = stack.pop() {
        let examples = node["examples"].as_array();
        if node["level"] == 0 && node["other"] == false {
            let examples = examples.expect("a published base cluster without excerpts");
            assert!(!examples.is_empty() && examples.len() <= 3);
            excerpts.extend(examples.iter().map(|e| e.as_str().unwrap().to_string()));
        } else {
            assert!(
                examples.is_none(),
                "excerpts outside a base cluster: {node}"
            );
        }
        stack.extend(node["children"].as_array().unwrap());
    }
    assert!(
        excerpts.iter().all(|e| e.contains("please, attempt")),
        "{excerpts:?}"
    );
    // The redaction rules ran on them: the planted addresses never appear.
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(
        !text.contains("@example.com"),
        "an e-mail address was published"
    );
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("Investigation mode"));

    // The page: the banner on the tree and on the map, the excerpts in the detail panel.
    let browser = Browser::start();
    let first = report["tree"]["children"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    browser.open_file(&out.join("index.html"), &format!("node={first}"));
    let banner = browser.find("#banner");
    assert!(browser.displayed(&banner));
    assert!(browser.text(&banner).starts_with("Investigation mode"));
    let leaf = browser.script(
        "let n = document.querySelector('#tree li.selected'); return n.dataset.id;",
        json!([]),
    );
    assert_eq!(leaf.as_str(), Some(first.as_str()));
    browser.open_file(&out.join("index.html"), "view=map");
    assert!(browser.displayed(&browser.find("#banner")));
    let base = find_base(&report["tree"]).unwrap();
    browser.open_file(&out.join("index.html"), &format!("node={base}"));
    let detail = browser.text(&browser.find("#detail"));
    assert!(
        detail
            .to_lowercase()
            .contains("conversation excerpts (investigation mode)"),
        "{detail}"
    );
    assert!(detail.contains("please, attempt"), "{detail}");
}

/// The id of a published base cluster.
fn find_base(node: &Value) -> Option<String> {
    if node["level"] == 0 && node["other"] == false {
        return node["id"].as_str().map(str::to_string);
    }
    node["children"].as_array()?.iter().find_map(find_base)
}
