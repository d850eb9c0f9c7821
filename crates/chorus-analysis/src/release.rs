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

use chorus_report::{MapPoints, Report, ReportNode, RunTotals};

use crate::breakdown::facets;
use crate::draft::{
    DraftNode, Indistinct, ModelText, computed_name, own_words_name, tell_siblings_apart,
};
use crate::map::{map_points, position};
use crate::tree::{ReleasePolicy, TreeBuilder};

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
    /// Clusters large enough to publish that no word or phrase of at least `min_users` of
    /// their users can name, or names apart from their parent: they join their parent's
    /// "Other".
    #[serde(default)]
    pub clusters_unnamed: usize,
    /// Sibling clusters no word of their users names apart, merged into the largest of them.
    #[serde(default)]
    pub clusters_merged: usize,
    /// `chorus assign`: the conversations the earlier tree could not place were too few to
    /// publish (their count stays in the run's total only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unplaced_withheld: bool,
}

/// What an "Other" holds: clusters too small to publish, and clusters large enough that no
/// word of their users names apart from their siblings and parent.
fn other_description(small: usize, unnamed: usize) -> String {
    let clusters = |n: usize| format!("{n} cluster{}", if n == 1 { "" } else { "s" });
    match (small, unnamed) {
        (_, 0) => format!("{} too small to publish on their own.", clusters(small)),
        (0, _) => format!(
            "{} that no word of their users names apart from the rest.",
            clusters(unnamed)
        ),
        _ => format!(
            "{} too small to publish on their own, and {unnamed} that no word of their users names apart from the rest.",
            clusters(small)
        ),
    }
}

/// A tree that went through the release door; nothing else becomes a [`PublishedReport`].
pub(crate) struct ReleasedTree {
    tree: ReportNode,
    /// Per clustered conversation, with a map: the deepest published node holding it.
    owners: Vec<Option<String>>,
    /// Clusters merged into a sibling that the users' words name alike: its id, the sibling's.
    merged: HashMap<String, String>,
}

/// The report as it may be written to report.json, report.md and index.html.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct PublishedReport(Report);

