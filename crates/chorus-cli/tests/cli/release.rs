//! The release door, checked from outside: the checker of `chorus-eval` (which shares no code
//! with the release) recounts every published node and cell from conversations.parquet, and
//! the analyst files are searched for planted details and for runs of words that too few
//! accounts wrote.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use serde_json::{Value, json};

use chorus_testkit::{Script, TestServer, last_user_text};

use crate::util::{as_args, read_json, run_ok, scripted_chat_model, shared_data, small_run_args};

const ANALYST_FILES: [&str; 3] = ["report.json", "report.md", "index.html"];

/// Recounts `out`'s nodes and cells with the evaluation crate's checker and searches its
/// analyst files for `canaries`; every finding fails the test.
pub fn assert_released_safely(out: &Path, canaries: &[&str]) {
    let run = chorus_eval::read_run(out).unwrap();
    let check = chorus_eval::check_privacy(out, canaries, &run.report, &run.rows).unwrap();
    assert!(check.clusters_checked > 0);
    assert!(check.cells_checked > 0);
    assert_eq!(check.below_threshold, Vec::<String>::new());
    assert_eq!(check.cells_below_threshold, Vec::<String>::new());
    assert_eq!(check.leaks, Vec::<chorus_eval::Leak>::new());
}

pub(crate) fn write_lines(path: &Path, records: &[Value]) {
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(path, lines.join("\n")).unwrap();
}

/// 100 bread and 100 car questions from 50 accounts each, and 60 SQL questions from one
/// account that signs each with a name no one else writes.
fn one_heavy_account(path: &Path) {
    let bread = [
        "How long should sourdough bread dough proof before baking",
        "Why is my homemade bread dense and heavy after baking",
        "What flour makes the best crusty bread loaf",
        "How do I keep my sourdough starter alive for bread",
    ];
    let car = [
        "How often should I change the engine oil in my car",
        "Why does my car make a squeaking noise when braking",
        "What tyre pressure is right for a family car",
        "How do I jump start a car with a flat battery",
    ];
    let mut records = Vec::new();
    for i in 0..100 {
        for (topic, texts) in [("bread", &bread), ("car", &car)] {
            records.push(json!({
                "id": format!("{topic}-{i}"),
                "user_id": format!("{topic}-account-{}", i % 50),
                "created_at": format!("2026-03-{:02}T10:00:00Z", 1 + i % 28),
                "messages": [{"role": "user", "content": texts[i % texts.len()]}],
            }));
        }
    }
    for i in 0..60 {
        records.push(json!({
            "id": format!("sql-{i}"),
            "user_id": "the-one-account",
            "created_at": format!("2026-03-{:02}T23:00:00Z", 1 + i % 3),
            "messages": [{"role": "user", "content": format!(
                "Quibblestone asks: write a SQL query joining orders table {i} with customers and group by region"
            )}],
        }));
    }
    write_lines(path, &records);
}

#[test]
fn one_heavy_account_publishes_nothing_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    one_heavy_account(&input);
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        &input.display().to_string(),
        "-o",
        &out.display().to_string(),
        "--k",
        "3",
        "-q",
    ]);
    let report = read_json(&out.join("report.json"));
    let top = report["tree"]["children"].as_array().unwrap();
    assert!(!top.is_empty(), "{report:#}");
    // The one account's cluster is withheld, and so is the "Other" it would have filled.
    assert!(top.iter().all(|c| c["other"] == false), "{top:#?}");
    let manifest = read_json(&out.join("run.json"));
    assert!(manifest["release"]["clusters_withheld"].as_u64().unwrap() >= 1);
    assert_eq!(manifest["release"]["other_withheld"], 1);
    assert_released_safely(&out, &["Quibblestone"]);
    // Its late-night days are not in any breakdown: the days of the 100 others are.
    for node in top {
        let days = node["facets"]["day"].as_object().unwrap();
        assert!(days.values().all(|count| count.as_u64().unwrap() > 0));
    }
}

