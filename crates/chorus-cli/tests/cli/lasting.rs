//! A tree that lasts: one period clustered, the next placed into its tree with `chorus assign`,
//! the two compared with `chorus compare`; and what those commands say when they cannot work.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use crate::browser::Browser;
use crate::explorer::published;
use crate::util::{chorus, parquet_rows, read_json, run_ok, write_conversations};

/// The cluster eval names for a planted trend.
fn trend_cluster(eval: &Value, kind: &str) -> String {
    eval["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} trend in {eval}"))["cluster"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The ids of the clusters of one kind of change, largest change first.
fn movers(comparison: &Value, change: &str) -> Vec<String> {
    let mut clusters: Vec<&Value> = comparison["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == change)
        .collect();
    let effect = |c: &Value| c["ratio"].as_f64().unwrap().ln().abs();
    clusters.sort_by(|a, b| effect(b).total_cmp(&effect(a)));
    clusters
        .into_iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every id the tree of `tree.json` has: `L{level}.{index}` at each level.
fn tree_ids(tree: &Value) -> HashSet<String> {
    let k = tree["centroids"].as_array().unwrap().len();
    let mut ids: HashSet<String> = (0..k).map(|i| format!("L0.{i}")).collect();
    for (level, groups) in tree["levels"].as_array().unwrap().iter().enumerate() {
        for group in groups.as_array().unwrap() {
            ids.insert(format!("L{}.{}", level + 1, group.as_u64().unwrap()));
        }
    }
    ids
}

/// Splits a synth set at `day`: the conversations before it, and from it on.
fn split_by_day(input: &Path, day: &str, before: &Path, after: &Path) {
    let (mut first, mut second) = (String::new(), String::new());
    for line in std::fs::read_to_string(input).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let side = if record["created_at"].as_str().unwrap() < day {
            &mut first
        } else {
            &mut second
        };
        side.push_str(line);
        side.push('\n');
    }
    std::fs::write(before, first).unwrap();
    std::fs::write(after, second).unwrap();
}

#[test]
fn a_second_period_placed_into_the_first_periods_tree_shows_what_moved() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    // English only: with an English sentence model, the eight-language set's clusters follow
    // phrasing more than topic, and no cluster would hold the planted topics.
    run_ok(&[
        "synth",
        "-n",
        "20000",
        "--seed",
        "7",
        "--languages",
        "en",
        "-o",
        &path("s.jsonl"),
        "-q",
    ]);
    // The set spans eight weeks from 2026-09-07: four and four.
    split_by_day(
        &dir.path().join("s.jsonl"),
        "2026-10-05",
        &dir.path().join("first.jsonl"),
        &dir.path().join("second.jsonl"),
    );
    let store = path("store.sqlite");
    run_ok(&[
        "run",
        &path("first.jsonl"),
        "-o",
        &path("a"),
        "--store",
        &store,
        "--cohort-field",
        "plan",
        "-q",
    ]);
    let placed = run_ok(&[
        "assign",
        &path("a"),
        &path("second.jsonl"),
        "-o",
        &path("b"),
        "--store",
        &store,
        "-q",
    ]);
    let said = String::from_utf8_lossy(&placed.stderr);
    assert!(said.contains("were near no cluster of it"), "{said}");
    run_ok(&["compare", &path("a"), &path("b"), "-o", &path("ab")]);
    for run in ["a", "b"] {
        run_ok(&["eval", &path(run), "--truth", &path("s.truth.jsonl")]);
    }
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (report_a, report_b) = (
        read_json(&a.join("report.json")),
        read_json(&b.join("report.json")),
    );
    let comparison = read_json(&dir.path().join("ab/compare.json"));

    // Every id is the first run's: the same tree, and nothing published outside it.
    let tree = read_json(&a.join("tree.json"));
    assert_eq!(read_json(&b.join("tree.json")), tree);
    let tree_id = tree["tree_id"].as_str().unwrap();
    assert_eq!(report_a["parameters"]["tree_id"], tree_id);
    assert_eq!(report_b["parameters"]["tree_id"], tree_id);
    assert_eq!(report_b["parameters"]["placed_into_tree"], true);
    let ids = tree_ids(&tree);
    let names_a: HashMap<&str, &str> = published(&report_a["tree"])
        .into_iter()
        .map(|n| (n["id"].as_str().unwrap(), n["name"].as_str().unwrap()))
        .collect();
    for node in published(&report_b["tree"]) {
        let id = node["id"].as_str().unwrap();
        if node["other"] == true {
            continue;
        }
        if node["unplaced"] == true {
            assert_eq!(id, "unplaced");
            continue;
        }
        assert!(
            ids.contains(id),
            "{id} is not a cluster of the first run's tree"
        );
        // A cluster both runs publish keeps the first run's name.
        if let Some(name) = names_a.get(id) {
            assert_eq!(node["name"].as_str().unwrap(), *name, "{id}");
        }
    }
    let placement = &read_json(&b.join("run.json"))["placement"];
    assert_eq!(placement["tree_id"], tree_id);
    let unplaced = placement["unplaced"].as_u64().unwrap();
    let clustered = report_b["totals"]["clustered"].as_u64().unwrap();
    assert!(
        unplaced > 0 && (unplaced as f64) < 0.1 * clustered as f64,
        "{placement}"
    );

    // The planted trends are the movers: the growing topic's cluster (eval's, in the first
    // run) among the first growers, the fading one's among the first to shrink, and the
    // burst's cluster grew, with the burst shown on its day in the second run.
    let (eval_a, eval_b) = (
        read_json(&a.join("eval.json")),
        read_json(&b.join("eval.json")),
    );
    let grew = movers(&comparison, "grew");
    let shrank = movers(&comparison, "shrank");
    let growing = trend_cluster(&eval_a, "growing");
    let fading = trend_cluster(&eval_a, "fading");
    assert!(grew[..3].contains(&growing), "{growing} not among {grew:?}");
    assert!(
        shrank[..3].contains(&fading),
        "{fading} not among {shrank:?}"
    );
    let burst = trend_cluster(&eval_b, "burst");
    let burst_change = comparison["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == burst.as_str())
        .unwrap();
    assert_eq!(burst_change["change"], "grew", "{burst_change}");
    let burst_node = published(&report_b["tree"])
        .into_iter()
        .find(|n| n["id"] == burst.as_str())
        .unwrap();
    assert!(
        burst_node["signals"]["burst"]["day"].is_string(),
        "{burst_node}"
    );
    // The runs are named by their folders, not by where they lie.
    assert_eq!(
        (
            comparison["a"]["label"].as_str(),
            comparison["b"]["label"].as_str()
        ),
        (Some("a"), Some("b"))
    );
    // compare.json carries the documented fields for every cluster.
    for cluster in comparison["clusters"].as_array().unwrap() {
        for key in ["id", "name", "level", "a", "b", "ratio", "change"] {
            assert!(cluster.get(key).is_some(), "{key} missing in {cluster}");
        }
        if let Some(share) = cluster["b"]["share"].as_f64() {
            let conversations = cluster["b"]["conversations"].as_f64().unwrap();
            assert!((share - conversations / clustered as f64).abs() < 1e-9);
        }
    }
    let text = std::fs::read_to_string(dir.path().join("ab/compare.md")).unwrap();
    assert!(text.contains(&format!("`{growing}`")), "{text}");
    assert!(
        std::fs::read_to_string(dir.path().join("ab/index.html"))
            .unwrap()
            .contains("compare-data")
    );

    // Cohorts: the synth set's software questions come from the `team` plan five times as often
    // as others; the cluster where `team` is most over-represented is about software, in the
    // report and at the top of the page's ranking.
    let category_of: HashMap<String, String> =
        std::fs::read_to_string(dir.path().join("s.truth.jsonl"))
            .unwrap()
            .lines()
            .map(|line| {
                let truth: Value = serde_json::from_str(line).unwrap();
                let field = |key: &str| truth[key].as_str().unwrap().to_string();
                (field("id"), field("category"))
            })
            .collect();
    let mut categories: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for row in parquet_rows(&a) {
        let category = &category_of[row["id"].as_str().unwrap()];
        for id in row["cluster_path"].as_str().unwrap().split('/') {
            *categories
                .entry(id.into())
                .or_default()
                .entry(category.clone())
                .or_default() += 1;
        }
    }
    let team_share = |node: &Value| {
        let cohorts = node["facets"]["cohort"].as_object().unwrap();
        let all: u64 = cohorts.values().map(|v| v.as_u64().unwrap()).sum();
        cohorts.get("team").and_then(Value::as_u64).unwrap_or(0) as f64 / all.max(1) as f64
    };
    let most_team = published(&report_a["tree"])
        .into_iter()
        .filter(|n| n["other"] == false)
        .max_by(|x, y| team_share(x).total_cmp(&team_share(y)))
        .unwrap();
    let majority = categories[most_team["id"].as_str().unwrap()]
        .iter()
        .max_by_key(|(_, count)| **count)
        .unwrap()
        .0
        .clone();
    assert_eq!(majority, "programming", "{most_team}");
    assert_eq!(report_b["parameters"]["cohort_field"], "plan");
    let browser = Browser::start();
    browser.open_file(&a.join("index.html"), "facet=cohort&value=team");
    let first = browser.text(&browser.find_all("#ranking li")[0]);
    assert!(
        first.starts_with(most_team["name"].as_str().unwrap()),
        "{first}"
    );

    // The comparison page: B's tree and table sorted by change, the growing topic's cluster
    // above every cluster that shrank.
    browser.open_file(&dir.path().join("ab/index.html"), "view=table");
    assert!(
        browser
            .text(&browser.find("#compare"))
            .starts_with("Comparing A =")
    );
    let heading = browser.find("#table-head th[data-key='change']");
    assert_eq!(
        browser.attribute(&heading, "aria-sort").as_deref(),
        Some("descending")
    );
    let rows: Vec<String> = browser
        .find_all("#table-body tr")
        .iter()
        .map(|row| browser.attribute(row, "data-id").unwrap())
        .collect();
    let at = |id: &str| rows.iter().position(|r| r == id).unwrap();
    assert!(shrank.iter().all(|id| at(&growing) < at(id)), "{rows:?}");

    // Placing the same conversations again writes the same files, byte for byte.
    run_ok(&[
        "assign",
        &path("a"),
        &path("second.jsonl"),
        "-o",
        &path("b2"),
        "--store",
        &store,
        "-q",
    ]);
    for file in [
        "report.json",
        "report.md",
        "index.html",
        "tree.json",
        "conversations.parquet",
    ] {
        assert!(
            std::fs::read(b.join(file)).unwrap()
                == std::fs::read(dir.path().join("b2").join(file)).unwrap(),
            "{file} differs between two assigns of the same input"
        );
    }
}

#[test]
fn assign_and_compare_refuse_what_they_cannot_use_and_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.jsonl");
    write_conversations(&input, 300);
    let input = input.display().to_string();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let small = [
        "--k",
        "4",
        "--min-users",
        "5",
        "--min-conversations",
        "10",
        "-q",
    ];
    let run = |out: &str, seed: &str| {
        let mut args = vec!["run", &input, "-o", out, "--seed", seed];
        args.extend(small);
        run_ok(&args);
    };
    run(&path("a"), "1");
    run(&path("other"), "2");
    let fails = |args: &[&str]| -> String {
        let output = chorus().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?} did not fail");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    // Not a run folder.
    let said = fails(&["assign", &path("nowhere"), &input, "-o", &path("x")]);
    assert!(
        said.contains("tree.json") && said.contains("chorus run"),
        "{said}"
    );
    // Into the earlier run's own folder.
    let said = fails(&["assign", &path("a"), &input, "-o", &path("a")]);
    assert!(said.contains("folder of its own"), "{said}");
    // A tree file changed after the run wrote it.
    std::fs::create_dir_all(dir.path().join("edited")).unwrap();
    for file in ["run.json", "tree.json"] {
        std::fs::copy(
            dir.path().join("a").join(file),
            dir.path().join("edited").join(file),
        )
        .unwrap();
    }
    let tree_path = dir.path().join("edited/tree.json");
    let mut tree = read_json(&tree_path);
    tree["centroids"][0][0] = Value::from(0.5);
    std::fs::write(&tree_path, tree.to_string()).unwrap();
    let said = fails(&["assign", &path("edited"), &input, "-o", &path("x")]);
    assert!(said.contains("do not match its tree_id"), "{said}");
    std::fs::write(&tree_path, "{\"format\": 1").unwrap();
    let said = fails(&["assign", &path("edited"), &input, "-o", &path("x")]);
    assert!(said.contains("tree.json cannot be used"), "{said}");
    // Two runs clustered apart share no tree: compare says how to make them comparable.
    let said = fails(&["compare", &path("a"), &path("other"), "-o", &path("ab")]);
    assert!(
        said.contains("do not share a tree") && said.contains("chorus assign"),
        "{said}"
    );
    assert!(!dir.path().join("ab/compare.json").exists());
    // Conversations about something else entirely: most are not placed, and chorus says a
    // fresh run would describe them better.
    let banking = format!(
        "{}/../../examples/demo/banking77-300.csv.zst",
        env!("CARGO_MANIFEST_DIR")
    );
    let moved_on = run_ok(&["assign", &path("a"), &banking, "-o", &path("banking"), "-q"]);
    let said = String::from_utf8_lossy(&moved_on.stderr);
    assert!(
        said.contains("fit no cluster of the earlier tree") && said.contains("fresh `chorus run`"),
        "{said}"
    );
    let placement = &read_json(&dir.path().join("banking/run.json"))["placement"];
    assert!(
        placement["unplaced"].as_u64().unwrap() > placement["placed"].as_u64().unwrap(),
        "{placement}"
    );
    // Placed into its own tree, the run's own conversations land where they were clustered.
    run_ok(&["assign", &path("a"), &input, "-o", &path("again"), "-q"]);
    run_ok(&["compare", &path("a"), &path("again"), "-o", &path("same")]);
    let comparison = read_json(&dir.path().join("same/compare.json"));
    for cluster in comparison["clusters"].as_array().unwrap() {
        assert!(
            cluster["change"] == "steady" || cluster["id"] == "unplaced",
            "{cluster}"
        );
    }
}

#[test]
fn a_taxonomy_fixes_the_top_level_and_eval_scores_it_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    run_ok(&[
        "synth",
        "-n",
        "6000",
        "--seed",
        "3",
        "--languages",
        "en",
        "-o",
        &path("s.jsonl"),
        "--taxonomy-out",
        &path("taxonomy.toml"),
        "-q",
    ]);
    let said = run_ok(&[
        "run",
        &path("s.jsonl"),
        "-o",
        &path("r"),
        "--taxonomy",
        &path("taxonomy.toml"),
        // Base clusters are placed whole, so they must be finer than the categories: at the
        // default 100 conversations each, 60 clusters over 185 tasks straddle categories
        // (47 % placed right on this set).
        "--k",
        "180",
        "-q",
    ]);
    assert!(said.status.success());
    let output = run_ok(&["eval", &path("r"), "--truth", &path("s.truth.jsonl")]);
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("taxonomy (by name)"), "{printed}");
    let report = read_json(&dir.path().join("r/report.json"));
    assert!(
        report["parameters"]["taxonomy"]
            .as_str()
            .unwrap()
            .ends_with("taxonomy.toml")
    );
    // Every published top-level node is a category, named exactly as the file names it.
    let taxonomy: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.path().join("taxonomy.toml")).unwrap())
            .unwrap();
    let categories: HashSet<&str> = taxonomy["category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for top in report["tree"]["children"].as_array().unwrap() {
        if top["other"] == true {
            continue;
        }
        let name = top["name"].as_str().unwrap();
        assert!(categories.contains(name) || name == "Unassigned", "{name}");
    }
    let eval = read_json(&dir.path().join("r/eval.json"));
    let accuracy = eval["taxonomy"]["accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.8, "taxonomy accuracy {accuracy}");
    assert!(
        eval["taxonomy"]["per_language"]["English"][0]
            .as_u64()
            .unwrap()
            > 0
    );

    // A broken taxonomy stops the run before any work, naming the file and the fault.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[category]]\nname = \"A\"\n[[category]]\nname = \"a\"\n",
    )
    .unwrap();
    let output = chorus()
        .args([
            "run",
            &path("s.jsonl"),
            "-o",
            &path("bad"),
            "--taxonomy",
            &path("bad.toml"),
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("bad.toml") && said.contains("twice"),
        "{said}"
    );
}
