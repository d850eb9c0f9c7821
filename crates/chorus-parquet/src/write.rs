//! A table of optional text, integer and float columns written as one Parquet file.

use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, FloatType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::ParquetError;

/// Rows per row group, so readers can stream a large file.
const ROW_GROUP_ROWS: usize = 65_536;

/// One column: a name and a value (or null) per row.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// UTF-8 text.
    Text(String, Vec<Option<String>>),
    /// 32-bit integers.
    Int(String, Vec<Option<i32>>),
    /// 32-bit floats.
    Float(String, Vec<Option<f32>>),
}

impl Column {
    fn name(&self) -> &str {
        match self {
            Column::Text(name, _) | Column::Int(name, _) | Column::Float(name, _) => name,
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Text(_, v) => v.len(),
            Column::Int(_, v) => v.len(),
            Column::Float(_, v) => v.len(),
        }
    }

    fn schema_line(&self) -> String {
        let physical = match self {
            Column::Text(..) => "BYTE_ARRAY",
            Column::Int(..) => "INT32",
            Column::Float(..) => "FLOAT",
        };
        let logical = if matches!(self, Column::Text(..)) {
            " (UTF8)"
        } else {
            ""
        };
        format!("OPTIONAL {physical} {}{logical};", self.name())
    }
}

fn error(e: impl ToString) -> ParquetError {
    ParquetError(e.to_string())
}

/// Values of one row range and their definition levels (1 = present, 0 = null).
fn present<T: Clone>(values: &[Option<T>]) -> (Vec<T>, Vec<i16>) {
    let levels = values.iter().map(|v| i16::from(v.is_some())).collect();
    (values.iter().flatten().cloned().collect(), levels)
}

/// The columns (all of one length) as a zstd-compressed Parquet file.
pub fn write_table(columns: &[Column]) -> Result<Vec<u8>, ParquetError> {
    let rows = columns.first().map_or(0, Column::len);
    if columns.iter().any(|c| c.len() != rows) {
        return Err(error("columns of different lengths"));
    }
    let lines: Vec<String> = columns.iter().map(Column::schema_line).collect();
    let schema =
        parse_message_type(&format!("message rows {{ {} }}", lines.join(" "))).map_err(error)?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(Default::default()))
        .build();
    let mut writer = SerializedFileWriter::new(Vec::new(), Arc::new(schema), Arc::new(properties))
        .map_err(error)?;
    let mut start = 0;
    while start < rows || (rows == 0 && start == 0) {
        let end = (start + ROW_GROUP_ROWS).min(rows);
        let mut group = writer.next_row_group().map_err(error)?;
        for column in columns {
            let mut target = group
                .next_column()
                .map_err(error)?
                .ok_or_else(|| error("schema and columns disagree"))?;
            match column {
                Column::Text(_, values) => {
                    let (values, levels) = present(&values[start..end]);
                    let values: Vec<ByteArray> = values
                        .into_iter()
                        .map(|s| ByteArray::from(s.into_bytes()))
                        .collect();
                    target
                        .typed::<ByteArrayType>()
                        .write_batch(&values, Some(&levels), None)
                        .map_err(error)?;
                }
                Column::Int(_, values) => {
                    let (values, levels) = present(&values[start..end]);
                    target
                        .typed::<Int32Type>()
                        .write_batch(&values, Some(&levels), None)
                        .map_err(error)?;
                }
                Column::Float(_, values) => {
                    let (values, levels) = present(&values[start..end]);
                    target
                        .typed::<FloatType>()
                        .write_batch(&values, Some(&levels), None)
                        .map_err(error)?;
                }
            }
            target.close().map_err(error)?;
        }
        group.close().map_err(error)?;
        if rows == 0 {
            break;
        }
        start = end;
    }
    writer.into_inner().map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rows;

    #[test]
    fn a_written_table_reads_back() {
        let bytes = write_table(&[
            Column::Text("id".into(), vec![Some("a".into()), Some("b".into()), None]),
            Column::Int("turns".into(), vec![Some(1), None, Some(3)]),
            Column::Float("x".into(), vec![Some(0.5), Some(-1.0), None]),
        ])
        .unwrap();
        let rows: Vec<serde_json::Value> = Rows::open(bytes).unwrap().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["id"], "a");
        assert_eq!(rows[1]["turns"], serde_json::Value::Null);
        assert_eq!(rows[2]["turns"], 3);
        assert_eq!(rows[1]["x"], -1.0);
    }

    #[test]
    fn columns_of_different_lengths_are_refused() {
        assert!(
            write_table(&[
                Column::Int("a".into(), vec![Some(1)]),
                Column::Int("b".into(), vec![]),
            ])
            .is_err()
        );
    }
}
