//! Summary mode against servers that misbehave the ways real ones do: a chat template that
//! closes the prefilled assistant turn, a closed port, an unknown model name, a server that
//! goes down mid-run. Each gives the documented outcome and message (docs/models.md).

use std::path::Path;
use std::time::{Duration, Instant};

use chorus_testkit::{Fault, Script, TestServer, last_user_text};
use serde_json::Value;

use crate::summary::{scripted_reply, write_conversations};
use crate::util::{as_args, chorus, read_json, run_ok, scripted_backend, small_run_args};

/// Where the instruction form of the prefill puts it: the end of the last user message.
const PREFILL_INSTRUCTION: &str = "Begin your reply with exactly: ";

/// A server whose chat template closes a trailing assistant turn (llama-cpp-python's does):
/// the model never sees the prefill as its own words, starts afresh and quotes the
/// conversation. Asked by instruction, it writes the opening itself and answers.
fn closing_template(body: &Value) -> String {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    if messages.last().is_some_and(|m| m["role"] == "assistant") {
        return last_user_text(body)
            .lines()
            .find(|line| line.starts_with("User: "))
            .unwrap_or("User: hello")
            .to_string();
    }
    let prompt = last_user_text(body);
    let prefill = prompt
        .rsplit_once(PREFILL_INSTRUCTION)
        .map_or("", |(_, prefill)| prefill);
    format!("{prefill}{}", scripted_reply(body))
}

struct Folder {
    dir: tempfile::TempDir,
    input: String,
}

