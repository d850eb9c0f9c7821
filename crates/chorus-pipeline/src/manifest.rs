use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use chorus_ingest::{FileReport, IngestTotals};

use chorus_analysis::ReleaseCounts;

use crate::readiness::ModelCheck;
use crate::summary::ModelStageUsage;
use crate::{Config, StageReport};

/// `run.json`: what a run read, did and wrote, so that it can be audited and repeated.
#[derive(Clone, Debug, Serialize)]
pub struct RunManifest {
    /// The version of chorus that ran.
    pub chorus_version: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// The configuration after the config file and flags were applied.
    pub config: Config,
    /// The run store used.
    pub store: PathBuf,
    /// Every input with its format, size, BLAKE3 hash and counts.
    pub inputs: Vec<FileReport>,
    /// Ingest totals.
    pub ingest: IngestTotals,
    /// Every stage in order with items, cache hits and wall time.
    pub stages: Vec<StageReport>,
    /// The start-up check of each model called: which were checked, and why a name was not.
    pub model_checks: Vec<ModelCheck>,
    /// Per model stage (summary mode): calls sent and cached, retries, tokens and cost.
    pub model_usage: Vec<ModelStageUsage>,
    /// What the release door withheld or replaced, by rule (no content); absent when nothing
    /// was clustered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseCounts>,
    /// `chorus assign`: the tree the conversations were placed into, and how many were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Files written to the output folder.
    pub outputs: Vec<String>,
}

/// How the conversations of a `chorus assign` run were placed into the earlier tree.
#[derive(Clone, Debug, Serialize)]
pub struct Placement {
    /// The tree's id (`tree.json`, `parameters.tree_id`).
    pub tree_id: String,
    /// Conversations placed at a base cluster of it.
    pub placed: usize,
    /// Conversations farther from every base cluster than the tree's cut-off.
    pub unplaced: usize,
}

impl Placement {
    /// The share of the clustered conversations not placed.
    pub fn unplaced_share(&self) -> f64 {
        self.unplaced as f64 / (self.placed + self.unplaced).max(1) as f64
    }
}
