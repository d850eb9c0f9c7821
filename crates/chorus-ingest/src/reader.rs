//! Reads a list of inputs end to end: open, recognise, parse, map, validate, de-duplicate.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, BufRead, Cursor, Read};

use chrono::Datelike;
use serde::Serialize;
use serde_json::Value;

use chorus_types::{ContentHash, Conversation};

use crate::detect::{Container, Plan, plan, unknown_schema};
use crate::fields::{MapError, get_path};
use crate::json::{JsonRecord, read_document, read_lines};
use crate::logs::batch::{Batches, Placement};
use crate::logs::sessions::Sessions;
use crate::logs::{Draft, LogItem};
use crate::mapping::{Origin, Schema, classify, map_record};
use crate::options::IngestOptions;
use crate::quarantine::{Location, Reason, Rejection};
use crate::rows::{PendingRows, is_message_row};
use crate::source::{Input, RawDigest, open};
use crate::tabular::{ends_lines_with_crlf, read_delimited};
use crate::timestamp::kind_of;
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
    /// `utf-16le` or `utf-16be` when the text was decoded from UTF-16 (absent for UTF-8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
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
    /// Fields named by a flag that no record has: a typo that would otherwise go unseen.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched_fields: Vec<UnmatchedField>,
}

/// A field a flag names that no record holds.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UnmatchedField {
    /// The flag (`--user-field`), or the config key's flag.
    pub flag: &'static str,
    /// The field it names.
    pub field: String,
    /// Fields the records do have (top level, and one level into nested objects as `a.b`).
    pub fields_seen: Vec<String>,
}

impl std::fmt::Display for UnmatchedField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} matches no field of any record; the records have: {} (dotted paths reach \
             into nested objects)",
            self.flag,
            self.field,
            self.fields_seen.join(", ")
        )
    }
}

/// How many field names are kept to show beside an unmatched field.
const FIELDS_SHOWN: usize = 60;

/// The records' fields a flag was checked against.
struct FieldCheck {
    named: Vec<(&'static str, String, u64)>,
    seen: BTreeSet<String>,
}

impl FieldCheck {
    fn new(fields: &crate::FieldNames) -> Self {
        let named = [
            ("--id-field", &fields.id),
            ("--user-field", &fields.user),
            ("--time-field", &fields.time),
            ("--text-field", &fields.text),
            ("--label-field", &fields.label),
            ("--records", &fields.records),
        ]
        .into_iter()
        .filter_map(|(flag, field)| field.clone().map(|field| (flag, field, 0)))
        .collect();
        Self {
            named,
            seen: BTreeSet::new(),
        }
    }

    fn record(&mut self, object: &serde_json::Map<String, Value>) {
        if self.named.is_empty() {
            return;
        }
        for (_, field, hits) in &mut self.named {
            if get_path(object, field).is_some() {
                *hits += 1;
            }
        }
        for (key, value) in object {
            let nested = value
                .as_object()
                .into_iter()
                .flat_map(|nested| nested.keys());
            for name in
                std::iter::once(key.clone()).chain(nested.map(|inner| format!("{key}.{inner}")))
            {
                if self.seen.len() >= FIELDS_SHOWN {
                    return;
                }
                self.seen.insert(name);
            }
        }
    }

    fn unmatched(self, records: u64) -> Vec<UnmatchedField> {
        if records == 0 {
            return Vec::new();
        }
        let seen: Vec<String> = self.seen.into_iter().collect();
        self.named
            .into_iter()
            .filter(|(_, _, hits)| *hits == 0)
            .map(|(flag, field, _)| UnmatchedField {
                flag,
                field,
                fields_seen: seen.clone(),
            })
            .collect()
    }
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
    /// Conversations whose id an earlier file used for other content, kept as `FILE/ID`.
    pub ids_namespaced: u64,
    /// Accepted conversations dated before 2000: almost always a time field read in the wrong
    /// unit (small integers taken as Unix seconds), or not a time at all.
    pub times_before_2000: u64,
    /// Records of production logs that hold no words of a conversation: token counts and
    /// summaries of agent sessions, spans of no model call, runs inside a LangSmith trace whose
    /// root run is read. Not counted in `records_read`.
    pub log_events_without_words: u64,
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
        field_check: FieldCheck::new(&options.fields),
        seen_ids: HashMap::new(),
        objects_read: 0,
        sink,
        bytes_before: 0,
        digest: None,
        batches: Batches::default(),
    };
    for (index, input) in inputs.iter().enumerate() {
        state.read_input(index, input);
    }
    state.finish_batches();
    let objects_read = state.objects_read;
    let mut report = state.report;
    report.unmatched_fields = state.field_check.unmatched(objects_read);
    report
}

const SNIFF_BYTES: u64 = 1 << 20;
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

