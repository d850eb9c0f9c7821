//! CSV and TSV with a header row. Rows become JSON objects of strings, mapped by the same rules
//! as JSON text records.

use std::io::BufRead;

use serde_json::{Map, Value};

use crate::encoding::not_utf8_hint;
use crate::fields::MapError;
use crate::json::JsonRecord;
use crate::options::FieldNames;
use crate::quarantine::{Location, Reason};

/// True when lines end in CRLF, judged by the first line.
///
/// The csv crate reports a record's line before it consumes the `\n` of the previous CRLF, so
/// every line number in such a file is one short; callers add this back.
pub(crate) fn ends_lines_with_crlf(prefix: &[u8]) -> bool {
    prefix
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|at| at > 0 && prefix[at - 1] == b'\r')
}

/// Reads every row. A file-level problem (unreadable header, no text column) is returned as an
/// error after nothing was emitted; a bad row is emitted and reading goes on.
pub(crate) fn read_delimited(
    stream: &mut dyn BufRead,
    delimiter: u8,
    crlf: bool,
    fields: &FieldNames,
    emit: &mut dyn FnMut(Location, JsonRecord),
) -> Result<(), MapError> {
    let line_fix = u64::from(crlf);
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
    if !candidates
        .iter()
        .any(|c| columns.iter().any(|column| column == c))
    {
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
                let line = row.position().map_or(line, |p| p.line()) + line_fix;
                emit(Location::line(line), row_object(&columns, &row));
            }
            Err(error) => {
                let line = error.position().map_or(line + 1, |p| p.line()) + line_fix;
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
                    "column {column:?}: invalid UTF-8 at byte {}{}",
                    error.valid_up_to() + 1,
                    not_utf8_hint(cell)
                ),
            )
        })?;
        if !text.is_empty() {
            object.insert(column.clone(), Value::String(text.to_string()));
        }
    }
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_the_header_with_either_line_ending() {
        for ending in ["\n", "\r\n"] {
            let text =
                "text,label\nfirst,a\n\"multi\nline\",b\nbad\nlast,c\n".replace('\n', ending);
            let crlf = ends_lines_with_crlf(text.as_bytes());
            assert_eq!(crlf, ending == "\r\n");
            let mut stream = text.as_bytes();
            let mut seen = Vec::new();
            read_delimited(
                &mut stream,
                b',',
                crlf,
                &FieldNames::default(),
                &mut |location, record| {
                    seen.push((location.line, record.map_err(|e| e.reason).err()))
                },
            )
            .unwrap();
            assert_eq!(
                seen,
                [
                    (Some(2), None),
                    (Some(3), None),
                    (Some(5), Some(Reason::MalformedRow)),
                    (Some(6), None)
                ],
                "line ending {ending:?}"
            );
        }
    }
}
