//! Two published reports of one tree side by side (`chorus compare`): per cluster its
//! conversations and share of its run in each, the ratio of the shares with a 95 % confidence
//! interval, and what changed. Only published counts are read, so every number has been through
//! the release rules of its own run.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::{Report, ReportNode, escape_markdown};

/// The `compare.json` schema version.
pub const COMPARE_SCHEMA_VERSION: u32 = 1;

/// z for a two-sided 95 % interval.
const Z_95: f64 = 1.959_963_985;

/// Movers listed per kind in `compare.md`.
const MOVERS_LISTED: usize = 10;

/// Two reports of one tree, side by side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// [`COMPARE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The tree both reports share (`parameters.tree_id`).
    pub tree_id: String,
    /// The first run.
    pub a: Side,
    /// The second run.
    pub b: Side,
    /// Every cluster published in either run (not the root, not "Other"), in tree order.
    pub clusters: Vec<ClusterChange>,
}

/// One run of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// How the run was named on the command line.
    pub label: String,
    /// Its clustered conversations (the denominator of every share).
    pub conversations: usize,
    /// Its distinct users.
    pub users: usize,
    /// Its first and last day, when its conversations are dated.
    pub days: Option<[String; 2]>,
}

/// One cluster in both runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterChange {
    /// The id both runs give it.
    pub id: String,
    /// Its name (the first run's, when it published one).
    pub name: String,
    /// Its level (0: base).
    pub level: usize,
    /// Its parent's id ("root" for the top level).
    pub parent: String,
    /// In the first run; absent when not published there.
    pub a: Option<Count>,
    /// In the second run; absent when not published there.
    pub b: Option<Count>,
    /// The second run's share over the first's; absent unless both published it.
    pub ratio: Option<f64>,
    /// The ratio's 95 % confidence interval (Katz's log method).
    pub ci: Option<[f64; 2]>,
    /// What happened to it.
    pub change: Change,
}

/// A cluster's count in one run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// Its conversations.
    pub conversations: usize,
    /// Their share of the run's clustered conversations.
    pub share: f64,
}

/// What happened to a cluster from the first run to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Published only in the second run (absent or below the thresholds in the first).
    Appeared,
    /// Published only in the first run (gone or below the thresholds in the second).
    Vanished,
    /// Its share's interval lies above 1.
    Grew,
    /// Its share's interval lies below 1.
    Shrank,
    /// Its share's interval holds 1.
    Steady,
}

impl Change {
    fn word(self) -> &'static str {
        match self {
            Change::Appeared => "appeared",
            Change::Vanished => "vanished",
            Change::Grew => "grew",
            Change::Shrank => "shrank",
            Change::Steady => "steady",
        }
    }
}

/// Why two reports cannot be compared.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CompareError {
    /// They were not built on one tree, so their ids mean different clusters.
    #[error(
        "{a} (tree {a_tree}) and {b} (tree {b_tree}) do not share a tree, so their cluster ids \
         name different clusters: place the second period's conversations into the first's \
         tree with `chorus assign {a} INPUT... -o NEW_DIR`, then compare {a} with NEW_DIR"
    )]
    DifferentTrees {
        /// The first run.
        a: String,
        /// Its tree.
        a_tree: String,
        /// The second run.
        b: String,
        /// Its tree.
        b_tree: String,
    },
}

