//! One run at a time per output folder: a second run into the same folder would truncate files
//! the first is still writing (its memory-mapped vectors among them) and kill it.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::PipelineError;

/// The lock file inside an output folder.
pub const LOCK_FILE: &str = "run.lock";

/// Held while a run writes into its output folder; released when dropped, or by the system
/// when the process dies however it dies, so a killed run never blocks the next.
#[derive(Debug)]
pub(crate) struct OutputLock {
    _file: File,
}

impl OutputLock {
    /// Takes the folder's lock, or says which run holds it.
    pub(crate) fn take(out_dir: &Path) -> Result<Self, PipelineError> {
        let path = out_dir.join(LOCK_FILE);
        let write_error = |source| PipelineError::Write {
            path: path.clone(),
            source,
        };
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(write_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(locked(path, holder.trim()));
            }
            Err(TryLockError::Error(source)) => return Err(write_error(source)),
        }
        let holder = format!(
            "process {}, started {}",
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(holder.as_bytes()))
            .map_err(write_error)?;
        Ok(Self { _file: file })
    }
}

fn locked(path: PathBuf, holder: &str) -> PipelineError {
    PipelineError::Locked {
        path,
        holder: if holder.is_empty() {
            "it did not say which".into()
        } else {
            holder.into()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_folder_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::take(dir.path()).unwrap();
        let error = OutputLock::take(dir.path()).unwrap_err().to_string();
        assert!(error.contains("in use by another chorus run"), "{error}");
        assert!(
            error.contains(&format!("process {}", std::process::id())),
            "{error}"
        );
        drop(first);
        OutputLock::take(dir.path()).unwrap();
    }
}
