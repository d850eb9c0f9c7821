use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ModelSpec;

/// What a file on disk is, against its pin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileState {
    /// Present with the pinned hash.
    Ok,
    /// Not there.
    Missing,
    /// There, with another hash.
    Mismatch {
        /// The hash found.
        found: String,
    },
    /// There but unreadable.
    Unreadable {
        /// Why.
        error: String,
    },
}

/// One file's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStatus {
    /// Where it should be.
    pub path: PathBuf,
    /// What it is.
    pub state: FileState,
}

/// The SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Checks every file of `spec` in `dir` against its pin.
pub fn verify(spec: &ModelSpec, dir: &Path) -> Vec<FileStatus> {
    spec.files
        .iter()
        .map(|file| {
            let path = dir.join(file.name);
            let state = if !path.exists() {
                FileState::Missing
            } else {
                match sha256_file(&path) {
                    Ok(found) if found == file.sha256 => FileState::Ok,
                    Ok(found) => FileState::Mismatch { found },
                    Err(error) => FileState::Unreadable {
                        error: error.to_string(),
                    },
                }
            };
            FileStatus { path, state }
        })
        .collect()
}
