//! Reads inputs and counts what comes out, nothing else: the reader's own throughput.
//!
//! cargo run --release -p chorus-ingest --example read_inputs -- FILE...

use chorus_ingest::{IngestOptions, Item, expand_inputs, read_inputs};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let inputs = match expand_inputs(&args) {
        Ok(expansion) => expansion.inputs,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    let mut messages = 0usize;
    let report = read_inputs(&inputs, &IngestOptions::default(), &mut |item: Item| {
        if let Item::Accepted(conversation) = item {
            messages += conversation.messages.len();
        }
    });
    println!(
        "{} records, {} accepted, {} rejected, {messages} messages",
        report.totals.records_read, report.totals.accepted, report.totals.rejected
    );
}
