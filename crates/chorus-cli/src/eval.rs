//! `chorus eval`: a finished run against known truth.

use anyhow::Context;

use chorus_eval::{Truth, evaluate, render};
use chorus_ingest::{IngestOptions, expand_inputs};

use crate::Finished;
use crate::args::EvalArgs;
use crate::report::run_setting;

/// Where the evaluation is written, in the run folder.
const EVAL_FILE: &str = "eval.json";

pub(crate) fn eval(args: EvalArgs) -> anyhow::Result<Finished> {
    let truth = match &args.label_field {
        Some(field) => {
            // The ingest settings the run used, so the truth's ids match the run's.
            let mut options: IngestOptions = run_setting(&args.run_dir, "/config/ingest")?;
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
