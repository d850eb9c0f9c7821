use std::path::PathBuf;

/// A run that could not go on. Bad records are not errors: they are quarantined.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// A field named by a flag or config key is in no record (a typo, or the wrong file).
    #[error("{0}")]
    FieldNotFound(String),
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
    /// Most calls sent to the chat model got no answer (the server is down, unreachable or
    /// overloaded); what was answered is stored.
    #[error(
        "{failed} of {sent} calls sent to the model {model} got no answer (the last one: {last}). Every answered call is stored: once the server answers again, rerun the same command and only the unanswered calls are sent"
    )]
    Unanswered {
        /// The model.
        model: String,
        /// Calls that got no answer after every retry.
        failed: u64,
        /// Calls sent.
        sent: u64,
        /// The last failure, with the server's URL.
        last: String,
    },
    /// A stage result could not be encoded for the store.
    #[error("stage {stage}: cannot encode a result: {message}")]
    Encode {
        /// The stage.
        stage: String,
        /// The encoder's message.
        message: String,
    },
    /// A numeric step (k-means, the tree, the map, centring…) could not run on its input.
    #[error("stage {stage}: {message}")]
    Cluster {
        /// The stage.
        stage: String,
        /// What went wrong.
        message: String,
    },
    /// The async runtime that drives model calls could not start.
    #[error("cannot start the async runtime for model calls: {0}")]
    Runtime(String),
    /// An output could not be made (before it is written).
    #[error("cannot make {path}: {message}")]
    Output {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Another run is writing into the same output folder.
    #[error(
        "{path} is in use by another chorus run ({holder}); wait for it to finish, or give this run another output folder (-o)"
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// What the lock file says about the run holding it.
        holder: String,
    },
}

impl From<chorus_analysis::AnalysisError> for PipelineError {
    /// A model step's error comes back as the run's own error it was; the rest keep their
    /// kind.
    fn from(error: chorus_analysis::AnalysisError) -> Self {
        use chorus_analysis::AnalysisError;
        match error {
            AnalysisError::Cluster { stage, message } => PipelineError::Cluster { stage, message },
            AnalysisError::Write { path, source } => PipelineError::Write { path, source },
            AnalysisError::Model(inner) => match inner.downcast::<PipelineError>() {
                Ok(own) => *own,
                Err(other) => PipelineError::Setup(other.to_string()),
            },
            other => PipelineError::Setup(other.to_string()),
        }
    }
}
