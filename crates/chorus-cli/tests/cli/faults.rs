//! Damage and contention a run must survive or refuse clearly: broken values in the store, and
//! two runs writing into one output folder.

use std::io::Write;
use std::process::Stdio;

use crate::util::{
    as_args, chorus, read_json, run_ok, scripted_backend, small_run_args, write_conversations,
};

#[test]
fn damaged_cached_vectors_are_computed_again_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_conversations(&input, 120);
    let input = input.display().to_string();
    let store = dir.path().join("store.sqlite");
    let cache = store.display().to_string();
    let run = |out: &str| {
        let out = dir.path().join(out);
        run_ok(&[
            "run",
            &input,
            "-o",
            &out.display().to_string(),
            "--cache",
            &cache,
            "--k",
            "3",
            "--min-users",
            "2",
            "--min-conversations",
            "2",
            "-q",
        ]);
        out
    };
    let first = run("first");
    let connection = rusqlite::Connection::open(&store).unwrap();
    let stored: Vec<(Vec<u8>, Vec<u8>)> = connection
        .prepare("SELECT key, value FROM results WHERE stage = 'embed' ORDER BY key LIMIT 2")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut with_nan = stored[0].1.clone();
    with_nan[1..5].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut too_short = stored[1].1.clone();
    too_short.truncate(too_short.len() - 4);
    for ((key, _), value) in stored.iter().zip([with_nan, too_short]) {
        connection
            .execute(
                "UPDATE results SET value = ?1 WHERE key = ?2",
                rusqlite::params![value, key],
            )
            .unwrap();
    }
    drop(connection);
    let second = run("second");
    let manifest = read_json(&second.join("run.json"));
    let embed = manifest["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "embed")
        .unwrap();
    assert_eq!(embed["invalid_cached"], 2, "{embed:#}");
    assert_eq!(embed["computed"], 2, "{embed:#}");
    assert_eq!(
        std::fs::read(first.join("report.json")).unwrap(),
        std::fs::read(second.join("report.json")).unwrap()
    );
}

#[test]
fn a_second_run_into_a_busy_output_folder_stops_at_once_and_names_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out").display().to_string();
    // The first run reads its conversations from a pipe it keeps open, holding the folder.
    let profile_into = |out: &str| {
        let mut command = chorus();
        command.args([
            "run",
            "-",
            "--format",
            "openai",
            "-o",
            out,
            "--profile-only",
            "-q",
        ]);
        command
    };
    let mut first = profile_into(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lock = dir.path().join("out").join("run.lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&lock).is_ok_and(|text| text.contains("process")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = profile_into(&out).stdin(Stdio::null()).output().unwrap();
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("in use by another chorus run")
            && stderr.contains(&format!("process {}", first.id())),
        "{stderr}"
    );
    let mut stdin = first.stdin.take().unwrap();
    writeln!(
        stdin,
        r#"{{"id": "c1", "messages": [{{"role": "user", "content": "Hi"}}]}}"#
    )
    .unwrap();
    drop(stdin);
    let finished = first.wait_with_output().unwrap();
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    let manifest = read_json(&dir.path().join("out").join("run.json"));
    assert_eq!(manifest["ingest"]["accepted"], 1);
}

#[test]
fn embeddings_can_come_from_a_server_concurrently_and_through_the_store() {
    use chorus_testkit::{Script, TestServer};
    let server = TestServer::start(Script::new().latency(std::time::Duration::from_millis(40)));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_conversations(&input, 300);
    let config = dir.path().join("chorus.toml");
    std::fs::write(
        &config,
        scripted_backend(
            "embed",
            &server.openai_base_url(),
            "served-embedder",
            ", max_concurrency = 4",
        ),
    )
    .unwrap();
    let cache = dir.path().join("store.sqlite").display().to_string();
    let run = |out: &str| {
        let out = dir.path().join(out);
        let mut args = small_run_args(
            &input.display().to_string(),
            &out,
            &config.display().to_string(),
            4,
            (5, 10),
        );
        args.extend(["--cache".into(), cache.clone()]);
        run_ok(&as_args(&args));
        out
    };
    let first = run("first");
    let report = read_json(&first.join("report.json"));
    assert_eq!(report["parameters"]["embed_model"], "served-embedder");
    assert_eq!(report["totals"]["clustered"], 300);
    assert!(server.max_in_flight() > 1, "{}", server.max_in_flight());
    let asked_for_a_conversation = |bodies: &[(String, serde_json::Value)]| {
        bodies
            .iter()
            .filter(|(path, _)| path == "/v1/embeddings")
            .any(|(_, body)| body["input"].to_string().contains("Question number"))
    };
    assert!(asked_for_a_conversation(&server.bodies()));
    let before = server.bodies().len();
    run("second");
    // Every conversation's vector comes from the store the second time.
    assert!(!asked_for_a_conversation(&server.bodies()[before..]));
}
