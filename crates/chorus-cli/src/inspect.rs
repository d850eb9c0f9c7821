use crate::Finished;
use crate::args::InspectArgs;
use crate::progress;
use crate::render::{print_dataset, print_ingest_summary};

pub(crate) fn inspect(args: InspectArgs) -> anyhow::Result<Finished> {
    let config = args.input.config()?;
    let inputs = args.input.expanded()?;
    let progress = progress::for_stderr(false);
    let report = chorus_pipeline::inspect(&config, &inputs, progress.as_ref())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_dataset(&report.dataset);
        print_ingest_summary(&report.ingest, &report.inputs);
        for rejection in &report.rejected_examples {
            println!("  e.g. {rejection}");
        }
    }
    Ok(Finished::Clean)
}
