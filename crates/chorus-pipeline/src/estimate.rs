//! `chorus run --dry-run`: what summary mode would send and cost, before any paid call.

use serde::Serialize;

use chorus_ingest::Input;
use chorus_models::Pricing;
use chorus_store::Store;

use crate::batches::{Batch, read_in_batches};
use crate::{Config, FacetEstimate, PipelineError, Progress, default_store_path};

/// Prompt tokens a naming call is expected to take (24 one-to-two-sentence summaries and the
/// instructions).
const NAMING_PROMPT_TOKENS: u64 = 1500;
/// Most tokens a naming reply may take.
const NAMING_REPLY_TOKENS: u64 = 160;

/// Expected calls, tokens and cost of a summary-mode run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Estimate {
    /// The chat model.
    pub model: String,
    /// Conversations read.
    pub conversations: u64,
    /// The facet stage.
    pub facets: FacetEstimate,
    /// Naming calls expected (base clusters and their parents), none of them cached yet.
    pub naming_calls: u64,
    /// Their prompt tokens (estimated).
    pub naming_input_tokens: u64,
    /// Their most generated tokens.
    pub naming_max_output_tokens: u64,
    /// The most the calls still to send can cost with the configured prices (every reply at
    /// its token limit; retries of unparseable replies not counted).
    pub worst_case_usd: f64,
}

/// Reads `inputs` and counts the calls summary mode would make with `model`, checking the run
/// store for each, without calling anything.
pub fn estimate(
    config: &Config,
    inputs: &[Input],
    out_dir: &std::path::Path,
    model: &str,
    progress: &dyn Progress,
) -> Result<Estimate, PipelineError> {
    let store_path = config
        .store
        .path
        .clone()
        .unwrap_or_else(|| default_store_path(out_dir));
    let store = if store_path.exists() {
        Store::open(&store_path)?
    } else {
        Store::in_memory()?
    };
    let mut estimate = Estimate {
        model: model.to_string(),
        ..Estimate::default()
    };
    read_in_batches(inputs, config, progress, &mut |batch| {
        if let Batch::Conversations(conversations) = batch {
            estimate.conversations += conversations.len() as u64;
            estimate.facets.add(&conversations, model, &store)?;
        }
        Ok(())
    })?;
    let base = match config.cluster.k {
        Some(k) => k as u64,
        None => (estimate.conversations as f64 / config.cluster.target_size as f64).round() as u64,
    };
    // The levels above the base add about base ÷ (branching − 1) parents.
    estimate.naming_calls = base + base / (config.hierarchy.branching as u64 - 1).max(1);
    estimate.naming_input_tokens = estimate.naming_calls * NAMING_PROMPT_TOKENS;
    estimate.naming_max_output_tokens = estimate.naming_calls * NAMING_REPLY_TOKENS;
    estimate.worst_case_usd = worst_case(&estimate, config.models.pricing);
    Ok(estimate)
}

fn worst_case(estimate: &Estimate, pricing: Pricing) -> f64 {
    pricing.cost(chorus_models::Usage {
        input_tokens: estimate.facets.input_tokens + estimate.naming_input_tokens,
        output_tokens: estimate.facets.max_output_tokens + estimate.naming_max_output_tokens,
    })
}
