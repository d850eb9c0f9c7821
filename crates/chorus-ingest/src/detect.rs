//! Recognises a source's container and schema from its first bytes.

use serde_json::Value;

use crate::Format;
use crate::fields::MapError;
use crate::logs::recognise;
use crate::mapping::{Schema, classify};
use crate::options::FieldNames;
use crate::quarantine::Reason;

/// How records are laid out in the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Container {
    /// One JSON value per line.
    JsonLines,
    /// One JSON array of records, or JSON values spread over several lines each.
    JsonDocument,
    /// CSV or TSV with a header row, by delimiter.
    Delimited(u8),
    /// A Parquet file.
    Parquet,
}

/// What to do with one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// `None` until a record is recognised.
    pub(crate) format: Option<Format>,
    pub(crate) container: Container,
    /// `None` for Parquet, whose rows are classified once read, and for JSON whose first record
    /// could not be.
    pub(crate) schema: Option<Schema>,
}

const PARQUET_MAGIC: &[u8] = b"PAR1";

pub(crate) fn format_of(schema: Schema) -> Format {
    match schema {
        Schema::Openai => Format::Openai,
        Schema::Sharegpt => Format::Sharegpt,
        Schema::Transcript => Format::Transcript,
        Schema::Text => Format::Text,
        Schema::ChatgptExport => Format::ChatgptExport,
        Schema::ClaudeExport => Format::ClaudeExport,
        Schema::Gemini => Format::Gemini,
    }
}

fn schema_of(format: Format) -> Option<Schema> {
    match format {
        Format::Openai => Some(Schema::Openai),
        Format::Sharegpt => Some(Schema::Sharegpt),
        Format::Transcript => Some(Schema::Transcript),
        Format::Text | Format::Csv | Format::Tsv => Some(Schema::Text),
        Format::ChatgptExport => Some(Schema::ChatgptExport),
        Format::ClaudeExport => Some(Schema::ClaudeExport),
        Format::Gemini => Some(Schema::Gemini),
        // Parquet rows are classified once read; a log's records are read by `logs`.
        _ => None,
    }
}

/// Decides how to read a source from its first bytes (BOM already removed), its file name and
/// any format the user forced.
pub(crate) fn plan(
    prefix: &[u8],
    name_hint: &str,
    forced: Option<Format>,
    fields: &FieldNames,
) -> Result<Plan, MapError> {
    if prefix.iter().all(u8::is_ascii_whitespace) {
        return Err(MapError::new(
            Reason::EmptyFile,
            "the file holds no records",
        ));
    }
    if let Some(format) = forced {
        // A layout forced on a Parquet file (`--format oasst` on the Hugging Face tables) is
        // still read from Parquet.
        let container = match format {
            Format::Csv => Container::Delimited(b','),
            Format::Tsv => Container::Delimited(b'\t'),
            _ if format == Format::Parquet || prefix.starts_with(PARQUET_MAGIC) => {
                Container::Parquet
            }
            _ => json_container(prefix),
        };
        return Ok(Plan {
            format: Some(format),
            container,
            schema: schema_of(format),
        });
    }
    if prefix.starts_with(PARQUET_MAGIC) {
        return Ok(Plan {
            format: Some(Format::Parquet),
            container: Container::Parquet,
            schema: None,
        });
    }
    if let Some(plan) = delimited_by_name(name_hint) {
        return Ok(plan);
    }
    match first_non_space(prefix) {
        Some(b'[' | b'{') => {
            let container = json_container(prefix);
            // A first record that is broken, odd or longer than the sniffed bytes decides
            // nothing: each record is then recognised as it is read, and only the bad ones are
            // rejected.
            let found = sniffed_records(prefix, container)
                .iter()
                .filter_map(Value::as_object)
                .find_map(|object| match recognise(object) {
                    Some(log) => Some((log, None)),
                    None => {
                        classify(object, fields).map(|schema| (format_of(schema), Some(schema)))
                    }
                });
            Ok(Plan {
                format: found.map(|(format, _)| format),
                container,
                schema: found.and_then(|(_, schema)| schema),
            })
        }
        _ => delimited_by_header(prefix, fields).ok_or_else(|| {
            MapError::new(
                Reason::UnknownFormat,
                "not JSON, JSON lines, CSV, TSV or Parquet; name the format with --format",
            )
        }),
    }
}

