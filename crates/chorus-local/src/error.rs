use std::path::{Path, PathBuf};

use chorus_models::{ItemFailure, ModelError};

/// A local model that could not be loaded or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// A model file is missing or unreadable.
    #[error("{path}: {message}; run `chorus models fetch {model}`")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
        /// The model it belongs to.
        model: &'static str,
    },
    /// The model failed while computing.
    #[error("{model}: {message}")]
    Compute {
        /// The model.
        model: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl LocalError {
    pub(crate) fn file(model: &'static str, path: &Path, message: impl ToString) -> Self {
        LocalError::File {
            path: path.to_path_buf(),
            message: message.to_string(),
            model,
        }
    }

    pub(crate) fn compute(model: &'static str, message: impl ToString) -> Self {
        LocalError::Compute {
            model,
            message: message.to_string(),
        }
    }

    /// A computation that failed on one input fails that item only; the run goes on.
    pub(crate) fn into_item_failure(self) -> ModelError {
        let backend = match &self {
            LocalError::File { model, .. } | LocalError::Compute { model, .. } => model.to_string(),
        };
        ModelError::Item {
            backend,
            failure: ItemFailure::Rejected,
            message: self.to_string(),
        }
    }
}
