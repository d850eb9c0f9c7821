//! `chorus eval`: a finished run against known truth.

use anyhow::Context;

use chorus_eval::{Truth, evaluate, render};
use chorus_ingest::{IngestOptions, expand_inputs};

use crate::Finished;
use crate::args::EvalArgs;

/// Where the evaluation is written, in the run folder.
const EVAL_FILE: &str = "eval.json";

pub(crate) fn eval(args: EvalArgs) -> anyhow::Result<Finished> {
    let truth = match &args.label_field {
        Some(field) => {
            let mut options = run_ingest_options(&args.run_dir)?;
            options.fields.label = Some(field.clone());
            let inputs = expand_inputs(std::slice::from_ref(&args.truth))
                .with_context(|| format!("cannot read the truth input {}", args.truth))?
                .inputs;
            Truth::from_labels(&inputs, &options, field)
        }
        None => Truth::from_synth_file(args.truth.as_ref())?,
    };
    let evaluation = evaluate(&args.run_dir, &truth)?;
    let json = serde_json::to_string_pretty(&evaluation)?;
    let path = args.run_dir.join(EVAL_FILE);
    std::fs::write(&path, format!("{json}\n"))
        .with_context(|| format!("cannot write {}", path.display()))?;
    if args.json {
        println!("{json}");
    } else {
        print!("{}", render(&evaluation));
    }
    let privacy = &evaluation.privacy;
    Ok(
        if privacy.leaks.is_empty()
            && privacy.below_threshold.is_empty()
            && privacy.cells_below_threshold.is_empty()
        {
            Finished::Clean
        } else {
            Finished::PrivacyFailed
        },
    )
}

/// The ingest settings the run used (from its run.json), so the truth's ids match the run's.
fn run_ingest_options(run_dir: &std::path::Path) -> anyhow::Result<IngestOptions> {
    let path = run_dir.join("run.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    serde_json::from_value(manifest["config"]["ingest"].clone())
        .with_context(|| format!("{} holds no usable config.ingest", path.display()))
}
