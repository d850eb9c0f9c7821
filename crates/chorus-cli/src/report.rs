//! `chorus report`: the explorer page of a finished run, from its report.json.

use anyhow::Context;

use crate::Finished;
use crate::args::ReportArgs;

pub(crate) fn report(args: ReportArgs) -> anyhow::Result<Finished> {
    let source = args.run_dir.join("report.json");
    let text = std::fs::read_to_string(&source).with_context(|| {
        format!(
            "cannot read {}; is {} the output folder of a finished `chorus run`?",
            source.display(),
            args.run_dir.display()
        )
    })?;
    let report: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", source.display()))?;
    anyhow::ensure!(
        report.get("tree").is_some(),
        "{} has no cluster tree; it is not a chorus report",
        source.display()
    );
    let page = args.run_dir.join(chorus_pipeline::PAGE_FILE);
    let partial = page.with_extension("html.partial");
    std::fs::write(&partial, chorus_page::render(&report.to_string()))
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, &page)
        .with_context(|| format!("cannot move the page to {}", page.display()))?;
    eprintln!("chorus: wrote {}", page.display());
    Ok(Finished::Clean)
}
