use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

use crate::encoding::{Utf16, Utf16Reader};

/// One thing to read: a file, a file inside a zip archive, or standard input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Input {
    /// A file on disk.
    Path(PathBuf),
    /// A file inside a zip archive.
    ZipEntry {
        /// The archive.
        archive: PathBuf,
        /// The entry's path inside it.
        entry: String,
    },
    /// Standard input (`-`).
    Stdin,
}

impl Input {
    /// How the input is named in reports and rejections.
    pub fn label(&self) -> String {
        match self {
            Input::Path(path) => path.display().to_string(),
            Input::ZipEntry { archive, entry } => format!("{}/{entry}", archive.display()),
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
            Input::ZipEntry { entry, .. } => entry.rsplit('/').next().unwrap_or(entry).to_string(),
            Input::Stdin => "stdin".to_string(),
        }
    }

    /// The size of a file on disk; none for standard input or an archive's entry (whose read
    /// bytes are counted compressed).
    pub fn file_bytes(&self) -> Option<u64> {
        match self {
            Input::Path(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            Input::ZipEntry { .. } | Input::Stdin => None,
        }
    }

    /// The file name without compression suffixes, lowercased, for format hints.
    pub(crate) fn name_hint(&self) -> String {
        without_compression(&self.id_prefix())
    }
}

/// A file name lowercased, without its `.gz` / `.zst` suffix.
fn without_compression(name: &str) -> String {
    let name = name.to_lowercase();
    let stem = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .or_else(|| name.strip_suffix(".zstd"))
        .unwrap_or(&name);
    stem.to_string()
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

const DATA_EXTENSIONS: [&str; 6] = [".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet"];

/// The file every chat-app export keeps its conversations in (ChatGPT and Claude.ai alike).
const EXPORT_CONVERSATIONS: &str = "conversations.json";

/// A file a folder or archive holds that is not read, and why: nothing given is passed over
/// without a word.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file, as it would be labelled if read.
    pub path: String,
    /// Why it is not read.
    pub why: &'static str,
}

/// What the input list expands to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// What is read, in order.
    pub inputs: Vec<Input>,
    /// Files inside the folders and archives given that are not read.
    pub skipped: Vec<Skipped>,
    /// Folders already walked, resolved, so a link back up the tree is walked once.
    walked: HashSet<PathBuf>,
}

/// Turns command-line arguments into the list of inputs: files as given, directories walked for
/// data files (sorted, so runs are reproducible), zip archives opened, glob patterns expanded,
/// `-` for standard input. A folder or archive that holds a `conversations.json` is a chat-app
/// export: only that file is read, its other files are listed as skipped.
///
/// A path that does not exist is kept: reading it yields an `unreadable_file` rejection, so one
/// missing file never aborts a run over many.
pub fn expand_inputs(args: &[String]) -> Result<Expansion, ExpandError> {
    let mut expansion = Expansion::default();
    for arg in args {
        if arg == "-" {
            if expansion.inputs.contains(&Input::Stdin) {
                return Err(ExpandError::StdinTwice);
            }
            expansion.inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        if !path.exists() && arg.contains(['*', '?', '[']) {
            expand_glob(arg, &mut expansion)?;
        } else {
            expand_path(path, &mut expansion)?;
        }
    }
    Ok(expansion)
}

fn expand_path(path: &Path, expansion: &mut Expansion) -> Result<(), ExpandError> {
    if path.is_dir() {
        walk_directory(path, expansion)
    } else if is_zip(path) {
        list_zip(path, expansion);
        Ok(())
    } else {
        expansion.inputs.push(Input::Path(path.to_path_buf()));
        Ok(())
    }
}

fn expand_glob(pattern: &str, expansion: &mut Expansion) -> Result<(), ExpandError> {
    let paths = glob::glob(pattern).map_err(|error| ExpandError::Pattern {
        pattern: pattern.to_string(),
        message: error.to_string(),
    })?;
    let mut matched: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    matched.sort();
    if matched.is_empty() {
        // Kept as a path so the run reports it like any other unreadable input.
        expansion.inputs.push(Input::Path(PathBuf::from(pattern)));
    }
    for path in matched {
        expand_path(&path, expansion)?;
    }
    Ok(())
}

fn walk_directory(dir: &Path, expansion: &mut Expansion) -> Result<(), ExpandError> {
    let resolved = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if !expansion.walked.insert(resolved) {
        expansion.skipped.push(Skipped {
            path: dir.display().to_string(),
            why: "a link to a folder already read (a symlink loop)",
        });
        return Ok(());
    }
    let listing = std::fs::read_dir(dir).map_err(|source| ExpandError::Directory {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = listing.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    let export = entries.iter().any(|path| {
        path.file_name()
            .is_some_and(|name| name == EXPORT_CONVERSATIONS)
    });
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if path.is_dir() {
            walk_directory(&path, expansion)?;
        } else if export && name.as_deref() != Some(EXPORT_CONVERSATIONS) {
            expansion.skipped.push(Skipped {
                path: path.display().to_string(),
                why: EXPORT_OTHER_FILE,
            });
        } else if !path.is_file() {
            expansion.skipped.push(Skipped {
                path: path.display().to_string(),
                why: "not a regular file (a pipe, socket, device or broken link)",
            });
        } else if is_zip(&path) {
            list_zip(&path, expansion);
        } else if is_data_file(&path.display().to_string()) {
            expansion.inputs.push(Input::Path(path));
        } else {
            expansion.skipped.push(Skipped {
                path: path.display().to_string(),
                why: NOT_DATA,
            });
        }
    }
    Ok(())
}

const EXPORT_OTHER_FILE: &str =
    "part of a chat-app export beside its conversations.json; holds no conversations";
const NOT_DATA: &str = "not a data file by its name (.jsonl, .ndjson, .json, .csv, .tsv, .parquet, \
                        .zip, optionally .gz or .zst); pass it by name to read it anyway";

fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("zip"))
}

