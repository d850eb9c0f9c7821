//! The run's plan: what the steps after embedding will do, decided once when the run starts.

use std::sync::Arc;

use chorus_facets::custom::CustomFacetConfig;

use crate::{PlacedTaxonomy, TreeFile};

use crate::{ClusterConfig, HierarchyConfig, MapConfig, PrivacyConfig};

/// How a run describes conversations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The user's redacted words are embedded; clusters are named by their keywords.
    #[default]
    Keyword,
    /// A chat model answers facets per conversation; its summaries are embedded and it names
    /// the clusters.
    Summary,
}

impl Mode {
    /// The name `report.json` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Keyword => "keyword",
            Mode::Summary => "summary",
        }
    }
}

/// How the levels above the base clusters are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelMethod {
    /// Cuts of Ward's tree over the base centroids.
    Ward,
    /// The chat model proposes, merges and assigns parents (summary mode).
    ModelHierarchy,
}

/// Who names the clusters (the release gate checks whatever they write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// Each cluster's k-anonymous keywords.
    Keywords,
    /// A local model turns each cluster's keywords (never conversation text) into a title.
    LocalTitles,
    /// The chat model names each base cluster from its summaries against its neighbours',
    /// and each parent from its published children's names (summary mode).
    Contrastive,
}

/// The steps a run takes, decided once from the models it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Steps {
    /// How conversations are described.
    pub mode: Mode,
    /// How the levels are built.
    pub levels: LevelMethod,
    /// Who names the clusters.
    pub naming: Naming,
}

impl Steps {
    /// With a chat model, summary mode: it builds the levels and names the clusters. Without
    /// one, keyword mode: Ward levels, named by keywords or, with a local namer, by its titles
    /// of them.
    pub fn decide(chat_model: bool, local_namer: bool) -> Self {
        match (chat_model, local_namer) {
            (true, _) => Self {
                mode: Mode::Summary,
                levels: LevelMethod::ModelHierarchy,
                naming: Naming::Contrastive,
            },
            (false, true) => Self {
                mode: Mode::Keyword,
                levels: LevelMethod::Ward,
                naming: Naming::LocalTitles,
            },
            (false, false) => Self {
                mode: Mode::Keyword,
                levels: LevelMethod::Ward,
                naming: Naming::Keywords,
            },
        }
    }

    /// Whether a model writes names the release gate must check word by word.
    pub fn model_names(self) -> bool {
        self.naming != Naming::Keywords
    }
}

/// Everything the steps after embedding need to know, fixed before they start.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The steps.
    pub steps: Steps,
    /// Every random choice's seed.
    pub seed: u64,
    /// Base clusters.
    pub cluster: ClusterConfig,
    /// Levels and keywords.
    pub hierarchy: HierarchyConfig,
    /// The map.
    pub map: MapConfig,
    /// The release rules' thresholds and investigation mode.
    pub privacy: PrivacyConfig,
    /// The metadata field whose labels are compared with the base clusters, if any.
    pub label_field: Option<String>,
    /// The metadata field whose values are cohorts, broken down per cluster, if any.
    pub cohort_field: Option<String>,
    /// The embedding model's name, as the report gives it.
    pub embed_model: String,
    /// Whether that model puts the same meaning in different languages close together: then
    /// base clusters are found in the neighbourhood-keeping reduction whatever the mix of
    /// languages.
    pub multilingual_embedder: bool,
    /// Summary mode: the operator's own facets, in the order their values are collected.
    pub custom_facets: Vec<CustomFacetConfig>,
    /// An earlier run's tree to place the conversations into (`chorus assign`) instead of
    /// clustering them.
    pub fixed_tree: Option<Arc<TreeFile>>,
    /// Taxonomy mode: the operator's categories as the levels above the base clusters.
    pub taxonomy: Option<Arc<PlacedTaxonomy>>,
}
