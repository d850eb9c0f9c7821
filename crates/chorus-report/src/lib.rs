//! The published report of a run: `report.json` (versioned, documented in docs/outputs.md)
//! and `report.md`, the readable tree. Only what the release let out is ever in these types.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use chorus_cluster::{Agreement, SweepPoint};
use chorus_text::Keyword;

mod compare;
mod signals;

pub use compare::{
    COMPARE_SCHEMA_VERSION, Change, ClusterChange, CompareError, Comparison, Count, Side,
    render_comparison,
};

pub use signals::{RunTotals, week_label};

/// Taxonomy mode: the name of the top-level node holding the base clusters no category fits.
pub const UNASSIGNED: &str = "Unassigned";

/// The cohort (`facets.cohort`) of conversations without the cohort field.
pub const NO_COHORT: &str = "(none)";

/// The `report.json` schema version; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Everything a run publishes about its clusters: aggregates only, after the thresholds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// "keyword" (the user's redacted words embedded, clusters named by keywords) or "summary"
    /// (LLM facet summaries embedded, clusters named by the LLM).
    pub mode: String,
    /// Counts over the whole run.
    pub totals: ReportTotals,
    /// The settings that shaped the tree.
    pub parameters: ReportParameters,
    /// How k-means went.
    pub kmeans: KMeansSummary,
    /// Personal details replaced by the redaction rules before embedding, by kind.
    pub redactions: BTreeMap<String, u64>,
    /// Agreement of the base clusters with a label column, when one was named.
    pub label_agreement: Option<LabelAgreement>,
    /// The tree: the root stands for every conversation; its children are the top level.
    pub tree: ReportNode,
    /// The 2-D map, when it was made (`[map] enabled`).
    pub map: Option<ReportMap>,
    /// Present only in investigation mode (`privacy.investigation`): the report then carries
    /// conversation excerpts, and every view of it must say so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investigation: Option<Investigation>,
}

/// What an investigation-mode report adds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Investigation {
    /// Excerpts per published base cluster, at most.
    pub examples_per_cluster: usize,
    /// What the excerpts are.
    pub excerpts: String,
}

/// The 2-D map: how it was made and a sample of conversations' positions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportMap {
    /// Conversations laid out directly; the rest were placed from their neighbours.
    pub sampled: usize,
    /// Neighbours per conversation in the layout's graph.
    pub neighbours: usize,
    /// Passes of gradient descent.
    pub epochs: usize,
    /// A seeded sample of conversations' positions (no text, no ids).
    pub points: MapPoints,
}

/// Map positions by column: point `i` is at (`x[i]`, `y[i]`) and belongs to cluster
/// `cluster[i]`, the deepest published node holding it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapPoints {
    /// Horizontal positions.
    pub x: Vec<f32>,
    /// Vertical positions.
    pub y: Vec<f32>,
    /// Node ids from the tree.
    pub cluster: Vec<String>,
}

/// Counts over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportTotals {
    /// Conversations read and accepted.
    pub conversations: usize,
    /// Conversations clustered (the rest had no user text or could not be embedded).
    pub clustered: usize,
    /// Conversations with no user text to embed.
    pub no_user_text: usize,
    /// Conversations the embedder failed on.
    pub not_embedded: usize,
    /// Summary mode: conversations left without a `request` summary (not clustered).
    pub no_summary: usize,
    /// Summary mode: conversations without a value, per facet.
    pub facet_missing: BTreeMap<String, u64>,
    /// Summary mode with a screener: conversations it answered "no" for (not clustered).
    #[serde(default)]
    pub screened_out: usize,
    /// Summary mode with a screener: conversations it gave no usable answer for (not
    /// clustered).
    #[serde(default)]
    pub screener_missing: usize,
    /// Distinct users among the clustered conversations (as counted for the thresholds).
    pub users: usize,
}

/// The settings that shaped the tree.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportParameters {
    /// The embedding model.
    pub embed_model: String,
    /// What was taken out of the vectors before clustering (`cluster.center`).
    #[serde(default)]
    pub center: String,
    /// The dimensions of the reduction base clusters were found in; 0 when they were found
    /// among the vectors as embedded (`cluster.reduce_dims` is 0, too few conversations, or
    /// several languages: see docs/configuration.md).
    #[serde(default)]
    pub reduced_dims: usize,
    /// Base clusters.
    pub k: usize,
    /// "config" when k was given, "data" when it came from the target cluster size, "sweep"
    /// when the silhouette sweep chose it.
    pub k_source: String,
    /// The sweep's candidates and scores, when it ran.
    pub k_sweep: Vec<SweepPoint>,
    /// Clusters per level, base first.
    pub level_sizes: Vec<usize>,
    /// Publication threshold: distinct users.
    pub min_users: usize,
    /// Publication threshold: conversations.
    pub min_conversations: usize,
    /// Distinct users a breakdown cell needs to be shown.
    #[serde(default)]
    pub min_cell_users: usize,
    /// How conversations without a user id were counted.
    pub unknown_users: String,
    /// The run's seed.
    pub seed: u64,
    /// The tree's id (a hash of what places a conversation in it: `tree.json`): two reports
    /// with the same id share their clusters and ids.
    #[serde(default)]
    pub tree_id: String,
    /// Whether the conversations were placed into an earlier run's tree (`chorus assign`)
    /// rather than clustered.
    #[serde(default)]
    pub placed_into_tree: bool,
    /// Taxonomy mode: the file whose categories are the levels above the base clusters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxonomy: Option<String>,
    /// The metadata field each cluster's `facets.cohort` breaks its conversations down by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort_field: Option<String>,
    /// Keyword mode: the share of each conversation's concern reading taken from its base
    /// cluster's (`facets.concern_context`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concern_context: Option<f32>,
}