/// The files of an archive, in the archive's sorted order, under the same rules as a folder.
/// An archive that cannot be opened is kept as one input, so reading it yields a rejection
/// that says why.
fn list_zip(archive: &Path, expansion: &mut Expansion) {
    let names = File::open(archive)
        .map_err(|e| e.to_string())
        .and_then(|file| zip::ZipArchive::new(file).map_err(|e| e.to_string()))
        .map(|zip| {
            let mut names: Vec<String> = zip
                .file_names()
                .filter_map(Result::ok)
                .filter(|name| !name.ends_with('/'))
                .map(|name| name.into_owned())
                .collect();
            names.sort();
            names
        });
    let Ok(names) = names else {
        expansion.inputs.push(Input::Path(archive.to_path_buf()));
        return;
    };
    let base_name = |name: &str| name.rsplit('/').next().unwrap_or(name).to_string();
    let export = names
        .iter()
        .any(|name| base_name(name) == EXPORT_CONVERSATIONS);
    for entry in names {
        let input = Input::ZipEntry {
            archive: archive.to_path_buf(),
            entry: entry.clone(),
        };
        let why = if export && base_name(&entry) != EXPORT_CONVERSATIONS {
            Some(EXPORT_OTHER_FILE)
        } else if !is_data_file(&entry) {
            Some(NOT_DATA)
        } else {
            None
        };
        match why {
            Some(why) => expansion.skipped.push(Skipped {
                path: input.label(),
                why,
            }),
            None => expansion.inputs.push(input),
        }
    }
}

fn is_data_file(name: &str) -> bool {
    let name = without_compression(name);
    DATA_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
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
    /// `utf-16le` or `utf-16be` when the text was decoded from UTF-16.
    pub(crate) encoding: Option<&'static str>,
}

/// Opens a source and undoes gzip or zstd, recognised by their magic bytes rather than by name,
/// then UTF-16 (by its byte-order mark).
pub(crate) fn open(input: &Input) -> io::Result<Opened> {
    let raw: Box<dyn Read> = match input {
        Input::Path(path) => Box::new(File::open(path)?),
        Input::ZipEntry { archive, entry } => zip_entry(archive, entry)?,
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
    let mut stream = stream;
    let utf16 = Utf16::from_bom(stream.fill_buf()?);
    if let Some(order) = utf16 {
        stream = Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            Utf16Reader::new(stream, order),
        ));
    }
    Ok(Opened {
        stream,
        digest,
        compression,
        encoding: utf16.map(Utf16::name),
    })
}

/// A file inside a zip archive, opened as a stream of its own: the entry's bytes are read from
/// the archive file directly (stored or deflated), so a large export is never held in memory.
fn zip_entry(archive: &Path, entry: &str) -> io::Result<Box<dyn Read>> {
    let mut zip = zip::ZipArchive::new(File::open(archive)?).map_err(io::Error::other)?;
    let (start, size, method) = {
        let file = zip.by_name(entry).map_err(io::Error::other)?;
        if file.encrypted() {
            return Err(io::Error::other(
                "the entry is encrypted; unzip it with its password first",
            ));
        }
        let start = file
            .data_start()
            .ok_or_else(|| io::Error::other("the entry's data cannot be located"))?;
        (start, file.compressed_size(), file.compression())
    };
    let mut raw = zip.into_inner();
    raw.seek(SeekFrom::Start(start))?;
    let body = raw.take(size);
    match method {
        zip::CompressionMethod::Stored => Ok(Box::new(body)),
        zip::CompressionMethod::Deflated => Ok(Box::new(flate2::read::DeflateDecoder::new(body))),
        other => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "the entry is compressed with {other}, which chorus does not read; unzip the archive and pass the folder"
            ),
        )),
    }
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
        let expansion = expand_inputs(&[dir.path().display().to_string()]).unwrap();
        let names: Vec<String> = expansion.inputs.iter().map(Input::id_prefix).collect();
        assert_eq!(names, ["a.csv.gz", "b.jsonl", "c.parquet", "d.json.zst"]);
        assert_eq!(expansion.skipped.len(), 1);
        assert!(expansion.skipped[0].path.ends_with("notes.txt"));
    }

    #[test]
    fn globs_expand_and_unmatched_globs_stay_visible() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["x1.jsonl", "x2.jsonl", "y.jsonl"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let pattern = format!("{}/x*.jsonl", dir.path().display());
        let inputs = expand_inputs(&[pattern]).unwrap().inputs;
        assert_eq!(inputs.len(), 2);
        let missing = format!("{}/z*.jsonl", dir.path().display());
        let inputs = expand_inputs(std::slice::from_ref(&missing))
            .unwrap()
            .inputs;
        assert_eq!(inputs, [Input::Path(missing.into())]);
    }

    #[test]
    fn stdin_only_once() {
        assert_eq!(expand_inputs(&["-".into()]).unwrap().inputs, [Input::Stdin]);
        assert!(matches!(
            expand_inputs(&["-".into(), "-".into()]),
            Err(ExpandError::StdinTwice)
        ));
    }
}
