//! Parquet rows as JSON objects, and simple tables written as Parquet.
//!
//! chorus maps every format through JSON records, so Parquet only has to become JSON; the one
//! Parquet file chorus writes (`conversations.parquet`) is a flat table ([`write_table`]). This
//! crate keeps the `parquet` dependency (and its build time) out of every other crate.
#![warn(missing_docs)]

mod write;

pub use write::{Column, write_table};

use bytes::Bytes;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use serde_json::Value;

/// A Parquet file that could not be opened or a row that could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ParquetError(String);

/// The rows of an in-memory Parquet file, each as a JSON value (an object keyed by column).
pub struct Rows {
    rows: RowIter<'static>,
}

impl Rows {
    /// Opens the file held in `bytes`.
    pub fn open(bytes: Vec<u8>) -> Result<Self, ParquetError> {
        let reader = SerializedFileReader::new(Bytes::from(bytes))
            .map_err(|error| ParquetError(error.to_string()))?;
        let boxed: Box<dyn FileReader> = Box::new(reader);
        let rows = RowIter::from_file_into(boxed);
        Ok(Self { rows })
    }
}

impl Iterator for Rows {
    type Item = Result<Value, ParquetError>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.rows.next()?;
        Some(
            row.map(|row| row.to_json_value())
                .map_err(|error| ParquetError(error.to_string())),
        )
    }
}