impl Folder {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        write_conversations(&input);
        Self {
            input: input.display().to_string(),
            dir,
        }
    }

    /// A config pointing summary mode at `base_url` as `model`, with `extra` settings.
    fn config(&self, name: &str, base_url: &str, model: &str, extra: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, scripted_backend("chat", base_url, model, extra)).unwrap();
        path.display().to_string()
    }

    fn run_args(&self, out: &str, config: &str) -> Vec<String> {
        small_run_args(&self.input, &self.dir.path().join(out), config, 3, (5, 10))
    }

    fn out(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

fn facet_usage(out: &Path) -> Value {
    let manifest = read_json(&out.join("run.json"));
    manifest["model_usage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["stage"] == "facet")
        .cloned()
        .unwrap()
}

#[test]
fn a_template_that_closes_the_assistant_turn_is_read_by_the_default_prefill() {
    let server = TestServer::start(Script::new().reply(closing_template));
    let folder = Folder::new();
    let default = folder.config("default.toml", &server.openai_base_url(), "scripted", "");
    let owned = folder.run_args("default", &default);
    run_ok(&as_args(&owned));
    let facet = facet_usage(&folder.out("default"));
    // Only the 50 refund conversations' concern ("not sure") is missing, as with any server.
    assert_eq!(facet["missing"], 50, "{facet}");
    assert_eq!(facet["unusable"], 50, "{facet}");
    assert_eq!(facet["transport_failures"], 0, "{facet}");
    let report = read_json(&folder.out("default").join("report.json"));
    assert_eq!(report["totals"]["clustered"], 150);

    // The same server spoken to with a trailing assistant turn: the model quotes the
    // conversation, which the validator refuses; nothing is mistaken for a transport failure.
    // The cache key holds the prefill mode: none of the earlier replies is reused.
    let trailing = folder.config(
        "trailing.toml",
        &server.openai_base_url(),
        "scripted",
        ", prefill = \"trailing-assistant\"",
    );
    let cache = folder.out("default").join("store.sqlite");
    let cache = cache.display().to_string();
    let owned = folder.run_args("trailing", &trailing);
    let dry = run_ok(&[&as_args(&owned)[..], &["--dry-run", "--cache", &cache]].concat());
    let printed = String::from_utf8_lossy(&dry.stdout);
    assert!(printed.contains("600  (0 already cached)"), "{printed}");
    let owned_default = folder.run_args("default-again", &default);
    let dry = run_ok(
        &[
            &as_args(&owned_default)[..],
            &["--dry-run", "--cache", &cache],
        ]
        .concat(),
    );
    let printed = String::from_utf8_lossy(&dry.stdout);
    assert!(printed.contains("600  (600 already cached)"), "{printed}");

    let output = chorus()
        .args(&owned)
        .arg("--aggregate-only")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let facet = facet_usage(&folder.out("trailing"));
    assert!(facet["unusable"].as_u64().unwrap() >= 300, "{facet}");
    assert_eq!(facet["transport_failures"], 0, "{facet}");
    assert!(stderr.contains("unusable"), "{stderr}");
    assert!(
        stderr.contains("store.sqlite") && stderr.contains("--store"),
        "--aggregate-only says what it leaves: {stderr}"
    );
    assert!(
        !folder
            .out("trailing")
            .join("conversations.parquet")
            .exists()
    );
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

#[test]
fn a_closed_port_stops_the_run_at_once_naming_the_server_and_keeps_the_last_report() {
    let folder = Folder::new();
    let url = closed_port_url();
    let config = folder.config("closed.toml", &url, "scripted", "");
    let owned = folder.run_args("out", &config);
    std::fs::create_dir_all(folder.out("out")).unwrap();
    std::fs::write(folder.out("out").join("report.json"), "{\"earlier\": true}").unwrap();
    let started = Instant::now();
    let output = chorus().args(&owned).output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach") && stderr.contains(&url) && stderr.contains("refused"),
        "{stderr}"
    );
    assert!(stderr.contains("start the server"), "{stderr}");
    assert!(!stderr.contains("--distinct-unknown-users"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(folder.out("out").join("report.json")).unwrap(),
        "{\"earlier\": true}",
        "nothing of the earlier run is removed before the server answers"
    );
}

#[test]
fn an_unknown_model_is_refused_before_anything_is_sent() {
    let server = TestServer::start(Script::new().models(&["smollm2-135m", "qwen2.5:7b"]));
    let folder = Folder::new();
    let config = folder.config("wrong.toml", &server.openai_base_url(), "gpt-4o", "");
    let output = chorus()
        .args(folder.run_args("out", &config))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("gpt-4o") && stderr.contains("smollm2-135m, qwen2.5:7b"),
        "{stderr}"
    );
    assert!(stderr.contains("set model"), "{stderr}");
    assert_eq!(server.requests(), 0);

    let right = folder.config("right.toml", &server.openai_base_url(), "smollm2-135m", "");
    let output = chorus()
        .args(folder.run_args("right", &right))
        .arg("--dry-run")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("not checked"), "{stderr}");
}

#[test]
fn a_server_that_goes_down_mid_run_stops_it_non_zero_and_the_rerun_resumes() {
    let server = TestServer::start(
        Script::new()
            .reply(scripted_reply)
            .latency(Duration::from_millis(20)),
    );
    let folder = Folder::new();
    let config = folder.config(
        "chorus.toml",
        &server.openai_base_url(),
        "scripted",
        ", max_concurrency = 4",
    );
    let owned = folder.run_args("out", &config);
    let mut child = chorus().args(&owned).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.requests() < 100 {
        assert!(Instant::now() < deadline, "the run never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Down: every request from now on is answered 503 (two tries per call, then given up).
    for _ in 0..2_000 {
        server.push_fault(Fault::Status(503));
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let output = chorus().args(&owned).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "still down");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("got no answer")
            && stderr.contains(&server.openai_base_url())
            && stderr.contains("rerun the same command"),
        "{stderr}"
    );
    assert!(!stderr.contains("--distinct-unknown-users"), "{stderr}");
    assert!(!folder.out("out").join("report.json").exists());

    // Back up: the rerun sends only what was never answered.
    server.clear_faults();
    let before = server.requests();
    run_ok(&as_args(&owned));
    let facet = facet_usage(&folder.out("out"));
    let cached = facet["cache_hits"].as_u64().unwrap();
    assert!(cached >= 90, "{facet}");
    assert_eq!(facet["sent"].as_u64().unwrap(), 650 - cached, "{facet}");
    assert_eq!(facet["transport_failures"], 0, "{facet}");
    assert!(server.requests() - before < 650);
}
