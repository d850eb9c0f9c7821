use std::path::PathBuf;

/// A run that could not go on. Bad records are not errors: they are quarantined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The run store failed.
    #[error(transparent)]
    Store(#[from] chorus_store::StoreError),
    /// An output file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A configuration file is invalid.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column when known.
        message: String,
    },
    /// The run cannot start as configured; the message says what to change.
    #[error("{0}")]
    Setup(String),
    /// A model call failed in a way no retry fixes: the run stops and says what to change.
    #[error(transparent)]
    Model(chorus_models::ModelError),
    /// A stage result could not be encoded for the store.
    #[error("stage {stage}: cannot encode a result: {message}")]
    Encode {
        /// The stage.
        stage: String,
        /// The encoder's message.
        message: String,
    },
}