struct ReadState<'a> {
    options: &'a IngestOptions,
    report: IngestReport,
    /// Which named fields the records hold.
    field_check: FieldCheck,
    /// Records that were JSON objects (rows included), the ones a field can be looked up in.
    objects_read: u64,
    /// Id hash to content hash and the index of the file it came from, to tell exact
    /// duplicates from conflicting reuse of an id.
    seen_ids: HashMap<ContentHash, (ContentHash, usize)>,
    sink: &'a mut dyn Sink,
    /// Raw bytes of the inputs before the current one.
    bytes_before: u64,
    /// The current input's digest, for progress.
    digest: Option<RawDigest>,
    /// Batch API requests and results, joined once every input is read.
    batches: Batches,
}

const PROGRESS_EVERY_RECORDS: u64 = 256;

/// Chat logs begin long after this year; earlier times are counted as implausible.
const PLAUSIBLE_FROM_YEAR: i32 = 2000;

struct FileContext {
    /// The input's place among the inputs.
    index: usize,
    source: String,
    id_prefix: String,
    file: FileReport,
    /// One-message-per-row records, grouped when the file is read.
    rows: PendingRows,
    /// Pieces of conversations spread over a log's records, joined when the file is read.
    sessions: Sessions,
    /// The session a Codex file's facts line named.
    log_session: Option<String>,
    /// Batch halves of this file waiting for their other half.
    batch_halves: u64,
    /// Log records of this file that hold no words.
    no_words: u64,
}

impl FileContext {
    fn new(index: usize, source: String, id_prefix: String, file: FileReport) -> Self {
        Self {
            index,
            source,
            id_prefix,
            file,
            rows: PendingRows::default(),
            sessions: Sessions::default(),
            log_session: None,
            batch_halves: 0,
            no_words: 0,
        }
    }
}

