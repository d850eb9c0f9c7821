use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use chorus_ingest::{FileReport, IngestReport, Reason};

use crate::{Config, StageReport};

/// Ingest counts for the manifest. `records_read == accepted + duplicates + rejected`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct IngestSummary {
    /// Records seen over all inputs (a file-level problem counts as one).
    pub records_read: u64,
    /// Conversations accepted.
    pub accepted: u64,
    /// Exact duplicates (same id, same content) dropped.
    pub duplicates: u64,
    /// Records quarantined to `rejected.jsonl`.
    pub rejected: u64,
    /// Rejections by reason.
    pub rejected_by_reason: BTreeMap<Reason, u64>,
    /// Empty messages removed from accepted conversations.
    pub empty_messages_removed: u64,
    /// Messages truncated to `ingest.max_message_chars`.
    pub messages_truncated: u64,
    /// Blank lines skipped.
    pub blank_lines: u64,
}

impl From<&IngestReport> for IngestSummary {
    fn from(report: &IngestReport) -> Self {
        Self {
            records_read: report.records_read,
            accepted: report.accepted,
            duplicates: report.duplicates,
            rejected: report.rejected,
            rejected_by_reason: report.rejected_by_reason.clone(),
            empty_messages_removed: report.empty_messages_removed,
            messages_truncated: report.messages_truncated,
            blank_lines: report.blank_lines,
        }
    }
}

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
    pub ingest: IngestSummary,
    /// Every stage in order with items, cache hits and wall time.
    pub stages: Vec<StageReport>,
    /// Files written to the output folder.
    pub outputs: Vec<String>,
}
