//! JSON lines and JSON documents, one record at a time.

use std::io::{self, BufRead};

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

use crate::encoding::not_utf8_hint;
use crate::fields::MapError;
use crate::quarantine::{Location, Reason};

/// A record's JSON, or why it could not be parsed.
pub(crate) type JsonRecord = Result<Value, MapError>;

/// Reads one JSON value per line. A bad line is reported and reading goes on with the next.
/// Returns the number of blank lines skipped; an error is a failure to read the stream itself.
pub(crate) fn read_lines(
    stream: &mut dyn BufRead,
    emit: &mut dyn FnMut(Location, JsonRecord),
) -> io::Result<u64> {
    let mut line = Vec::with_capacity(64 * 1024);
    let mut number = 0u64;
    let mut blank = 0u64;
    loop {
        line.clear();
        if stream.read_until(b'\n', &mut line)? == 0 {
            return Ok(blank);
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            blank += 1;
            continue;
        }
        let record = match std::str::from_utf8(&line) {
            Err(error) => Err(MapError::new(
                Reason::InvalidUtf8,
                format!(
                    "invalid UTF-8 at byte {} of the line{}",
                    error.valid_up_to() + 1,
                    not_utf8_hint(&line)
                ),
            )),
            Ok(text) => serde_json::from_str(text)
                .map_err(|error| MapError::new(Reason::InvalidJson, error.to_string())),
        };
        emit(Location::line(number), record);
    }
}

/// A document that stopped parsing part-way: records before it were emitted.
pub(crate) struct DocumentError {
    pub(crate) records_read: u64,
    pub(crate) error: MapError,
}

/// Reads a JSON array of records, or a sequence of (pretty-printed) JSON values, streaming each
/// record as soon as it is parsed. JSON cannot be resynchronised after a syntax error, so the
/// first error ends the document.
pub(crate) fn read_document(
    stream: &mut dyn BufRead,
    emit: &mut dyn FnMut(Location, JsonRecord),
) -> Result<(), DocumentError> {
    let starts_with_array = loop {
        let buffer = stream.fill_buf().map_err(|e| io_error(0, e))?;
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => break buffer[at] == b'[',
            None if buffer.is_empty() => return Ok(()),
            None => {
                let len = buffer.len();
                stream.consume(len);
            }
        }
    };
    let mut count = 0u64;
    let mut deserializer = serde_json::Deserializer::from_reader(stream);
    let result = if starts_with_array {
        (&mut deserializer)
            .deserialize_seq(RecordVisitor {
                emit: &mut *emit,
                count: &mut count,
            })
            .and_then(|_| deserializer.end())
    } else {
        let mut values = deserializer.into_iter::<Value>();
        loop {
            match values.next() {
                None => break Ok(()),
                Some(Ok(value)) => {
                    count += 1;
                    emit(Location::record(count), Ok(value));
                }
                Some(Err(error)) => break Err(error),
            }
        }
    };
    result.map_err(|error| DocumentError {
        records_read: count,
        error: json_error(error),
    })
}

fn io_error(records_read: u64, error: io::Error) -> DocumentError {
    DocumentError {
        records_read,
        error: MapError::new(Reason::UnreadableFile, error.to_string()),
    }
}

fn json_error(error: serde_json::Error) -> MapError {
    let reason = if error.is_io() {
        Reason::UnreadableFile
    } else if error.to_string().contains("invalid unicode code point") {
        Reason::InvalidUtf8
    } else {
        Reason::InvalidJson
    };
    MapError::new(
        reason,
        format!("{error}; the rest of this file could not be read"),
    )
}

struct RecordVisitor<'a> {
    emit: &'a mut dyn FnMut(Location, JsonRecord),
    count: &'a mut u64,
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an array of conversation records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element_seed(ValueSeed)? {
            *self.count += 1;
            (self.emit)(Location::record(*self.count), Ok(value));
        }
        Ok(())
    }
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_document(text: &[u8]) -> (Vec<(Location, bool)>, Option<Reason>) {
        let mut seen = Vec::new();
        let mut stream: &[u8] = text;
        let result = read_document(&mut stream, &mut |location, record| {
            seen.push((location, record.is_ok()))
        });
        (seen, result.err().map(|e| e.error.reason))
    }

    #[test]
    fn arrays_stream_records_and_stop_at_the_first_syntax_error() {
        let (seen, error) = collect_document(b"[{\"a\": 1}, {\"b\": 2}, {\"c\": ]");
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].0, Location::record(2));
        assert_eq!(error, Some(Reason::InvalidJson));
    }

    #[test]
    fn pretty_printed_values_are_records() {
        let (seen, error) = collect_document(b"{\n \"a\": 1\n}\n{\n \"b\": 2\n}\n");
        assert_eq!(seen.len(), 2);
        assert_eq!(error, None);
    }

    #[test]
    fn invalid_utf8_in_a_document_is_named() {
        let (_, error) = collect_document(b"[{\"a\": \"\xff\"}]");
        assert_eq!(error, Some(Reason::InvalidUtf8));
    }

    #[test]
    fn lines_skip_blanks_and_report_each_bad_line() {
        let mut stream: &[u8] = b"{\"a\":1}\n\n{bad\n\xff\n{\"b\":2}";
        let mut seen = Vec::new();
        let blank = read_lines(&mut stream, &mut |location, record| {
            seen.push((location.line, record.map_err(|e| e.reason).err()))
        })
        .unwrap();
        assert_eq!(blank, 1);
        assert_eq!(
            seen,
            [
                (Some(1), None),
                (Some(3), Some(Reason::InvalidJson)),
                (Some(4), Some(Reason::InvalidUtf8)),
                (Some(5), None)
            ]
        );
    }
}
