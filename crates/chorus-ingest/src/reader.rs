//! Reads a list of inputs end to end: open, recognise, parse, map, validate, de-duplicate.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, Cursor, Read};

use serde::Serialize;
use serde_json::Value;

use chorus_types::{ContentHash, Conversation};

use crate::detect::{Container, Plan, plan};
use crate::fields::MapError;
use crate::json::{JsonRecord, read_document, read_lines};
use crate::mapping::{Origin, Schema, classify, map_record};
use crate::options::IngestOptions;
use crate::quarantine::{Location, Reason, Rejection};
use crate::source::{Input, RawDigest, open};
use crate::tabular::{ends_lines_with_crlf, read_delimited};
use crate::validate::validate;
use crate::{Format, detect};

/// What reading yields, in input order.
#[derive(Debug)]
pub enum Item {
    /// A valid conversation.
    Accepted(Conversation),
    /// A record (or a whole file) that was not accepted, with the reason.
    Rejected(Rejection),
}

/// Counts for one input.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FileReport {
    /// The path as given, or `-`.
    pub source: String,
    /// The format it was read as, when one was recognised.
    pub format: Option<Format>,
    /// `gzip` or `zstd` when the bytes were compressed.
    pub compression: Option<String>,
    /// Raw bytes read.
    pub bytes: u64,
    /// BLAKE3 of the raw bytes.
    pub blake3: String,
    /// Records seen (accepted + duplicates + rejected).
    pub records: u64,
    /// Conversations accepted.
    pub accepted: u64,
    /// Exact duplicates of an earlier conversation with the same id, dropped.
    pub duplicates: u64,
    /// Records rejected (a file-level problem counts as one).
    pub rejected: u64,
}

/// Counts for a whole read: one entry per input and the totals.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct IngestReport {
    /// One entry per input, in order.
    pub files: Vec<FileReport>,
    /// Totals over all inputs.
    pub totals: IngestTotals,
}

/// Totals over all inputs. `records_read == accepted + duplicates + rejected`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct IngestTotals {
    /// Records seen over all inputs (a file-level problem counts as one).
    pub records_read: u64,
    /// Conversations accepted.
    pub accepted: u64,
    /// Exact duplicates (same id, same content) dropped.
    pub duplicates: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Rejections by reason.
    pub rejected_by_reason: BTreeMap<Reason, u64>,
    /// Empty messages removed from accepted conversations.
    pub empty_messages_removed: u64,
    /// Messages cut to `max_message_chars` in accepted conversations.
    pub messages_truncated: u64,
    /// Blank lines skipped in line-oriented files.
    pub blank_lines: u64,
}

/// Receives what reading yields.
pub trait Sink {
    /// An accepted conversation or a rejection, in input order.
    fn item(&mut self, item: Item);

    /// Raw (compressed) bytes read so far over all inputs, reported every few hundred records
    /// and at the end of each file, for progress bars.
    fn raw_bytes(&mut self, _total: u64) {}
}

impl<F: FnMut(Item)> Sink for F {
    fn item(&mut self, item: Item) {
        self(item)
    }
}

/// Reads every input in order, handing each accepted conversation and each rejection to `sink`.
/// Never fails: whatever goes wrong with a file becomes a rejection.
pub fn read_inputs(inputs: &[Input], options: &IngestOptions, sink: &mut dyn Sink) -> IngestReport {
    let mut state = ReadState {
        options,
        report: IngestReport::default(),
        seen_ids: HashMap::new(),
        sink,
        bytes_before: 0,
        digest: None,
    };
    for input in inputs {
        state.read_input(input);
    }
    state.report
}

const SNIFF_BYTES: u64 = 1 << 20;
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

struct ReadState<'a> {
    options: &'a IngestOptions,
    report: IngestReport,
    /// Id hash to content hash, to tell exact duplicates from conflicting reuse of an id.
    seen_ids: HashMap<ContentHash, ContentHash>,
    sink: &'a mut dyn Sink,
    /// Raw bytes of the inputs before the current one.
    bytes_before: u64,
    /// The current input's digest, for progress.
    digest: Option<RawDigest>,
}

const PROGRESS_EVERY_RECORDS: u64 = 256;

struct FileContext {
    source: String,
    id_prefix: String,
    file: FileReport,
}

