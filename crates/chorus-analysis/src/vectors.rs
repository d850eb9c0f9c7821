//! The clustered vectors as one contiguous array: written to a file row by row as they arrive,
//! then memory-mapped, so a million 768-dimension vectors (3 GB) live in the page cache rather
//! than the heap while k-means, the map and naming read them. The file is removed when the run
//! ends.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::AnalysisError;

/// Rows of f32, appended, then read as one slice.
#[derive(Default)]
pub struct VectorFile {
    /// Where the rows go; without one (tests) they stay in memory.
    file: Option<(PathBuf, BufWriter<File>)>,
    memory: Vec<f32>,
    mapped: Option<(PathBuf, memmap2::MmapMut)>,
    floats: usize,
}

impl VectorFile {
    /// A new, empty file at `path` (an older one there is replaced).
    pub fn create(path: &Path) -> Result<Self, AnalysisError> {
        // Readable too: the map needs it.
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|source| AnalysisError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            file: Some((path.to_path_buf(), BufWriter::new(file))),
            memory: Vec::new(),
            mapped: None,
            floats: 0,
        })
    }

    /// Appends one row.
    pub fn push(&mut self, row: &[f32]) -> Result<(), AnalysisError> {
        self.floats += row.len();
        match &mut self.file {
            Some((path, writer)) => writer
                .write_all(bytemuck::cast_slice(row))
                .map_err(|source| AnalysisError::Write {
                    path: path.clone(),
                    source,
                }),
            None => {
                self.memory.extend_from_slice(row);
                Ok(())
            }
        }
    }

    /// Ends writing and maps the file; reading before this sees nothing of the file.
    pub fn seal(&mut self) -> Result<(), AnalysisError> {
        let Some((path, writer)) = self.file.take() else {
            return Ok(());
        };
        let write_error = |source| AnalysisError::Write {
            path: path.clone(),
            source,
        };
        let file = writer
            .into_inner()
            .map_err(|error| write_error(error.into_error()))?;
        if self.floats > 0 {
            // SAFETY: the file is this run's own, just written; only this map changes it from
            // here on, and nothing else is meant to touch it while it is mapped.
            let map = unsafe { memmap2::MmapMut::map_mut(&file) }.map_err(write_error)?;
            self.mapped = Some((path, map));
        } else {
            drop(file);
            let _ = std::fs::remove_file(&path);
        }
        Ok(())
    }

    /// Every row written, one after another.
    pub(crate) fn as_slice(&self) -> &[f32] {
        match &self.mapped {
            // A map starts on a page boundary, so the f32 view is aligned.
            Some((_, map)) => bytemuck::try_cast_slice(&map[..self.floats * 4]).unwrap_or(&[]),
            None => &self.memory,
        }
    }

    /// The rows, to change in place (after sealing; before, the file's rows are not there).
    pub(crate) fn as_mut_slice(&mut self) -> &mut [f32] {
        match &mut self.mapped {
            Some((_, map)) => {
                bytemuck::try_cast_slice_mut(&mut map[..self.floats * 4]).unwrap_or(&mut [])
            }
            None => &mut self.memory,
        }
    }
}

impl Drop for VectorFile {
    fn drop(&mut self) {
        let path = match (self.mapped.take(), self.file.take()) {
            (Some((path, map)), _) => {
                drop(map);
                Some(path)
            }
            (None, Some((path, _))) => Some(path),
            (None, None) => None,
        };
        if let Some(path) = path {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_written_are_read_back_from_the_map_and_the_file_goes_away() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vectors.f32");
        let mut vectors = VectorFile::create(&path).unwrap();
        vectors.push(&[1.0, 2.0]).unwrap();
        vectors.push(&[3.5, -4.0]).unwrap();
        assert!(
            vectors.as_slice().is_empty(),
            "nothing is read before sealing"
        );
        vectors.seal().unwrap();
        assert_eq!(vectors.as_slice(), &[1.0, 2.0, 3.5, -4.0]);
        vectors.as_mut_slice()[1] = 7.0;
        assert_eq!(vectors.as_slice(), &[1.0, 7.0, 3.5, -4.0]);
        assert!(path.exists());
        drop(vectors);
        assert!(!path.exists());

        let mut memory = VectorFile::default();
        memory.push(&[5.0]).unwrap();
        memory.seal().unwrap();
        assert_eq!(memory.as_slice(), &[5.0]);
    }
}