fn first_non_space(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

fn first_line(prefix: &[u8]) -> &[u8] {
    let rest = prefix.trim_ascii_start();
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    &rest[..end]
}

/// Lines looked at to tell JSON lines from a document.
const LINES_SNIFFED: usize = 16;

/// JSON lines when a line of the first few is shaped like a whole JSON object (a broken
/// first line costs that line only; the indented objects of a pretty-printed document do not
/// count), or when an object opens the file and no line ends within the sniffed bytes (a first
/// record longer than them); otherwise one document, as always when the file opens an array.
fn json_container(prefix: &[u8]) -> Container {
    let body = prefix.trim_ascii_start();
    // A line shaped like one object (its text may still be bad: that costs the line only).
    let whole_object = |line: &[u8]| line.first() == Some(&b'{') && line.last() == Some(&b'}');
    let complete = body.contains(&b'\n');
    let sniffed: Vec<&[u8]> = body.split(|&b| b == b'\n').take(LINES_SNIFFED).collect();
    // The last piece may be cut by the sniff limit; only whole lines count.
    let whole_lines = if complete {
        sniffed.len().saturating_sub(1).max(1)
    } else {
        0
    };
    let a_line_is_an_object = sniffed
        .iter()
        .take(whole_lines)
        .any(|line| whole_object(line.trim_ascii_end()));
    let one_long_line =
        body.first() == Some(&b'{') && !complete && body.len() as u64 >= SNIFFED_FOR_LINES;
    if body.first() != Some(&b'[') && (a_line_is_an_object || one_long_line) {
        Container::JsonLines
    } else {
        Container::JsonDocument
    }
}

/// A sniffed prefix this long without a line end is a JSON line longer than it.
const SNIFFED_FOR_LINES: u64 = 64 * 1024;

/// The records the sniffed bytes hold whole: the first lines of JSON lines, or a document's
/// first record.
fn sniffed_records(prefix: &[u8], container: Container) -> Vec<Value> {
    match container {
        Container::JsonLines => prefix
            .split(|&b| b == b'\n')
            .take(LINES_SNIFFED)
            .filter_map(|line| serde_json::from_slice::<Value>(line.trim_ascii()).ok())
            .collect(),
        _ => {
            let start = prefix.trim_ascii_start();
            let body = start.strip_prefix(b"[").unwrap_or(start);
            serde_json::Deserializer::from_slice(body)
                .into_iter::<Value>()
                .next()
                .and_then(Result::ok)
                .into_iter()
                .collect()
        }
    }
}

/// Why a record is of no known layout: its fields, and the flags that name the right ones.
pub(crate) fn unknown_schema(first: &Value) -> MapError {
    let keys = match first.as_object() {
        Some(object) => object
            .keys()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        None => "(not an object)".to_string(),
    };
    MapError::new(
        Reason::UnknownFormat,
        format!(
            "a record with fields [{keys}] matches no known conversation format; \
             name the text field with --text-field or the format with --format"
        ),
    )
}

fn delimited_by_name(name_hint: &str) -> Option<Plan> {
    let (format, delimiter) = if name_hint.ends_with(".csv") {
        (Format::Csv, b',')
    } else if name_hint.ends_with(".tsv") || name_hint.ends_with(".tab") {
        (Format::Tsv, b'\t')
    } else {
        return None;
    };
    Some(Plan {
        format: Some(format),
        container: Container::Delimited(delimiter),
        schema: Some(Schema::Text),
    })
}

/// CSV or TSV without a telling name: the header must name a text column.
fn delimited_by_header(prefix: &[u8], fields: &FieldNames) -> Option<Plan> {
    let header = std::str::from_utf8(first_line(prefix)).ok()?;
    let (format, delimiter) = if header.contains('\t') {
        (Format::Tsv, '\t')
    } else if header.contains(',') {
        (Format::Csv, ',')
    } else {
        return None;
    };
    let columns: Vec<&str> = header
        .split(delimiter)
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let names_text = fields
        .text_candidates()
        .iter()
        .any(|candidate| columns.contains(candidate));
    names_text.then_some(Plan {
        format: Some(format),
        container: Container::Delimited(delimiter as u8),
        schema: Some(Schema::Text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(prefix: &str, name: &str) -> Result<Plan, Reason> {
        plan(prefix.as_bytes(), name, None, &FieldNames::default()).map_err(|e| e.reason)
    }

    #[test]
    fn containers_and_schemas() {
        let lines = detected("{\"messages\": []}\n{\"messages\": []}\n", "x.jsonl").unwrap();
        assert_eq!(
            (lines.container, lines.format),
            (Container::JsonLines, Some(Format::Openai))
        );
        let array = detected("[\n  {\"chat_messages\": []}\n]", "conversations.json").unwrap();
        assert_eq!(
            (array.container, array.format),
            (Container::JsonDocument, Some(Format::ClaudeExport))
        );
        let pretty = detected("{\n \"conversations\": [\n]}\n", "x.json").unwrap();
        assert_eq!(
            (pretty.container, pretty.format),
            (Container::JsonDocument, Some(Format::Sharegpt))
        );
        let csv = detected("text,category\nhello,a\n", "data").unwrap();
        assert_eq!(csv.container, Container::Delimited(b','));
        let tsv = detected("anything\there\n", "data.tsv").unwrap();
        assert_eq!(tsv.format, Some(Format::Tsv));
    }

    #[test]
    fn failures_name_their_reason() {
        assert_eq!(detected("  \n", "x.jsonl"), Err(Reason::EmptyFile));
        assert_eq!(
            detected("hello world\n", "x.txt"),
            Err(Reason::UnknownFormat)
        );
    }

    #[test]
    fn an_odd_first_record_decides_nothing() {
        // Unknown or broken first records leave the schema to the records that follow.
        let unknown = detected("{\"a\": 1}\n{\"messages\": []}\n", "x.jsonl").unwrap();
        assert_eq!(
            (unknown.container, unknown.format),
            (Container::JsonLines, Some(Format::Openai))
        );
        let broken = detected("{\"a\": \n{\"messages\": []}\n{\"messages\": []}\n", "x").unwrap();
        assert_eq!(broken.container, Container::JsonLines);
        let long_line = format!(
            "{{\"messages\": [{{\"role\": \"user\", \"content\": \"{}",
            "a".repeat(70_000)
        );
        let long = detected(&long_line, "x.jsonl").unwrap();
        assert_eq!((long.container, long.schema), (Container::JsonLines, None));
        let pretty = detected("[\n  {\"a\": ", "x.json").unwrap();
        assert_eq!(
            (pretty.container, pretty.schema),
            (Container::JsonDocument, None)
        );
    }
}
