//! Embedded local models, the offline default: no server, no key.
//!
//! [`SentenceEncoder`] runs all-MiniLM-L6-v2 or all-mpnet-base-v2 in-process through our own
//! packed-token encoder (no padding, one matrix product per dense layer, MPNet's relative
//! position buckets) from the files `chorus models fetch` installs, and gives the vectors
//! sentence-transformers gives (mean pooling over the real tokens, L2-normalised, inputs cut at
//! the model's `max_seq_length`). [`SmolLm`] runs
//! SmolLM2-135M-Instruct from its GGUF file (quantized llama in candle, the tokenizer rebuilt
//! from the file's own metadata) as a [`chorus_models::ChatModel`].
#![warn(missing_docs)]

mod encoder;
mod error;
mod gguf_tokenizer;
mod packed;
mod sentence;
mod sentencepiece;
mod smollm;
mod tensors;

pub use error::LocalError;
pub use sentence::{SentenceEncoder, SentenceModel};
pub use smollm::{SMOLLM_FILE, SmolLm};