#[test]
fn thresholds_that_let_one_person_through_are_refused() {
    for (flag, value) in [("--min-users", "1"), ("--min-conversations", "0")] {
        let output = crate::util::chorus()
            .args([
                "run",
                &shared_data("banking77-test.csv.gz"),
                "-o",
                "/nonexistent/x",
            ])
            .args([flag, value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("single person"), "{stderr}");
    }
}

/// `count` hh-rlhf transcripts (every third of the file), each given to one of `accounts`
/// synthetic accounts; the first three also carry a planted personal detail of their own.
fn hh_rlhf_with_accounts(path: &Path, count: usize, accounts: usize) -> Vec<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(shared_data("hh-rlhf-harmless-test.jsonl.gz")).unwrap(),
    )
    .read_to_string(&mut text)
    .unwrap();
    let canaries: Vec<String> = (0..3)
        .map(|i| format!("Zorvath Quillabee{i} of 1{i} Brindlewood Lane"))
        .collect();
    let records: Vec<Value> = text
        .lines()
        .step_by(3)
        .take(count)
        .enumerate()
        .map(|(i, line)| {
            let record: Value = serde_json::from_str(line).unwrap();
            let mut chosen = record["chosen"].as_str().unwrap().to_string();
            if let Some(canary) = canaries.get(i) {
                chosen = chosen.replacen(
                    "Human: ",
                    &format!("Human: My neighbour is {canary} and she has diabetes. "),
                    1,
                );
            }
            json!({"id": format!("hh-{i}"), "account": format!("acct-{}", i % accounts), "chosen": chosen})
        })
        .collect();
    write_lines(path, &records);
    canaries
}

