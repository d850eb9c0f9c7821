//! Named f32 tensors read from a model file, with errors that name the file and tensor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use crate::LocalError;

/// A model file's tensors under Hugging Face's names, whatever the file's own layout.
pub(crate) trait Weights {
    /// The tensor's values, row-major, as f32.
    fn values(&self, name: &str) -> Result<Vec<f32>, LocalError>;

    /// An error about this file.
    fn error(&self, message: String) -> LocalError;
}

pub(crate) struct TensorFile {
    model: &'static str,
    path: PathBuf,
    tensors: HashMap<String, Tensor>,
}

impl TensorFile {
    pub(crate) fn open(model: &'static str, path: &Path) -> Result<Self, LocalError> {
        let tensors = candle_core::safetensors::load(path, &Device::Cpu)
            .map_err(|e| LocalError::file(model, path, e))?;
        Ok(Self {
            model,
            path: path.to_path_buf(),
            tensors,
        })
    }
}

impl Weights for TensorFile {
    fn values(&self, name: &str) -> Result<Vec<f32>, LocalError> {
        let tensor = self
            .tensors
            .get(name)
            .ok_or_else(|| self.error(format!("no tensor `{name}`")))?;
        tensor
            .to_dtype(DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| self.error(format!("tensor `{name}`: {e}")))
    }

    fn error(&self, message: String) -> LocalError {
        LocalError::file(self.model, &self.path, message)
    }
}