impl PublishedReport {
    /// `report` with `tree` as its tree (whatever tree `report` held is dropped).
    pub(crate) fn new(mut report: Report, tree: ReleasedTree) -> Self {
        report.tree = tree.tree;
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
    /// The published tree's root.
    pub(crate) fn root(&self) -> &ReportNode {
        &self.tree
    }

    /// A seeded sample of map points, each with the deepest published node that holds it.
    pub(crate) fn map_points(
        &self,
        coordinates: &[[f32; 2]],
        count: usize,
        seed: u64,
    ) -> MapPoints {
        map_points(&self.owners, coordinates, count, seed)
    }

    /// `cluster_path`s of the working tree as the published tree holds them: a cluster merged
    /// into a sibling goes by the sibling's id.
    pub(crate) fn published_paths(&self, mut paths: Vec<String>) -> Vec<String> {
        if self.merged.is_empty() {
            return paths;
        }
        for path in &mut paths {
            if path.split('/').any(|id| self.merged.contains_key(id)) {
                *path = path
                    .split('/')
                    .map(|id| self.merged.get(id).map_or(id, String::as_str))
                    .collect::<Vec<_>>()
                    .join("/");
            }
        }
        paths
    }
}

/// Sends the whole working tree through the door; with `coordinates` (the map), each
/// published node gets its place.
pub(crate) fn release(
    tree: DraftNode,
    builder: &TreeBuilder<'_>,
    coordinates: Option<&[[f32; 2]]>,
    counts: &mut ReleaseCounts,
) -> ReleasedTree {
    let copied = CopiedRuns::count(&tree, builder);
    let users = builder.collected.distinct_users(&tree.members);
    let collected = builder.collected;
    let totals = RunTotals::of(
        collected.days.iter().flatten().copied(),
        collected.len(),
        users,
    );
    let mut door = Door {
        builder,
        policy: builder.policy,
        copied,
        totals,
        coordinates,
        owners: vec![None; coordinates.map_or(0, <[_]>::len)],
        merged: HashMap::new(),
        counts,
    };
    let root = door.publish(tree, users);
    ReleasedTree {
        tree: root,
        owners: door.owners,
        merged: door.merged,
    }
}

/// A child of the working tree with its distinct users, counted once.
type ChildWithUsers = (DraftNode, usize);

struct Door<'a, 'b> {
    builder: &'a TreeBuilder<'a>,
    policy: ReleasePolicy,
    copied: CopiedRuns,
    totals: RunTotals,
    coordinates: Option<&'a [[f32; 2]]>,
    owners: Vec<Option<String>>,
    merged: HashMap<String, String>,
    counts: &'b mut ReleaseCounts,
}

impl Door<'_, '_> {
    /// Applies the rules from the top down to a node that passes the thresholds itself, of
    /// `users` distinct users.
    /// Its texts were gated (by its parent's call) and told apart from its siblings'.
    fn publish(&mut self, mut draft: DraftNode, users: usize) -> ReportNode {
        let is_root = draft.id == "root";
        // A level that only repeats this node (one child holding all of it) says nothing: the
        // node is that child, published once under the deeper id with the texts it has here.
        while !is_root
            && draft.children.len() == 1
            && draft.children[0].members.len() == draft.members.len()
            && let Some(only) = draft.children.pop()
        {
            (draft.id, draft.level, draft.children) = (only.id, only.level, only.children);
            // The deeper id's name is the one an earlier run published under that id.
            if only.model_text == ModelText::Released {
                (draft.name, draft.model_text) = (only.name, only.model_text);
            }
        }
        let mut node = self.counted(&draft, users, is_root);
        let unplaced = draft
            .children
            .iter()
            .position(|child| child.unplaced)
            .map(|at| draft.children.remove(at));
        let (kept, mut folded): (Vec<ChildWithUsers>, Vec<ChildWithUsers>) =
            std::mem::take(&mut draft.children)
                .into_iter()
                .map(|child| {
                    let users = self.builder.collected.distinct_users(&child.members);
                    (child, users)
                })
                .partition(|(child, users)| self.policy.passes(child.members.len(), *users));
        self.counts.clusters_withheld += folded.len();
        let mut drafts: Vec<DraftNode> = Vec::with_capacity(kept.len());
        let mut child_users = Vec::with_capacity(kept.len());
        for (mut child, users) in kept {
            if self.gate_texts(&mut child) {
                drafts.push(child);
                child_users.push(users);
            } else {
                self.counts.clusters_unnamed += 1;
                folded.push((child, users));
            }
        }
        let parent = if is_root { "" } else { draft.name.as_str() };
        let indistinct = tell_siblings_apart(parent, &mut drafts);
        let named = self.merge_indistinct(parent, drafts, child_users, indistinct, &mut folded);
        let mut children: Vec<ReportNode> = named
            .into_iter()
            .map(|(child, users)| self.publish(child, users))
            .collect();
        if let Some(unplaced) = unplaced {
            children.extend(self.unplaced(&unplaced));
        }
        if !folded.is_empty() {
            // With every child too small, an "Other" would only repeat this node.
            let other = if children.is_empty() && !is_root {
                None
            } else {
                self.other_of(&draft, &folded)
            };
            match other {
                Some(other) => children.push(other),
                // The node says how many clusters it holds that show nothing of their own.
                None => node.folded_clusters = folded.len(),
            }
        }
        let total = node.conversations.max(1) as f64;
        for child in &mut children {
            child.share_of_parent = child.conversations as f64 / total;
        }
        children.sort_by(|a, b| {
            (a.other || a.unplaced)
                .cmp(&(b.other || b.unplaced))
                .then(b.conversations.cmp(&a.conversations))
                .then(a.id.cmp(&b.id))
        });
        node.children = children;
        node
    }

