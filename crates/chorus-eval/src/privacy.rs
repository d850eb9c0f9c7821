//! Privacy checks that do not trust the code under test: planted details searched for in every
//! file written for analysts, and the publication thresholds recounted from the per-conversation
//! table.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use aho_corasick::AhoCorasick;
use serde::Serialize;
use serde_json::Value;

use crate::EvalError;
use crate::run::{RunRow, published_nodes};

/// Files written for analysts: everything in them may be read by people who must not learn who
/// said what.
pub const ANALYST_FILES: [&str; 3] = ["report.json", "report.md", "index.html"];

/// A planted detail found in an analyst's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Leak {
    /// The file.
    pub file: String,
    /// What was found.
    pub found: String,
}

/// What the privacy checks found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PrivacyCheck {
    /// The analyst files that exist and were searched.
    pub files_searched: Vec<String>,
    /// Planted details searched for (whole values, plus words that belong to one person only).
    pub needles: usize,
    /// Every one found, with its file.
    pub leaks: Vec<Leak>,
    /// Published clusters checked against the thresholds.
    pub clusters_checked: usize,
    /// Published clusters below a threshold, recounted from the per-conversation table:
    /// `id: users, conversations`.
    pub below_threshold: Vec<String>,
}

/// The strings whose presence would point at a person: each planted value, and each word of
/// five or more letters that occurs in one planted value only (a surname, an address's street).
fn needles(canaries: &[&str]) -> Vec<String> {
    let mut word_owners: HashMap<String, HashSet<&str>> = HashMap::new();
    for canary in canaries {
        for word in canary.split(|c: char| !c.is_alphanumeric()) {
            if word.chars().count() >= 5 {
                word_owners
                    .entry(word.to_lowercase())
                    .or_default()
                    .insert(canary);
            }
        }
    }
    let mut all: Vec<String> = canaries.iter().map(|c| c.to_string()).collect();
    all.extend(
        word_owners
            .into_iter()
            .filter(|(_, owners)| owners.len() == 1)
            .map(|(word, _)| word),
    );
    all.sort();
    all.dedup();
    all
}

/// Searches every analyst file in `run_dir` for the canaries (ignoring ASCII case), and
/// recounts every published cluster of `report` from `rows`.
pub fn check(
    run_dir: &Path,
    canaries: &[&str],
    report: &Value,
    rows: &[RunRow],
) -> Result<PrivacyCheck, EvalError> {
    let needles = needles(canaries);
    let mut result = PrivacyCheck {
        needles: needles.len(),
        ..PrivacyCheck::default()
    };
    let searcher = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&needles)
        .map_err(|error| EvalError::Search(error.to_string()))?;
    for name in ANALYST_FILES {
        let path = run_dir.join(name);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        result.files_searched.push(name.to_string());
        let mut seen = HashSet::new();
        for found in searcher.find_iter(&bytes) {
            let needle = &needles[found.pattern().as_usize()];
            if word_bounded(&bytes, found.start(), found.end()) && seen.insert(needle.clone()) {
                result.leaks.push(Leak {
                    file: name.to_string(),
                    found: needle.clone(),
                });
            }
        }
    }
    recount(report, rows, &mut result);
    Ok(result)
}

/// A match counts when it is not part of a longer word (a planted surname inside an unrelated
/// longer word is not that surname).
fn word_bounded(bytes: &[u8], start: usize, end: usize) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric();
    (start == 0 || !is_word(bytes[start - 1])) && (end >= bytes.len() || !is_word(bytes[end]))
}

/// Every published cluster (not the root, not an "Other"), recounted from the rows whose path
/// passes through it.
fn recount(report: &Value, rows: &[RunRow], result: &mut PrivacyCheck) {
    let min_users = report["parameters"]["min_users"].as_u64().unwrap_or(0) as usize;
    let min_conversations = report["parameters"]["min_conversations"]
        .as_u64()
        .unwrap_or(0) as usize;
    let shared_unknown = report["parameters"]["unknown_users"] != "distinct";
    let mut members: HashMap<&str, (usize, HashSet<String>)> = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        let user = match (&row.user_id, shared_unknown) {
            (Some(user), _) => format!("u:{user}"),
            (None, true) => "unknown".to_string(),
            (None, false) => format!("row:{index}"),
        };
        for id in row.cluster_path.split('/') {
            let entry = members.entry(id).or_default();
            entry.0 += 1;
            entry.1.insert(user.clone());
        }
    }
    for node in published_nodes(report) {
        let id = node["id"].as_str().unwrap_or("");
        result.clusters_checked += 1;
        let (conversations, users) = members
            .get(id)
            .map_or((0, 0), |(count, users)| (*count, users.len()));
        if users < min_users || conversations < min_conversations {
            result.below_threshold.push(format!(
                "{id}: {users} users, {conversations} conversations"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_are_whole_values_and_words_of_one_person() {
        let found = needles(&["Maribel Karoka", "Maribel Velmin", "+1 555 000 0001"]);
        assert!(found.contains(&"Maribel Karoka".to_string()));
        assert!(found.contains(&"karoka".to_string()));
        assert!(found.contains(&"velmin".to_string()));
        // Shared by two people: not a pointer to either.
        assert!(!found.contains(&"maribel".to_string()));
    }

    #[test]
    fn planted_details_are_found_in_analyst_files_and_thresholds_recounted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("report.md"),
            "- **karoka · bread** — 40 conversations",
        )
        .unwrap();
        std::fs::write(dir.path().join("report.json"), "{\"name\": \"Karokavel\"}").unwrap();
        let report = serde_json::json!({
            "parameters": {"min_users": 2, "min_conversations": 2, "unknown_users": "shared"},
            "tree": {"children": [
                {"id": "L0.0", "other": false, "children": []},
                {"id": "L0.1", "other": false, "children": []},
                {"id": "root.other", "other": true, "children": []},
            ]},
        });
        let row = |path: &str, user: Option<&str>| RunRow {
            cluster_path: path.into(),
            user_id: user.map(String::from),
            ..RunRow::default()
        };
        let rows = vec![
            row("L0.0", Some("a")),
            row("L0.0", Some("b")),
            row("L0.1", None),
            row("L0.1", None),
        ];
        let result = check(dir.path(), &["Maribel Karoka"], &report, &rows).unwrap();
        assert_eq!(result.files_searched, vec!["report.json", "report.md"]);
        assert_eq!(
            result.leaks,
            vec![Leak {
                file: "report.md".into(),
                found: "karoka".into()
            }]
        );
        assert_eq!(result.clusters_checked, 2);
        assert_eq!(
            result.below_threshold,
            vec!["L0.1: 1 users, 2 conversations"]
        );
    }
}