impl Comparison {
    /// Compares report `b` with report `a` (labelled as given); they must share a tree.
    pub fn of(
        (a_label, a): (&str, &Report),
        (b_label, b): (&str, &Report),
    ) -> Result<Self, CompareError> {
        let (a_tree, b_tree) = (&a.parameters.tree_id, &b.parameters.tree_id);
        if a_tree.is_empty() || a_tree != b_tree {
            return Err(CompareError::DifferentTrees {
                a: a_label.into(),
                a_tree: or_none(a_tree),
                b: b_label.into(),
                b_tree: or_none(b_tree),
            });
        }
        let in_a = published(&a.tree);
        let in_b = published(&b.tree);
        let (a_total, b_total) = (a.totals.clustered, b.totals.clustered);
        let mut order: Vec<&str> = in_a.iter().map(|(id, _)| id.as_str()).collect();
        let a_ids: HashMap<&str, usize> =
            order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        order.extend(
            in_b.iter()
                .map(|(id, _)| id.as_str())
                .filter(|id| !a_ids.contains_key(id)),
        );
        let a_nodes: HashMap<&str, &Placed> = in_a.iter().map(|(id, p)| (id.as_str(), p)).collect();
        let b_nodes: HashMap<&str, &Placed> = in_b.iter().map(|(id, p)| (id.as_str(), p)).collect();
        let clusters = order
            .into_iter()
            .filter_map(|id| {
                let (first, second) = (a_nodes.get(id), b_nodes.get(id));
                Some(change_of(
                    id,
                    first.or(second)?,
                    first.map(|p| count(p.conversations, a_total)),
                    second.map(|p| count(p.conversations, b_total)),
                ))
            })
            .collect();
        Ok(Self {
            schema_version: COMPARE_SCHEMA_VERSION,
            tree_id: a_tree.clone(),
            a: side(a_label, a),
            b: side(b_label, b),
            clusters,
        })
    }

    /// The clusters of one kind of change, the largest change first (for grew and shrank, by
    /// how far the ratio is from 1; for appeared and vanished, by conversations).
    pub fn movers(&self, change: Change) -> Vec<&ClusterChange> {
        let mut movers: Vec<&ClusterChange> = self
            .clusters
            .iter()
            .filter(|c| c.change == change)
            .collect();
        let size = |c: &ClusterChange| {
            c.ratio.map_or_else(
                || c.a.or(c.b).map_or(0.0, |n| n.conversations as f64),
                |ratio| ratio.ln().abs(),
            )
        };
        movers.sort_by(|x, y| size(y).total_cmp(&size(x)).then(x.id.cmp(&y.id)));
        movers
    }
}

fn or_none(tree: &str) -> String {
    if tree.is_empty() {
        "none: made before chorus wrote tree ids".into()
    } else {
        tree.into()
    }
}

fn side(label: &str, report: &Report) -> Side {
    // The root shows no breakdown: its days are those its top level published.
    let days: std::collections::BTreeSet<&String> = report
        .tree
        .children
        .iter()
        .flat_map(|child| child.facets.day.keys())
        .filter(|day| chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok())
        .collect();
    let days: Vec<&String> = days.into_iter().collect();
    Side {
        label: label.into(),
        conversations: report.totals.clustered,
        users: report.totals.users,
        days: match (days.first(), days.last()) {
            (Some(first), Some(last)) => Some([(*first).clone(), (*last).clone()]),
            _ => None,
        },
    }
}

fn count(conversations: usize, total: usize) -> Count {
    Count {
        conversations,
        share: conversations as f64 / total.max(1) as f64,
    }
}

/// What a published node contributes to a comparison.
struct Placed {
    name: String,
    level: usize,
    parent: String,
    conversations: usize,
}

/// Every published cluster of a tree but "Other", in depth-first order.
fn published(root: &ReportNode) -> Vec<(String, Placed)> {
    fn walk(node: &ReportNode, into: &mut Vec<(String, Placed)>) {
        for child in node.children.iter().filter(|c| !c.other) {
            into.push((
                child.id.clone(),
                Placed {
                    name: child.name.clone(),
                    level: child.level,
                    parent: node.id.clone(),
                    conversations: child.conversations,
                },
            ));
            walk(child, into);
        }
    }
    let mut nodes = Vec::new();
    walk(root, &mut nodes);
    nodes
}

