//! `chorus synth` and `chorus eval` end to end: a synthetic set with known truth, an offline
//! run over it, and the evaluation — metrics in range, no planted detail in any analyst file,
//! no cluster below the thresholds; a planted leak is caught with exit status 4.

use std::path::Path;

use serde_json::Value;

use crate::util::{chorus, read_json, read_lines, run_ok};

fn synth(dir: &Path, count: &str, seed: &str) -> (String, String) {
    let output = dir.join("s.jsonl");
    run_ok(&[
        "synth",
        "-n",
        count,
        "--seed",
        seed,
        "-o",
        &output.display().to_string(),
        "-q",
    ]);
    (
        output.display().to_string(),
        dir.join("s.truth.jsonl").display().to_string(),
    )
}

#[test]
fn synth_is_seeded_streams_truth_and_refuses_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let (first, truth) = synth(dir.path(), "500", "3");
    let bytes = std::fs::read(&first).unwrap();
    let again = tempfile::tempdir().unwrap();
    let (second, _) = synth(again.path(), "500", "3");
    assert_eq!(
        bytes,
        std::fs::read(second).unwrap(),
        "same seed, same bytes"
    );
    let lines = read_lines(Path::new(&truth));
    assert_eq!(lines.len(), 500);
    for key in [
        "id", "user_id", "day", "category", "leaf", "language", "concern", "canaries",
    ] {
        assert!(lines[0].get(key).is_some(), "{key} missing: {}", lines[0]);
    }
    let records = read_lines(Path::new(&first));
    assert_eq!(records[0]["id"], lines[0]["id"]);
    assert!(records[0]["messages"][0]["content"].as_str().unwrap().len() > 10);

    let gz = dir.path().join("big.jsonl.gz");
    run_ok(&["synth", "-n", "50", "-o", &gz.display().to_string(), "-q"]);
    let compressed = std::fs::read(&gz).unwrap();
    assert_eq!(&compressed[..2], &[0x1f, 0x8b], "gzip magic");
    assert!(dir.path().join("big.truth.jsonl").exists());

    let bad = chorus()
        .args(["synth", "-n", "10", "--canary-rate", "2", "-o"])
        .arg(dir.path().join("x.jsonl"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("canary rate"));
}

#[test]
fn an_offline_run_over_a_synthetic_set_is_evaluated_and_leaks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (input, truth) = synth(dir.path(), "2000", "7");
    let out = dir.path().join("r");
    let out_arg = out.display().to_string();
    let run = run_ok(&["run", &input, "-o", &out_arg, "-q"]);
    // Eight languages: `embed.model = "auto"` counts them first and takes the multilingual model.
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(
        said.contains("embed.model = \"auto\"") && said.contains(": multilingual-e5-small"),
        "{said}"
    );
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["parameters"]["embed_model"], "multilingual-e5-small");
    let run = read_json(&out.join("run.json"));
    let profile = run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|stage| stage["name"] == "profile")
        .unwrap();
    // The counting pass left every profile in the store for the real one.
    assert_eq!(profile["cache_hits"], 2000, "{profile}");
    let output = run_ok(&["eval", &out_arg, "--truth", &truth]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("NMI"), "{table}");
    assert!(
        table.contains("privacy: planted details   0 found"),
        "{table}"
    );

    let eval = read_json(&out.join("eval.json"));
    assert_eq!(eval["matched"], 2000);
    assert!(eval["privacy"]["needles"].as_u64().unwrap() > 50, "{eval}");
    assert_eq!(eval["privacy"]["leaks"], serde_json::json!([]));
    assert_eq!(eval["privacy"]["below_threshold"], serde_json::json!([]));
    assert!(eval["privacy"]["clusters_checked"].as_u64().unwrap() > 0);
    let files = eval["privacy"]["files_searched"].as_array().unwrap();
    assert!(files.iter().any(|f| f == "report.json") && files.iter().any(|f| f == "report.md"));
    // The base clusters follow the leaf tasks well above chance (20 clusters for 185 truths:
    // chance alone scores about 0.2 here, hence the baseline beside it).
    let nmi = eval["base"]["nmi"].as_f64().unwrap();
    let chance = eval["base"]["chance_nmi"].as_f64().unwrap();
    assert!(nmi > chance + 0.08, "{eval}");
    let language = eval["language"][1].as_f64().unwrap();
    assert!(language > 0.8, "{eval}");
    assert!(eval["concern"][1].as_f64().unwrap() > 0.0, "{eval}");
    let kinds: Vec<&str> = eval["trends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"growing") && kinds.contains(&"fading"),
        "{kinds:?}"
    );

    // The coordinated group lands whole in one cluster, among the highest by share of accounts
    // sending one request (at 2,000 conversations the group is 7 accounts, below the flag's 10,
    // and the shares of the first few clusters are close; on 20,000 it ranks first by far:
    // docs/benchmarks.md), and the counts behind it stay within each node's own.
    assert_eq!(eval["coordinated"]["share_in_cluster"], 1.0, "{eval}");
    match eval["coordinated"]["sender_rank"][0].as_u64() {
        Some(rank) => assert!(rank <= 2, "{eval}"),
        // Its base cluster is not published on its own (allowed below the coordination flag
        // only): merged into a sibling its users' words name alike, or folded into "Other"
        // because no phrase of its users, who write in eight languages, names it apart.
        None => {
            let run = read_json(&out.join("run.json"));
            let release = &run["release"];
            let hidden = release["clusters_merged"].as_u64().unwrap()
                + release["clusters_unnamed"].as_u64().unwrap();
            assert!(hidden > 0, "{eval}");
        }
    }
    let report = read_json(&out.join("report.json"));
    let total = report["tree"]["conversations"].as_f64().unwrap();
    for top in report["tree"]["children"].as_array().unwrap() {
        assert_sender_counts_fit(top);
        // No top-level cluster swallows the data (hierarchy.max_share); base clusters here
        // hold about 100 conversations each, far under the cap.
        if top["other"] == false {
            let share = top["conversations"].as_f64().unwrap() / total;
            assert!(share <= 0.15, "{} holds {share}", top["name"]);
        }
    }

    // A planted detail written into an analyst file is found, named, and fails the check.
    let canary = read_lines(Path::new(&truth))
        .into_iter()
        .find_map(|t| t["canaries"][0].as_str().map(String::from))
        .unwrap();
    let markdown = out.join("report.md");
    let text = std::fs::read_to_string(&markdown).unwrap();
    std::fs::write(&markdown, format!("{text}\n- {canary}\n")).unwrap();
    let leaked = chorus()
        .args(["eval", &out_arg, "--truth", &truth])
        .output()
        .unwrap();
    assert_eq!(leaked.status.code(), Some(4));
    let table = String::from_utf8_lossy(&leaked.stdout);
    assert!(
        table.contains(&format!("LEAK {canary:?} in report.md")),
        "{table}"
    );
}

