//! Reads conversations from every common format into [`chorus_types::Conversation`]s.
//!
//! Reading is streaming: records are handed to a callback one at a time, so memory stays flat in
//! the size of the input. Gzip and zstd are undone transparently, formats are recognised from the
//! content (or forced), and a record that cannot be read never stops the run: it becomes a
//! [`Rejection`] with its file, line or record number and a specific [`Reason`].
//!
//! ```no_run
//! use chorus_ingest::{read_inputs, IngestOptions, Item};
//!
//! let inputs = chorus_ingest::expand_inputs(&["conversations.jsonl.gz".into()]).unwrap().inputs;
//! let report = read_inputs(&inputs, &IngestOptions::default(), &mut |item: Item| match item {
//!     Item::Accepted(conversation) => println!("{}", conversation.id),
//!     Item::Rejected(rejection) => eprintln!("{rejection}"),
//! });
//! println!("{} accepted", report.totals.accepted);
//! ```
#![warn(missing_docs)]

mod detect;
mod encoding;
mod fields;
mod format;
mod json;
mod logs;
mod mapping;
mod options;
mod quarantine;
mod reader;
mod rows;
mod source;
mod tabular;
mod timestamp;
mod transcript;
mod validate;

pub use validate::TRUNCATION_MARK;

pub use format::Format;
pub use options::{FieldNames, IngestOptions, OversizePolicy};
pub use quarantine::{Location, Reason, Rejection};
pub use reader::{FileReport, IngestReport, IngestTotals, Item, Sink, UnmatchedField, read_inputs};
pub use source::{ExpandError, Expansion, Input, Skipped, expand_inputs};