fn change_of(id: &str, known: &Placed, a: Option<Count>, b: Option<Count>) -> ClusterChange {
    let (ratio, ci, change) = match (a, b) {
        (Some(a), Some(b)) => {
            let ratio = b.share / a.share;
            let ci = ratio_interval(a, b);
            let change = if ci[0] > 1.0 {
                Change::Grew
            } else if ci[1] < 1.0 {
                Change::Shrank
            } else {
                Change::Steady
            };
            (Some(ratio), Some(ci), change)
        }
        (Some(_), None) => (None, None, Change::Vanished),
        _ => (None, None, Change::Appeared),
    };
    ClusterChange {
        id: id.into(),
        name: known.name.clone(),
        level: known.level,
        parent: known.parent.clone(),
        a,
        b,
        ratio,
        ci,
        change,
    }
}

/// The 95 % interval of the ratio of two shares (Katz et al., 1978: the log ratio is about
/// normal with variance (1 − p₁)/x₁ + (1 − p₂)/x₂).
fn ratio_interval(a: Count, b: Count) -> [f64; 2] {
    let variance =
        (1.0 - a.share) / a.conversations as f64 + (1.0 - b.share) / b.conversations as f64;
    let log_ratio = (b.share / a.share).ln();
    let half = Z_95 * variance.max(0.0).sqrt();
    [(log_ratio - half).exp(), (log_ratio + half).exp()]
}

/// `compare.md`: the movers of each kind, then every cluster by level.
pub fn render_comparison(comparison: &Comparison) -> String {
    let mut out = String::new();
    let (a, b) = (&comparison.a, &comparison.b);
    let _ = writeln!(out, "# What changed\n");
    let _ = writeln!(
        out,
        "A = {} ({} conversations{}), B = {} ({} conversations{}), tree {}. Shares are of each run's clustered conversations; the ratio is B's share over A's, with its 95 % interval. Only clusters published in a run (enough users and conversations there) have a count in it.\n",
        escape_markdown(&a.label),
        a.conversations,
        span(a),
        escape_markdown(&b.label),
        b.conversations,
        span(b),
        comparison.tree_id
    );
    for change in [
        Change::Grew,
        Change::Shrank,
        Change::Appeared,
        Change::Vanished,
    ] {
        let movers = comparison.movers(change);
        let _ = writeln!(out, "## {} ({})\n", heading(change), movers.len());
        if movers.is_empty() {
            let _ = writeln!(out, "None.\n");
            continue;
        }
        table_header(&mut out);
        for cluster in movers.iter().take(MOVERS_LISTED) {
            table_row(&mut out, cluster);
        }
        if movers.len() > MOVERS_LISTED {
            let _ = writeln!(
                out,
                "\n{} more in compare.json.",
                movers.len() - MOVERS_LISTED
            );
        }
        out.push('\n');
    }
    let mut by_level: BTreeMap<usize, Vec<&ClusterChange>> = BTreeMap::new();
    for cluster in &comparison.clusters {
        by_level.entry(cluster.level).or_default().push(cluster);
    }
    for (level, clusters) in by_level.iter().rev() {
        let _ = writeln!(out, "## Level {level}: every cluster\n");
        table_header(&mut out);
        for cluster in clusters {
            table_row(&mut out, cluster);
        }
        out.push('\n');
    }
    out
}

fn heading(change: Change) -> &'static str {
    match change {
        Change::Grew => "Grew",
        Change::Shrank => "Shrank",
        Change::Appeared => "Appeared (published in B only)",
        Change::Vanished => "Vanished (published in A only)",
        Change::Steady => "Steady",
    }
}

fn span(side: &Side) -> String {
    side.days
        .as_ref()
        .map_or_else(String::new, |[first, last]| format!(", {first} to {last}"))
}

fn table_header(out: &mut String) {
    let _ = writeln!(
        out,
        "| cluster | level | A | B | ratio (95 % interval) | change |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | --- |");
}

