//! What a later run needs to place new conversations into this run's tree (`tree.json`): how
//! the vectors were centred, the base clusters' centroids, which node of each level holds each
//! base cluster, the names the release let out, and how far from a centroid a conversation may
//! lie and still be placed.
//!
//! Cluster ids are `L{level}.{index}`: the index is a base cluster's place in the seeded
//! k-means result, and a parent's its place in its level's cut. The same input, settings and
//! seed give the same tree and so the same ids; a run that places conversations into a tree
//! (`chorus assign`) keeps the tree, so every id means the same cluster in both runs. The tree's
//! id is a hash of what decides placement (centring, centroids, levels) and of the names, so two
//! reports that share it share their clusters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use chorus_cluster::GroupMeans;
use chorus_report::ReportNode;
use chorus_types::Hasher;

use crate::{AnalysisError, Centering};

/// The version of the `tree.json` layout; a file of another version is refused.
pub const TREE_FILE_FORMAT: u32 = 1;

/// A run's tree as a later run places conversations into it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeFile {
    /// [`TREE_FILE_FORMAT`].
    pub format: u32,
    /// A hash of the centring, centroids, levels and names (`parameters.tree_id` in
    /// report.json).
    pub tree_id: String,
    /// "keyword" or "summary": what text was embedded.
    pub mode: String,
    /// The embedding model.
    pub embed_model: String,
    /// Vector length.
    pub dim: usize,
    /// What was taken out of the vectors before clustering.
    pub centering: CenteringFile,
    /// Per base cluster, its centroid among the centred vectors.
    pub centroids: Vec<Vec<f32>>,
    /// Per level above the base, per base cluster: the index of its node at that level.
    pub levels: Vec<Vec<usize>>,
    /// Squared distance to the nearest centroid beyond which a conversation is not placed.
    pub max_distance: f32,
    /// The share of this run's own conversations within `max_distance` (`cluster.place_within`).
    pub place_within: f64,
    /// The names the release let out, by node id.
    pub names: BTreeMap<String, String>,
}

/// The means taken out of the vectors before clustering.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CenteringFile {
    /// `cluster.center` as it was applied: "none", "all" or "language".
    pub center: String,
    /// Per detected language: its mean (`own`: false when it had too few conversations and
    /// took the overall mean).
    pub languages: Vec<LanguageMean>,
    /// The mean of all vectors (empty for "none").
    pub overall: Vec<f32>,
}

/// One language's mean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LanguageMean {
    /// The detector's name for it.
    pub language: String,
    /// Whether it had conversations enough for a mean of its own.
    pub own: bool,
    /// The mean.
    pub mean: Vec<f32>,
}

impl CenteringFile {
    /// The means `groups` were fitted with, named: group `i` is `languages[i]`.
    pub(crate) fn of(center: &str, means: &GroupMeans, languages: &[String]) -> Self {
        Self {
            center: center.into(),
            languages: languages
                .iter()
                .zip(means.groups())
                .map(|(language, (mean, own))| LanguageMean {
                    language: language.clone(),
                    own: *own,
                    mean: mean.clone(),
                })
                .collect(),
            overall: means.overall().to_vec(),
        }
    }

    /// Centres `rows` (vectors of `dim`, each in the language `languages` gives, if detected)
    /// as this run centred its own: a language it did not see is centred like the language it
    /// lies nearest.
    pub(crate) fn center<'a>(
        &self,
        rows: &mut [f32],
        dim: usize,
        languages: impl Iterator<Item = Option<&'a str>>,
    ) -> Result<(), AnalysisError> {
        if self.center == Centering::None.name() || self.overall.is_empty() || rows.is_empty() {
            return Ok(());
        }
        let groups: Vec<Option<u32>> = languages
            .map(|language| {
                let language = language?;
                let group = self.languages.iter().position(|l| l.language == language);
                group.map(|g| g as u32)
            })
            .collect();
        self.means(dim)?
            .apply(rows, &groups)
            .map_err(AnalysisError::numeric_step("cluster"))
    }

    /// The means to centre new vectors with, group `i` being `languages[i]`.
    fn means(&self, dim: usize) -> Result<GroupMeans, AnalysisError> {
        let groups = self
            .languages
            .iter()
            .map(|language| (language.mean.clone(), language.own))
            .collect();
        GroupMeans::from_parts(dim, groups, self.overall.clone())
            .map_err(AnalysisError::numeric_step("cluster"))
    }
}

