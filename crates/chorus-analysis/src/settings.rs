//! The settings of the steps after embedding, as `chorus.toml` gives them (`[cluster]`,
//! `[hierarchy]`, `[map]`, `[privacy]`).

use serde::{Deserialize, Serialize};

/// How base clusters are found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// A fixed number of base clusters; unset, it is conversations ÷ `target_size`.
    pub k: Option<usize>,
    /// Conversations per base cluster aimed at when k comes from the data.
    pub target_size: usize,
    /// k-means++ seedings tried; the best is kept.
    pub restarts: usize,
    /// Most Lloyd steps over all conversations.
    pub max_iterations: usize,
    /// When k is not given: try k from a quarter to four times conversations ÷ target_size on
    /// a sample and keep the one with the best silhouette.
    pub sweep: bool,
    /// Conversations the sweep clusters and scores.
    pub sweep_sample: usize,
    /// Above this many conversations, mini-batch k-means: centroids move by batches of
    /// `mini_batch_size` sampled rows, then `mini_batch_full_steps` Lloyd steps polish them.
    pub mini_batch_above: usize,
    /// Rows per mini-batch.
    pub mini_batch_size: usize,
    /// Mini-batches taken.
    pub mini_batch_steps: usize,
    /// Most Lloyd steps over all conversations after the mini-batches.
    pub mini_batch_full_steps: usize,
    /// Two conversations of one base cluster from different accounts whose vectors have at
    /// least this cosine count as the same request (`cross_account_duplicates` in the report:
    /// the mark of a coordinated group).
    pub duplicate_cosine: f32,
    /// What is taken out of the vectors before clustering.
    pub center: Centering,
    /// Base clusters are found in this many dimensions of a UMAP-style reduction that keeps
    /// each conversation's neighbourhood graph (2 to 10); 0 clusters the vectors as embedded.
    pub reduce_dims: usize,
    /// Neighbours per conversation in the reduction's graph.
    pub reduce_neighbours: usize,
    /// Conversations the reduction lays out directly; the rest are placed from their nearest
    /// laid-out ones.
    pub reduce_sample: usize,
    /// The share of a run's own conversations that lie within the distance to their nearest
    /// base centroid which `chorus assign` accepts (written to `tree.json`): a new
    /// conversation farther from every centroid than that is "not placed".
    pub place_within: f64,
}

/// What is taken out of the vectors before clustering (they are scaled back to unit length).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Centering {
    /// Nothing: the vectors as embedded.
    None,
    /// The mean of all vectors.
    All,
    /// The mean of each detected language's vectors (summary mode: of all, its summaries being
    /// English).
    Language,
}

impl Centering {
    /// The name used in `chorus.toml` and the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::All => "all",
            Self::Language => "language",
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            k: None,
            target_size: 100,
            restarts: 3,
            max_iterations: 50,
            sweep: false,
            sweep_sample: 4000,
            mini_batch_above: 500_000,
            mini_batch_size: 16_384,
            mini_batch_steps: 100,
            mini_batch_full_steps: 3,
            duplicate_cosine: 0.95,
            center: Centering::Language,
            reduce_dims: 5,
            reduce_neighbours: 15,
            reduce_sample: 25_000,
            place_within: 0.99,
        }
    }
}