/// An English model named for text in many languages: the run goes on with it and says at the
/// end which model groups topics across languages. (That e5 matches tasks across languages far
/// better than MiniLM is chorus-local's test; on 10,000 conversations its top level is 42 %
/// against 27 %: docs/benchmarks.md.)
#[test]
fn an_english_model_on_many_languages_is_run_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let (input, truth) = synth(dir.path(), "600", "7");
    let config = dir.path().join("minilm.toml");
    std::fs::write(&config, "[embed]\nmodel = \"all-minilm-l6-v2\"\n").unwrap();
    let out = dir.path().join("r").display().to_string();
    let config = config.display().to_string();
    let run = run_ok(&["run", &input, "-o", &out, "--config", &config, "-q"]);
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(
        said.contains("not in English") && said.contains("model = \"multilingual-e5-small\""),
        "{said}"
    );
    assert!(!said.contains("embed.model = \"auto\""), "{said}");
    let report = read_json(&Path::new(&out).join("report.json"));
    assert_eq!(report["parameters"]["embed_model"], "all-minilm-l6-v2");
    run_ok(&["eval", &out, "--truth", &truth]);
    let eval = read_json(&Path::new(&out).join("eval.json"));
    assert_eq!(eval["privacy"]["leaks"], serde_json::json!([]), "{eval}");
}

/// Every node's near-identical counts fit inside its own, and a parent's largest group of
/// senders is that of one of its base clusters, so never smaller than a child's.
fn assert_sender_counts_fit(node: &Value) {
    let facets = &node["facets"];
    let largest = facets["largest_sender_group"].as_u64().unwrap();
    assert!(largest <= node["users"].as_u64().unwrap(), "{node}");
    assert!(
        facets["cross_account_duplicates"].as_u64().unwrap()
            <= node["conversations"].as_u64().unwrap()
    );
    for child in node["children"].as_array().unwrap() {
        assert!(child["facets"]["largest_sender_group"].as_u64().unwrap() <= largest);
        assert_sender_counts_fit(child);
    }
}

#[test]
fn eval_says_what_is_wrong_with_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = chorus()
        .args(["eval"])
        .arg(dir.path())
        .args(["--truth", "nowhere.jsonl"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nowhere.jsonl"));
    let truth = dir.path().join("t.jsonl");
    std::fs::write(&truth, "{\"id\": \"a\", \"category\": \"x\"}\nnot json\n").unwrap();
    let bad = chorus()
        .args(["eval"])
        .arg(dir.path())
        .arg("--truth")
        .arg(&truth)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
}
