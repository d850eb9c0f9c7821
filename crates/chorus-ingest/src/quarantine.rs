use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a record was not accepted. The snake_case name is what `rejected.jsonl` and the run
/// summary show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// The line or file is not valid JSON.
    InvalidJson,
    /// The bytes are not valid UTF-8.
    InvalidUtf8,
    /// A JSON record that is not an object.
    NotAnObject,
    /// The record has no messages field.
    MissingMessages,
    /// The messages are there but hold no text.
    EmptyMessages,
    /// A message's role is not one chorus knows.
    UnknownRole,
    /// No message was written by the user.
    NoUserTurn,
    /// A message is longer than the configured cap and the policy is to reject.
    OversizeMessage,
    /// The same id was seen before with different content.
    DuplicateIdConflict,
    /// The file could not be opened, decompressed or read to its end.
    UnreadableFile,
    /// The file holds no records.
    EmptyFile,
    /// The file matches no known format.
    UnknownFormat,
    /// The text field (transcript or single turn) is missing or not a string.
    MissingTextField,
    /// A transcript string holds no `Human:` / `Assistant:` turns.
    MalformedTranscript,
    /// The time field holds something that is not a time.
    InvalidTimestamp,
    /// A field has the wrong type (an id that is an object, a role that is a number, ...).
    InvalidField,
    /// A CSV or TSV row that cannot be parsed (wrong number of fields, bad quoting).
    MalformedRow,
    /// A ChatGPT export conversation whose message tree is broken.
    BrokenMessageTree,
}

impl Reason {
    /// The snake_case name.
    pub fn code(self) -> &'static str {
        match self {
            Reason::InvalidJson => "invalid_json",
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::NotAnObject => "not_an_object",
            Reason::MissingMessages => "missing_messages",
            Reason::EmptyMessages => "empty_messages",
            Reason::UnknownRole => "unknown_role",
            Reason::NoUserTurn => "no_user_turn",
            Reason::OversizeMessage => "oversize_message",
            Reason::DuplicateIdConflict => "duplicate_id_conflict",
            Reason::UnreadableFile => "unreadable_file",
            Reason::EmptyFile => "empty_file",
            Reason::UnknownFormat => "unknown_format",
            Reason::MissingTextField => "missing_text_field",
            Reason::MalformedTranscript => "malformed_transcript",
            Reason::InvalidTimestamp => "invalid_timestamp",
            Reason::InvalidField => "invalid_field",
            Reason::MalformedRow => "malformed_row",
            Reason::BrokenMessageTree => "broken_message_tree",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where in a source a record sits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Location {
    /// 1-based line, for line-oriented sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based record number, for JSON arrays and Parquet rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl Location {
    /// A line of a line-oriented source.
    pub fn line(line: u64) -> Self {
        Self {
            line: Some(line),
            record: None,
        }
    }

    /// A record of an array or table.
    pub fn record(record: u64) -> Self {
        Self {
            line: None,
            record: Some(record),
        }
    }

    /// The whole file.
    pub fn file() -> Self {
        Self::default()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.record) {
            (Some(line), _) => write!(f, "line {line}"),
            (None, Some(record)) => write!(f, "record {record}"),
            (None, None) => f.write_str("file"),
        }
    }
}

/// A record that was not accepted, with everything needed to find and fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The file it came from (`-` for standard input).
    pub source: String,
    /// Where in the file.
    #[serde(flatten)]
    pub location: Location,
    /// The conversation id, when one could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why.
    pub reason: Reason,
    /// The specifics: the parser's message, the offending role, the limit exceeded.
    pub detail: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        match (self.location.line, self.location.record) {
            (Some(line), _) => write!(f, ":{line}")?,
            (None, Some(record)) => write!(f, " record {record}")?,
            (None, None) => {}
        }
        write!(f, ": {} ({})", self.reason, self.detail)
    }
}
