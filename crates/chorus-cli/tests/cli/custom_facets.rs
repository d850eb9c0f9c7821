//! Custom facets and the screener from `chorus.toml`, against the scriptable server: the
//! screener keeps off-topic conversations out (and counts them), each custom kind is asked,
//! validated (an answer outside the allowed values is retried, then missing) and broken down
//! per cluster; keyword mode refuses them with a message that says what to add.

use chorus_testkit::{Script, TestServer, last_user_text};
use serde_json::{Value, json};

use crate::util::{
    as_args, chorus, parquet_rows, read_json, run_ok, scripted_chat_model, small_run_args,
};

/// Per topic: what users write, the request summary, the product, urgency and complaint.
const TOPICS: [(&str, &str, &str, &str, &str); 3] = [
    (
        "My new card still has not arrived",
        " find out when their new card will arrive.",
        "cards",
        "8",
        "No",
    ),
    (
        "What exchange rate do you use for euros",
        " learn which exchange rate applies to euros.",
        "rates",
        "3",
        "No",
    ),
    (
        "I want my money back for a double charge",
        " get a refund for a purchase charged twice.",
        // Not an allowed value: retried once, then recorded as missing.
        "purple",
        "6",
        "Yes",
    ),
];
const OFF_TOPIC: &str = "Will it rain in the mountains tomorrow";
/// The screener never answers usably for this conversation.
const UNCLEAR: &str = "(ticket 7)";

const CONFIG: &str = r#"
[facets]
screener = "Is the user asking their bank for help?"

[[facets.custom]]
name = "product"
question = "Which product of the bank is the user asking about?"
kind = "categorical"
values = ["cards", "rates", "refunds"]

[[facets.custom]]
name = "urgency"
question = "How urgent is the request for the user?"
kind = "number"
min = 1
max = 10

[[facets.custom]]
name = "complaint"
question = "Is the user making a complaint?"
kind = "yes_no"
"#;

fn scripted_reply(body: &Value) -> String {
    let prompt = last_user_text(body);
    if prompt.contains("asking their bank for help") {
        return if prompt.contains(UNCLEAR) {
            "Hard to tell.".into()
        } else if prompt.contains(OFF_TOPIC) {
            "No</answer>".into()
        } else {
            "Yes</answer>".into()
        };
    }
    let Some(topic) = TOPICS.iter().find(|t| prompt.contains(t.0)) else {
        if prompt.contains("<group>") || prompt.contains("<groups>") {
            return "Users asked the bank.</summary><name>Ask the bank for help</name>".into();
        }
        return "unexpected prompt".into();
    };
    let answer = if prompt.contains("Which product") {
        topic.2
    } else if prompt.contains("How urgent") {
        topic.3
    } else if prompt.contains("making a complaint") {
        topic.4
    } else if prompt.contains("overall request") {
        topic.1
    } else if prompt.contains("Which human languages") {
        "English"
    } else if prompt.contains("How concerning") {
        "1"
    } else {
        " answer a banking question."
    };
    format!("{answer}</answer>")
}

