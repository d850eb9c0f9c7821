//! The release door: the only way a tree becomes something an analyst file may hold.
//!
//! Its rules (docs/privacy.md, ARCHITECTURE.md):
//! - a node, "Other" included, is published only with at least `min_users` distinct users and
//!   `min_conversations` conversations; a smaller one adds to its parent's total and shows
//!   nothing of its own;
//! - a breakdown cell shows a count only when at least `min_cell_users` distinct users stand
//!   behind it; the rest fold into one "other values" cell, itself shown only when it passes;
//! - every published text passes the vocabulary gate: each content word was written (in their
//!   words or their summaries) by at least `min_users` distinct accounts of the node, and no run
//!   of [`chorus_text::COPIED_RUN_WORDS`] words is copied from text fewer than `min_users` accounts wrote. A
//!   model's text that fails is replaced by the node's keyword name, else a neutral one; a
//!   keyword that fails is dropped.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use chorus_text::{gated_words, word_runs};

use super::TreeBuilder;
use super::breakdown::{distinct_users, facets};
use super::map::{map_points, place_nodes};
use super::naming::{describe, name_from};
use super::signals::RunTotals;
use crate::PrivacyConfig;
use crate::report::{MapPoints, ModelText, Report, ReportNode};

/// The name of a node no text can be published for.
const NEUTRAL_NAME: &str = "Unnamed cluster";

/// The thresholds every published number and word is held to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReleasePolicy {
    pub min_users: usize,
    pub min_conversations: usize,
    pub min_cell_users: usize,
}

impl ReleasePolicy {
    pub(crate) fn new(privacy: &PrivacyConfig) -> Self {
        Self {
            min_users: privacy.min_users,
            min_conversations: privacy.min_conversations,
            min_cell_users: privacy.min_cell_users.unwrap_or(privacy.min_users),
        }
    }
}

/// What the release withheld or replaced, by rule, without content (in run.json).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReleaseCounts {
    /// Clusters below the thresholds, not published on their own.
    pub clusters_withheld: usize,
    /// "Other" nodes below the thresholds: their counts stay in the parent's total only.
    pub other_withheld: usize,
    /// Breakdown cells below `min_cell_users`, folded into "other values".
    pub cells_withheld: usize,
    /// Names and descriptions a model wrote that the gate replaced, by rule:
    /// `rare_word` (a content word fewer than `min_users` accounts of the node wrote) or
    /// `copied_run` (a run of words copied from text fewer than `min_users` accounts wrote).
    pub texts_replaced: BTreeMap<String, usize>,
    /// Keywords dropped by the gate.
    pub keywords_dropped: usize,
}

/// A tree that went through the release door; nothing else becomes a [`PublishedReport`].
pub(crate) struct ReleasedTree(ReportNode);

/// The report as it may be written to report.json, report.md and index.html.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct PublishedReport(Report);

impl PublishedReport {
    /// `report` with `tree` as its tree (whatever tree `report` held is dropped).
    pub(crate) fn new(mut report: Report, tree: ReleasedTree) -> Self {
        report.tree = tree.0;
        Self(report)
    }
}

impl std::ops::Deref for PublishedReport {
    type Target = Report;

    fn deref(&self) -> &Report {
        &self.0
    }
}

impl ReleasedTree {
    /// Each published node's place on the map.
    pub(crate) fn place(&mut self, coordinates: &[[f32; 2]]) {
        place_nodes(&mut self.0, coordinates);
    }

    /// A seeded sample of map points, each with the deepest published node that holds it.
    pub(crate) fn map_points(
        &self,
        coordinates: &[[f32; 2]],
        count: usize,
        seed: u64,
    ) -> MapPoints {
        map_points(&self.0, coordinates, count, seed)
    }
}

/// Sends the whole tree through the door.
pub(crate) fn release(
    tree: ReportNode,
    builder: &TreeBuilder<'_>,
    counts: &mut ReleaseCounts,
) -> ReleasedTree {
    let copied = CopiedRuns::count(&tree, builder);
    let totals = RunTotals::of(builder.collected, tree.users);
    let mut door = Door {
        builder,
        policy: builder.policy,
        copied,
        totals,
        counts,
    };
    ReleasedTree(door.publish(tree))
}

struct Door<'a, 'b> {
    builder: &'a TreeBuilder<'a>,
    policy: ReleasePolicy,
    copied: CopiedRuns,
    totals: RunTotals,
    counts: &'b mut ReleaseCounts,
}

impl Door<'_, '_> {
    fn passes(&self, node: &ReportNode) -> bool {
        node.users >= self.policy.min_users && node.conversations >= self.policy.min_conversations
    }

    /// Applies the rules from the top down to a node that passes the thresholds itself.
    fn publish(&mut self, mut node: ReportNode) -> ReportNode {
        let children = std::mem::take(&mut node.children);
        let (kept, folded): (Vec<ReportNode>, Vec<ReportNode>) =
            children.into_iter().partition(|c| self.passes(c));
        self.counts.clusters_withheld += folded.len();
        let mut children: Vec<ReportNode> = kept.into_iter().map(|c| self.publish(c)).collect();
        if !folded.is_empty() {
            if children.is_empty() && node.id != "root" {
                // An "Other" holding every child would only repeat this node.
                node.folded_clusters = folded.len();
            } else {
                let mut other = self.other_node(&node, &folded);
                if self.passes(&other) {
                    self.break_down(&mut other);
                    children.push(other);
                } else {
                    self.counts.other_withheld += 1;
                    node.folded_clusters = folded.len();
                }
            }
        }
        let total = node.conversations.max(1) as f64;
        for child in &mut children {
            child.share_of_parent = child.conversations as f64 / total;
        }
        children.sort_by(|a, b| {
            a.other
                .cmp(&b.other)
                .then(b.conversations.cmp(&a.conversations))
                .then(a.id.cmp(&b.id))
        });
        node.children = children;
        if node.id != "root" {
            self.break_down(&mut node);
            self.gate_texts(&mut node);
        }
        node
    }

