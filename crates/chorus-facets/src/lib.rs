//! Facets: attributes of a conversation. This crate holds the facets a program computes —
//! turns, message counts, lengths, non-text parts, language, time bucket — and the dataset
//! summary built from them. LLM-extracted facets join them here.
#![warn(missing_docs)]

mod profile;
mod stats;

pub use profile::{PROFILE_VERSION, Profile, detect_language, profile};
pub use stats::{DatasetStats, Distribution, LabelStats, StatsBuilder};
