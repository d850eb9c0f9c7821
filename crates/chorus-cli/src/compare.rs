//! `chorus compare`: two runs of one tree side by side.

use std::path::Path;

use anyhow::Context;

use chorus_pipeline::{PAGE_FILE, write_file, write_json};
use chorus_report::{Change, Comparison, render_comparison};

use crate::Finished;
use crate::args::CompareArgs;
use crate::report::read_report;

const COMPARE_JSON: &str = "compare.json";
const COMPARE_MD: &str = "compare.md";

pub(crate) fn compare(args: CompareArgs) -> anyhow::Result<Finished> {
    let a = read_report(&args.run_a)?;
    let b = read_report(&args.run_b)?;
    let (a_path, b_path) = (args.run_a.display(), args.run_b.display());
    // Refused as given on the command line (the advice is a command to run); written under the
    // folders' own names: a full path would carry the operator's file system into analyst files.
    let mut comparison = Comparison::of((&a_path.to_string(), &a), (&b_path.to_string(), &b))?;
    comparison.a.label = label(&args.run_a);
    comparison.b.label = label(&args.run_b);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_json(&args.out.join(COMPARE_JSON), &comparison)?;
    let markdown = render_comparison(&comparison);
    write_file(&args.out.join(COMPARE_MD), markdown.as_bytes())?;
    let page = chorus_page::render_compared(&b, &comparison)
        .context("cannot encode the comparison for the page")?;
    write_file(&args.out.join(PAGE_FILE), page.as_bytes())?;
    let count = |change| comparison.movers(change).len();
    eprintln!(
        "chorus: {} clusters compared: {} grew, {} shrank, {} appeared, {} vanished (95 % intervals)",
        comparison.clusters.len(),
        count(Change::Grew),
        count(Change::Shrank),
        count(Change::Appeared),
        count(Change::Vanished)
    );
    eprintln!(
        "chorus: wrote {COMPARE_JSON}, {COMPARE_MD}, {PAGE_FILE} to {}",
        args.out.display()
    );
    Ok(Finished::Clean)
}

/// How a run is named in the comparison's files: its folder's name.
fn label(run_dir: &Path) -> String {
    let absolute = std::path::absolute(run_dir).unwrap_or_else(|_| run_dir.to_path_buf());
    absolute.file_name().map_or_else(
        || run_dir.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
