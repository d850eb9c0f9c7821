//! Privacy checks that do not trust the code under test: planted details searched for in every
//! file written for analysts, and the publication thresholds recounted from the per-conversation
//! table.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use aho_corasick::AhoCorasick;
use serde::Serialize;

use chorus_report::{Report, ReportNode};

use crate::EvalError;
use crate::run::RunRow;

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
    /// Breakdown cells (language, day, week, turns, concern) checked.
    pub cells_checked: usize,
    /// Cells shown with fewer than `min_cell_users` distinct users behind them, recounted:
    /// `id facet[value]: users`.
    pub cells_below_threshold: Vec<String>,
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
    report: &Report,
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

/// Every published node ("Other" ones included), recounted from the rows whose path passes
/// through it, and every breakdown cell of language, day, week, turns and concern recounted
/// from those rows: each must have the users and conversations the report's thresholds ask.
fn recount(report: &Report, rows: &[RunRow], result: &mut PrivacyCheck) {
    let parameters = &report.parameters;
    let min_cell_users = match parameters.min_cell_users {
        0 => parameters.min_users,
        n => n,
    };
    let shared_unknown = parameters.unknown_users != "distinct";
    let users: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(index, row)| match (&row.user_id, shared_unknown) {
            (Some(user), _) => format!("u:{user}"),
            (None, true) => "unknown".to_string(),
            (None, false) => format!("row:{index}"),
        })
        .collect();
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        members.entry("root").or_default().push(index);
        for id in row.cluster_path.split('/') {
            members.entry(id).or_default().push(index);
        }
    }
    let distinct = |docs: &mut dyn Iterator<Item = usize>| -> (usize, usize) {
        let mut count = 0;
        let mut seen = HashSet::new();
        for doc in docs {
            count += 1;
            seen.insert(users[doc].as_str());
        }
        (seen.len(), count)
    };
    let root = &report.tree;
    let mut stack: Vec<&ReportNode> = vec![root];
    while let Some(node) = stack.pop() {
        stack.extend(&node.children);
        let is_root = std::ptr::eq(node, root);
        let id = if is_root { "root" } else { node.id.as_str() };
        // An "Other" holds the parent's rows that no published sibling holds.
        if let Some(other) = node.children.iter().find(|c| c.other) {
            let claimed: HashSet<usize> = node
                .children
                .iter()
                .filter(|c| !c.other)
                .filter_map(|c| members.get(c.id.as_str()))
                .flatten()
                .copied()
                .collect();
            let rest: Vec<usize> = members
                .get(id)
                .into_iter()
                .flatten()
                .copied()
                .filter(|doc| !claimed.contains(doc))
                .collect();
            members.insert(other.id.as_str(), rest);
        }
        if is_root {
            continue;
        }
        let docs = members.get(id).cloned().unwrap_or_default();
        result.clusters_checked += 1;
        let (users_in, conversations) = distinct(&mut docs.iter().copied());
        if users_in < parameters.min_users || conversations < parameters.min_conversations {
            result.below_threshold.push(format!(
                "{id}: {users_in} users, {conversations} conversations"
            ));
        }
        for (facet, cells) in node_cells(node) {
            let shown: HashSet<&str> = cells.iter().map(|(label, _)| label.as_str()).collect();
            for (label, count) in &cells {
                if *count == 0 {
                    continue;
                }
                let mut matching = docs.iter().copied().filter(|&doc| {
                    let value = cell_value(&rows[doc], facet);
                    match label.as_str() {
                        OTHER_VALUES => value.is_some_and(|v| !shown.contains(v.as_str())),
                        label => value.is_some_and(|v| in_cell(facet, label, &v)),
                    }
                });
                let (cell_users, _) = distinct(&mut matching);
                if cell_users < min_cell_users {
                    result
                        .cells_below_threshold
                        .push(format!("{id} {facet}[{label}]: {cell_users} users"));
                }
                result.cells_checked += 1;
            }
        }
    }
}

/// Whether a row's value belongs in the cell `label`: the same value, or for `halves` (whose
/// rows are valued by their week) a week inside the cell's `FIRST..LAST` span.
fn in_cell(facet: &str, label: &str, value: &str) -> bool {
    match (facet, label.split_once("..")) {
        ("halves", Some((first, last))) => (first..=last).contains(&value),
        _ => value == label,
    }
}

/// The cell label for breakdowns' folded values (as the pipeline writes it).
const OTHER_VALUES: &str = "other values";

/// The breakdowns of a node that the table can recount: (facet, [(label, count)]).
fn node_cells(node: &ReportNode) -> Vec<(&'static str, Vec<(String, usize)>)> {
    let facets = &node.facets;
    let map = |cells: &std::collections::BTreeMap<String, usize>| -> Vec<(String, usize)> {
        cells.iter().map(|(k, v)| (k.clone(), *v)).collect()
    };
    vec![
        ("language", map(&facets.language)),
        ("day", map(&facets.day)),
        ("week", map(&facets.week)),
        ("halves", map(&facets.halves)),
        ("turns", facets.turns.histogram.clone()),
        (
            "concern",
            facets
                .concern
                .as_ref()
                .map(|c| c.histogram.clone())
                .unwrap_or_default(),
        ),
    ]
}

/// A row's value for one breakdown, labelled as the report labels it.
fn cell_value(row: &RunRow, facet: &str) -> Option<String> {
    match facet {
        "language" => Some(row.language.clone().unwrap_or_else(|| "unknown".into())),
        "day" => row.day.clone(),
        "week" | "halves" => {
            let day = chrono::NaiveDate::parse_from_str(row.day.as_deref()?, "%Y-%m-%d").ok()?;
            let week = chrono::Datelike::iso_week(&day);
            Some(format!("{}-W{:02}", week.year(), week.week()))
        }
        "turns" => row.turns.map(|t| {
            if t >= 10 {
                "10+".into()
            } else {
                t.max(1).to_string()
            }
        }),
        "concern" => row.concern.map(|c| c.to_string()),
        _ => None,
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
        let node = |id: &str, other: bool| ReportNode {
            id: id.into(),
            other,
            ..ReportNode::default()
        };
        let mut report = Report::default();
        report.parameters.min_users = 2;
        report.parameters.min_conversations = 2;
        report.parameters.unknown_users = "shared".into();
        report.tree.children = vec![
            node("L0.0", false),
            node("L0.1", false),
            node("root.other", true),
        ];
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
        assert_eq!(result.clusters_checked, 3);
        assert_eq!(
            result.below_threshold,
            vec![
                "root.other: 0 users, 0 conversations",
                "L0.1: 1 users, 2 conversations"
            ]
        );
    }
}
