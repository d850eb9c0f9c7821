use std::path::{Path, PathBuf};

use chrono::Utc;

use chorus_facets::{DatasetStats, StatsBuilder};
use chorus_ingest::Input;
use chorus_store::Store;
use chorus_types::Conversation;

use crate::batches::{Batch, read_in_batches};
use crate::output::{OutputFile, write_json};
use crate::stage::StageRunner;
use crate::{Config, PipelineError, ProfileStage, Progress, RunManifest};

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// Everything `run.json` says.
    pub manifest: RunManifest,
    /// The dataset summary written to `dataset.json`.
    pub dataset: DatasetStats,
}

/// Output files, in the order they are written.
const REJECTED_FILE: &str = "rejected.jsonl";
const DATASET_FILE: &str = "dataset.json";
const MANIFEST_FILE: &str = "run.json";

/// Runs the pipeline over `inputs`, writing into `out_dir`.
///
/// Bad records never stop a run: they go to `rejected.jsonl` with their reason. What does stop
/// it is a failure to write outputs or use the store.
pub fn run(
    config: &Config,
    inputs: &[Input],
    out_dir: &Path,
    progress: &dyn Progress,
) -> Result<RunOutcome, PipelineError> {
    let started_at = Utc::now();
    std::fs::create_dir_all(out_dir).map_err(|source| PipelineError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    remove_previous_outputs(out_dir)?;
    let store_path = config
        .store
        .path
        .clone()
        .unwrap_or_else(|| default_store_path(out_dir));
    let mut store = Store::open(&store_path)?;

    let stage = ProfileStage;
    let mut runner = StageRunner::start(&stage, &mut store, progress, None);
    let mut rejected = OutputFile::create(&out_dir.join(REJECTED_FILE))?;
    let mut stats = StatsBuilder::new(config.ingest.fields.label.clone());
    let ingested = read_in_batches(inputs, config, progress, &mut |batch| {
        match batch {
            Batch::Conversations(conversations) => {
                let refs: Vec<&Conversation> = conversations.iter().collect();
                let profiles = runner.process(&refs)?;
                for (conversation, profile) in conversations.iter().zip(&profiles) {
                    stats.add(conversation, profile);
                }
            }
            Batch::Rejected(rejection) => rejected.write_line(&rejection)?,
        }
        Ok(())
    })?;
    let profile_report = runner.finish();
    rejected.commit()?;
    let dataset = stats.finish();
    write_json(&out_dir.join(DATASET_FILE), &dataset)?;

    let manifest = RunManifest {
        chorus_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        finished_at: Utc::now(),
        config: config.clone(),
        store: store_path,
        ingest: ingested.report.totals,
        inputs: ingested.report.files,
        stages: vec![ingested.stage, profile_report],
        outputs: [REJECTED_FILE, DATASET_FILE, MANIFEST_FILE]
            .map(String::from)
            .to_vec(),
    };
    write_json(&out_dir.join(MANIFEST_FILE), &manifest)?;
    Ok(RunOutcome { manifest, dataset })
}

/// A run into a folder that holds an earlier run's outputs removes them first, so a run killed
/// half-way never leaves the earlier outputs looking like its own.
fn remove_previous_outputs(out_dir: &Path) -> Result<(), PipelineError> {
    for name in [REJECTED_FILE, DATASET_FILE, MANIFEST_FILE] {
        let path = out_dir.join(name);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(PipelineError::Write {
                    path,
                    source: error,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Where a run keeps its store when no `store.path` (`--cache`) is given.
pub fn default_store_path(out_dir: &Path) -> PathBuf {
    out_dir.join("store.sqlite")
}
