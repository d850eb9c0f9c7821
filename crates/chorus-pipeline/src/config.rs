use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use chorus_facets::custom::{CustomFacetConfig, custom_facet};
use chorus_facets::summary::{FacetKind, SummaryFacet, builtin_facets};
use chorus_ingest::IngestOptions;
use chorus_models::{BackendConfig, Pricing};

use chorus_analysis::{ClusterConfig, HierarchyConfig, MapConfig, PrivacyConfig};

use crate::PipelineError;

/// The complete default configuration, every key commented. `chorus config` prints it.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("default_config.toml");

/// Everything a run can be told. Loaded from `chorus.toml`; command-line flags override it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How inputs are read.
    pub ingest: IngestOptions,
    /// How the run behaves.
    pub run: RunConfig,
    /// Where per-item results are cached.
    pub store: StoreConfig,
    /// What is embedded, and by which model.
    pub embed: EmbedConfig,
    /// How base clusters are found.
    pub cluster: ClusterConfig,
    /// How clusters are grouped into levels.
    pub hierarchy: HierarchyConfig,
    /// The 2-D map of conversations and clusters.
    pub map: MapConfig,
    /// What may be published.
    pub privacy: PrivacyConfig,
    /// The chat model for summary mode, and what it costs.
    pub models: ModelsConfig,
    /// Summary mode: the screener and custom facets.
    pub facets: FacetsConfig,
}

/// Summary mode's questions beyond the built-in facets, and how keyword mode reads concern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FacetsConfig {
    /// A yes/no question asked of every conversation first: only those answered yes go on.
    pub screener: Option<String>,
    /// Facets of the operator's own.
    pub custom: Vec<CustomFacetConfig>,
    /// Both modes: a metadata field (plan, country, model…) whose values are cohorts, broken
    /// down per cluster (`facets.cohort` in report.json, a facet in the page).
    pub cohort_field: Option<String>,
    /// Keyword mode: the share of a conversation's concern reading taken from its base
    /// cluster's mean (0: each conversation read alone).
    pub concern_context: f32,
}

impl Default for FacetsConfig {
    fn default() -> Self {
        Self {
            screener: None,
            custom: Vec::new(),
            cohort_field: None,
            concern_context: chorus_analysis::DEFAULT_CONCERN_CONTEXT,
        }
    }
}

impl FacetsConfig {
    /// Every facet the model answers per conversation: the built-ins, then the custom ones.
    pub fn summary_facets(&self) -> Vec<SummaryFacet> {
        let mut facets = builtin_facets();
        facets.extend(self.custom.iter().map(CustomFacetConfig::facet));
        facets
    }

    /// The facet whose text is embedded and clustered.
    pub fn clustered(&self) -> &str {
        self.custom
            .iter()
            .find(|c| c.cluster)
            .map_or("request", |c| c.name.as_str())
    }

    /// The screener as a yes/no facet.
    pub fn screener_facet(&self) -> Option<SummaryFacet> {
        self.screener
            .as_ref()
            .map(|question| custom_facet("screener", question, FacetKind::YesNo, None))
    }

    /// Whether anything here needs the chat model.
    pub fn needs_chat_model(&self) -> bool {
        self.screener.is_some() || !self.custom.is_empty()
    }

    fn validate(&self) -> Result<(), String> {
        for (index, facet) in self.custom.iter().enumerate() {
            facet.validate()?;
            if self.custom[..index].iter().any(|f| f.name == facet.name) {
                return Err(format!("facets.custom name {:?} is used twice", facet.name));
            }
        }
        if self.custom.iter().filter(|c| c.cluster).count() > 1 {
            return Err("facets.custom: cluster = true on more than one facet".into());
        }
        if self
            .screener
            .as_deref()
            .is_some_and(|q| q.trim().is_empty())
        {
            return Err("facets.screener is empty; remove it or write the question".into());
        }
        Ok(())
    }
}

/// The chat model for summary mode, and what it costs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsConfig {
    /// The chat backend. Set, the run is in summary mode; unset, keyword mode (offline).
    pub chat: Option<BackendConfig>,
    /// An embeddings server (OpenAI-compatible) in place of the local `embed.model`: the way to
    /// spread the embedding stage over machines with accelerators.
    pub embed: Option<BackendConfig>,
    /// Its prices in US dollars per million tokens, for `--dry-run` and `--budget`.
    pub pricing: Pricing,
}

