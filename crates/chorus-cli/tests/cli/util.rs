use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub fn chorus() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chorus"));
    command
        .env_remove("CHORUS_CONFIG")
        .env_remove("CHORUS_CACHE")
        .env_remove("FAILPOINTS");
    command
}

pub fn run_ok(args: &[&str]) -> Output {
    let output = chorus().args(args).stdin(Stdio::null()).output().unwrap();
    assert!(
        output.status.success(),
        "chorus {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `chorus run INPUT -o OUT --config CONFIG --k K --min-users U --min-conversations C -q`: a
/// quiet run of a small set with publication thresholds (users, conversations) it can meet.
pub fn small_run_args(
    input: &str,
    out: &Path,
    config: &str,
    k: u32,
    (min_users, min_conversations): (u32, u32),
) -> Vec<String> {
    let out = out.display().to_string();
    let (k, min_users, min_conversations) = (
        k.to_string(),
        min_users.to_string(),
        min_conversations.to_string(),
    );
    [
        "run",
        input,
        "-o",
        &out,
        "--config",
        config,
        "--k",
        &k,
        "--min-users",
        &min_users,
        "--min-conversations",
        &min_conversations,
        "-q",
    ]
    .map(String::from)
    .to_vec()
}

/// Borrowed views of owned arguments, for `run_ok`.
pub fn as_args(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The real data sets beside the checkout (`../shared/data`).
pub fn shared_data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name)
        .display()
        .to_string()
}

pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../chorus-ingest/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Distinct conversations in the OpenAI form, with users and times, deterministic.
pub fn write_conversations(path: &Path, count: usize) {
    let mut text = String::new();
    for i in 0..count {
        let line = serde_json::json!({
            "id": format!("c{i}"),
            "user_id": format!("u{}", i % 97),
            "created_at": 1_735_689_600 + (i as u64) * 3_600,
            "messages": [
                {"role": "user", "content": format!("Question number {i}: how do I cook dish {}?", i % 13)},
                {"role": "assistant", "content": format!("Answer {i}: slowly, with care.")},
            ],
        });
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The `[models]` table pointing summary mode at a scripted test server (two attempts, a short
/// backoff), to start a test's `chorus.toml`.
pub fn scripted_chat_model(base_url: &str) -> String {
    scripted_backend("chat", base_url, "scripted", "")
}

/// The `[models]` table pointing `key` (`chat`, `embed`) at a scripted test server as `model`
/// (two attempts, a short backoff), with `extra` settings (`, max_concurrency = 4`).
pub fn scripted_backend(key: &str, base_url: &str, model: &str, extra: &str) -> String {
    format!(
        "[models]\n{key} = {{ kind = \"openai\", base_urls = [\"{base_url}\"], model = \"{model}\", max_attempts = 2, backoff_seconds = 0.01{extra} }}\n"
    )
}

/// Every row of a run's `conversations.parquet`, as JSON objects.
pub fn parquet_rows(run_dir: &Path) -> Vec<Value> {
    chorus_parquet::Rows::open(std::fs::read(run_dir.join("conversations.parquet")).unwrap())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
