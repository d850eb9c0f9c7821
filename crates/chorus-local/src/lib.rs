//! Embedded local models, the offline default: no server, no key.
//!
//! [`MiniLm`] runs all-MiniLM-L6-v2 in-process with candle (pure Rust) from the files
//! `chorus models fetch` installs, and gives the vectors sentence-transformers gives (mean
//! pooling over the attention mask, L2-normalised, inputs cut at 256 tokens).
#![warn(missing_docs)]

mod minilm;

pub use minilm::{LocalError, MiniLm};
