use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, DTYPE};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use chorus_models::{BoxFuture, Embedder, Matrix, ModelError, UsageTotals};

use crate::LocalError;

/// sentence-transformers cuts all-MiniLM-L6-v2's inputs at 256 word pieces.
const MAX_TOKENS: usize = 256;
/// Texts per forward pass; sorted by length first so a batch pads little.
const BATCH: usize = 32;
const MODEL_ID: &str = "all-minilm-l6-v2";

fn file_error(path: &Path, message: impl ToString) -> LocalError {
    LocalError::file(MODEL_ID, path, message)
}

fn compute_error(error: impl ToString) -> LocalError {
    LocalError::compute(MODEL_ID, error)
}

/// all-MiniLM-L6-v2 sentence embeddings (384 dimensions), in-process on the CPU.
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    texts: AtomicU64,
    tokens: AtomicU64,
    calls: AtomicU64,
}

impl MiniLm {
    /// Loads the model from the folder `chorus models fetch` fills.
    pub fn load(dir: &Path) -> Result<Self, LocalError> {
        let config_path = dir.join("config.json");
        let text =
            std::fs::read_to_string(&config_path).map_err(|e| file_error(&config_path, e))?;
        let config: Config =
            serde_json::from_str(&text).map_err(|e| file_error(&config_path, e))?;
        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| file_error(&tokenizer_path, e))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| file_error(&tokenizer_path, e))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        let weights = dir.join("model.safetensors");
        if !weights.exists() {
            return Err(file_error(&weights, "not found"));
        }
        let device = Device::Cpu;
        // SAFETY: the weights are memory-mapped read-only; chorus installed them after checking
        // their hash and nothing writes to the models folder while a run reads it.
        let builder = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DTYPE, &device) }
            .map_err(|e| file_error(&weights, e))?;
        let model = BertModel::load(builder, &config).map_err(|e| file_error(&weights, e))?;
        Ok(Self {
            model,
            tokenizer,
            device,
            texts: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        })
    }

    /// Embeds texts on this thread: one L2-normalised row per text, in order.
    pub fn embed_now(&self, texts: &[String]) -> Result<Matrix, LocalError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.texts.fetch_add(texts.len() as u64, Ordering::Relaxed);
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut rows: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
            for (&index, row) in chunk.iter().zip(self.embed_batch(&batch)?) {
                rows[index] = row;
            }
        }
        Matrix::from_rows(rows).ok_or_else(|| compute_error("rows of different lengths"))
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, LocalError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(compute_error)?;
        let tensor = |values: Vec<Vec<u32>>| -> Result<Tensor, LocalError> {
            let rows = values.len();
            let columns = values.first().map_or(0, Vec::len);
            let flat: Vec<u32> = values.into_iter().flatten().collect();
            Tensor::from_vec(flat, (rows, columns), &self.device).map_err(compute_error)
        };
        let ids = tensor(encodings.iter().map(|e| e.get_ids().to_vec()).collect())?;
        let types = tensor(
            encodings
                .iter()
                .map(|e| e.get_type_ids().to_vec())
                .collect(),
        )?;
        let mask = tensor(
            encodings
                .iter()
                .map(|e| e.get_attention_mask().to_vec())
                .collect(),
        )?;
        self.tokens.fetch_add(
            encodings
                .iter()
                .map(|e| e.get_attention_mask().iter().filter(|&&m| m == 1).count() as u64)
                .sum(),
            Ordering::Relaxed,
        );
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(compute_error)?;
        // Mean over the real tokens only, as sentence-transformers pools.
        let mask = mask
            .to_dtype(DType::F32)
            .and_then(|m| m.unsqueeze(2))
            .map_err(compute_error)?;
        let summed = hidden
            .broadcast_mul(&mask)
            .and_then(|t| t.sum(1))
            .map_err(compute_error)?;
        let counts = mask
            .sum(1)
            .and_then(|c| c.clamp(1e-9f32, f32::MAX))
            .map_err(compute_error)?;
        let mean = summed.broadcast_div(&counts).map_err(compute_error)?;
        mean.to_vec2::<f32>().map_err(compute_error)
    }
}

/// The future computes on the thread that polls it: callers on an async runtime that must stay
/// responsive run it under `spawn_blocking`.
impl Embedder for MiniLm {
    fn id(&self) -> &str {
        MODEL_ID
    }

    fn dim(&self) -> Option<usize> {
        Some(384)
    }

    fn embed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Matrix, ModelError>> {
        Box::pin(async move { self.embed_now(texts).map_err(LocalError::into_item_failure) })
    }

    fn usage(&self) -> UsageTotals {
        UsageTotals {
            requests: self.calls.load(Ordering::Relaxed),
            retries: 0,
            input_tokens: self.tokens.load(Ordering::Relaxed),
            output_tokens: 0,
        }
    }
}
