use serde::Serialize;

use chorus_facets::{DatasetStats, StatsBuilder, profile};
use chorus_ingest::{FileReport, Item, Rejection, read_inputs};
use chorus_pipeline::IngestSummary;

use crate::Finished;
use crate::args::InspectArgs;
use crate::render::{print_dataset, print_ingest_summary};

/// Rejections shown as examples; the counts cover all of them.
const EXAMPLES: usize = 10;

#[derive(Serialize)]
struct InspectReport {
    inputs: Vec<FileReport>,
    ingest: IngestSummary,
    dataset: DatasetStats,
    rejected_examples: Vec<Rejection>,
}

pub(crate) fn inspect(args: InspectArgs) -> anyhow::Result<Finished> {
    let config = args.input.config()?;
    let inputs = args.input.expanded()?;
    let mut stats = StatsBuilder::new(config.ingest.fields.label.clone());
    let mut examples = Vec::new();
    let report = read_inputs(&inputs, &config.ingest, &mut |item: Item| match item {
        Item::Accepted(conversation) => {
            stats.add(&conversation, &profile(&conversation));
        }
        Item::Rejected(rejection) => {
            if examples.len() < EXAMPLES {
                examples.push(rejection);
            }
        }
    });
    let inspected = InspectReport {
        ingest: IngestSummary::from(&report),
        inputs: report.files,
        dataset: stats.finish(),
        rejected_examples: examples,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&inspected)?);
    } else {
        print_dataset(&inspected.dataset);
        print_ingest_summary(&inspected.ingest, &inspected.inputs);
        for rejection in &inspected.rejected_examples {
            println!("  e.g. {rejection}");
        }
    }
    Ok(Finished::Clean)
}
