use rayon::prelude::*;
use serde::Serialize;

use chorus_facets::{DatasetStats, StatsBuilder, profile};
use chorus_ingest::{FileReport, IngestTotals, Input, Rejection};

use crate::batches::{Batch, read_in_batches};
use crate::{Config, PipelineError, Progress};

/// Rejections kept as examples; the counts cover all of them.
const REJECTED_EXAMPLES: usize = 10;

/// What `chorus inspect` reports: no model, no store, nothing written.
#[derive(Clone, Debug, Serialize)]
pub struct InspectReport {
    /// Every input with its format, size, hash and counts.
    pub inputs: Vec<FileReport>,
    /// Ingest totals.
    pub ingest: IngestTotals,
    /// What the conversations look like.
    pub dataset: DatasetStats,
    /// The first few rejections, for a look at what went wrong.
    pub rejected_examples: Vec<Rejection>,
}

/// Reads `inputs` and summarises them, profiling each conversation on every core.
pub fn inspect(
    config: &Config,
    inputs: &[Input],
    progress: &dyn Progress,
) -> Result<InspectReport, PipelineError> {
    let mut stats = StatsBuilder::new(config.ingest.fields.label.clone());
    let mut examples = Vec::new();
    let ingested = read_in_batches(inputs, config, progress, &mut |batch| {
        match batch {
            Batch::Conversations(conversations) => {
                let profiles: Vec<_> = conversations.par_iter().map(profile).collect();
                for (conversation, profile) in conversations.iter().zip(&profiles) {
                    stats.add(conversation, profile);
                }
            }
            Batch::Rejected(rejection) => {
                if examples.len() < REJECTED_EXAMPLES {
                    examples.push(rejection);
                }
            }
        }
        Ok(())
    })?;
    Ok(InspectReport {
        ingest: ingested.report.totals,
        inputs: ingested.report.files,
        dataset: stats.finish(),
        rejected_examples: examples,
    })
}