impl ReadState<'_> {
    fn read_input(&mut self, index: usize, input: &Input) {
        let file = FileReport {
            source: input.label(),
            ..FileReport::default()
        };
        let mut context = FileContext::new(index, input.label(), input.id_prefix(), file);
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
                context.file.encoding = opened.encoding.map(str::to_string);
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
        context.file.format = plan.format;
        let crlf = ends_lines_with_crlf(body);
        let skip = prefix.len() - body.len();
        let mut whole = Cursor::new(prefix).chain(stream);
        whole.consume(skip);
        self.read_planned(context, plan, crlf, &mut whole);
        self.finish_rows(context);
        self.finish_sessions(context);
        if context.file.records == 0 && context.file.rejected == 0 && context.batch_halves == 0 {
            let detail = match context.no_words {
                0 => "the file holds no records".to_string(),
                events => format!(
                    "the file's {events} log records hold no words of a conversation (token \
                     counts, summaries, spans of no model call, runs inside a trace)"
                ),
            };
            self.reject(
                context,
                Location::file(),
                MapError::new(Reason::EmptyFile, detail),
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
        if let Ok(Value::Object(object)) = &record {
            self.field_check.record(object);
            self.objects_read += 1;
        }
        let record = match record {
            Ok(Value::Object(object)) => match self.unwrapped(object) {
                Ok(items) => {
                    for (index, item) in items.into_iter().enumerate() {
                        let inner = Location {
                            line: location.line,
                            record: Some(index as u64 + 1),
                        };
                        self.record(context, schema, inner, Ok(item));
                    }
                    return;
                }
                Err(object) => Ok(Value::Object(object)),
            },
            other => other,
        };
        let record = match record {
            Ok(value) => match self.log_format(&value) {
                Some(format) => {
                    context.file.format.get_or_insert(format);
                    self.log_record(context, format, location, value);
                    self.report_progress();
                    return;
                }
                None => Ok(value),
            },
            error => error,
        };
        let reads_rows = self.reads_message_rows();
        let result = record.and_then(|value| match value {
            Value::Object(row) if reads_rows && is_message_row(&row, &self.options.fields) => {
                context
                    .rows
                    .push(location.clone(), row, &self.options.fields);
                Ok(None)
            }
            value => {
                let schema = self.schema_of(context, schema, &value)?;
                self.conversation(context, schema, &location, value)
                    .map(Some)
            }
        });
        match result {
            Ok(Some(conversation)) => self.accept(context, location, conversation),
            Ok(None) => {}
            Err(error) => self.reject(context, location, error),
        }
        self.report_progress();
    }

    /// The records a wrapping object holds (`{"data": [...]}`): at the `--records` path, or
    /// under a common key whose list holds conversations. Not a wrapper: the object back.
    fn unwrapped(
        &self,
        mut object: serde_json::Map<String, Value>,
    ) -> Result<Vec<Value>, serde_json::Map<String, Value>> {
        let path = match &self.options.fields.records {
            Some(path) => path.as_str(),
            None => match WRAPPER_KEYS
                .iter()
                .find(|key| holds_conversations(object.get(**key)))
            {
                Some(key) => key,
                None => return Err(object),
            },
        };
        if !get_path(&object, path).is_some_and(Value::is_array) {
            return Err(object);
        }
        match take_path(&mut object, path) {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(object),
        }
    }

    /// Rows are grouped unless a conversation format was forced.
    fn reads_message_rows(&self) -> bool {
        matches!(
            self.options.format,
            None | Some(Format::Csv | Format::Tsv | Format::Parquet)
        )
    }

    /// The conversations of a file's message rows, once the file is read.
    fn finish_rows(&mut self, context: &mut FileContext) {
        // The options outlive `self`'s borrow, so the field names need no copy.
        let options = self.options;
        for (location, record) in std::mem::take(&mut context.rows).into_records(&options.fields) {
            match self.conversation(context, Schema::Openai, &location, record) {
                Ok(conversation) => self.accept(context, location, conversation),
                Err(error) => self.reject(context, location, error),
            }
            self.report_progress();
        }
    }

    /// Unless a format was forced, each record is recognised on its own: one file may mix
    /// layouts, and its first record is no better a guide than any other.
    fn schema_of(
        &self,
        context: &mut FileContext,
        schema: &mut Option<Schema>,
        value: &Value,
    ) -> Result<Schema, MapError> {
        let own = match (self.options.format, value.as_object()) {
            (None, Some(object)) => classify(object, &self.options.fields),
            _ => None,
        };
        Ok(match (own, &mut *schema) {
            (Some(own), _) => {
                context.file.format.get_or_insert(detect::format_of(own));
                own
            }
            (None, Some(schema)) => *schema,
            (None, None) => {
                let found = resolve_row_schema(value, &self.options.fields)?;
                context.file.format.get_or_insert(detect::format_of(found));
                *schema = Some(found);
                found
            }
        })
    }

    fn conversation(
        &mut self,
        context: &FileContext,
        schema: Schema,
        location: &Location,
        value: Value,
    ) -> Result<Conversation, MapError> {
        let origin = Origin {
            id_prefix: &context.id_prefix,
            position: position(location),
        };
        let conversation = map_record(schema, value, &self.options.fields, &origin)?;
        self.checked(conversation)
    }

    /// Validates a mapped conversation and counts what validation changed.
    fn checked(&mut self, mut conversation: Conversation) -> Result<Conversation, MapError> {
        let adjustments = validate(&mut conversation, self.options).map_err(|mut error| {
            error.id = Some(conversation.id.clone());
            error
        })?;
        self.report.totals.empty_messages_removed += adjustments.empty_messages_removed;
        self.report.totals.messages_truncated += adjustments.messages_truncated;
        if conversation
            .created_at
            .is_some_and(|time| time.year() < PLAUSIBLE_FROM_YEAR)
        {
            self.report.totals.times_before_2000 += 1;
        }
        Ok(conversation)
    }

    /// The log format a record is read as: the forced format, or the one its fields show.
    fn log_format(&self, value: &Value) -> Option<Format> {
        match self.options.format {
            Some(format) => format.is_log().then_some(format),
            None => value.as_object().and_then(crate::logs::recognise),
        }
    }

    fn log_record(
        &mut self,
        context: &mut FileContext,
        format: Format,
        location: Location,
        value: Value,
    ) {
        let Value::Object(object) = value else {
            let error = MapError::new(
                Reason::NotAnObject,
                format!("expected a JSON object, found {}", kind_of(&value)),
            );
            self.reject(context, location, error);
            return;
        };
        let items = match crate::logs::read(format, object, &mut context.log_session) {
            Ok(items) => items,
            Err(error) => {
                self.reject(context, location, error);
                return;
            }
        };
        // Records of their own (an OTLP document's spans) are numbered within the line.
        let several = items
            .iter()
            .filter(|item| !matches!(item, LogItem::TraceRoot(_) | LogItem::NoWords))
            .count()
            > 1;
        for (index, item) in items.into_iter().enumerate() {
            let location = if several {
                Location {
                    line: location.line,
                    record: Some(index as u64 + 1),
                }
            } else {
                location.clone()
            };
            match item {
                LogItem::Conversation(draft) => self.settle(context, location, draft),
                LogItem::Piece(piece) => context.sessions.push(location, piece),
                LogItem::BatchHalf(half) => {
                    context.batch_halves += 1;
                    let placement = Placement {
                        file: context.index,
                        id_prefix: context.id_prefix.clone(),
                        location,
                    };
                    self.batches.push(placement, half);
                }
                LogItem::NoWords => {
                    context.no_words += 1;
                    self.report.totals.log_events_without_words += 1;
                }
                LogItem::Rejected(error) => self.reject(context, location, error),
                LogItem::TraceRoot(trace) => context.sessions.rooted(trace),
            }
        }
    }

    /// A conversation read from a log: validated, then accepted or rejected.
    fn settle(&mut self, context: &mut FileContext, location: Location, draft: Draft) {
        let fallback = || format!("{}{}", context.id_prefix, position(&location));
        let conversation = draft.into_conversation(fallback);
        match self.checked(conversation) {
            Ok(conversation) => self.accept(context, location, conversation),
            Err(error) => self.reject(context, location, error),
        }
    }

    /// The conversations whose pieces were spread over the file's records.
    fn finish_sessions(&mut self, context: &mut FileContext) {
        let (drafts, left_out) = std::mem::take(&mut context.sessions).into_drafts();
        context.no_words += left_out;
        self.report.totals.log_events_without_words += left_out;
        for (location, draft) in drafts {
            self.settle(context, location, draft);
            self.report_progress();
        }
    }

    /// Every Batch API call, counted in the file its request (or lone result) came from.
    fn finish_batches(&mut self) {
        for (placement, draft) in std::mem::take(&mut self.batches).into_drafts() {
            let Some(file) = self.report.files.get_mut(placement.file) else {
                continue;
            };
            let file = std::mem::take(file);
            let mut context = FileContext::new(
                placement.file,
                file.source.clone(),
                placement.id_prefix,
                file,
            );
            self.settle(&mut context, placement.location, draft);
            self.report.files[placement.file] = context.file;
        }
    }

    fn report_progress(&mut self) {
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
        mut conversation: Conversation,
    ) {
        let file = context.index;
        let content = conversation.content_hash();
        let mut id_hash = ContentHash::of(conversation.id.as_bytes());
        // Shards often number their records from 0 each: an id another file used for other
        // content is this file's own, so it is kept under the file's name.
        if let Some(&(previous, earlier_file)) = self.seen_ids.get(&id_hash)
            && previous != content
            && earlier_file != file
        {
            conversation.id = format!("{}/{}", context.id_prefix, conversation.id);
            id_hash = ContentHash::of(conversation.id.as_bytes());
            self.report.totals.ids_namespaced += 1;
        }
        match self.seen_ids.get(&id_hash) {
            Some((previous, _)) if *previous == content => {
                context.file.records += 1;
                context.file.duplicates += 1;
                self.report.totals.records_read += 1;
                self.report.totals.duplicates += 1;
            }
            Some(_) => {
                let error = MapError {
                    reason: Reason::DuplicateIdConflict,
                    detail:
                        "an earlier conversation of this file has this id and different content"
                            .into(),
                    id: Some(conversation.id),
                };
                self.reject(context, location, error);
            }
            None => {
                self.seen_ids.insert(id_hash, (content, file));
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

/// `:line#record`, `:line` or `#record`: where a record without an id was, for its id.
fn position(location: &Location) -> String {
    match (location.line, location.record) {
        (Some(line), Some(record)) => format!(":{line}#{record}"),
        (Some(line), None) => format!(":{line}"),
        (None, Some(record)) => format!("#{record}"),
        (None, None) => String::new(),
    }
}

/// Keys under which a wrapping record commonly keeps its conversations.
const WRAPPER_KEYS: [&str; 10] = [
    "data",
    "runs",
    "traces",
    "conversations",
    "records",
    "items",
    "chats",
    "dialogs",
    "sessions",
    "threads",
];

/// A list whose first item is a conversation (it holds a message list or tree) or a log record
/// (a trace, a run), not a message.
fn holds_conversations(value: Option<&Value>) -> bool {
    let Some(Value::Array(items)) = value else {
        return false;
    };
    items
        .first()
        .and_then(Value::as_object)
        .is_some_and(|item| {
            crate::logs::recognise(item).is_some()
                || [
                    "messages",
                    "conversation",
                    "conversations",
                    "chat_messages",
                    "mapping",
                ]
                .iter()
                .any(|key| {
                    item.get(*key)
                        .is_some_and(|v| v.is_array() || v.is_object())
                })
        })
}

/// Removes the value at a dotted path.
fn take_path(object: &mut serde_json::Map<String, Value>, path: &str) -> Option<Value> {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop()?;
    let mut current = object;
    for part in parts {
        current = current.get_mut(part)?.as_object_mut()?;
    }
    current.remove(last)
}

/// Parquet rows carry no schema hint in their bytes, and a JSON file's first record may not
/// be recognisable: the first record that is decides.
fn resolve_row_schema(value: &Value, fields: &crate::FieldNames) -> Result<Schema, MapError> {
    value
        .as_object()
        .and_then(|object| classify(object, fields))
        .ok_or_else(|| unknown_schema(value))
}
