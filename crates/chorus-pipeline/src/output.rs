//! Output files appear whole or not at all: each is written under a `.partial` name and renamed
//! when complete, so a killed run never leaves a truncated file that looks finished.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::PipelineError;

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> PipelineError + use<> {
    let path = path.to_path_buf();
    move |source| PipelineError::Write {
        path: path.clone(),
        source,
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes a whole file at once (under its `.partial` name until it is complete).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PipelineError> {
    let mut file = OutputFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Writes `value` as pretty JSON with a final newline.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), PipelineError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|error| PipelineError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(error),
    })?;
    bytes.push(b'\n');
    write_file(path, &bytes)
}

/// A file being written; it takes its real name only on [`OutputFile::commit`].
pub(crate) struct OutputFile {
    path: PathBuf,
    partial: PathBuf,
    writer: BufWriter<File>,
}

impl OutputFile {
    pub(crate) fn create(path: &Path) -> Result<Self, PipelineError> {
        let partial = partial_path(path);
        let file = File::create(&partial).map_err(write_error(&partial))?;
        Ok(Self {
            path: path.to_path_buf(),
            partial,
            writer: BufWriter::new(file),
        })
    }

    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), PipelineError> {
        self.writer
            .write_all(bytes)
            .map_err(write_error(&self.partial))
    }

    /// Writes `value` as one JSON line.
    pub(crate) fn write_line<T: serde::Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), PipelineError> {
        let mut line = serde_json::to_vec(value).map_err(|error| PipelineError::Write {
            path: self.partial.clone(),
            source: std::io::Error::other(error),
        })?;
        line.push(b'\n');
        self.write_all(&line)
    }

    pub(crate) fn commit(mut self) -> Result<(), PipelineError> {
        self.writer.flush().map_err(write_error(&self.partial))?;
        self.writer
            .get_ref()
            .sync_all()
            .map_err(write_error(&self.partial))?;
        std::fs::rename(&self.partial, &self.path).map_err(write_error(&self.path))
    }
}
