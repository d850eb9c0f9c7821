//! `chorus report` and `chorus serve`: the explorer page of a finished run, from its report.json,
//! written to a file or served.

use std::path::Path;

use anyhow::Context;

use chorus_report::{REPORT_SCHEMA_VERSION, Report};

use crate::Finished;
use crate::args::{ReportArgs, ServeArgs};

pub(crate) fn report(args: ReportArgs) -> anyhow::Result<Finished> {
    let report = read_report(&args.run_dir)?;
    let page = args.run_dir.join(chorus_pipeline::PAGE_FILE);
    let html = chorus_page::render(&report).context("cannot encode the report for the page")?;
    chorus_pipeline::write_file(&page, html.as_bytes())?;
    eprintln!("chorus: wrote {}", page.display());
    Ok(Finished::Clean)
}

pub(crate) fn serve(args: ServeArgs) -> anyhow::Result<Finished> {
    read_report(&args.run_dir)?;
    let listener = std::net::TcpListener::bind((args.address, args.port)).with_context(|| {
        format!(
            "cannot listen on {}:{}; is another server using the port? (--port 0 takes any free one)",
            args.address, args.port
        )
    })?;
    let address = listener.local_addr()?;
    if !args.address.is_loopback() {
        eprintln!(
            "chorus: warning: serving on {address}, not a loopback address: anyone who can reach this machine on port {} can read the report",
            address.port()
        );
    }
    eprintln!(
        "chorus: serving {} at http://{address}/ (Ctrl-C to stop)",
        args.run_dir.display()
    );
    chorus_serve::serve(listener, &args.run_dir)?;
    Ok(Finished::Clean)
}

/// The part of a finished run's run.json at `pointer` (a JSON pointer: `/config`,
/// `/config/ingest`), read as `T`: the settings the run used.
pub(crate) fn run_setting<T: serde::de::DeserializeOwned>(
    run_dir: &Path,
    pointer: &str,
) -> anyhow::Result<T> {
    let path = run_dir.join("run.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let part = manifest.pointer(pointer).cloned().unwrap_or_default();
    serde_json::from_value(part).with_context(|| {
        format!(
            "{} holds no usable {}",
            path.display(),
            pointer.trim_start_matches('/').replace('/', ".")
        )
    })
}

/// A finished run's report.json, read as the report schema of this version.
pub(crate) fn read_report(run_dir: &Path) -> anyhow::Result<Report> {
    let source = run_dir.join("report.json");
    let text = std::fs::read_to_string(&source).with_context(|| {
        format!(
            "cannot read {}; is {} the output folder of a finished `chorus run`?",
            source.display(),
            run_dir.display()
        )
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", source.display()))?;
    anyhow::ensure!(
        value.get("tree").is_some(),
        "{} has no cluster tree; it is not a chorus report",
        source.display()
    );
    let version = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64);
    anyhow::ensure!(
        version == Some(u64::from(REPORT_SCHEMA_VERSION)),
        "{} has report schema version {}, and this chorus reads version {REPORT_SCHEMA_VERSION}; run `chorus run` again to write it anew",
        source.display(),
        version.map_or_else(|| "none".to_string(), |v| v.to_string())
    );
    serde_json::from_value(value).with_context(|| {
        format!(
            "{} does not match the report schema (docs/outputs.md); run `chorus run` again to write it anew",
            source.display()
        )
    })
}
