//! Synthetic conversation sets with known truth, to check what chorus finds: a taxonomy of 23
//! categories and 184 leaf tasks phrased from templates in eight languages (each category
//! asked more often in some of them), users with a heavy-tailed skew, timestamps over weeks
//! with a growing, a fading and a one-day burst topic, a known share of concerning requests,
//! planted personal-detail canaries, and a small coordinated group of accounts sending
//! near-identical requests.
//!
//! Conversation `i` depends only on the seed and `i` (its own random stream), so a set streams
//! to any size in constant memory; users are drawn from a pool sized to the set.
#![warn(missing_docs)]

mod canary;
mod generator;
mod taxonomy;

pub use generator::{Generator, Synthetic, TrendKind, Truth};
pub use taxonomy::{Category, Leaf, Phrasing, phrasing, taxonomy};

/// A language the generator writes in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Language {
    /// ISO 639-1 code, as the data files use it.
    pub code: &'static str,
    /// Full English name, as truth files and reports use it.
    pub name: &'static str,
    /// Share of conversations before a category's boost.
    pub weight: f64,
}

/// The languages, in the order of the taxonomy's columns.
pub const LANGUAGES: [Language; 8] = [
    Language {
        code: "en",
        name: "English",
        weight: 0.40,
    },
    Language {
        code: "es",
        name: "Spanish",
        weight: 0.12,
    },
    Language {
        code: "fr",
        name: "French",
        weight: 0.08,
    },
    Language {
        code: "de",
        name: "German",
        weight: 0.08,
    },
    Language {
        code: "pt",
        name: "Portuguese",
        weight: 0.08,
    },
    Language {
        code: "ja",
        name: "Japanese",
        weight: 0.08,
    },
    Language {
        code: "zh",
        name: "Chinese",
        weight: 0.10,
    },
    Language {
        code: "ru",
        name: "Russian",
        weight: 0.06,
    },
];

/// What a set looks like.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthOptions {
    /// Conversations to write.
    pub conversations: u64,
    /// Seed for every random choice.
    pub seed: u64,
    /// The first day of the period.
    pub start: chrono::NaiveDate,
    /// Days the period lasts.
    pub days: u32,
    /// Share of conversations whose first turn carries planted personal details.
    pub canary_rate: f64,
    /// Share of conversations from the coordinated group.
    pub coordinated_share: f64,
    /// The languages written, by code (`en`, `es`…); empty: all eight.
    pub languages: Vec<String>,
}

impl SynthOptions {
    /// `conversations` with the defaults: eight weeks from 2026-09-07, 1 % canaries, 0.5 %
    /// coordinated.
    pub fn new(conversations: u64, seed: u64) -> Self {
        Self {
            conversations,
            seed,
            start: chrono::NaiveDate::from_ymd_opt(2026, 9, 7).unwrap_or_default(),
            days: 56,
            canary_rate: 0.01,
            coordinated_share: 0.005,
            languages: Vec::new(),
        }
    }
}

/// The generator's data files or options are unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A data file of this crate does not parse (a bug in the file, caught by its tests).
    #[error("{file} line {line}: {message}")]
    Data {
        /// The file.
        file: &'static str,
        /// Its line (1-based; 0 for the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An option out of range.
    #[error("{0}")]
    Option(String),
}