impl ReportParameters {
    /// The level sizes as `77 → 30 → 12`.
    pub fn levels_text(&self) -> String {
        self.level_sizes
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

/// How k-means went.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KMeansSummary {
    /// Lloyd steps over all conversations.
    pub iterations: usize,
    /// Whether the assignment settled before the step limit.
    pub converged: bool,
    /// Final sum of squared distances to the centroids.
    pub inertia: f64,
}

/// Agreement of the base clusters with a label column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelAgreement {
    /// The metadata field.
    pub field: String,
    /// Conversations that had a label.
    pub labelled: usize,
    /// Distinct labels.
    pub labels: usize,
    /// The scores.
    #[serde(flatten)]
    pub scores: Agreement,
}

/// One published cluster of the tree.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportNode {
    /// Stable within a run: `root`, `L{level}.{index}`, or `{parent}.other`.
    pub id: String,
    /// 0 for base clusters, rising to the top level; the root is one above it.
    pub level: usize,
    /// Short name.
    pub name: String,
    /// One or two sentences.
    pub description: String,
    /// The words that set it apart, each used by at least `min_users` of its users.
    pub keywords: Vec<Keyword>,
    /// Conversations in it.
    pub conversations: usize,
    /// Distinct users in it.
    pub users: usize,
    /// Its conversations as a share of its parent's.
    pub share_of_parent: f64,
    /// True for the node that holds the clusters not published on their own (too small, or no
    /// word of their users names them apart).
    pub other: bool,
    /// True for the node of a run that placed conversations into an earlier run's tree
    /// (`chorus assign`) holding those near no cluster of it (counts only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unplaced: bool,
    /// How many clusters one level down were folded into it: for an "Other" node, its
    /// clusters; for a node whose children were all too small to publish (it then has no
    /// children), all of them.
    pub folded_clusters: usize,
    /// Investigation mode only, base clusters only: excerpts of users' redacted words from
    /// its most central conversations, at most one per user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// Facet breakdowns.
    pub facets: Facets,
    /// What stands out about it (growth, a burst, signs of coordination), computed once by the
    /// release from what it published; the explorer only shows them.
    #[serde(default)]
    pub signals: Signals,
    /// The clusters one level down.
    pub children: Vec<ReportNode>,
    /// Its place on the map: the mean position of its conversations (none for the root, or
    /// without a map).
    pub position: Option<[f32; 2]>,
}

/// What stands out about a published node. Each is derived from the node's published cells and
/// counts and the run's totals, by the rules written beside it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// Its share of the later half of the run's weeks over its share of the earlier half (see
    /// `Facets::halves`); absent when the run spans fewer than two weeks or the node has no
    /// published count in either half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<f64>,
    /// The day its share of the day's conversations was highest above its share of all other
    /// days, when that is at least 3 times, on at least 10 conversations, and 5 standard
    /// deviations (Poisson) above what its share of other days predicts (many clusters over
    /// many days make small excesses common by chance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<Burst>,
    /// Conversations per distinct user.
    pub conversations_per_user: f64,
    /// Few accounts, many conversations: more than 3 times the run's conversations per user.
    pub concentrated: bool,
    /// Possibly coordinated: at least 10 accounts, and at least half of its accounts, sent one
    /// near-identical request (`facets.largest_sender_group`).
    pub coordinated: bool,
}

/// One day's burst of a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Burst {
    /// The day (`YYYY-MM-DD`).
    pub day: String,
    /// Its conversations that day.
    pub conversations: usize,
    /// Its share of that day's conversations over its share of all other days; absent when it
    /// had none on other days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
}

/// Facet breakdowns of one cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facets {
    /// Conversations per detected language ("unknown" when undetected).
    pub language: BTreeMap<String, usize>,
    /// Turns (user messages) per conversation.
    pub turns: NumericFacet,
    /// Conversations per day (from the conversations' start times, when they have them).
    pub day: BTreeMap<String, usize>,
    /// Conversations per ISO week (`2026-W48`).
    pub week: BTreeMap<String, usize>,
    /// Conversations in each half of the run's weeks (`2026-W37..2026-W40`: the first ⌊n/2⌋
    /// weeks and the last ⌊n/2⌋); empty when the run spans fewer than two weeks.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub halves: BTreeMap<String, usize>,
    /// Conversations with a near-identical twin (`cluster.duplicate_cosine`) from another
    /// account in the same base cluster.
    #[serde(default)]
    pub cross_account_duplicates: usize,
    /// The most distinct accounts that sent one request (it or near-identical ones) within one
    /// base cluster of this node. Many accounts, one text: the mark of a coordinated group.
    #[serde(default)]
    pub largest_sender_group: usize,
    /// Summary mode: the model's concern rating, 1–5 (mean and count per level).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub concern: Option<NumericFacet>,
    /// Summary mode: conversations per language the model named (several per conversation).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model_language: Option<BTreeMap<String, usize>>,
    /// With a cohort field (`--cohort-field`): conversations per value of that metadata field
    /// (`(none)` for those without it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cohort: BTreeMap<String, usize>,
    /// Summary mode: the custom facets of `chorus.toml`, by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub custom: BTreeMap<String, CustomBreakdown>,
}

