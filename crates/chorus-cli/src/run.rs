use anyhow::Context;

use chorus_pipeline::RunOutcome;

use crate::Finished;
use crate::args::RunArgs;
use crate::progress;
use crate::render::print_ingest_summary;

pub(crate) fn run(args: RunArgs) -> anyhow::Result<Finished> {
    let config = args.config()?;
    let inputs = args.input.expanded()?;
    let progress = progress::for_stderr(args.quiet);
    let RunOutcome { manifest, .. } =
        chorus_pipeline::run(&config, &inputs, &args.out, progress.as_ref())
            .with_context(|| format!("run into {} stopped", args.out.display()))?;
    print_ingest_summary(&manifest.ingest, &manifest.inputs);
    eprintln!(
        "chorus: wrote {} to {}",
        manifest.outputs.join(", "),
        args.out.display()
    );
    if manifest.ingest.rejected > 0 {
        eprintln!(
            "chorus: {} records rejected; see {}",
            manifest.ingest.rejected,
            args.out.join("rejected.jsonl").display()
        );
    }
    Ok(if config.run.strict && manifest.ingest.rejected > 0 {
        Finished::Rejected
    } else {
        Finished::Clean
    })
}
