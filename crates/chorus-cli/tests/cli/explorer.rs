//! The explorer as an analyst uses it, in real headless Chromium at 1280×800: the questions an
//! analyst brings (top uses, a language's over-representation, what grew, where the risk is,
//! coordinated misuse, a search), the table view, the map's zoom, colours, labels, tooltip and
//! keyboard, each checked against what is on screen.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::browser::{Browser, ENTER, TAB, fragment_value};
use crate::page::node;
use crate::util::{read_json, run_ok};

/// Top-level clusters in the map fixture: more than any fixed palette holds.
const TOPS: usize = 14;
/// The fixture's cluster with two lobes, on the left of the ring (away from the legend).
const LOBED: usize = 7;

/// A report of [`TOPS`] top-level clusters, each a disc of points around its own place on a
/// ring; one ([`LOBED`]) has a dense lobe on the ring and a sparse one towards the middle, so its
/// mean position lies in empty space.
fn ring_report(tops: usize) -> Value {
    let (mut xs, mut ys, mut owners) = (Vec::new(), Vec::new(), Vec::new());
    let mut top_nodes = Vec::new();
    for i in 0..tops {
        let angle = i as f64 / tops as f64 * std::f64::consts::TAU;
        let centre = (10.0 * angle.cos(), 10.0 * angle.sin());
        let id = format!("L0.{i}");
        let mut cluster = node(
            &id,
            0,
            &format!("topic number {i}"),
            100,
            json!({"English": 100}),
            vec![],
        );
        for k in 0..100 {
            // Points on a sunflower spiral: even, deterministic cover of a disc.
            let r = 0.8 * ((k as f64 + 0.5) / 100.0).sqrt();
            let t = k as f64 * 2.399_963;
            let (cx, cy) = if i == LOBED && k >= 60 {
                (centre.0 * 0.3, centre.1 * 0.3)
            } else {
                centre
            };
            xs.push(cx + r * t.cos());
            ys.push(cy + r * t.sin());
            owners.push(id.clone());
        }
        cluster["share_of_parent"] = json!(1.0 / tops as f64);
        cluster["position"] = if i == LOBED {
            json!([centre.0 * 0.72, centre.1 * 0.72])
        } else {
            json!([centre.0, centre.1])
        };
        top_nodes.push(cluster);
    }
    let mut root = node(
        "root",
        1,
        "All conversations",
        100 * tops as u64,
        json!({}),
        top_nodes,
    );
    root["position"] = Value::Null;
    json!({
        "schema_version": 1, "mode": "keyword",
        "totals": {"conversations": 100 * tops, "clustered": 100 * tops, "users": 50 * tops,
                   "no_user_text": 0, "not_embedded": 0, "no_summary": 0, "facet_missing": {}},
        "parameters": {"embed_model": "all-MiniLM-L6-v2", "k": tops, "k_source": "config",
                       "k_sweep": [], "level_sizes": [tops], "min_users": 5,
                       "min_conversations": 10, "unknown_users": "shared", "seed": 7},
        "kmeans": {"iterations": 3, "converged": true, "inertia": 1.0},
        "redactions": {},
        "tree": root,
        "map": {"sampled": xs.len(), "neighbours": 15, "epochs": 200,
                "points": {"x": xs, "y": ys, "cluster": owners}}
    })
}

fn ring_page(dir: &Path, tops: usize) -> PathBuf {
    std::fs::write(dir.join("report.json"), ring_report(tops).to_string()).unwrap();
    run_ok(&["report", &dir.display().to_string()]);
    dir.join("index.html")
}