/// How clusters are grouped into levels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HierarchyConfig {
    /// Clusters wanted at the top level.
    pub top_clusters: usize,
    /// Children per parent aimed at between levels; fixes how many levels there are.
    pub branching: usize,
    /// Keyword mode (Ward's levels): a group holding more than this share of all conversations
    /// (or 1.5 times its level's average share, when larger) is split into the groups it was
    /// merged from, until none does (1 turns it off).
    pub max_share: f64,
    /// Keywords kept per cluster (the first three name it).
    pub keywords: usize,
    /// Keyword mode: the most distinctive phrases per cluster (by class TF-IDF) that the
    /// embedder then ranks by how well they represent the cluster, the best naming it; 0 (the
    /// default) keeps the class TF-IDF order, which named clusters as well on the data
    /// measured (docs/benchmarks.md).
    pub name_candidates: usize,
    /// Keyword mode: have the local LLM (SmolLM2-135M-Instruct) turn each cluster's keywords
    /// into a readable name. It sees keywords only, never conversation text.
    pub local_names: bool,
    /// Taxonomy mode: a TOML file of `[[category]]` tables (`name`, `description`, nested
    /// `[[category.children]]`) that fixes the levels above the base clusters.
    pub taxonomy: Option<std::path::PathBuf>,
    /// Taxonomy mode: a base cluster whose centroid's cosine with every category's embedded
    /// name and description is below this goes to "Unassigned".
    pub taxonomy_min_cosine: f32,
}

impl Default for HierarchyConfig {
    fn default() -> Self {
        Self {
            top_clusters: 12,
            branching: 6,
            max_share: 0.15,
            keywords: 8,
            name_candidates: 0,
            local_names: false,
            taxonomy: None,
            taxonomy_min_cosine: 0.0,
        }
    }
}

/// The 2-D map of conversations and clusters (UMAP-style layout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapConfig {
    /// Lay out the map at all.
    pub enabled: bool,
    /// Conversations laid out directly; the rest are placed from their nearest sampled
    /// neighbours of the same cluster.
    pub sample: usize,
    /// Neighbours per conversation in the layout's graph.
    pub neighbours: usize,
    /// Passes of the layout's gradient descent.
    pub epochs: usize,
    /// Conversations whose map position (no text) goes into report.json for the map view.
    pub points: usize,
}

impl Default for MapConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            sample: 50_000,
            neighbours: 15,
            epochs: 200,
            points: 20_000,
        }
    }
}

/// What may be published.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyConfig {
    /// A cluster is published only with at least this many distinct users; a keyword only when
    /// this many distinct users of its cluster used it.
    pub min_users: usize,
    /// ... and at least this many conversations.
    pub min_conversations: usize,
    /// A breakdown cell (a language, a day, a concern level… of one cluster) shows its count
    /// only with at least this many distinct users behind it; by default `min_users`.
    pub min_cell_users: Option<usize>,
    /// Conversations with no user id: "shared" counts them all as one user (safe when some
    /// people may have many conversations), "distinct" counts each as its own user (say so only
    /// when each conversation is known to come from a different person).
    pub unknown_users: UnknownUsers,
    /// Write aggregates only: no `conversations.parquet` (the one per-conversation output).
    pub aggregate_only: bool,
    /// Investigation mode: excerpts of users' redacted words from the most central
    /// conversations of each published base cluster go into `report.json` and the page, which
    /// says so on every screen.
    pub investigation: bool,
    /// Excerpts per published base cluster in investigation mode.
    pub investigation_examples: usize,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        Self {
            min_users: 25,
            min_conversations: 50,
            min_cell_users: None,
            unknown_users: UnknownUsers::Shared,
            aggregate_only: false,
            investigation: false,
            investigation_examples: 5,
        }
    }
}

impl PrivacyConfig {
    /// Refuses thresholds that would let one person stand alone.
    pub fn validate(&self) -> Result<(), String> {
        let checks = [
            ("privacy.min_users", Some(self.min_users)),
            ("privacy.min_conversations", Some(self.min_conversations)),
            ("privacy.min_cell_users", self.min_cell_users),
        ];
        for (key, value) in checks {
            if let Some(value @ (0 | 1)) = value {
                return Err(format!(
                    "{key} = {value} would publish clusters or counts that stand for a single \
                     person, which the release rules exist to prevent; use 2 or more (the \
                     default, 25 users and 50 conversations, follows the published method)"
                ));
            }
        }
        Ok(())
    }
}

/// How conversations with no user id are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownUsers {
    /// All of them are one user.
    Shared,
    /// Each is its own user.
    Distinct,
}