/// What is embedded, and by which model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbedConfig {
    /// The local embedding model (a name from `chorus models list`), or [`AUTO_EMBED_MODEL`].
    pub model: String,
    /// Longest text embedded, in characters: the user's words after redaction, cut here.
    pub max_chars: usize,
}

/// `embed.model` that lets the run choose by the languages of its conversations: the English
/// model when nearly all the text whose language is detected is English, else the multilingual
/// one.
pub const AUTO_EMBED_MODEL: &str = "auto";

impl Default for EmbedConfig {
    fn default() -> Self {
        Self {
            model: AUTO_EMBED_MODEL.into(),
            max_chars: 1000,
        }
    }
}

/// How the run behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Seed for every random choice.
    pub seed: u64,
    /// Exit with status 3 when any record was rejected.
    pub strict: bool,
    /// Items per stage batch; each batch is committed to the store in one transaction.
    pub batch_size: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            strict: false,
            batch_size: 256,
        }
    }
}

/// Where per-item results are cached.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// The store file; by default `store.sqlite` in the output folder. Point several runs at
    /// one file to share their cache.
    pub path: Option<PathBuf>,
}

impl Config {
    /// Reads a `chorus.toml`. Unknown keys are errors, so a typo never silently does nothing.
    pub fn load(path: &Path) -> Result<Self, PipelineError> {
        let text = std::fs::read_to_string(path).map_err(|source| PipelineError::Config {
            path: path.to_path_buf(),
            message: source.to_string(),
        })?;
        Self::parse(&text).map_err(|message| PipelineError::Config {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses configuration text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Config = toml::from_str(text).map_err(|error| error.to_string())?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), String> {
        self.privacy.validate()?;
        if self.run.batch_size == 0 {
            return Err("run.batch_size must be at least 1".into());
        }
        if self.ingest.max_message_chars == 0 {
            return Err("ingest.max_message_chars must be at least 1".into());
        }
        const ROLES: [&str; 4] = ["user", "assistant", "system", "tool"];
        if let Some((name, role)) = self
            .ingest
            .fields
            .role_values
            .iter()
            .find(|(_, role)| !ROLES.contains(&role.to_ascii_lowercase().as_str()))
        {
            return Err(format!(
                "ingest.fields.role_values: {name} = {role:?} is not one of {}",
                ROLES.join(", ")
            ));
        }
        if self.cluster.k == Some(0) {
            return Err(
                "cluster.k must be at least 1 (leave it out to choose from the data)".into(),
            );
        }
        if self.cluster.mini_batch_size == 0 || self.cluster.mini_batch_full_steps == 0 {
            return Err(
                "cluster.mini_batch_size and cluster.mini_batch_full_steps must be at least 1"
                    .into(),
            );
        }
        if !(0.0..=1.0).contains(&self.facets.concern_context) {
            return Err(
                "facets.concern_context must be from 0 (each conversation alone) to 1 (its base cluster's mean alone)"
                    .into(),
            );
        }
        if !(self.cluster.duplicate_cosine > 0.0 && self.cluster.duplicate_cosine <= 1.0) {
            return Err("cluster.duplicate_cosine must be above 0 and at most 1".into());
        }
        if !(self.cluster.place_within > 0.0 && self.cluster.place_within <= 1.0) {
            return Err("cluster.place_within must be above 0 and at most 1 (a share of the run's conversations)".into());
        }
        let reduce_dims = self.cluster.reduce_dims;
        if reduce_dims != 0 && !chorus_cluster::REDUCED_DIMS.contains(&reduce_dims) {
            return Err(format!(
                "cluster.reduce_dims = {reduce_dims}: choose {} to {}, or 0 to cluster the vectors as embedded",
                chorus_cluster::REDUCED_DIMS.start(),
                chorus_cluster::REDUCED_DIMS.end()
            ));
        }
        if self.cluster.reduce_neighbours == 0 || self.cluster.reduce_sample < 2 {
            return Err(
                "cluster.reduce_neighbours must be at least 1 and cluster.reduce_sample at least 2"
                    .into(),
            );
        }
        if self.cluster.target_size == 0 || self.embed.max_chars == 0 {
            return Err("cluster.target_size and embed.max_chars must be at least 1".into());
        }
        if !(self.hierarchy.max_share > 0.0 && self.hierarchy.max_share <= 1.0) {
            return Err("hierarchy.max_share must be above 0 and at most 1".into());
        }
        if self.hierarchy.top_clusters == 0 || self.hierarchy.branching < 2 {
            return Err(
                "hierarchy.top_clusters must be at least 1 and hierarchy.branching at least 2"
                    .into(),
            );
        }
        self.facets.validate()?;
        if self.map.sample < 2 || self.map.neighbours == 0 || self.map.epochs == 0 {
            return Err(
                "map.sample must be at least 2, map.neighbours and map.epochs at least 1".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_default_is_the_default() {
        assert_eq!(
            Config::parse(DEFAULT_CONFIG_TOML).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn every_key_is_in_the_printed_default_with_a_comment_above_it() {
        let lines: Vec<&str> = DEFAULT_CONFIG_TOML.lines().collect();
        let mut keys = Vec::new();
        collect_keys(
            &toml::Value::try_from(Config::default()).unwrap(),
            "",
            &mut keys,
        );
        // Keys with no default (optional ones) appear commented out; list them too.
        keys.extend(
            [
                "ingest.format",
                "ingest.fields.id",
                "ingest.fields.user",
                "ingest.fields.time",
                "ingest.fields.text",
                "ingest.fields.label",
                "store.path",
                "cluster.k",
                "models.chat",
                "models.embed",
                "facets.screener",
                "privacy.min_cell_users",
            ]
            .map(String::from),
        );
        for key in keys {
            let leaf = key.rsplit('.').next().unwrap();
            let at = lines
                .iter()
                .position(|line| {
                    let line = line.trim_start_matches("# ");
                    line.starts_with(&format!("{leaf} ="))
                })
                .unwrap_or_else(|| panic!("{key} is missing from default_config.toml"));
            assert!(
                at > 0 && lines[at - 1].starts_with('#') && !lines[at - 1].contains(" = "),
                "{key} has no comment above it"
            );
        }
    }

    fn collect_keys(value: &toml::Value, prefix: &str, keys: &mut Vec<String>) {
        if let toml::Value::Table(table) = value {
            for (name, child) in table {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                if child.is_table() {
                    collect_keys(child, &path, keys);
                } else {
                    keys.push(path);
                }
            }
        }
    }

    #[test]
    fn typos_and_nonsense_are_errors() {
        assert!(
            Config::parse("[run]\nsede = 3\n")
                .unwrap_err()
                .contains("sede")
        );
        assert!(Config::parse("[run]\nbatch_size = 0\n").is_err());
        for cosine in ["0.0", "1.5", "nan"] {
            let error = Config::parse(&format!("[cluster]\nduplicate_cosine = {cosine}\n"));
            assert!(error.unwrap_err().contains("duplicate_cosine"), "{cosine}");
        }
        for share in ["-0.1", "1.5", "nan"] {
            let error = Config::parse(&format!("[facets]\nconcern_context = {share}\n"));
            assert!(error.unwrap_err().contains("concern_context"), "{share}");
        }
        for dims in ["1", "11"] {
            let error = Config::parse(&format!("[cluster]\nreduce_dims = {dims}\n"));
            assert!(error.unwrap_err().contains("reduce_dims"), "{dims}");
        }
        assert!(Config::parse("[cluster]\nreduce_dims = 0\n").is_ok());
        assert!(Config::parse("[cluster]\nreduce_sample = 1\n").is_err());
        assert!(Config::parse("[ingest]\nformat = \"xml\"\n").is_err());
        let custom = |body: &str| Config::parse(&format!("[[facets.custom]]\n{body}\n"));
        assert!(
            custom("name = \"product\"\nquestion = \"Which?\"\nkind = \"categorical\"\nvalues = [\"a\"]")
                .unwrap_err()
                .contains("two distinct values")
        );
        assert!(custom("name = \"turns\"\nquestion = \"?\"\nkind = \"text\"").is_err());
        assert!(custom("name = \"u\"\nquestion = \"?\"\nkind = \"number\"\nmin = 5").is_err());
        assert!(
            custom("name = \"c\"\nquestion = \"?\"\nkind = \"yes_no\"\ncluster = true").is_err()
        );
        assert!(custom("name = \"c\"\nquestion = \"?\"\nkind = \"maybe\"").is_err());
        let ok =
            custom("name = \"topic\"\nquestion = \"What topic?\"\nkind = \"text\"\ncluster = true")
                .unwrap();
        assert_eq!(ok.facets.clustered(), "topic");
        assert_eq!(ok.facets.summary_facets().len(), 5);
        let config = Config::parse("[ingest]\nformat = \"chatgpt-export\"\n").unwrap();
        assert_eq!(
            config.ingest.format,
            Some(chorus_ingest::Format::ChatgptExport)
        );
    }
}
