//! Production logs, whose records are not one conversation each: agent session files (Claude
//! Code, Codex CLI: one event per line), tracing exports (LangSmith runs, Langfuse traces,
//! OpenTelemetry GenAI spans: one model call or one turn per record), OpenAI Batch API files (a
//! request in one file, its result in another) and OpenAssistant message trees.
//!
//! Each record becomes a [`LogRecord`]: whole conversations, a [`Piece`] of one that
//! [`sessions::Sessions`] joins when the file ends, a [`batch::BatchHalf`] joined by custom id
//! when every input is read, or an event that holds no words (counted, not a conversation).

pub(crate) mod agents;
pub(crate) mod batch;
pub(crate) mod messages;
pub(crate) mod oasst;
pub(crate) mod sessions;
pub(crate) mod traces;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use chorus_types::{Conversation, Message};

use crate::Format;
use crate::fields::{MapError, identifier, time_field};

/// The log format a record belongs to, when its fields say so unambiguously.
pub(crate) fn recognise(object: &Map<String, Value>) -> Option<Format> {
    if oasst::is_record(object) {
        Some(Format::Oasst)
    } else if batch::is_record(object) {
        Some(Format::OpenaiBatch)
    } else if agents::is_claude_code(object) {
        Some(Format::ClaudeCode)
    } else if agents::is_codex(object) {
        Some(Format::Codex)
    } else if traces::is_langsmith_run(object) {
        Some(Format::Langsmith)
    } else if traces::is_langfuse_trace(object) {
        Some(Format::Langfuse)
    } else if traces::is_otel(object) {
        Some(Format::Otel)
    } else {
        None
    }
}

/// What a record of a log holds: most hold one item, an OTLP document one per span.
pub(crate) enum LogItem {
    /// A whole conversation.
    Conversation(Draft),
    /// Part of a conversation spread over several records of the file.
    Piece(sessions::Piece),
    /// A Batch API request or result.
    BatchHalf(batch::BatchHalf),
    /// Bookkeeping that holds no words: token counts, summaries, spans of no model call, runs
    /// inside a trace whose root run is read.
    NoWords,
    /// A part of the record that cannot be read (one span of a document).
    Rejected(MapError),
    /// The file holds the root run of this trace.
    TraceRoot(String),
}

/// A conversation read from a log, before validation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Draft {
    pub(crate) id: Option<String>,
    pub(crate) user_id: Option<String>,
    pub(crate) created_at: Option<DateTime<Utc>>,
    pub(crate) messages: Vec<Message>,
    pub(crate) metadata: BTreeMap<String, String>,
}

impl Draft {
    /// The conversation, under `fallback_id` when the log gave none.
    pub(crate) fn into_conversation(self, fallback_id: impl FnOnce() -> String) -> Conversation {
        Conversation {
            id: self.id.unwrap_or_else(fallback_id),
            user_id: self.user_id,
            created_at: self.created_at,
            messages: self.messages,
            metadata: self.metadata,
        }
    }

    /// Keeps a value as metadata when it is there and not empty.
    pub(crate) fn note(&mut self, key: &str, value: Option<&Value>) {
        let text = match value {
            None | Some(Value::Null) => return,
            Some(Value::String(text)) if text.is_empty() => return,
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        };
        self.metadata.entry(key.to_string()).or_insert(text);
    }
}

/// Reads one record as the log `format`.
pub(crate) fn read(
    format: Format,
    object: Map<String, Value>,
    session_of_file: &mut Option<String>,
) -> Result<Vec<LogItem>, MapError> {
    let one = |item: Result<LogItem, MapError>| item.map(|item| vec![item]);
    match format {
        Format::Oasst => one(oasst::read(&object)),
        Format::OpenaiBatch => one(batch::read(&object)),
        Format::ClaudeCode => one(agents::read_claude_code(&object)),
        Format::Codex => one(agents::read_codex(&object, session_of_file)),
        Format::Langsmith => traces::read_langsmith_run(&object),
        Format::Langfuse => one(traces::read_langfuse_trace(&object)),
        Format::Otel => traces::read_otel(&object),
        other => Err(MapError::new(
            crate::quarantine::Reason::UnknownFormat,
            format!("{other} is not a log format"),
        )),
    }
}

/// A string field, when present and not empty.
pub(crate) fn text_at<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

/// An identifier field written as a string or a number.
pub(crate) fn id_at(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(id_of)
}

/// An identifier written as a string or a number; anything else is no identifier.
pub(crate) fn id_of(value: &Value) -> Option<String> {
    identifier(value, "").ok().flatten()
}

/// A time field; a value that is not a time is an error naming the field.
pub(crate) fn time_at(
    object: &Map<String, Value>,
    key: &str,
) -> Result<Option<DateTime<Utc>>, MapError> {
    object
        .get(key)
        .map_or(Ok(None), |value| time_field(value, key))
}