impl ReadState<'_> {
    fn read_input(&mut self, input: &Input) {
        let mut context = FileContext {
            source: input.label(),
            id_prefix: input.id_prefix(),
            file: FileReport {
                source: input.label(),
                ..FileReport::default()
            },
        };
        match open(input) {
            Err(error) => {
                let detail = match error.kind() {
                    io::ErrorKind::NotFound => {
                        format!("{error} (no such file, or a glob matching nothing)")
                    }
                    _ => error.to_string(),
                };
                self.reject(
                    &mut context,
                    Location::file(),
                    MapError::new(Reason::UnreadableFile, detail),
                );
            }
            Ok(mut opened) => {
                context.file.compression = opened.compression.map(str::to_string);
                self.digest = Some(opened.digest.clone());
                self.read_stream(&mut context, input, &mut opened.stream);
                // Reading the rest completes the raw digest when parsing stopped early.
                let _ = io::copy(&mut opened.stream, &mut io::sink());
                context.file.bytes = opened.digest.bytes();
                context.file.blake3 = opened.digest.hex();
                self.digest = None;
                self.bytes_before += context.file.bytes;
                self.sink.raw_bytes(self.bytes_before);
            }
        }
        self.report.files.push(context.file);
    }

    fn read_stream(
        &mut self,
        context: &mut FileContext,
        input: &Input,
        stream: &mut Box<dyn BufRead>,
    ) {
        let mut prefix = Vec::new();
        if let Err(error) = stream.by_ref().take(SNIFF_BYTES).read_to_end(&mut prefix) {
            self.reject(
                context,
                Location::file(),
                MapError::new(Reason::UnreadableFile, error.to_string()),
            );
            return;
        }
        let body = prefix.strip_prefix(UTF8_BOM).unwrap_or(&prefix);
        let plan = match plan(
            body,
            &input.name_hint(),
            self.options.format,
            &self.options.fields,
        ) {
            Ok(plan) => plan,
            Err(error) => {
                self.reject(context, Location::file(), error);
                return;
            }
        };
        context.file.format = Some(plan.format);
        let crlf = ends_lines_with_crlf(body);
        let skip = prefix.len() - body.len();
        let mut whole = Cursor::new(prefix).chain(stream);
        whole.consume(skip);
        self.read_planned(context, plan, crlf, &mut whole);
        if context.file.records == 0 && context.file.rejected == 0 {
            self.reject(
                context,
                Location::file(),
                MapError::new(Reason::EmptyFile, "the file holds no records"),
            );
        }
    }

    fn read_planned(
        &mut self,
        context: &mut FileContext,
        plan: Plan,
        crlf: bool,
        stream: &mut dyn BufRead,
    ) {
        let mut schema = plan.schema;
        let mut on_record = |state: &mut Self, location: Location, record: JsonRecord| {
            state.record(context, &mut schema, location, record);
        };
        match plan.container {
            Container::JsonLines => match read_lines(stream, &mut |l, r| on_record(self, l, r)) {
                Ok(blank) => self.report.totals.blank_lines += blank,
                Err(error) => {
                    let location = Location::line(context.file.records + 1);
                    self.reject(
                        context,
                        location,
                        MapError::new(Reason::UnreadableFile, error.to_string()),
                    );
                }
            },
            Container::JsonDocument => {
                if let Err(failure) = read_document(stream, &mut |l, r| on_record(self, l, r)) {
                    let location = Location::record(failure.records_read + 1);
                    self.reject(context, location, failure.error);
                }
            }
            Container::Delimited(delimiter) => {
                // The options outlive `self`'s borrow, so the field names need no copy.
                let options = self.options;
                let fields = &options.fields;
                let result = read_delimited(stream, delimiter, crlf, fields, &mut |l, r| {
                    on_record(self, l, r)
                });
                if let Err(error) = result {
                    self.reject(context, Location::file(), error);
                }
            }
            Container::Parquet => self.read_parquet(context, stream, &mut schema),
        }
    }

    #[cfg(feature = "parquet")]
    fn read_parquet(
        &mut self,
        context: &mut FileContext,
        stream: &mut dyn BufRead,
        schema: &mut Option<Schema>,
    ) {
        let mut bytes = Vec::new();
        if let Err(error) = stream.read_to_end(&mut bytes) {
            self.reject(
                context,
                Location::file(),
                MapError::new(Reason::UnreadableFile, error.to_string()),
            );
            return;
        }
        let rows = match chorus_parquet::Rows::open(bytes) {
            Ok(rows) => rows,
            Err(error) => {
                let error = MapError::new(
                    Reason::UnreadableFile,
                    format!("not a readable Parquet file: {error}"),
                );
                self.reject(context, Location::file(), error);
                return;
            }
        };
        for (index, row) in rows.enumerate() {
            let record = row.map_err(|e| MapError::new(Reason::InvalidField, e.to_string()));
            self.record(context, schema, Location::record(index as u64 + 1), record);
        }
    }

    #[cfg(not(feature = "parquet"))]
    fn read_parquet(
        &mut self,
        context: &mut FileContext,
        _: &mut dyn BufRead,
        _: &mut Option<Schema>,
    ) {
        let error = MapError::new(
            Reason::UnknownFormat,
            "this build of chorus has no Parquet support",
        );
        self.reject(context, Location::file(), error);
    }

    fn record(
        &mut self,
        context: &mut FileContext,
        schema: &mut Option<Schema>,
        location: Location,
        record: JsonRecord,
    ) {
        let result = record.and_then(|value| {
            let schema = match schema {
                Some(schema) => *schema,
                None => {
                    let found = resolve_row_schema(&value, &self.options.fields)?;
                    context.file.format.get_or_insert(detect::format_of(found));
                    *schema = Some(found);
                    found
                }
            };
            let origin = Origin {
                id_prefix: &context.id_prefix,
                position: match (location.line, location.record) {
                    (Some(line), _) => format!(":{line}"),
                    (None, Some(record)) => format!("#{record}"),
                    (None, None) => String::new(),
                },
            };
            let mut conversation = map_record(schema, value, &self.options.fields, &origin)?;
            let adjustments = validate(&mut conversation, self.options).map_err(|mut error| {
                error.id = Some(conversation.id.clone());
                error
            })?;
            self.report.totals.empty_messages_removed += adjustments.empty_messages_removed;
            self.report.totals.messages_truncated += adjustments.messages_truncated;
            Ok(conversation)
        });
        match result {
            Ok(conversation) => self.accept(context, location, conversation),
            Err(error) => self.reject(context, location, error),
        }
        if self
            .report
            .totals
            .records_read
            .is_multiple_of(PROGRESS_EVERY_RECORDS)
            && let Some(digest) = &self.digest
        {
            self.sink.raw_bytes(self.bytes_before + digest.bytes());
        }
    }

    fn accept(
        &mut self,
        context: &mut FileContext,
        location: Location,
        conversation: Conversation,
    ) {
        let id_hash = ContentHash::of(conversation.id.as_bytes());
        let content = conversation.content_hash();
        match self.seen_ids.get(&id_hash) {
            Some(previous) if *previous == content => {
                context.file.records += 1;
                context.file.duplicates += 1;
                self.report.totals.records_read += 1;
                self.report.totals.duplicates += 1;
            }
            Some(_) => {
                let error = MapError {
                    reason: Reason::DuplicateIdConflict,
                    detail: "an earlier conversation has this id and different content".into(),
                    id: Some(conversation.id),
                };
                self.reject(context, location, error);
            }
            None => {
                self.seen_ids.insert(id_hash, content);
                context.file.records += 1;
                context.file.accepted += 1;
                self.report.totals.records_read += 1;
                self.report.totals.accepted += 1;
                self.sink.item(Item::Accepted(conversation));
            }
        }
    }

    fn reject(&mut self, context: &mut FileContext, location: Location, error: MapError) {
        context.file.records += 1;
        context.file.rejected += 1;
        self.report.totals.records_read += 1;
        self.report.totals.rejected += 1;
        *self
            .report
            .totals
            .rejected_by_reason
            .entry(error.reason)
            .or_default() += 1;
        self.sink.item(Item::Rejected(Rejection {
            source: context.source.clone(),
            location,
            id: error.id,
            reason: error.reason,
            detail: error.detail,
        }));
    }
}

/// Parquet rows carry no schema hint in their bytes: the first row decides.
fn resolve_row_schema(value: &Value, fields: &crate::FieldNames) -> Result<Schema, MapError> {
    value
        .as_object()
        .and_then(|object| classify(object, fields))
        .ok_or_else(|| {
            MapError::new(
                Reason::UnknownFormat,
                "the first row matches no known conversation format; name the text column with --text-field",
            )
        })
}