/// A custom facet over a cluster's conversations (those the model gave a usable answer for).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CustomBreakdown {
    /// Free text is never published: only how many answered.
    Text {
        /// Conversations with an answer.
        answered: usize,
    },
    /// Conversations per allowed value.
    Categorical {
        /// Value → conversations.
        counts: BTreeMap<String, usize>,
    },
    /// Mean and a histogram of ten equal buckets over the configured range.
    Number {
        /// Conversations with an answer.
        answered: usize,
        /// Their mean.
        mean: f64,
        /// Conversations per bucket (`lo–hi`).
        histogram: Vec<(String, usize)>,
    },
    /// Yes and no counts.
    YesNo {
        /// Answered yes (absent when fewer than `min_cell_users` users did).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        yes: Option<usize>,
        /// Answered no (likewise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        no: Option<usize>,
    },
}

/// A numeric facet: mean and histogram.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NumericFacet {
    /// The mean.
    pub mean: f64,
    /// Conversations per bucket, in bucket order (`1`, `2`, …, `10+`).
    pub histogram: Vec<(String, usize)>,
}

/// The tree as Markdown: one line per cluster with its size, users and share of its parent.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let totals = &report.totals;
    let _ = writeln!(out, "# What people asked about\n");
    if let Some(investigation) = &report.investigation {
        let _ = writeln!(
            out,
            "> **Investigation mode**: report.json and the explorer page hold conversation excerpts ({}). Not for publication.\n",
            investigation.excerpts
        );
    }
    let _ = writeln!(
        out,
        "{} conversations, {} clustered into {} base clusters ({} levels: {}), {} distinct users.",
        totals.conversations,
        totals.clustered,
        report.parameters.k,
        report.parameters.level_sizes.len(),
        report.parameters.levels_text(),
        totals.users
    );
    if totals.screened_out + totals.screener_missing > 0 {
        let _ = writeln!(
            out,
            "The screener kept out {} conversations (and {} it gave no usable answer for); they are not counted above.",
            totals.screened_out, totals.screener_missing
        );
    }
    let _ = writeln!(
        out,
        "Clusters with fewer than {} users or {} conversations are folded into \"Other\".\n",
        report.parameters.min_users, report.parameters.min_conversations
    );
    if let Some(agreement) = &report.label_agreement {
        let _ = writeln!(
            out,
            "Agreement of the base clusters with {} ({} labels): NMI {:.3}, ARI {:.3}, V-measure {:.3}, purity {:.3}.\n",
            escape_markdown(&agreement.field),
            agreement.labels,
            agreement.scores.nmi,
            agreement.scores.ari,
            agreement.scores.v_measure,
            agreement.scores.purity
        );
    }
    for child in &report.tree.children {
        render_node(child, 0, &mut out);
    }
    out
}

/// `text` (from data or a model) as inert Markdown: one line, HTML's special characters as
/// entities, every Markdown punctuation mark backslash-escaped (escapes do not show once
/// rendered).
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // `:` and `.` too: a bare `http://…` or `www.…` is a live link in GitHub's Markdown.
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | ':' | '=' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn render_node(node: &ReportNode, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let _ = writeln!(
        out,
        "{indent}- **{}** — {} conversations ({:.1}%), {} users",
        escape_markdown(&node.name),
        node.conversations,
        node.share_of_parent * 100.0,
        node.users
    );
    if !node.description.is_empty() {
        let _ = writeln!(out, "{indent}  {}", escape_markdown(&node.description));
    }
    if !node.other && node.folded_clusters > 0 {
        let held = if node.children.is_empty() {
            "Made of"
        } else {
            "Also holds"
        };
        let _ = writeln!(
            out,
            "{indent}  {held} {} smaller clusters, each too small to publish on its own.",
            node.folded_clusters
        );
    }
    for child in &node.children {
        render_node(child, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_from_data_are_inert() {
        let escaped = escape_markdown(
            "<img src=x onerror=alert(1)> [click](http://evil.invalid) **bold**\n# heading",
        );
        for live in ["<img", "](", "**", "\n", "http://"] {
            assert!(!escaped.contains(live), "{live} in {escaped}");
        }
        assert!(escaped.starts_with("&lt;img src\\=x"), "{escaped}");
        assert_eq!(escape_markdown("card delivery"), "card delivery");
    }
}
