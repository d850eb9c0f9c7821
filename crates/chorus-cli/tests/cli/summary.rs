//! Summary mode end to end against the scriptable model server: facets, parse failures and
//! their retry, contrastive naming with unusable replies, accounting, the cache, --dry-run and
//! --budget.

use std::path::Path;

use chorus_testkit::{Script, TestServer, last_user_text};
use serde_json::{Value, json};

use crate::util::{
    as_args, chorus, read_json, run_ok, scripted_backend, scripted_chat_model, small_run_args,
};

const TOPICS: [(&str, &str); 3] = [
    (
        "card",
        "My new card still has not arrived, when will it come?",
    ),
    ("rate", "What exchange rate do you use when I pay in euros?"),
    (
        "refund",
        "I want a refund for a purchase that was charged twice.",
    ),
];

pub fn write_conversations(path: &Path) {
    let mut lines = Vec::new();
    for i in 0..150 {
        let (_, text) = TOPICS[i % 3];
        lines.push(
            json!({
                "id": format!("c{i}"),
                "user_id": format!("u{}", i % 60),
                "messages": [
                    {"role": "user", "content": format!("{text} (ticket {i})")},
                    {"role": "assistant", "content": "Let me help with that."},
                ],
            })
            .to_string(),
        );
    }
    std::fs::write(path, lines.join("\n")).unwrap();
}

/// A model that answers each facet from the conversation, cannot rate refund conversations
/// (twice), and gives a name too long to use for the refund cluster.
pub fn scripted_reply(body: &Value) -> String {
    let prompt = last_user_text(body);
    let topic = TOPICS
        .iter()
        .find(|(_, text)| prompt.contains(text))
        .map(|(topic, _)| *topic);
    if prompt.contains("<group>") {
        let group = prompt.split("<group>").nth(1).unwrap_or("");
        let group = group.split("</group>").next().unwrap_or("");
        return if group.contains("refund") {
            "Users wanted money back.</summary><name>This name is far too long to be accepted as a cluster name</name>".into()
        } else if group.contains("card") {
            "Users track the delivery of new cards.</summary><name>Track delivery of new cards</name>".into()
        } else {
            "Users ask to explain currency exchange rates.</summary><name>Explain currency exchange rates</name>".into()
        };
    }
    if prompt.contains("<groups>") {
        return "Users ask about cards and rates.</summary><name>Cards and exchange rates</name>"
            .into();
    }
    let Some(topic) = topic else {
        return "unexpected prompt".into();
    };
    if prompt.contains("overall request") {
        return match topic {
            "card" => " track the delivery of new cards that have not arrived.</answer>",
            "rate" => " explain currency exchange rates for payments in euros.</answer>",
            _ => " get a refund for a purchase charged twice.</answer>",
        }
        .into();
    }
    if prompt.contains("What task") {
        return " answer a banking question.</answer>".into();
    }
    if prompt.contains("Which human languages") {
        return "English</answer>".into();
    }
    if prompt.contains("How concerning") {
        return if topic == "refund" {
            "not sure".into()
        } else {
            "1</answer>".into()
        };
    }
    "unexpected prompt".into()
}

/// A scripted server, and a folder with the conversations and a config that points at it.
struct Setup {
    server: TestServer,
    dir: tempfile::TempDir,
    input: String,
    config: String,
}

fn setup() -> Setup {
    let server = TestServer::start(Script::new().reply(scripted_reply));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_conversations(&input);
    let config = dir.path().join("chorus.toml");
    write_config(&config, &server);
    Setup {
        input: input.display().to_string(),
        config: config.display().to_string(),
        server,
        dir,
    }
}

fn write_config(path: &Path, server: &TestServer) {
    let prices = "[models.pricing]\ninput_per_million = 1.0\noutput_per_million = 2.0\n";
    std::fs::write(
        path,
        format!("{}{prices}", scripted_chat_model(&server.openai_base_url())),
    )
    .unwrap();
}