fn table_row(out: &mut String, cluster: &ClusterChange) {
    let side = |count: Option<Count>| {
        count.map_or_else(
            || "—".to_string(),
            |c| format!("{} ({:.2}%)", c.conversations, c.share * 100.0),
        )
    };
    let ratio = match (cluster.ratio, cluster.ci) {
        (Some(ratio), Some([low, high])) => format!("{ratio:.2}× ({low:.2}–{high:.2})"),
        _ => "—".into(),
    };
    let _ = writeln!(
        out,
        "| {} `{}` | {} | {} | {} | {} | {} |",
        escape_markdown(&cluster.name),
        cluster.id,
        cluster.level,
        side(cluster.a),
        side(cluster.b),
        ratio,
        cluster.change.word()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, level: usize, conversations: usize, children: Vec<ReportNode>) -> ReportNode {
        ReportNode {
            id: id.into(),
            level,
            name: format!("name of {id}"),
            conversations,
            children,
            ..ReportNode::default()
        }
    }

    fn report(tree: &str, clustered: usize, children: Vec<ReportNode>) -> Report {
        let mut report = Report::default();
        report.parameters.tree_id = tree.into();
        report.totals.clustered = clustered;
        report.tree = node("root", 2, clustered, children);
        report
    }

    #[test]
    fn shares_ratios_and_changes_of_a_shared_tree() {
        let a = report(
            "t1",
            10_000,
            vec![
                node(
                    "L1.0",
                    1,
                    2_000,
                    vec![node("L0.0", 0, 1_000, vec![]), node("L0.1", 0, 100, vec![])],
                ),
                node("L1.1", 1, 2_000, vec![]),
                node("L1.2", 1, 500, vec![]),
            ],
        );
        let b = report(
            "t1",
            5_000,
            vec![
                node(
                    "L1.0",
                    1,
                    2_000,
                    vec![node("L0.0", 0, 500, vec![]), node("L0.2", 0, 80, vec![])],
                ),
                node("L1.1", 1, 990, vec![]),
                node("L1.2", 1, 100, vec![]),
            ],
        );
        let comparison = Comparison::of(("a", &a), ("b", &b)).unwrap();
        let by_id: HashMap<&str, &ClusterChange> = comparison
            .clusters
            .iter()
            .map(|c| (c.id.as_str(), c))
            .collect();
        // L1.0: 20 % → 40 %.
        let grew = by_id["L1.0"];
        assert!((grew.ratio.unwrap() - 2.0).abs() < 1e-9);
        assert_eq!(grew.change, Change::Grew);
        let [low, high] = grew.ci.unwrap();
        assert!(
            low > 1.8 && high < 2.2 && low < 2.0 && high > 2.0,
            "{low} {high}"
        );
        // L1.1: 20 % → 19.8 %, well inside the noise.
        assert_eq!(by_id["L1.1"].change, Change::Steady);
        // L1.2: 5 % → 2 %.
        assert_eq!(by_id["L1.2"].change, Change::Shrank);
        assert_eq!(by_id["L0.1"].change, Change::Vanished);
        assert_eq!(by_id["L0.2"].change, Change::Appeared);
        assert_eq!(by_id["L0.2"].parent, "L1.0");
        assert_eq!(by_id["L0.2"].a, None);
        // Tree order, then what only the second run published.
        let ids: Vec<&str> = comparison.clusters.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["L1.0", "L0.0", "L0.1", "L1.1", "L1.2", "L0.2"]);
        let shrank: Vec<&str> = comparison
            .movers(Change::Shrank)
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(shrank, ["L1.2"]);
        let text = render_comparison(&comparison);
        assert!(
            text.contains("| name of L1\\.0 `L1.0` | 1 | 2000 (20.00%) | 2000 (40.00%) | 2.00× (1.90–2.11) | grew |"),
            "{text}"
        );
    }

    #[test]
    fn reports_of_different_trees_are_refused_with_the_way_out() {
        let a = report("t1", 10, vec![]);
        let b = report("t2", 10, vec![]);
        let error = Comparison::of(("w1", &a), ("w2", &b)).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("chorus assign w1 INPUT... -o NEW_DIR"),
            "{error}"
        );
        let old = report("", 10, vec![]);
        assert!(Comparison::of(("w1", &old), ("w2", &old)).is_err());
    }
}
