//! `chorus run --dry-run`: what summary mode would send and cost, before any paid call.

use serde::Serialize;

use chorus_ingest::Input;
use chorus_models::{ChatModel, Pricing};
use chorus_store::Store;

use chorus_analysis::{NEIGHBOURHOOD_SIZE, level_sizes};

use crate::batches::{Batch, read_in_batches};
use crate::{Config, FacetEstimate, PipelineError, Progress, default_store_path};

/// Prompt tokens a naming call is expected to take (24 one-to-two-sentence summaries and the
/// instructions).
const NAMING_PROMPT_TOKENS: u64 = 1500;
/// Most tokens a naming reply may take.
const NAMING_REPLY_TOKENS: u64 = 160;
/// Prompt tokens a hierarchy call is expected to take (a neighbourhood of 40 names and
/// descriptions, or one cluster and the list of parents).
const TREE_PROMPT_TOKENS: u64 = 800;
/// Most tokens a hierarchy reply may take (a proposal list; a placement takes far fewer).
const TREE_REPLY_TOKENS: u64 = 200;

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
    /// Hierarchy calls expected (proposals per neighbourhood, one merge and one placement per
    /// cluster at each level above the base).
    pub tree_calls: u64,
    /// Their prompt tokens (estimated).
    pub tree_input_tokens: u64,
    /// Their most generated tokens.
    pub tree_max_output_tokens: u64,
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
    model: &dyn ChatModel,
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
        model: model.id().to_string(),
        ..Estimate::default()
    };
    let facets = config.facets.summary_facets();
    let screener = config.facets.screener_facet();
    read_in_batches(inputs, config, progress, &mut |batch| {
        if let Batch::Conversations(conversations) = batch {
            estimate.conversations += conversations.len() as u64;
            estimate
                .facets
                .add(&conversations, model, &store, screener.as_ref(), &facets)?;
        }
        Ok(())
    })?;
    let base = match config.cluster.k {
        Some(k) => k as u64,
        None => (estimate.conversations as f64 / config.cluster.target_size as f64).round() as u64,
    };
    let sizes = level_sizes(
        base as usize,
        config.hierarchy.top_clusters,
        config.hierarchy.branching,
    );
    let parents: usize = sizes.iter().skip(1).sum();
    estimate.naming_calls = base + parents as u64;
    estimate.naming_input_tokens = estimate.naming_calls * NAMING_PROMPT_TOKENS;
    estimate.naming_max_output_tokens = estimate.naming_calls * NAMING_REPLY_TOKENS;
    estimate.tree_calls = sizes
        .iter()
        .take(sizes.len().saturating_sub(1))
        .map(|&children| (children + children.div_ceil(NEIGHBOURHOOD_SIZE) + 1) as u64)
        .sum();
    estimate.tree_input_tokens = estimate.tree_calls * TREE_PROMPT_TOKENS;
    estimate.tree_max_output_tokens = estimate.tree_calls * TREE_REPLY_TOKENS;
    estimate.worst_case_usd = worst_case(&estimate, config.models.pricing);
    Ok(estimate)
}

fn worst_case(estimate: &Estimate, pricing: Pricing) -> f64 {
    pricing.cost(chorus_models::Usage {
        input_tokens: estimate.facets.input_tokens
            + estimate.naming_input_tokens
            + estimate.tree_input_tokens,
        output_tokens: estimate.facets.max_output_tokens
            + estimate.naming_max_output_tokens
            + estimate.tree_max_output_tokens,
    })
}