#[test]
fn summary_mode_end_to_end_with_retries_fallback_names_and_the_cache() {
    let Setup {
        server,
        dir,
        input,
        config,
    } = setup();
    let out = dir.path().join("out");
    let owned = small_run_args(&input, &out, &config, 3, (5, 10));
    let args = as_args(&owned);

    let dry = run_ok(&[&args[..], &["--dry-run"]].concat());
    let printed = String::from_utf8_lossy(&dry.stdout);
    assert!(printed.contains("600  (0 already cached)"), "{printed}");
    assert_eq!(server.requests(), 0, "a dry run sends nothing");

    run_ok(&args);
    let facet_calls = 150 * 4 + 50;
    // Three base clusters; the refund name is unusable twice (the reply and its retry).
    let naming_calls = 4;
    assert_eq!(server.requests(), (facet_calls + naming_calls) as u64);
    let (_, first_body) = &server.bodies()[0];
    assert_eq!(first_body["messages"][0]["role"], "system");
    assert!(last_user_text(first_body).contains("<conversation>"));

    let report = read_json(&out.join("report.json"));
    assert_eq!(report["mode"], "summary");
    assert_eq!(report["totals"]["clustered"], 150);
    assert_eq!(report["totals"]["facet_missing"]["concern"], 50);
    let names: Vec<String> = report["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|top| {
            let mut all = vec![top["name"].as_str().unwrap().to_string()];
            for child in top["children"].as_array().unwrap() {
                all.push(child["name"].as_str().unwrap().to_string());
            }
            all
        })
        .collect();
    assert!(
        names.iter().any(|n| n == "Track delivery of new cards"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "Explain currency exchange rates"),
        "{names:?}"
    );
    // The refund cluster's name was unusable: its keywords name it instead.
    assert!(names.iter().any(|n| n.contains("refund")), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("far too long")));
    let top = &report["tree"]["children"][0];
    assert!(top["facets"]["concern"]["mean"].as_f64().unwrap() >= 1.0);
    assert_eq!(
        top["facets"]["model_language"]["English"],
        top["conversations"]
    );

    let manifest = read_json(&out.join("run.json"));
    let facet = &manifest["model_usage"][0];
    assert_eq!(facet["stage"], "facet");
    assert_eq!(facet["sent"], facet_calls);
    assert_eq!(facet["parse_retries"], 50);
    assert_eq!(facet["missing"], 50);
    assert!(facet["input_tokens"].as_u64().unwrap() > 0);
    assert!(facet["cost_usd"].as_f64().unwrap() > 0.0);

    // Everything is in the store now: a second run sends nothing and writes the same report.
    let again = dir.path().join("again");
    let again_arg = again.display().to_string();
    let cache = out.join("store.sqlite").display().to_string();
    let mut rerun = args.to_vec();
    rerun[3] = &again_arg;
    run_ok(&[&rerun[..], &["--cache", &cache]].concat());
    assert_eq!(server.requests(), (facet_calls + naming_calls) as u64);
    assert_eq!(
        std::fs::read(out.join("report.json")).unwrap(),
        std::fs::read(again.join("report.json")).unwrap()
    );
}

#[test]
fn budget_stops_the_run_before_it_is_exceeded() {
    let Setup {
        server,
        dir,
        input,
        config,
    } = setup();
    let out = dir.path().join("out");
    let output = chorus()
        .args([
            "run",
            &input,
            "-o",
            &out.display().to_string(),
            "--config",
            &config,
            "--budget",
            "0.01",
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("budget"), "{stderr}");
    assert!(!out.join("report.json").exists());
    // Each facet call may cost at most ~ (prompt + 120 tokens); $0.01 buys a few dozen.
    assert!(server.requests() < 600, "{}", server.requests());
}

/// Stored results of one stage in a run store.
fn stored(store: &Path, stage: &str) -> u64 {
    chorus_store::Store::open(store)
        .unwrap()
        .stage_counts()
        .unwrap()
        .into_iter()
        .find(|count| count.stage == stage)
        .map_or(0, |count| count.results)
}

#[test]
fn a_kill_mid_batch_keeps_every_answered_call_and_the_rerun_sends_only_the_rest() {
    let server = TestServer::start(
        Script::new()
            .reply(scripted_reply)
            .latency(std::time::Duration::from_millis(100)),
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_conversations(&input);
    let config = dir.path().join("chorus.toml");
    std::fs::write(
        &config,
        scripted_backend(
            "chat",
            &server.openai_base_url(),
            "scripted",
            ", max_concurrency = 4",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let owned = small_run_args(
        &input.display().to_string(),
        &out,
        &config.display().to_string(),
        3,
        (5, 10),
    );
    // All 600 first facet calls are one batch: 4 in flight, 100 ms each, about 15 s.
    let mut child = chorus().args(&owned).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.requests() < 120 {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never got going"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = stored(&out.join("store.sqlite"), "facet");
    assert!(kept >= 60, "only {kept} answered calls were stored");
    run_ok(&as_args(&owned));
    let manifest = read_json(&out.join("run.json"));
    let facet = &manifest["model_usage"][0];
    assert_eq!(facet["stage"], "facet");
    // 600 first calls and 50 retries in all; what was stored before the kill is not sent again.
    assert_eq!(facet["sent"].as_u64().unwrap(), 650 - kept);
    assert_eq!(facet["cache_hits"].as_u64().unwrap(), kept);
}