/// How many canvas pixels have each of `colours` (`#rrggbb`), in that order: in the whole
/// canvas, or in `area` (`[x, y, width, height]`, canvas pixels).
fn pixels_of(browser: &Browser, colours: &[String], area: Option<[f64; 4]>) -> Vec<u64> {
    let counts = browser.script(
        "const c = document.getElementById('canvas'), [x, y, w, h] = arguments[1] || [0, 0, c.width, c.height];\
         const d = c.getContext('2d').getImageData(x, y, w, h).data;\
         const want = arguments[0].map(h => parseInt(h.slice(1), 16)); const n = want.map(() => 0);\
         for (let i = 0; i < d.length; i += 4) { const v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];\
           if (!d[i + 3]) continue; const k = want.indexOf(v); if (k >= 0) n[k]++; }\
         return n;",
        json!([colours, area]),
    );
    counts
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

/// The legend's colours, by the top-level cluster each stands for.
fn legend_colours(browser: &Browser) -> Vec<(String, String)> {
    let found = browser.script(
        "return Array.from(document.querySelectorAll('#legend button'), \
         b => [b.dataset.id, b.querySelector('.swatch').dataset.colour]);",
        json!([]),
    );
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_map_zooms_at_the_cursor_colours_every_top_cluster_and_works_from_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let page = ring_page(dir.path(), TOPS);
    let browser = Browser::start();
    browser.open_file(&page, "view=map");
    let canvas = browser.find("#canvas");

    // Every top-level cluster in the legend, each with a colour of its own, all drawn.
    let legend = legend_colours(&browser);
    assert_eq!(legend.len(), TOPS, "{legend:?}");
    let colours: Vec<String> = legend.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(
        colours.iter().collect::<HashSet<_>>().len(),
        TOPS,
        "{colours:?}"
    );
    let drawn = pixels_of(&browser, &colours, None);
    assert!(drawn.iter().all(|&n| n > 50), "{drawn:?}");

    // Labels stay inside the canvas and clear of the legend; the two-lobed cluster's label sits
    // on its dense lobe, not at its mean position in the empty space between the lobes.
    let (labels, legend_box, size) = {
        let found = browser.script(
            "const c = document.getElementById('canvas'), r = c.getBoundingClientRect();\
             const l = document.getElementById('legend').getBoundingClientRect();\
             return [JSON.parse(c.dataset.labels), [l.left - r.left, l.top - r.top, l.width, l.height], [r.width, r.height]];",
            json!([]),
        );
        (found[0].clone(), found[1].clone(), found[2].clone())
    };
    let labels = labels.as_array().unwrap();
    assert!(labels.len() >= TOPS / 2, "{labels:?}");
    let number = |v: &Value| v.as_f64().unwrap();
    let (width, height) = (number(&size[0]), number(&size[1]));
    let legend_rect: Vec<f64> = legend_box.as_array().unwrap().iter().map(number).collect();
    for label in labels {
        let (x, y, w, h) = (
            number(&label["x"]),
            number(&label["y"]),
            number(&label["w"]),
            number(&label["h"]),
        );
        assert!(
            x >= 0.0 && y >= 0.0 && x + w <= width && y + h <= height,
            "{label}"
        );
        let clear = x + w <= legend_rect[0]
            || legend_rect[0] + legend_rect[2] <= x
            || y + h <= legend_rect[1]
            || legend_rect[1] + legend_rect[3] <= y;
        assert!(clear, "{label} under the legend {legend_rect:?}");
    }
    let lobed = labels
        .iter()
        .find(|l| l["id"] == format!("L0.{LOBED}").as_str())
        .expect("the two-lobed cluster is labelled");
    let (cx, cy) = (
        (number(&lobed["x"]) + number(&lobed["w"]) / 2.0).round(),
        (number(&lobed["y"]) + number(&lobed["h"]) / 2.0).round(),
    );
    let near_label = pixels_of(
        &browser,
        &colours[LOBED..=LOBED],
        Some([cx - 40.0, cy - 40.0, 80.0, 80.0]),
    )[0];
    assert!(
        near_label > 40,
        "the label is not over its points: {near_label}"
    );

    // Hover over a point: a tooltip names its cluster with its counts.
    let spot = browser.script(
        "const c = document.getElementById('canvas'), want = parseInt(arguments[0].slice(1), 16);\
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let best = null;\
         for (let i = 0; i < d.length; i += 4) { const v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];\
           if (d[i + 3] && v === want) { const x = (i / 4) % c.width, y = Math.floor(i / 4 / c.width);\
             if (!best || y < best[1]) best = [x, y]; } }\
         return [best[0], best[1], c.clientWidth, c.clientHeight];",
        json!([colours[3]]),
    );
    let spot: Vec<i64> = spot
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    // The topmost pixel of a cluster on the upper side of the ring, away from its label.
    let (px, py) = (spot[0] + 1, spot[1] + 1);
    let offset = (px - spot[2] / 2, py - spot[3] / 2);
    browser.hover(&canvas, offset);
    let tooltip = browser.find("#tooltip");
    assert!(browser.displayed(&tooltip));
    let tip = browser.text(&tooltip);
    assert!(
        tip.contains("topic number 3") && tip.contains("100 conversations"),
        "{tip}"
    );

    // The wheel zooms about the cursor: the point under it stays under it.
    browser.wheel(&canvas, offset, -300);
    let fragment = browser.fragment();
    let zoom: f64 = fragment_value(&fragment, "zoom").unwrap().parse().unwrap();
    assert!(zoom > 2.0, "{fragment}");
    assert_ne!(fragment_value(&fragment, "cx").as_deref(), Some("0.000"));
    let (x, y) = (px as f64, py as f64);
    let still = pixels_of(
        &browser,
        &colours[3..=3],
        Some([x - 2.0, y - 2.0, 5.0, 5.0]),
    )[0];
    assert!(still > 0, "the point under the cursor moved away");

    // Fit brings the whole map back.
    browser.click(&browser.find("#map-fit"));
    assert_eq!(fragment_value(&browser.fragment(), "zoom"), None);

    // The keyboard alone: Tab reaches the map, + zooms, Tab reaches the legend, Enter selects
    // a cluster there; the map then frames it and fades every other cluster.
    browser.click(&browser.find("#tab-map"));
    let mut reached = false;
    for _ in 0..20 {
        browser.press(TAB);
        if browser.focused().0 == "canvas" {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the map");
    browser.press("+");
    let zoom = fragment_value(&browser.fragment(), "zoom").unwrap();
    assert_eq!(zoom, "1.50");
    let mut chosen = String::new();
    for _ in 0..10 {
        browser.press(TAB);
        let (_, id) = browser.focused();
        if !id.is_empty() {
            chosen = id;
            break;
        }
    }
    assert_eq!(chosen, legend[0].0, "Tab did not reach the legend");
    browser.press(ENTER);
    assert_eq!(browser.text(&browser.find("#detail h2")), "topic number 0");
    let fragment = browser.fragment();
    assert!(fragment.contains("node=L0.0"), "{fragment}");
    let shown = pixels_of(&browser, &colours, None);
    assert!(shown[0] > 50, "{shown:?}");
    assert!(
        shown[1..].iter().all(|&n| n == 0),
        "other clusters not faded: {shown:?}"
    );

    // A search keeps its matches' points in colour and fades the rest, at the first zoom and
    // zoomed in on a match.
    let centre = 3.0 / TOPS as f64 * std::f64::consts::TAU;
    for fragment in [
        "view=map&q=number%203".to_string(),
        format!(
            "view=map&q=number%203&zoom=4&cx={:.3}&cy={:.3}",
            10.0 * centre.cos(),
            10.0 * centre.sin()
        ),
    ] {
        browser.open_file(&page, &fragment);
        let lit = pixels_of(&browser, &colours, None);
        assert!(lit[3] > 50, "{fragment}: {lit:?}");
        let others: u64 = lit
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 3)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(others, 0, "{fragment}: {lit:?}");
    }

    // An overlay's colour scale carries numbers.
    browser.open_file(&page, "view=map&facet=concern");
    let ticks = browser.text(&browser.find("#legend .ticks"));
    assert!(
        ticks.contains("1.00") && ticks.contains("3.00") && ticks.contains("5.00"),
        "{ticks}"
    );

    // The tree is one tab stop, its rows a real ARIA tree.
    browser.open_file(&page, "view=tree&node=L0.2");
    let stops = browser.script(
        "return document.querySelectorAll('#tree [tabindex=\"0\"]').length;",
        json!([]),
    );
    assert_eq!(stops, 1);
    let selected = browser.find("#tree li[aria-selected='true']");
    assert_eq!(
        browser.attribute(&selected, "data-id").as_deref(),
        Some("L0.2")
    );
    assert_eq!(
        browser.attribute(&selected, "role").as_deref(),
        Some("treeitem")
    );
}

#[test]
fn a_long_table_is_drawn_a_page_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let page = ring_page(dir.path(), 620);
    let browser = Browser::start();
    browser.open_file(&page, "view=table");
    assert_eq!(browser.find_all("#table-body tr").len(), 500);
    let count = browser.text(&browser.find("#table-count"));
    assert_eq!(count, "620 of 620 clusters, the first 500 shown");
    let more = browser.find("#table-more");
    assert_eq!(browser.text(&more), "Show 120 more");
    browser.click(&more);
    assert_eq!(browser.find_all("#table-body tr").len(), 620);
    assert!(!browser.displayed(&browser.find("#table-more")));
}

/// Every published cluster below the root, parents before children.
pub(crate) fn published(node: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for child in node["children"].as_array().unwrap() {
        out.push(child);
        out.extend(published(child));
    }
    out
}

/// The ids of a cluster and of every published cluster above and below it: a truth counts as
/// found on any of them.
fn family(report: &Value, id: &str) -> HashSet<String> {
    fn walk(node: &Value, path: &mut Vec<String>, id: &str, out: &mut HashSet<String>) -> bool {
        let own = node["id"].as_str().unwrap().to_string();
        path.push(own.clone());
        let mut inside = own == id;
        for child in node["children"].as_array().unwrap() {
            inside |= walk(child, path, id, out);
        }
        path.pop();
        if inside {
            out.insert(own);
            out.extend(path.iter().filter(|p| *p != "root").cloned());
        }
        inside
    }
    let mut out = HashSet::new();
    walk(&report["tree"], &mut Vec::new(), id, &mut out);
    out.remove("root");
    out
}

/// The published nodes that show base cluster `id`: its family; or, when the release folded it
/// into its parent's "Other" (no phrase of its users, who may write in eight languages, names
/// it apart), that "Other" and the published nodes above it, from the cluster's path in
/// conversations.parquet.
fn shown_by(report: &Value, run_dir: &Path, id: &str) -> HashSet<String> {
    let own = family(report, id);
    if !own.is_empty() {
        return own;
    }
    let path = crate::util::parquet_rows(run_dir)
        .into_iter()
        .find_map(|row| {
            let path = row["cluster_path"].as_str()?.to_string();
            (path.rsplit('/').next() == Some(id)).then_some(path)
        })
        .unwrap_or_else(|| panic!("no conversation of {id} in conversations.parquet"));
    let above: Vec<&str> = path.split('/').filter(|part| *part != id).collect();
    let parent = above.last().unwrap_or_else(|| panic!("{id} has no parent"));
    let mut shown: HashSet<String> = above.iter().map(|part| part.to_string()).collect();
    shown.insert(format!("{parent}.other"));
    let published = |node: &String| !family(report, node).is_empty();
    assert!(
        shown.iter().all(published),
        "{shown:?} are not all published"
    );
    shown
}

/// The table's rows, top down, after one click on a column's heading.
fn sorted_by(browser: &Browser, column: &str) -> Vec<String> {
    browser.click(&browser.find(&format!("#table th[data-key='{column}'] button")));
    let ids = browser.script(
        "return Array.from(document.querySelectorAll('#table-body tr'), r => r.dataset.id);",
        json!([]),
    );
    ids.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn matches_query(node: &Value, query: &str) -> bool {
    let text = format!("{} {}", node["name"], node["description"]).to_lowercase();
    text.contains(query)
        || node["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["term"].as_str().unwrap().to_lowercase().contains(query))
}

#[test]
fn an_analyst_answers_six_questions_on_a_planted_run_in_a_few_clicks() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("s.jsonl");
    let input_arg = input.display().to_string();
    run_ok(&[
        "synth", "-n", "20000", "--seed", "7", "-o", &input_arg, "-q",
    ]);
    let out = dir.path().join("r");
    let out_arg = out.display().to_string();
    run_ok(&["run", &input_arg, "-o", &out_arg, "-q"]);
    let truth = input_arg.replace(".jsonl", ".truth.jsonl");
    run_ok(&["eval", &out_arg, "--truth", &truth]);
    let report = read_json(&out.join("report.json"));
    let eval = read_json(&out.join("eval.json"));
    let nodes = published(&report["tree"]);
    let page = out.join("index.html");
    let browser = Browser::start();
    browser.open_file(&page, "");

    // 1. What are the top uses: the largest top-level cluster first, with its share of all.
    let largest = report["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["other"] == false)
        .max_by_key(|n| n["conversations"].as_u64())
        .unwrap();
    let first_row = browser.text(&browser.find("#tree > li > .row"));
    assert!(
        first_row.contains(largest["name"].as_str().unwrap()) && first_row.contains('%'),
        "{first_row}"
    );

    // 2. What is over-represented in Japanese: the language overlay ranks the clusters.
    browser.click(&browser.find("#facet option[value='language']"));
    browser.click(&browser.find("#facet-value option[value='Japanese']"));
    let japanese = |n: &Value| {
        let counts = n["facets"]["language"].as_object().unwrap();
        let all: u64 = counts.values().map(|v| v.as_u64().unwrap()).sum();
        counts.get("Japanese").and_then(Value::as_u64).unwrap_or(0) as f64 / all.max(1) as f64
    };
    let top_share = nodes
        .iter()
        .filter(|n| n["other"] == false)
        .map(|n| japanese(n))
        .fold(0.0, f64::max);
    let ranking = browser.find_all("#ranking li");
    let first_ranked = browser.text(&ranking[0]);
    assert!(
        first_ranked.contains(&format!("{:.1}%", 100.0 * top_share)),
        "{first_ranked} (highest Japanese share {top_share})"
    );
    browser.click(&browser.find("#facet option[value='']"));

    // The table: every published cluster of every level, ranked across levels by one click.
    browser.click(&browser.find("#tab-table"));
    assert_eq!(browser.find_all("#table-body tr").len(), nodes.len());
    let truth_of = |kind: &str| {
        eval["trends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == kind)
            .unwrap()["cluster"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // 3. What grew: the planted growing topic among the first five rows by growth.
    let growing = shown_by(&report, &out, &truth_of("growing"));
    let rows = sorted_by(&browser, "growth");
    assert!(
        rows[..5].iter().any(|id| growing.contains(id)),
        "growing truth {growing:?} not in {:?}",
        &rows[..5]
    );
    // A burst: the planted one-day burst first, or second after the coordinated group's own
    // cluster when that stands alone (the group sends all its requests within three days, a
    // burst of its own).
    let burst = shown_by(&report, &out, &truth_of("burst"));
    let group = eval["coordinated"]["cluster"].as_str().unwrap();
    let rows = sorted_by(&browser, "burst");
    let first_burst = if rows[0] == group { 1 } else { 0 };
    assert!(
        burst.contains(&rows[first_burst]),
        "burst {burst:?}, first rows {:?}, the group's cluster {group}",
        &rows[..2]
    );
    // 4. Where is the risk: the cluster with the largest share at concern ≥ 4 first.
    let risky = |n: &Value| {
        let histogram = n["facets"]["concern"]["histogram"].as_array().unwrap();
        // Cells folded into "other values" count among all, never as high.
        let count = |high: bool| -> u64 {
            histogram
                .iter()
                .filter(|b| !high || b[0].as_str().unwrap().parse::<u8>().is_ok_and(|l| l >= 4))
                .map(|b| b[1].as_u64().unwrap())
                .sum()
        };
        count(true) as f64 / count(false).max(1) as f64
    };
    let riskiest = nodes.iter().map(|n| risky(n)).fold(0.0, f64::max);
    let rows = sorted_by(&browser, "concern4");
    let first = nodes.iter().find(|n| n["id"] == rows[0].as_str()).unwrap();
    assert!((risky(first) - riskiest).abs() < 1e-9, "{}", first["id"]);
    // 5. Is there coordinated misuse: the planted group's cluster first by one-text senders,
    //    flagged; the flag rolls up to its parents.
    let coordinated = family(&report, eval["coordinated"]["cluster"].as_str().unwrap());
    let rows = sorted_by(&browser, "senders");
    assert!(
        coordinated.contains(&rows[0]),
        "{coordinated:?} vs {}",
        rows[0]
    );
    let flags = browser.text(&browser.find("#table-body tr:first-child td.flags"));
    assert!(flags.contains("coordinated?"), "{flags}");
    let group = &rows[0];
    let parent = nodes
        .iter()
        .find(|n| {
            n["children"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == group.as_str())
        })
        .map(|n| n["id"].as_str().unwrap().to_string());
    if let Some(parent) = parent {
        let parent_flags =
            browser.text(&browser.find(&format!("#table-body tr[data-id='{parent}'] td.flags")));
        assert!(
            parent_flags.contains("contains coordinated?"),
            "{parent_flags}"
        );
    }
    // A row opens the cluster: its detail, its breakdowns on screen without scrolling, then
    // the map framed on it.
    browser.click(&browser.find("#table-body tr:first-child"));
    let name = nodes.iter().find(|n| n["id"] == group.as_str()).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(browser.text(&browser.find("#detail h2")), name);
    let below_fold = browser.script(
        "return Array.from(document.querySelectorAll('#detail .breakdown'), \
         b => b.getBoundingClientRect().bottom).filter(y => y > window.innerHeight).length;",
        json!([]),
    );
    assert_eq!(below_fold, 0, "breakdowns below the fold at 1280×800");
    browser.click(&browser.find("#detail .actions button:last-child"));
    let fragment = browser.fragment();
    assert!(
        fragment.contains("view=map") && fragment.contains(&format!("node={group}")),
        "{fragment}"
    );
    assert!(
        fragment.contains("zoom="),
        "the map did not frame the cluster: {fragment}"
    );

    // 6. Find "password": the count said, only the branches holding a match open, the first
    //    match in view; a word nobody used says so.
    browser.click(&browser.find("#tab-tree"));
    let query = "password";
    let expected: Vec<&&Value> = nodes.iter().filter(|n| matches_query(n, query)).collect();
    assert!(
        !expected.is_empty(),
        "the synth set plants password requests"
    );
    browser.type_text(&browser.find("#search"), query);
    let status = browser.text(&browser.find("#search-status"));
    let noun = if expected.len() == 1 {
        "match"
    } else {
        "matches"
    };
    assert_eq!(status, format!("{} {noun}", expected.len()));
    let shown = browser.script(
        "return Array.from(document.querySelectorAll('#tree li[role=treeitem]'), li => li.dataset.id);",
        json!([]),
    );
    for id in shown.as_array().unwrap() {
        let id = id.as_str().unwrap();
        let node = nodes.iter().find(|n| n["id"] == id).unwrap();
        assert!(
            published(node)
                .into_iter()
                .chain([*node])
                .any(|n| matches_query(n, query)),
            "{id} holds no match but is shown"
        );
    }
    let in_view = browser.script(
        "const r = document.querySelector('#tree mark').getBoundingClientRect(); \
         return r.top >= 0 && r.bottom <= window.innerHeight;",
        json!([]),
    );
    assert_eq!(in_view, true);
    browser.click(&browser.find("#search-next"));
    assert!(
        browser
            .text(&browser.find("#search-status"))
            .starts_with("1 of "),
        "next did not step to the first match"
    );
    let selected = browser.text(&browser.find("#detail h2"));
    assert!(
        expected.iter().any(|n| n["name"] == selected.as_str()),
        "{selected}"
    );
    browser.open_file(&page, "q=zzqx");
    assert_eq!(browser.text(&browser.find("#search-status")), "no matches");
}