/// The text inside a prompt's data tags, tags and role labels removed: what a model copying
/// its input would repeat.
fn shown_text(prompt: &str) -> String {
    let start = [
        "<conversation>",
        "<group>",
        "<groups>",
        "<nearby>",
        "<candidates>",
    ]
    .iter()
    .filter_map(|tag| prompt.find(tag))
    .min()
    .unwrap_or(0);
    let data = &prompt[start..];
    let mut out = String::new();
    let mut in_tag = false;
    for c in data.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("User:", " ")
        .replace("Assistant:", " ")
        .replace("\n- ", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_words(text: &str, count: usize) -> String {
    text.split_whitespace()
        .take(count)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The worst case: a model that copies everything it is shown into every answer, in the form
/// each prompt asks for. Where the shown text holds a planted detail, it copies that part.
fn copying_reply(body: &Value) -> String {
    let prompt = last_user_text(body);
    let shown = shown_text(&prompt);
    let copied = match shown.find("Zorvath") {
        Some(at) => shown[at..].to_string(),
        None => shown.clone(),
    };
    if prompt.contains("How concerning") {
        return "1</answer>".into();
    }
    if prompt.contains("Which human languages") {
        return "English</answer>".into();
    }
    if prompt.contains("<cluster>") {
        return "1</answer>".into();
    }
    if prompt.contains("<nearby>") || prompt.contains("<candidates>") {
        return format!("<name>{}</name>", first_words(&copied, 8));
    }
    if prompt.contains("<group>") || prompt.contains("<groups>") {
        return format!(
            "{}</summary><name>{}</name>",
            first_words(&copied, 400),
            first_words(&copied, 8)
        );
    }
    format!("{}</answer>", first_words(&copied, 60))
}

/// Runs of six words (lower-cased, punctuation dropped) of `text`.
fn six_word_runs(text: &str) -> HashSet<String> {
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    words.windows(6).map(|w| w.join(" ")).collect()
}

/// Every published name and description whose six-word run appears in the conversations
/// (`(account, text)` pairs) of fewer than `min_users` accounts.
fn private_runs(
    report: &Value,
    conversations: &[(String, String)],
    min_users: usize,
) -> Vec<String> {
    let mut writers: HashMap<String, HashSet<&str>> = HashMap::new();
    for (account, text) in conversations {
        for run in six_word_runs(text) {
            writers.entry(run).or_default().insert(account);
        }
    }
    let mut found = Vec::new();
    let mut stack = vec![&report["tree"]];
    while let Some(node) = stack.pop() {
        stack.extend(node["children"].as_array().into_iter().flatten());
        for key in ["name", "description"] {
            let text = node[key].as_str().unwrap_or("");
            for run in six_word_runs(text) {
                if writers.get(&run).is_some_and(|w| w.len() < min_users) {
                    found.push(format!("{}: {run:?}", node["id"]));
                }
            }
        }
    }
    found
}

#[test]
fn a_model_that_copies_everything_it_is_shown_publishes_no_private_words() {
    let server = TestServer::start(Script::new().reply(copying_reply));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hh.jsonl");
    let canaries = hh_rlhf_with_accounts(&input, 240, 60);
    let config = dir.path().join("chorus.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[hierarchy]\ntop_clusters = 3\n",
            scripted_chat_model(&server.openai_base_url())
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut args = small_run_args(
        &input.display().to_string(),
        &out,
        &config.display().to_string(),
        8,
        (5, 10),
    );
    args.extend(["--user-field".into(), "account".into()]);
    run_ok(&as_args(&args));
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["mode"], "summary");
    assert!(
        !report["tree"]["children"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    let canaries: Vec<&str> = canaries.iter().map(String::as_str).collect();
    assert_released_safely(&out, &canaries);
    let conversations = records_of(&input, |record| {
        (record["account"].clone(), record["chosen"].clone())
    });
    assert_eq!(
        private_runs(&report, &conversations, 5),
        Vec::<String>::new()
    );
    for name in ANALYST_FILES {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        for word in ["Zorvath", "Quillabee", "Brindlewood"] {
            assert!(!text.contains(word), "{word} in {name}");
        }
    }
    let manifest = read_json(&out.join("run.json"));
    let replaced: u64 = manifest["release"]["texts_replaced"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(replaced > 0, "{:#}", manifest["release"]);
}

/// `(account, text)` of every JSON line of `path`, as `pick` finds them in a record.
fn records_of(path: &Path, pick: impl Fn(&Value) -> (Value, Value)) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let (account, text) = pick(&serde_json::from_str(line).unwrap());
            let text = match text {
                Value::String(text) => text,
                other => other.to_string(),
            };
            (account.as_str().unwrap().to_string(), text)
        })
        .collect()
}

#[test]
fn a_copying_model_over_a_synthetic_set_leaks_no_planted_detail() {
    let server = TestServer::start(Script::new().reply(copying_reply));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("s.jsonl");
    let truth = dir.path().join("s.truth.jsonl");
    run_ok(&[
        "synth",
        "-n",
        "600",
        "--seed",
        "5",
        "--canary-rate",
        "0.2",
        "-o",
        &input.display().to_string(),
        "-q",
    ]);
    let config = dir.path().join("chorus.toml");
    std::fs::write(&config, scripted_chat_model(&server.openai_base_url())).unwrap();
    let out = dir.path().join("out");
    let args = small_run_args(
        &input.display().to_string(),
        &out,
        &config.display().to_string(),
        10,
        (5, 10),
    );
    run_ok(&as_args(&args));
    assert_eq!(read_json(&out.join("report.json"))["mode"], "summary");
    // The evaluation searches every analyst file for every planted detail of the truth and
    // recounts every node and cell; it exits non-zero on any finding.
    run_ok(&[
        "eval",
        &out.display().to_string(),
        "--truth",
        &truth.display().to_string(),
    ]);
    let eval = read_json(&out.join("eval.json"));
    assert!(
        eval["privacy"]["needles"].as_u64().unwrap() > 50,
        "{:#}",
        eval["privacy"]
    );
    let conversations = records_of(&input, |record| {
        (record["user_id"].clone(), record["messages"].clone())
    });
    let report = read_json(&out.join("report.json"));
    assert_eq!(
        private_runs(&report, &conversations, 5),
        Vec::<String>::new()
    );
}

#[test]
fn markup_written_by_many_accounts_renders_inert_in_report_md() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let hostile = "<img src=x onerror=alert(1)> [click here](http://evil.invalid) **pwned** `rm`";
    let records: Vec<Value> = (0..120)
        .map(|i| {
            let text = if i % 2 == 0 {
                format!("{hostile} please reset my online banking password {i}")
            } else {
                format!("how do I bake a sourdough loaf with rye flour {i}")
            };
            json!({"id": format!("c{i}"), "user_id": format!("u{}", i % 60),
                   "messages": [{"role": "user", "content": text}]})
        })
        .collect();
    write_lines(&input, &records);
    let out = dir.path().join("out");
    run_ok(&[
        "run",
        &input.display().to_string(),
        "-o",
        &out.display().to_string(),
        "--k",
        "2",
        "--min-users",
        "20",
        "--min-conversations",
        "40",
        "-q",
    ]);
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("- **"), "{markdown}");
    for live in ["<img", "](http", "onerror=", "**pwned", "`rm`"] {
        assert!(!markdown.contains(live), "{live} is live in {markdown}");
    }
}
