use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use tokenizers::{Encoding, Tokenizer, TruncationParams};

use chorus_models::{BoxFuture, Embedder, Matrix, ModelError, UsageTotals};

use crate::LocalError;
use crate::encoder::{Encoder, LayerNames, LayerNorm, load_norm, mean_pool};
use crate::tensors::TensorFile;

/// sentence-transformers cuts all-MiniLM-L6-v2's inputs at 256 word pieces.
const MAX_TOKENS: usize = 256;
/// Tokens per forward pass: large products, bounded memory (the widest buffer is
/// tokens × 1,536 floats, 48 MiB).
const TOKENS_PER_PASS: usize = 8192;
const MODEL_ID: &str = "all-minilm-l6-v2";
const LAYER_NORM_EPS: f32 = 1e-12;

const BERT_LAYERS: LayerNames = LayerNames {
    prefix: "encoder.layer.",
    query: "attention.self.query",
    key: "attention.self.key",
    value: "attention.self.value",
    attention_output: "attention.output.dense",
    attention_norm: "attention.output.LayerNorm",
    intermediate: "intermediate.dense",
    output: "output.dense",
    output_norm: "output.LayerNorm",
};

#[derive(serde::Deserialize)]
struct Config {
    hidden_size: usize,
    num_attention_heads: usize,
    num_hidden_layers: usize,
    max_position_embeddings: usize,
}

/// BERT's input layer: word, position and segment embeddings summed, then normalised.
struct Embeddings {
    hidden: usize,
    words: Vec<f32>,
    positions: Vec<f32>,
    segments: Vec<f32>,
    norm: LayerNorm,
}

impl Embeddings {
    fn embed(&self, encodings: &[&Encoding]) -> Option<Vec<f32>> {
        let hidden = self.hidden;
        let tokens: usize = encodings.iter().map(|e| e.get_ids().len()).sum();
        let mut values = Vec::with_capacity(tokens * hidden);
        for encoding in encodings {
            for (position, (&id, &segment)) in encoding
                .get_ids()
                .iter()
                .zip(encoding.get_type_ids())
                .enumerate()
            {
                let word = self
                    .words
                    .get(id as usize * hidden..(id as usize + 1) * hidden)?;
                let place = self
                    .positions
                    .get(position * hidden..(position + 1) * hidden)?;
                let kind = self
                    .segments
                    .get(segment as usize * hidden..(segment as usize + 1) * hidden)?;
                values.extend(
                    word.iter()
                        .zip(place)
                        .zip(kind)
                        .map(|((w, p), k)| w + p + k),
                );
            }
        }
        self.norm.normalise_rows(&mut values);
        Some(values)
    }
}

/// all-MiniLM-L6-v2 sentence embeddings (384 dimensions), in-process on the CPU.
pub struct MiniLm {
    embeddings: Embeddings,
    encoder: Encoder,
    tokenizer: Tokenizer,
    texts: AtomicU64,
    tokens: AtomicU64,
    calls: AtomicU64,
}

fn file_error(path: &Path, message: impl ToString) -> LocalError {
    LocalError::file(MODEL_ID, path, message)
}

fn compute_error(error: impl ToString) -> LocalError {
    LocalError::compute(MODEL_ID, error)
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
                max_length: MAX_TOKENS.min(config.max_position_embeddings),
                ..TruncationParams::default()
            }))
            .map_err(|e| file_error(&tokenizer_path, e))?;
        // Sequences are packed end to end, never padded.
        tokenizer.with_padding(None);
        let file = TensorFile::open(MODEL_ID, &dir.join("model.safetensors"))?;
        let embeddings = Embeddings {
            hidden: config.hidden_size,
            words: file.values("embeddings.word_embeddings.weight")?,
            positions: file.values("embeddings.position_embeddings.weight")?,
            segments: file.values("embeddings.token_type_embeddings.weight")?,
            norm: load_norm(&file, "embeddings.LayerNorm", LAYER_NORM_EPS)?,
        };
        let encoder = Encoder::load(
            &file,
            &BERT_LAYERS,
            config.num_hidden_layers,
            config.num_attention_heads,
            LAYER_NORM_EPS,
        )?;
        Ok(Self {
            embeddings,
            encoder,
            tokenizer,
            texts: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        })
    }

    /// Embeds texts on this thread (and rayon's pool): one L2-normalised row per text, in order.
    pub fn embed_now(&self, texts: &[String]) -> Result<Matrix, LocalError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.texts.fetch_add(texts.len() as u64, Ordering::Relaxed);
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(compute_error)?;
        let total: usize = encodings.iter().map(|e| e.get_ids().len()).sum();
        self.tokens.fetch_add(total as u64, Ordering::Relaxed);
        // Similar lengths together keep each pass's sequences alike; order is restored below.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        let mut rows: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for pass in passes(&order, |i| encodings[i].get_ids().len()) {
            let batch: Vec<&Encoding> = pass.iter().map(|&i| &encodings[i]).collect();
            for (&index, row) in pass.iter().zip(self.embed_pass(&batch)?) {
                rows[index] = row;
            }
        }
        Matrix::from_rows(rows).ok_or_else(|| compute_error("rows of different lengths"))
    }

    fn embed_pass(&self, encodings: &[&Encoding]) -> Result<Vec<Vec<f32>>, LocalError> {
        let mut hidden = self
            .embeddings
            .embed(encodings)
            .ok_or_else(|| compute_error("a token id or position outside the model's tables"))?;
        let lengths: Vec<usize> = encodings.iter().map(|e| e.get_ids().len()).collect();
        self.encoder.forward(&mut hidden, &lengths, None);
        Ok(mean_pool(&hidden, &lengths, self.embeddings.hidden))
    }
}

/// Consecutive runs of `order` holding at most [`TOKENS_PER_PASS`] tokens each (a longer single
/// text gets a pass of its own).
fn passes(order: &[usize], length: impl Fn(usize) -> usize) -> Vec<&[usize]> {
    let mut passes = Vec::new();
    let mut start = 0;
    let mut tokens = 0;
    for (at, &index) in order.iter().enumerate() {
        let size = length(index);
        if at > start && tokens + size > TOKENS_PER_PASS {
            passes.push(&order[start..at]);
            start = at;
            tokens = 0;
        }
        tokens += size;
    }
    if start < order.len() {
        passes.push(&order[start..]);
    }
    passes
}

/// The future computes on the thread that polls it: callers on an async runtime that must stay
/// responsive run it under `spawn_blocking`.
impl Embedder for MiniLm {
    fn id(&self) -> &str {
        MODEL_ID
    }

    fn dim(&self) -> Option<usize> {
        Some(self.embeddings.hidden)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_hold_a_bounded_number_of_tokens() {
        let lengths = [5000, 3000, 300, 9000, 10];
        let order: Vec<usize> = (0..lengths.len()).collect();
        let passes = passes(&order, |i| lengths[i]);
        assert_eq!(passes, vec![&[0, 1][..], &[2], &[3], &[4]]);
        assert!(super::passes(&[], |_| 1).is_empty());
    }
}
