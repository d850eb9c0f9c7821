//! Recognises a source's container and schema from its first bytes.

use serde_json::Value;

use crate::Format;
use crate::fields::MapError;
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
    pub(crate) format: Format,
    pub(crate) container: Container,
    /// `None` for Parquet, whose rows are classified once read.
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
        Format::Parquet => None,
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
        let container = match format {
            Format::Csv => Container::Delimited(b','),
            Format::Tsv => Container::Delimited(b'\t'),
            Format::Parquet => Container::Parquet,
            _ => json_container(prefix),
        };
        return Ok(Plan {
            format,
            container,
            schema: schema_of(format),
        });
    }
    if prefix.starts_with(PARQUET_MAGIC) {
        return Ok(Plan {
            format: Format::Parquet,
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
            let first = first_json_record(prefix, container).ok_or_else(|| {
                MapError::new(
                    Reason::InvalidJson,
                    "the file starts like JSON but its first record does not parse",
                )
            })?;
            let schema = first
                .as_object()
                .and_then(|object| classify(object, fields))
                .ok_or_else(|| unknown_json_schema(&first))?;
            Ok(Plan {
                format: format_of(schema),
                container,
                schema: Some(schema),
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
    let start = prefix
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let rest = &prefix[start..];
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    &rest[..end]
}

/// JSON lines when the first line is a whole JSON object; otherwise one document.
fn json_container(prefix: &[u8]) -> Container {
    let line = first_line(prefix);
    let whole_object = line.first() == Some(&b'{')
        && serde_json::from_slice::<Value>(line).is_ok_and(|v| v.is_object());
    if whole_object {
        Container::JsonLines
    } else {
        Container::JsonDocument
    }
}

fn first_json_record(prefix: &[u8], container: Container) -> Option<Value> {
    match container {
        Container::JsonLines => serde_json::from_slice(first_line(prefix)).ok(),
        _ => {
            let start = prefix.iter().position(|b| !b.is_ascii_whitespace())?;
            let body = if prefix[start] == b'[' {
                &prefix[start + 1..]
            } else {
                &prefix[start..]
            };
            serde_json::Deserializer::from_slice(body)
                .into_iter::<Value>()
                .next()?
                .ok()
        }
    }
}

fn unknown_json_schema(first: &Value) -> MapError {
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
            "JSON records with fields [{keys}] match no known conversation format; \
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
        format,
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
        format,
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
            (Container::JsonLines, Format::Openai)
        );
        let array = detected("[\n  {\"chat_messages\": []}\n]", "conversations.json").unwrap();
        assert_eq!(
            (array.container, array.format),
            (Container::JsonDocument, Format::ClaudeExport)
        );
        let pretty = detected("{\n \"conversations\": [\n]}\n", "x.json").unwrap();
        assert_eq!(
            (pretty.container, pretty.format),
            (Container::JsonDocument, Format::Sharegpt)
        );
        let csv = detected("text,category\nhello,a\n", "data").unwrap();
        assert_eq!(csv.container, Container::Delimited(b','));
        let tsv = detected("anything\there\n", "data.tsv").unwrap();
        assert_eq!(tsv.format, Format::Tsv);
    }

    #[test]
    fn failures_name_their_reason() {
        assert_eq!(detected("  \n", "x.jsonl"), Err(Reason::EmptyFile));
        assert_eq!(
            detected("hello world\n", "x.txt"),
            Err(Reason::UnknownFormat)
        );
        assert_eq!(
            detected("{\"a\": 1}\n", "x.jsonl"),
            Err(Reason::UnknownFormat)
        );
        assert_eq!(detected("[{\"a\": ", "x.json"), Err(Reason::InvalidJson));
    }
}