    /// Siblings no word of their users tells apart: one named like a sibling is merged into
    /// it (members and children; its words counted again), one named like the parent joins the
    /// parent's folded clusters — a number ("people (2)") would tell an analyst nothing. Where
    /// either side shows coordination, concentration or a burst of its own, merging would hide
    /// it in a larger node: that sibling keeps its place under its name and a number.
    fn merge_indistinct(
        &mut self,
        parent: &str,
        drafts: Vec<DraftNode>,
        users: Vec<usize>,
        indistinct: Vec<(usize, Indistinct)>,
        folded: &mut Vec<ChildWithUsers>,
    ) -> Vec<ChildWithUsers> {
        let mut slots: Vec<Option<ChildWithUsers>> =
            drafts.into_iter().zip(users).map(Some).collect();
        let mut grown = HashSet::new();
        for (index, like) in indistinct {
            let Some((mut node, users)) = slots[index].take() else {
                continue;
            };
            let keep = match like {
                Indistinct::LikeSibling(keep) => Some(keep),
                Indistinct::LikeParent => None,
            };
            let kept_stands_out = keep
                .and_then(|keep| slots[keep].as_ref())
                .is_some_and(|(kept, kept_users)| self.stands_out(kept, *kept_users));
            if kept_stands_out || self.stands_out(&node, users) {
                let taken: HashSet<&str> = slots
                    .iter()
                    .flatten()
                    .map(|(sibling, _)| sibling.name.as_str())
                    .chain([parent])
                    .collect();
                if let Some(name) = (2..)
                    .map(|place| format!("{} ({place})", node.name))
                    .find(|name| !taken.contains(name.as_str()))
                {
                    node.name = name;
                }
                slots[index] = Some((node, users));
                continue;
            }
            match keep.and_then(|keep| slots[keep].as_mut().map(|slot| (keep, slot))) {
                Some((keep, (kept, kept_users))) => {
                    self.merged.insert(node.id, kept.id.clone());
                    kept.members.extend(node.members);
                    kept.children.extend(node.children);
                    *kept_users = self.builder.collected.distinct_users(&kept.members);
                    grown.insert(keep);
                    self.counts.clusters_merged += 1;
                }
                None => {
                    self.counts.clusters_unnamed += 1;
                    folded.push((node, users));
                }
            }
        }
        for &keep in &grown {
            if let Some((kept, _)) = slots[keep].as_mut() {
                kept.members.sort_unstable();
                self.builder.recount_words(kept);
            }
        }
        slots.into_iter().flatten().collect()
    }

    /// Whether a node of `users` distinct users would be flagged on its own — coordination,
    /// concentration or a one-day burst — from the cells it would publish. Growth is a
    /// ranking, not a flag: a merged node's growth is that of the merged topic.
    fn stands_out(&self, draft: &DraftNode, users: usize) -> bool {
        // The probe is never published: the cells it withholds are not the run's.
        let mut withheld = 0;
        let probe = ReportNode {
            conversations: draft.members.len(),
            users,
            facets: facets(self.builder, &self.totals, &draft.members, &mut withheld),
            ..ReportNode::default()
        };
        let signals = self.totals.signals(&probe);
        signals.coordinated || signals.concentrated || signals.burst.is_some()
    }

    /// The "Other" of `parent`, holding its `folded` children, when it passes the thresholds
    /// itself; else it is counted as withheld.
    fn other_of(
        &mut self,
        parent: &DraftNode,
        folded: &[(DraftNode, usize)],
    ) -> Option<ReportNode> {
        let other = DraftNode {
            id: format!("{}.other", parent.id),
            level: parent.level.saturating_sub(1),
            members: folded
                .iter()
                .flat_map(|(child, _)| child.members.iter().copied())
                .collect(),
            ..DraftNode::default()
        };
        let small = folded
            .iter()
            .filter(|(child, users)| !self.policy.passes(child.members.len(), *users))
            .count();
        let description = other_description(small, folded.len() - small);
        let Some(mut node) = self.counts_only(&other, "Other", description) else {
            self.counts.other_withheld += 1;
            return None;
        };
        node.other = true;
        node.folded_clusters = folded.len();
        Some(node)
    }