    /// A published node's breakdowns, every cell through the cell rule, and its signals.
    fn break_down(&mut self, node: &mut ReportNode) {
        node.facets = facets(self.builder, &node.members, &mut self.counts.cells_withheld);
        node.signals = self.totals.signals(node);
    }

    /// The node holding a parent's unpublished clusters: counts only, no names or keywords.
    fn other_node(&self, parent: &ReportNode, folded: &[ReportNode]) -> ReportNode {
        let members: Vec<usize> = folded
            .iter()
            .flat_map(|c| c.members.iter().copied())
            .collect();
        ReportNode {
            id: format!("{}.other", parent.id),
            level: parent.level.saturating_sub(1),
            name: "Other".into(),
            description: format!(
                "{} clusters too small to publish on their own.",
                folded.len()
            ),
            conversations: members.len(),
            users: distinct_users(self.builder.collected, &members),
            other: true,
            folded_clusters: folded.len(),
            members,
            ..ReportNode::empty()
        }
    }

    /// The vocabulary gate over a node's keywords, name and description.
    fn gate_texts(&mut self, node: &mut ReportNode) {
        let evidence = WordEvidence {
            builder: self.builder,
            members: &node.members,
            min_users: self.policy.min_users,
        };
        let before = node.keywords.len();
        node.keywords
            .retain(|keyword| evidence.rare_word(&keyword.term).is_none());
        self.counts.keywords_dropped += before - node.keywords.len();
        if node.model_text != ModelText::None {
            let failure = node
                .model_texts()
                .into_iter()
                .find_map(|text| self.failure(&evidence, text));
            match failure {
                None => return,
                Some(rule) => *self.counts.texts_replaced.entry(rule.into()).or_default() += 1,
            }
        }
        if node.keywords.is_empty() {
            node.name = NEUTRAL_NAME.into();
            node.description = format!(
                "No word is used by {} of its users, so it has no name of its own.",
                self.policy.min_users
            );
        } else {
            node.name = name_from(&node.keywords);
            node.description = describe(&node.keywords);
        }
        node.model_text = ModelText::None;
    }

    /// The rule `text` breaks, if any.
    fn failure(&self, evidence: &WordEvidence<'_>, text: &str) -> Option<&'static str> {
        if evidence.rare_word(text).is_some() {
            return Some("rare_word");
        }
        if self.copied.is_copy(text, self.policy.min_users) {
            return Some("copied_run");
        }
        None
    }
}

/// Which words a node's own accounts wrote.
struct WordEvidence<'a> {
    builder: &'a TreeBuilder<'a>,
    members: &'a [usize],
    min_users: usize,
}

impl WordEvidence<'_> {
    /// The first content word of `text` that fewer than `min_users` distinct accounts of the
    /// node wrote.
    fn rare_word(&self, text: &str) -> Option<String> {
        let collected = self.builder.collected;
        gated_words(text).into_iter().find(|word| {
            let Some(id) = collected.vocabulary.id(word) else {
                return true;
            };
            let mut users = HashSet::new();
            for &doc in self.members {
                if collected.terms[doc].binary_search(&id).is_ok() {
                    users.insert(collected.users[doc]);
                    if users.len() >= self.min_users {
                        return false;
                    }
                }
            }
            true
        })
    }
}

/// For each run of words in a model's text anywhere in the tree: how many distinct accounts
/// wrote it (counted up to the threshold), over the whole run.
struct CopiedRuns(HashMap<u64, usize>);

impl CopiedRuns {
    fn count(tree: &ReportNode, builder: &TreeBuilder<'_>) -> Self {
        fn candidates(node: &ReportNode, into: &mut HashSet<u64>) {
            for text in node.model_texts() {
                into.extend(word_runs(text));
            }
            for child in &node.children {
                candidates(child, into);
            }
        }
        let mut wanted = HashSet::new();
        candidates(tree, &mut wanted);
        let collected = builder.collected;
        let mut writers: HashMap<u64, HashSet<u64>> = HashMap::new();
        if !wanted.is_empty() {
            for (doc, runs) in collected.word_runs.iter().enumerate() {
                for run in runs.iter().filter(|run| wanted.contains(run)) {
                    writers
                        .entry(*run)
                        .or_default()
                        .insert(collected.users[doc]);
                }
            }
        }
        Self(
            writers
                .into_iter()
                .map(|(run, users)| (run, users.len()))
                .collect(),
        )
    }

    /// Whether `text` holds a run of [`chorus_text::COPIED_RUN_WORDS`] words that some, but fewer than
    /// `min_users`, accounts wrote.
    fn is_copy(&self, text: &str, min_users: usize) -> bool {
        word_runs(text)
            .iter()
            .any(|run| self.0.get(run).is_some_and(|&users| users < min_users))
    }
}
