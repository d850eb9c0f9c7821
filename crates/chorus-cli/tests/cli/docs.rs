//! The reference docs are generated from the binary itself and checked here, so they cannot
//! drift. `UPDATE_DOCS=1 cargo test -p chorus-cli docs` rewrites them.

use std::path::PathBuf;

use crate::util::chorus;

fn help(args: &[&str]) -> String {
    let output = chorus().args(args).env("COLUMNS", "100").output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

fn check(doc: &str, expected: String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(doc);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/{doc} is out of date; regenerate it with UPDATE_DOCS=1 cargo test -p chorus-cli docs"
    );
}

#[test]
fn cli_reference_matches_help() {
    let mut text = String::from(
        "# Command-line reference\n\nGenerated from `chorus --help`; do not edit by hand.\n",
    );
    for (title, args) in [
        ("chorus", vec!["--help"]),
        ("chorus run", vec!["run", "--help"]),
        ("chorus inspect", vec!["inspect", "--help"]),
        ("chorus synth", vec!["synth", "--help"]),
        ("chorus eval", vec!["eval", "--help"]),
        ("chorus report", vec!["report", "--help"]),
        ("chorus serve", vec!["serve", "--help"]),
        ("chorus config", vec!["config", "--help"]),
        ("chorus models", vec!["models", "--help"]),
        ("chorus models fetch", vec!["models", "fetch", "--help"]),
    ] {
        text.push_str(&format!("\n## `{title}`\n\n```text\n{}```\n", help(&args)));
    }
    check("cli.md", text);
}

#[test]
fn configuration_reference_matches_the_default() {
    let text = format!(
        "# Configuration reference\n\nGenerated from `chorus config`, which prints the complete \
         default `chorus.toml`; do not edit by hand. Flags override the file; secrets come only \
         from environment variables.\n\n```toml\n{}```\n",
        help(&["config"])
    );
    check("configuration.md", text);
}

/// The README's first command, taken from the README itself and run as written (from a folder
/// that has the repository's `examples/`): it must show a tree of named clusters.
#[test]
fn readme_quick_start_runs_as_written() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let prefix = "cargo run --release -p chorus-cli -- ";
    let line = readme
        .lines()
        .find(|line| line.starts_with(prefix))
        .expect("the Quick start runs chorus through cargo");
    let command = line[prefix.len()..].split('#').next().unwrap();
    let args: Vec<&str> = command.split_whitespace().collect();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root.join("examples"), dir.path().join("examples")).unwrap();
    let output = chorus()
        .args(&args)
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{command}: {stderr}");
    let out = args[args.iter().position(|a| *a == "-o").unwrap() + 1];
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(out).join("report.json")).unwrap())
            .unwrap();
    let top = report["tree"]["children"].as_array().unwrap();
    assert!(top.len() >= 3, "{command} published {} clusters", top.len());
    assert!(
        top.iter()
            .all(|node| node["name"].as_str().is_some_and(|n| !n.is_empty()))
    );
    assert!(
        !stderr.contains("--distinct-unknown-users"),
        "no hint for a flag given: {stderr}"
    );
    assert!(dir.path().join(out).join("index.html").exists());
}