    /// The node of the conversations an earlier run's tree could not place, counts only, when
    /// it passes the thresholds; else it is counted as withheld.
    fn unplaced(&mut self, draft: &DraftNode) -> Option<ReportNode> {
        let description = "Conversations near no cluster of the tree they were placed into: \
            topics that tree did not have.";
        let Some(mut node) = self.counts_only(draft, "Not placed", description.into()) else {
            self.counts.unplaced_withheld = true;
            return None;
        };
        node.unplaced = true;
        Some(node)
    }

    /// A node that shows counts and breakdowns under a name chorus gives it (no words of its
    /// users), when it passes the thresholds itself.
    fn counts_only(
        &mut self,
        draft: &DraftNode,
        name: &str,
        description: String,
    ) -> Option<ReportNode> {
        let users = self.builder.collected.distinct_users(&draft.members);
        if !self.policy.passes(draft.members.len(), users) {
            return None;
        }
        let mut node = self.counted(draft, users, false);
        node.name = name.into();
        node.description = description;
        Some(node)
    }

    /// The published node of a draft that passed: its texts as gated, its counts, breakdowns
    /// (every cell through the cell rule), signals and place. The map's owner of each of its
    /// conversations becomes this node (its children, deeper, claim theirs after it).
    fn counted(&mut self, draft: &DraftNode, users: usize, is_root: bool) -> ReportNode {
        let mut node = ReportNode {
            id: draft.id.clone(),
            level: draft.level,
            name: draft.name.clone(),
            description: draft.description.clone(),
            keywords: draft.keywords.clone(),
            conversations: draft.members.len(),
            users,
            share_of_parent: 1.0,
            examples: draft.examples.clone(),
            ..ReportNode::default()
        };
        if is_root {
            return node;
        }
        node.facets = facets(
            self.builder,
            &self.totals,
            &draft.members,
            &mut self.counts.cells_withheld,
        );
        node.signals = self.totals.signals(&node);
        if let Some(coordinates) = self.coordinates {
            node.position = position(&draft.members, coordinates);
            for &member in &draft.members {
                self.owners[member] = Some(node.id.clone());
            }
        }
        node
    }

    /// The vocabulary gate over a node's keywords, phrases, name and description. A model's
    /// text that fails is replaced by the computed name; false when nothing can name the node.
    fn gate_texts(&mut self, node: &mut DraftNode) -> bool {
        let evidence = WordEvidence {
            builder: self.builder,
            members: &node.members,
            min_users: self.policy.min_users,
        };
        let before = node.keywords.len();
        node.keywords
            .retain(|keyword| evidence.rare_word(&keyword.term).is_none());
        self.counts.keywords_dropped += before - node.keywords.len();
        node.phrases
            .retain(|phrase| evidence.rare_word(&phrase.term).is_none());
        match node.model_text {
            ModelText::Released => {
                node.description = computed_name(node).map(|(_, d)| d).unwrap_or_default();
                return true;
            }
            ModelText::Operator => return true,
            _ => {}
        }
        if node.model_text != ModelText::None {
            let failure = node
                .model_texts()
                .into_iter()
                .find_map(|text| self.failure(&evidence, text));
            match failure {
                None => return true,
                Some(rule) => *self.counts.texts_replaced.entry(rule.into()).or_default() += 1,
            }
        }
        node.model_text = ModelText::None;
        // Words from the children's names are checked against this node's own users too.
        let computed = computed_name(node).filter(|(name, _)| evidence.rare_word(name).is_none());
        match computed.or_else(|| own_words_name(node)) {
            Some((name, description)) => {
                (node.name, node.description) = (name, description);
                true
            }
            None => false,
        }
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
    fn count(tree: &DraftNode, builder: &TreeBuilder<'_>) -> Self {
        fn candidates(node: &DraftNode, into: &mut HashSet<u64>) {
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
