//! Reading on a thread of its own, so parsing overlaps with the stages that consume it.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

use chorus_ingest::{IngestOptions, IngestReport, Input, Item, Rejection, Sink, read_inputs};
use chorus_types::Conversation;

use crate::{Config, PipelineError, Progress, StageReport};

/// What the reader hands over, in input order.
pub(crate) enum Batch {
    /// Accepted conversations, at most `batch_size` of them.
    Conversations(Vec<Conversation>),
    /// One record that was not accepted.
    Rejected(Rejection),
}

/// Batches in flight between the reader and the consumer: enough to keep both busy, few enough
/// that memory stays flat.
const QUEUED_BATCHES: usize = 4;

/// What reading produced: the ingest counts and the `ingest` stage's report.
pub(crate) struct Ingested {
    pub(crate) report: IngestReport,
    pub(crate) stage: StageReport,
}

/// Reads `inputs` on a reader thread and hands every batch to `consume` on this one, as the
/// `ingest` stage (its progress counted in raw bytes). The first error from `consume` stops the
/// consumer and is returned once the reader has finished.
pub(crate) fn read_in_batches(
    inputs: &[Input],
    config: &Config,
    progress: &dyn Progress,
    consume: &mut dyn FnMut(Batch) -> Result<(), PipelineError>,
) -> Result<Ingested, PipelineError> {
    let started = Instant::now();
    progress.stage_started("ingest", "bytes", total_bytes(inputs));
    let report = read_on_a_thread(
        inputs,
        &config.ingest,
        config.run.batch_size,
        progress,
        consume,
    )?;
    if let Some(unmatched) = report.unmatched_fields.first() {
        return Err(PipelineError::FieldNotFound(unmatched.to_string()));
    }
    let records = report.totals.records_read;
    let stage = StageReport {
        name: "ingest".into(),
        version: 1,
        items: records,
        cache_hits: 0,
        computed: records,
        wall_seconds: started.elapsed().as_secs_f64(),
        ..StageReport::default()
    };
    progress.stage_finished(&stage);
    Ok(Ingested { report, stage })
}

/// Total raw bytes when every input is a file whose size is known.
fn total_bytes(inputs: &[Input]) -> Option<u64> {
    inputs.iter().map(Input::file_bytes).sum()
}

fn read_on_a_thread(
    inputs: &[Input],
    options: &IngestOptions,
    batch_size: usize,
    progress: &dyn Progress,
    consume: &mut dyn FnMut(Batch) -> Result<(), PipelineError>,
) -> Result<IngestReport, PipelineError> {
    let (sender, receiver) = sync_channel(QUEUED_BATCHES);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut sink = BatchingSink {
                sender,
                batch: Vec::with_capacity(batch_size),
                batch_size,
                progress,
            };
            let report = read_inputs(inputs, options, &mut sink);
            sink.send_batch();
            report
        });
        let consumed = consume_all(receiver, consume);
        let report = match reader.join() {
            Ok(report) => report,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        consumed.map(|()| report)
    })
}

fn consume_all(
    receiver: Receiver<Batch>,
    consume: &mut dyn FnMut(Batch) -> Result<(), PipelineError>,
) -> Result<(), PipelineError> {
    for batch in receiver.iter() {
        // Returning drops the receiver: the reader's sends then fail and it stops handing over.
        consume(batch)?;
    }
    Ok(())
}

struct BatchingSink<'a> {
    sender: SyncSender<Batch>,
    batch: Vec<Conversation>,
    batch_size: usize,
    progress: &'a dyn Progress,
}

impl BatchingSink<'_> {
    fn send_batch(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
            // A closed channel means the consumer failed; its error is what the caller reports.
            let _ = self.sender.send(Batch::Conversations(batch));
        }
    }
}

impl Sink for BatchingSink<'_> {
    fn item(&mut self, item: Item) {
        match item {
            Item::Accepted(conversation) => {
                self.batch.push(conversation);
                if self.batch.len() >= self.batch_size {
                    self.send_batch();
                }
            }
            Item::Rejected(rejection) => {
                let _ = self.sender.send(Batch::Rejected(rejection));
            }
        }
    }

    fn raw_bytes(&mut self, total: u64) {
        self.progress.stage_advanced("ingest", total);
    }
}
