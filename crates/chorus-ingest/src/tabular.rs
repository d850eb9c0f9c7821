//! CSV and TSV with a header row. Rows become JSON objects of strings, mapped by the same rules
//! as JSON text records.

use std::io::BufRead;

use serde_json::{Map, Value};

use crate::fields::MapError;
use crate::json::JsonRecord;
use crate::options::FieldNames;
use crate::quarantine::{Location, Reason};

/// Reads every row. A file-level problem (unreadable header, no text column) is returned as an
/// error after nothing was emitted; a bad row is emitted and reading goes on.
pub(crate) fn read_delimited(
    stream: &mut dyn BufRead,
    delimiter: u8,
    fields: &FieldNames,
    emit: &mut dyn FnMut(Location, JsonRecord),
) -> Result<(), MapError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(stream);
    let header = reader
        .byte_headers()
        .map_err(|error| MapError::new(Reason::MalformedRow, format!("header row: {error}")))?
        .clone();
    let columns: Vec<String> = header
        .iter()
        .map(|name| String::from_utf8_lossy(name).trim().to_string())
        .collect();
    let candidates = fields.text_candidates();
    if !candidates.iter().any(|c| columns.iter().any(|column| column == c)) {
        return Err(MapError::new(
            Reason::MissingTextField,
            format!(
                "no text column among [{}] (looked for {}); name it with --text-field",
                columns.join(", "),
                candidates.join(", ")
            ),
        ));
    }
    let mut row = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut row) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = row.position().map_or(line, |p| p.line());
                emit(Location::line(line), row_object(&columns, &row));
            }
            Err(error) => {
                let line = error.position().map_or(line + 1, |p| p.line());
                if let csv::ErrorKind::Io(io) = error.kind() {
                    return Err(MapError::new(
                        Reason::UnreadableFile,
                        format!("read error near line {line}: {io}"),
                    ));
                }
                emit(
                    Location::line(line),
                    Err(MapError::new(Reason::MalformedRow, error.to_string())),
                );
            }
        }
    }
}

fn row_object(columns: &[String], row: &csv::ByteRecord) -> JsonRecord {
    let mut object = Map::with_capacity(columns.len());
    for (column, cell) in columns.iter().zip(row.iter()) {
        let text = std::str::from_utf8(cell).map_err(|error| {
            MapError::new(
                Reason::InvalidUtf8,
                format!(
                    "column {column:?}: invalid UTF-8 at byte {}",
                    error.valid_up_to() + 1
                ),
            )
        })?;
        if !text.is_empty() {
            object.insert(column.clone(), Value::String(text.to_string()));
        }
    }
    Ok(Value::Object(object))
}
