//! Facets: attributes of a conversation. This crate holds the facets a program computes —
//! turns, message counts, lengths, non-text parts, language, time bucket — and the dataset
//! summary built from them — and, in [`summary`], the facets an LLM extracts: their prompts,
//! how a conversation is shown to the model, and how replies are parsed and validated; in [`hierarchy`], the prompts that group named clusters
//! under parents; in [`custom`], the facets an operator defines.
#![warn(missing_docs)]

pub mod custom;
mod facet;
pub mod hierarchy;
mod profile;
mod stats;
pub mod summary;

pub use profile::{PROFILE_VERSION, Profile, detect_language, profile};
pub use stats::{DatasetStats, Distribution, LabelStats, StatsBuilder, UNDETECTED_LANGUAGE};
