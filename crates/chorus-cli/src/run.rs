use anyhow::Context;

use chorus_local::MiniLm;
use chorus_modelfiles::{FetchOptions, fetch, find, models_home};
use chorus_models::Embedder;
use chorus_pipeline::{Report, RunOutcome};

use crate::Finished;
use crate::args::RunArgs;
use crate::progress;
use crate::render::print_ingest_summary;

pub(crate) fn run(args: RunArgs) -> anyhow::Result<Finished> {
    let config = args.config()?;
    let inputs = args.input.expanded()?;
    let progress = progress::for_stderr(args.quiet);
    let embedder = if args.profile_only {
        None
    } else {
        Some(local_embedder(&config.embed.model, args.quiet)?)
    };
    let RunOutcome {
        manifest, report, ..
    } = chorus_pipeline::run(
        &config,
        &inputs,
        &args.out,
        embedder.as_ref().map(|e| e as &dyn Embedder),
        progress.as_ref(),
    )
    .with_context(|| format!("run into {} stopped", args.out.display()))?;
    print_ingest_summary(&manifest.ingest, &manifest.inputs);
    eprintln!(
        "chorus: wrote {} to {}",
        manifest.outputs.join(", "),
        args.out.display()
    );
    if let Some(report) = &report {
        print_report_summary(report);
    }
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

/// The local embedding model, fetched into the models home on first use.
fn local_embedder(name: &str, quiet: bool) -> anyhow::Result<MiniLm> {
    let spec = find(name)
        .filter(|spec| spec.name == "all-minilm-l6-v2")
        .with_context(|| {
            format!(
                "embed.model = {name:?} is not a local embedding model; use \"all-minilm-l6-v2\""
            )
        })?;
    let dir = models_home().join(spec.name);
    fetch(spec, &dir, &FetchOptions::default(), &mut |step| {
        if !quiet {
            eprintln!("chorus: {step}");
        }
    })
    .with_context(|| {
        format!(
            "the embedding model {name} is needed for clustering and could not be fetched; \
             put its files in a folder and run `chorus models fetch {name} --from FOLDER`, \
             or run with --profile-only"
        )
    })?;
    MiniLm::load(&dir).with_context(|| format!("loading {name} from {}", dir.display()))
}

fn print_report_summary(report: &Report) {
    let totals = &report.totals;
    let published = report.tree.children.iter().filter(|c| !c.other).count();
    eprintln!(
        "chorus: clustered {} of {} conversations into {} base clusters (levels {}); {} top-level clusters published",
        totals.clustered,
        totals.conversations,
        report.parameters.k,
        report.parameters.levels_text(),
        published
    );
    if totals.users < report.parameters.min_users {
        eprintln!(
            "chorus: only {} distinct users were counted, fewer than privacy.min_users = {}: \
             nothing can be published. If each conversation without a user id comes from a \
             different person, say so with --distinct-unknown-users",
            totals.users, report.parameters.min_users
        );
    }
    if let Some(agreement) = &report.label_agreement {
        eprintln!(
            "chorus: base clusters vs label {:?} ({} labels): NMI {:.3}, ARI {:.3}",
            agreement.field, agreement.labels, agreement.scores.nmi, agreement.scores.ari
        );
    }
}
