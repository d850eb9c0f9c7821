#![allow(dead_code)]

use std::path::PathBuf;

use chorus_ingest::{IngestOptions, IngestReport, Input, Item, Rejection, read_inputs};
use chorus_types::Conversation;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The real data sets beside the checkout (`../shared/data`).
pub fn shared_data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name)
}

pub struct Read {
    pub conversations: Vec<Conversation>,
    pub rejections: Vec<Rejection>,
    pub report: IngestReport,
}

pub fn read_paths(paths: &[PathBuf], options: &IngestOptions) -> Read {
    let inputs: Vec<Input> = paths.iter().cloned().map(Input::Path).collect();
    let mut conversations = Vec::new();
    let mut rejections = Vec::new();
    let report = read_inputs(&inputs, options, &mut |item: Item| match item {
        Item::Accepted(conversation) => conversations.push(conversation),
        Item::Rejected(rejection) => rejections.push(rejection),
    });
    assert_eq!(
        report.totals.records_read,
        report.totals.accepted + report.totals.duplicates + report.totals.rejected,
        "every record is accounted for"
    );
    assert_eq!(report.totals.accepted as usize, conversations.len());
    assert_eq!(report.totals.rejected as usize, rejections.len());
    Read {
        conversations,
        rejections,
        report,
    }
}
