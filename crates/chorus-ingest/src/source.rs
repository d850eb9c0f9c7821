use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

/// One thing to read: a file, or standard input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Input {
    /// A file on disk.
    Path(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl Input {
    /// How the input is named in reports and rejections.
    pub fn label(&self) -> String {
        match self {
            Input::Path(path) => path.display().to_string(),
            Input::Stdin => "-".to_string(),
        }
    }

    /// The short name used for generated conversation ids: the file name, or `stdin`.
    pub(crate) fn id_prefix(&self) -> String {
        match self {
            Input::Path(path) => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            Input::Stdin => "stdin".to_string(),
        }
    }

    /// The file name without compression suffixes, lowercased, for format hints.
    pub(crate) fn name_hint(&self) -> String {
        let name = self.id_prefix().to_lowercase();
        let name = name
            .strip_suffix(".gz")
            .or_else(|| name.strip_suffix(".zst"))
            .or_else(|| name.strip_suffix(".zstd"))
            .unwrap_or(&name);
        name.to_string()
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// A problem with the input list itself, before any file is read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExpandError {
    /// A directory could not be listed.
    #[error("cannot list directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A glob pattern is malformed.
    #[error("bad glob pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// `-` was given more than once.
    #[error("standard input (-) can be read only once")]
    StdinTwice,
}

const DATA_EXTENSIONS: [&str; 5] = [".jsonl", ".json", ".csv", ".tsv", ".parquet"];

/// Turns command-line arguments into the list of inputs: files as given, directories walked for
/// data files (sorted, so runs are reproducible), glob patterns expanded, `-` for standard input.
///
/// A path that does not exist is kept: reading it yields an `unreadable_file` rejection, so one
/// missing file never aborts a run over many.
pub fn expand_inputs(args: &[String]) -> Result<Vec<Input>, ExpandError> {
    let mut inputs = Vec::new();
    for arg in args {
        if arg == "-" {
            if inputs.contains(&Input::Stdin) {
                return Err(ExpandError::StdinTwice);
            }
            inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            walk_directory(path, &mut inputs)?;
        } else if !path.exists() && arg.contains(['*', '?', '[']) {
            expand_glob(arg, &mut inputs)?;
        } else {
            inputs.push(Input::Path(path.to_path_buf()));
        }
    }
    Ok(inputs)
}

fn expand_glob(pattern: &str, inputs: &mut Vec<Input>) -> Result<(), ExpandError> {
    let paths = glob::glob(pattern).map_err(|error| ExpandError::Pattern {
        pattern: pattern.to_string(),
        message: error.to_string(),
    })?;
    let mut matched: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    matched.sort();
    if matched.is_empty() {
        // Kept as a path so the run reports it like any other unreadable input.
        inputs.push(Input::Path(PathBuf::from(pattern)));
    }
    for path in matched {
        if path.is_dir() {
            walk_directory(&path, inputs)?;
        } else {
            inputs.push(Input::Path(path));
        }
    }
    Ok(())
}

fn walk_directory(dir: &Path, inputs: &mut Vec<Input>) -> Result<(), ExpandError> {
    let listing = std::fs::read_dir(dir).map_err(|source| ExpandError::Directory {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = listing.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk_directory(&path, inputs)?;
        } else if is_data_file(&path) {
            inputs.push(Input::Path(path));
        }
    }
    Ok(())
}

fn is_data_file(path: &Path) -> bool {
    let hint = Input::Path(path.to_path_buf()).name_hint();
    DATA_EXTENSIONS.iter().any(|ext| hint.ends_with(ext))
}

/// Counts and hashes the raw bytes of a source as they are read, so every input's SHA in the run
/// manifest costs no second pass.
#[derive(Clone, Default)]
pub(crate) struct RawDigest(Rc<RefCell<DigestState>>);

#[derive(Default)]
struct DigestState {
    hasher: blake3::Hasher,
    bytes: u64,
}

impl RawDigest {
    pub(crate) fn bytes(&self) -> u64 {
        self.0.borrow().bytes
    }

    pub(crate) fn hex(&self) -> String {
        self.0.borrow().hasher.finalize().to_hex().to_string()
    }
}

struct HashingReader<R> {
    inner: R,
    digest: RawDigest,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.digest.0.borrow_mut();
        state.hasher.update(&buf[..n]);
        state.bytes += n as u64;
        Ok(n)
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const BUFFER_BYTES: usize = 256 * 1024;

/// An opened source: its decompressed bytes and the digest of its raw bytes.
pub(crate) struct Opened {
    pub(crate) stream: Box<dyn BufRead>,
    pub(crate) digest: RawDigest,
    pub(crate) compression: Option<&'static str>,
}

/// Opens a source and undoes gzip or zstd, recognised by their magic bytes rather than by name.
pub(crate) fn open(input: &Input) -> io::Result<Opened> {
    let raw: Box<dyn Read> = match input {
        Input::Path(path) => Box::new(File::open(path)?),
        Input::Stdin => Box::new(io::stdin()),
    };
    let digest = RawDigest::default();
    let mut buffered = BufReader::with_capacity(
        BUFFER_BYTES,
        HashingReader {
            inner: raw,
            digest: digest.clone(),
        },
    );
    let head = buffered.fill_buf()?;
    let (stream, compression): (Box<dyn BufRead>, _) = if head.starts_with(&GZIP_MAGIC) {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        (
            Box::new(BufReader::with_capacity(BUFFER_BYTES, decoder)),
            Some("gzip"),
        )
    } else if head.starts_with(&ZSTD_MAGIC) {
        let decoder = zstd::stream::read::Decoder::with_buffer(buffered)?;
        (
            Box::new(BufReader::with_capacity(BUFFER_BYTES, decoder)),
            Some("zstd"),
        )
    } else {
        (Box::new(buffered), None)
    };
    Ok(Opened {
        stream,
        digest,
        compression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_sorted_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.jsonl", "a.csv.gz", "notes.txt", "c.parquet"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/d.json.zst"), "x").unwrap();
        let inputs = expand_inputs(&[dir.path().display().to_string()]).unwrap();
        let names: Vec<String> = inputs.iter().map(Input::id_prefix).collect();
        assert_eq!(names, ["a.csv.gz", "b.jsonl", "c.parquet", "d.json.zst"]);
    }

    #[test]
    fn globs_expand_and_unmatched_globs_stay_visible() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["x1.jsonl", "x2.jsonl", "y.jsonl"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let pattern = format!("{}/x*.jsonl", dir.path().display());
        let inputs = expand_inputs(&[pattern]).unwrap();
        assert_eq!(inputs.len(), 2);
        let missing = format!("{}/z*.jsonl", dir.path().display());
        let inputs = expand_inputs(std::slice::from_ref(&missing)).unwrap();
        assert_eq!(inputs, [Input::Path(missing.into())]);
    }

    #[test]
    fn stdin_only_once() {
        assert_eq!(expand_inputs(&["-".into()]).unwrap(), [Input::Stdin]);
        assert!(matches!(
            expand_inputs(&["-".into(), "-".into()]),
            Err(ExpandError::StdinTwice)
        ));
    }
}
