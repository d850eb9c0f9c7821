//! A run killed with SIGKILL in the middle of a stage and started again redoes no finished item
//! and ends with the same outputs as a run never interrupted.

use std::path::Path;
use std::time::{Duration, Instant};

use chorus_store::Store;

use crate::util::*;

const CONVERSATIONS: usize = 3000;
/// Conversations in the fixture the earlier run read.
const EARLIER: u64 = 3;

fn profile_results(store: &Path) -> u64 {
    if !store.exists() {
        return 0;
    }
    Store::open(store)
        .ok()
        .and_then(|store| store.stage_counts().ok())
        .and_then(|counts| counts.into_iter().find(|c| c.stage == "profile"))
        .map_or(0, |count| count.results)
}

#[test]
fn kill_mid_stage_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("conversations.jsonl");
    write_conversations(&input, CONVERSATIONS);
    let input_arg = input.display().to_string();
    // A named model: with "auto" a counting pass would profile everything before the pass killed
    // here, and this test is about one pass resumed.
    let config = dir.path().join("chorus.toml");
    std::fs::write(&config, "[embed]\nmodel = \"all-minilm-l6-v2\"\n").unwrap();
    let config = config.display().to_string();

    let clean = dir.path().join("clean");
    run_ok(&[
        "run",
        &input_arg,
        "-o",
        &clean.display().to_string(),
        "--config",
        &config,
        "-q",
    ]);

    // The folder starts with an earlier run's outputs: a killed run must not leave them behind
    // looking like its own.
    let resumed = dir.path().join("resumed");
    let store = resumed.join("store.sqlite");
    run_ok(&[
        "run",
        &fixture("openai.jsonl"),
        "-o",
        &resumed.display().to_string(),
        "--config",
        &config,
        "-q",
    ]);
    assert!(resumed.join("run.json").exists());
    // Each item sleeps 3 ms, so the stage takes about 9 s: ample time to kill it mid-way.
    let mut child = chorus()
        .args([
            "run",
            &input_arg,
            "-o",
            &resumed.display().to_string(),
            "--config",
            &config,
            "-q",
        ])
        .env("FAILPOINTS", "stage-item=sleep(3)")
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let done_before_kill = loop {
        let done = profile_results(&store);
        if done >= 600 {
            break done;
        }
        assert!(Instant::now() < deadline, "the stage never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    // The earlier run stored profiles of its own, none of which the new input shares.
    let committed = profile_results(&store) - EARLIER;
    assert!(
        committed + EARLIER >= done_before_kill && committed < CONVERSATIONS as u64,
        "killed mid-stage: {committed}"
    );
    assert!(
        !resumed.join("run.json").exists(),
        "a killed run leaves no finished manifest"
    );
    assert!(!resumed.join("dataset.json").exists());

    run_ok(&[
        "run",
        &input_arg,
        "-o",
        &resumed.display().to_string(),
        "--config",
        &config,
        "-q",
    ]);

    let counts = Store::open(&store).unwrap().stage_counts().unwrap();
    let profile = counts.iter().find(|c| c.stage == "profile").unwrap();
    assert_eq!(profile.results, CONVERSATIONS as u64 + EARLIER);
    assert_eq!(profile.rewritten, 0, "no item was computed twice");
    let manifest = read_json(&resumed.join("run.json"));
    let stage = &manifest["stages"][1];
    assert_eq!(stage["cache_hits"].as_u64(), Some(committed));
    assert_eq!(
        stage["computed"].as_u64(),
        Some(CONVERSATIONS as u64 - committed)
    );
    for output in ["dataset.json", "rejected.jsonl"] {
        assert_eq!(
            std::fs::read(clean.join(output)).unwrap(),
            std::fs::read(resumed.join(output)).unwrap(),
            "{output} differs after resuming"
        );
    }
}
