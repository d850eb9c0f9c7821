use std::path::PathBuf;

/// Why the analysis could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// A numeric step (k-means, the tree, the map, centring…) could not run on its input.
    #[error("stage {stage}: {message}")]
    Cluster {
        /// The run's stage it belongs to.
        stage: String,
        /// What went wrong.
        message: String,
    },
    /// The vector file could not be written or mapped.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A model the plan relies on failed in a way the run cannot go on from (the caller's own
    /// error, kept whole so it can tell the user what to change).
    #[error(transparent)]
    Model(Box<dyn std::error::Error + Send + Sync>),
    /// A run's `tree.json` cannot be used to place conversations.
    #[error("{file} cannot be used: {message}")]
    TreeFile {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// A taxonomy file (`--taxonomy`) cannot be used.
    #[error("{file}: {message}")]
    Taxonomy {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// The plan asks for a model step and no model was given.
    #[error("the plan names {0} steps and no model was given for them")]
    NoModel(&'static str),
}

impl AnalysisError {
    /// The error of a numeric step that could not run, named after the run's stage.
    pub(crate) fn numeric_step(
        stage: &'static str,
    ) -> impl FnOnce(chorus_cluster::ClusterError) -> AnalysisError {
        move |error| AnalysisError::Cluster {
            stage: stage.into(),
            message: error.to_string(),
        }
    }
}