impl TreeFile {
    /// The file for a tree: its id computed from what decides placement.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        mode: &str,
        embed_model: &str,
        dim: usize,
        centering: CenteringFile,
        centroids: Vec<Vec<f32>>,
        levels: Vec<Vec<usize>>,
        (max_distance, place_within): (f32, f64),
        published: &ReportNode,
    ) -> Self {
        let mut names = BTreeMap::new();
        collect_names(published, &mut names);
        let mut file = Self {
            format: TREE_FILE_FORMAT,
            tree_id: String::new(),
            mode: mode.into(),
            embed_model: embed_model.into(),
            dim,
            centering,
            centroids,
            levels,
            max_distance,
            place_within,
            names,
        };
        file.tree_id = file.placement_hash();
        file
    }

    /// Reads `tree.json` text, checking that it is whole: `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self, AnalysisError> {
        let file: Self = serde_json::from_str(text).map_err(|error| AnalysisError::TreeFile {
            file: source.into(),
            message: error.to_string(),
        })?;
        let broken = |message: String| AnalysisError::TreeFile {
            file: source.into(),
            message,
        };
        if file.format != TREE_FILE_FORMAT {
            return Err(broken(format!(
                "it is format {}, this chorus reads format {TREE_FILE_FORMAT}; rerun `chorus run` on the earlier data with this version",
                file.format
            )));
        }
        let k = file.centroids.len();
        if k == 0 || file.centroids.iter().any(|c| c.len() != file.dim) {
            return Err(broken(format!(
                "its centroids are not rows of {} numbers",
                file.dim
            )));
        }
        if file.levels.iter().any(|level| level.len() != k) {
            return Err(broken(format!(
                "a level does not place each of the {k} base clusters"
            )));
        }
        if file.placement_hash() != file.tree_id {
            return Err(broken(
                "its contents do not match its tree_id: the file was changed after the run wrote it".into(),
            ));
        }
        file.centering.means(file.dim)?;
        Ok(file)
    }

    /// Base clusters.
    pub(crate) fn k(&self) -> usize {
        self.centroids.len()
    }

    /// Nodes per level, base first.
    pub(crate) fn level_sizes(&self) -> Vec<usize> {
        std::iter::once(self.k())
            .chain(
                self.levels
                    .iter()
                    .map(|level| level.iter().max().map_or(0, |&top| top + 1)),
            )
            .collect()
    }

    /// Per level (base first), per base cluster: its node's index at that level.
    pub(crate) fn groups(&self) -> Vec<Vec<usize>> {
        std::iter::once((0..self.k()).collect())
            .chain(self.levels.iter().cloned())
            .collect()
    }

    fn placement_hash(&self) -> String {
        let mut hasher = Hasher::new();
        hasher.field(self.mode.as_bytes());
        hasher.field(self.embed_model.as_bytes());
        hasher.field(self.centering.center.as_bytes());
        for language in &self.centering.languages {
            hasher.field(language.language.as_bytes());
            hasher.field(&[u8::from(language.own)]);
            hasher.field(bytemuck::cast_slice(&language.mean));
        }
        hasher.field(bytemuck::cast_slice(&self.centering.overall));
        for centroid in &self.centroids {
            hasher.field(bytemuck::cast_slice(centroid));
        }
        for level in &self.levels {
            let indices: Vec<u64> = level.iter().map(|&i| i as u64).collect();
            hasher.field(bytemuck::cast_slice(&indices));
        }
        // The names are published again as they are: an edit to them is refused too.
        for (id, name) in &self.names {
            hasher.field(id.as_bytes());
            hasher.field(name.as_bytes());
        }
        hasher.finish().to_hex()[..16].to_string()
    }
}

/// Every published cluster's name but "Other"'s and the root's.
fn collect_names(node: &ReportNode, into: &mut BTreeMap<String, String>) {
    for child in &node.children {
        if !child.other && !child.unplaced {
            into.insert(child.id.clone(), child.name.clone());
        }
        collect_names(child, into);
    }
}