fn write_inputs(dir: &std::path::Path, server: &TestServer) -> (String, String) {
    let mut lines: Vec<String> = (0..150)
        .map(|i| {
            json!({
                "id": format!("c{i}"),
                "user_id": format!("u{}", i % 60),
                "messages": [
                    {"role": "user", "content": format!("{} (ticket {i})", TOPICS[i % 3].0)},
                    {"role": "assistant", "content": "Let me help."},
                ],
            })
            .to_string()
        })
        .collect();
    lines.extend((0..30).map(|i| {
        json!({
            "id": format!("w{i}"),
            "messages": [{"role": "user", "content": format!("{OFF_TOPIC}? ({i})")}],
        })
        .to_string()
    }));
    let input = dir.join("in.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let config = dir.join("chorus.toml");
    std::fs::write(
        &config,
        format!("{}{CONFIG}", scripted_chat_model(&server.openai_base_url())),
    )
    .unwrap();
    (input.display().to_string(), config.display().to_string())
}

fn sum_over_top(report: &Value, pick: impl Fn(&Value) -> u64) -> u64 {
    report["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| pick(&node["facets"]["custom"]))
        .sum()
}

#[test]
fn the_screener_filters_and_custom_facets_are_broken_down_per_cluster() {
    let server = TestServer::start(Script::new().reply(scripted_reply));
    let dir = tempfile::tempdir().unwrap();
    let (input, config) = write_inputs(dir.path(), &server);
    let out = dir.path().join("out");
    let owned = small_run_args(&input, &out, &config, 3, (5, 10));
    let args = as_args(&owned);
    let dry = run_ok(&[&args[..], &["--dry-run"]].concat());
    let printed = String::from_utf8_lossy(&dry.stdout);
    // 180 conversations × (the screener + 4 built-in + 3 custom facets).
    assert!(printed.contains("1440  (0 already cached)"), "{printed}");

    run_ok(&args);
    let report = read_json(&out.join("report.json"));
    let totals = &report["totals"];
    assert_eq!(totals["screened_out"], 30);
    assert_eq!(totals["screener_missing"], 1);
    assert_eq!(totals["conversations"], 149);
    assert_eq!(totals["facet_missing"]["product"], 50);
    let count = |field: &'static str, key: &'static str| {
        move |custom: &Value| custom[field]["counts"][key].as_u64().unwrap_or(0)
    };
    // Ticket 7 was a rates question the screener could not judge.
    assert_eq!(sum_over_top(&report, count("product", "cards")), 50);
    assert_eq!(sum_over_top(&report, count("product", "rates")), 49);
    assert_eq!(sum_over_top(&report, count("product", "refunds")), 0);
    assert_eq!(
        sum_over_top(&report, |c| c["complaint"]["yes"].as_u64().unwrap()),
        50
    );
    assert_eq!(
        sum_over_top(&report, |c| c["complaint"]["no"].as_u64().unwrap()),
        99
    );
    let urgency: Vec<&Value> = report["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| &node["facets"]["custom"]["urgency"])
        .collect();
    assert!(urgency.iter().all(|u| u["kind"] == "number"));
    let answered: u64 = urgency
        .iter()
        .map(|u| u["answered"].as_u64().unwrap())
        .sum();
    assert_eq!(answered, 149);
    let means: Vec<f64> = urgency
        .iter()
        .map(|u| u["mean"].as_f64().unwrap())
        .collect();
    for expected in [8.0, 3.0, 6.0] {
        assert!(
            means.iter().any(|m| (m - expected).abs() < 1e-9),
            "{means:?}"
        );
    }
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        markdown.contains("The screener kept out 30 conversations"),
        "{markdown}"
    );

    let rows = parquet_rows(&out);
    assert_eq!(rows.len(), 149);
    let refund = rows.iter().find(|r| r["id"] == "c2").unwrap();
    assert_eq!(refund["complaint"], "yes");
    assert_eq!(refund["urgency"], 6.0);
    assert!(refund["product"].is_null(), "{refund}");
    assert!(
        !rows
            .iter()
            .any(|r| r["id"].as_str().unwrap().starts_with('w'))
    );
}

#[test]
fn keyword_mode_refuses_questions_it_cannot_ask() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("chorus.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        json!({"id": "a", "messages": [{"role": "user", "content": "hello"}]}).to_string(),
    )
    .unwrap();
    let output = chorus()
        .args(["run", &input.display().to_string(), "-o"])
        .arg(dir.path().join("out"))
        .args(["--config", &config.display().to_string(), "-q"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[models] chat"), "{stderr}");
}

/// The request summary is the same for every conversation; only the custom `topic` facet
/// tells them apart.
fn topic_reply(body: &Value) -> String {
    let prompt = last_user_text(body);
    if prompt.contains("What is the conversation about") {
        let topic = TOPICS.iter().position(|t| prompt.contains(t.0));
        return match topic {
            Some(0) => "Delivery of a new bank card.</answer>",
            Some(1) => "Currency exchange rates for payments abroad.</answer>",
            _ => "A refund for a purchase charged twice.</answer>",
        }
        .into();
    }
    if prompt.contains("overall request") {
        return " get help from their bank.</answer>".into();
    }
    if prompt.contains("asking their bank for help") {
        return "Yes</answer>".into();
    }
    scripted_reply(body)
}

#[test]
fn a_custom_text_facet_can_be_what_is_clustered() {
    let server = TestServer::start(Script::new().reply(topic_reply));
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = write_inputs(dir.path(), &server);
    let config = dir.path().join("topic.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[[facets.custom]]\nname = \"topic\"\nquestion = \"What is the conversation about?\"\nkind = \"text\"\ncluster = true\n",
            scripted_chat_model(&server.openai_base_url())
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let config = config.display().to_string();
    run_ok(&as_args(&small_run_args(&input, &out, &config, 4, (2, 2))));
    let rows = parquet_rows(&out);
    assert_eq!(rows.len(), 180);
    let cluster_of = |id: &str| {
        rows.iter().find(|r| r["id"] == id).unwrap()["base_cluster"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Same topic, same cluster; different topics, different clusters.
    assert_eq!(cluster_of("c0"), cluster_of("c3"));
    assert_eq!(cluster_of("c1"), cluster_of("c4"));
    assert_ne!(cluster_of("c0"), cluster_of("c1"));
    assert_ne!(cluster_of("c1"), cluster_of("c2"));
    assert_ne!(cluster_of("c0"), cluster_of("c2"));
    let topics = &read_json(&out.join("report.json"))["tree"]["children"];
    let answered: u64 = topics
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["facets"]["custom"]["topic"]["answered"].as_u64().unwrap())
        .sum();
    assert_eq!(answered, 180);
}
