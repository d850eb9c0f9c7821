//! The in-process MiniLM against vectors from Python sentence-transformers, on real weights.

use std::path::PathBuf;

use chorus_local::MiniLm;

mod common;

#[derive(serde::Deserialize)]
struct Reference {
    sentences: Vec<String>,
    embeddings: Vec<Vec<f32>>,
}

fn model_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| common::fetch_model("all-minilm-l6-v2"))
        .clone()
}

fn reference() -> Reference {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/minilm_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn vectors_equal_sentence_transformers() {
    let model = MiniLm::load(&model_dir()).unwrap();
    let reference = reference();
    assert!(reference.sentences.len() >= 20);
    let matrix = model.embed_now(&reference.sentences).unwrap();
    assert_eq!(
        (matrix.rows(), matrix.dim()),
        (reference.sentences.len(), 384)
    );
    let mut lowest = f32::MAX;
    for (index, (sentence, expected)) in reference
        .sentences
        .iter()
        .zip(&reference.embeddings)
        .enumerate()
    {
        let similarity = cosine(matrix.row(index), expected);
        assert!(similarity >= 0.9999, "{sentence:?}: cosine {similarity}");
        lowest = lowest.min(similarity);
    }
    eprintln!(
        "lowest cosine over {} sentences: {lowest}",
        reference.sentences.len()
    );
}

#[test]
fn a_text_alone_equals_its_row_in_a_batch() {
    let model = MiniLm::load(&model_dir()).unwrap();
    let texts: Vec<String> = reference().sentences.into_iter().take(12).collect();
    let batch = model.embed_now(&texts).unwrap();
    for index in [0, 5, 11] {
        let alone = model.embed_now(&texts[index..=index]).unwrap();
        assert!(
            cosine(alone.row(0), batch.row(index)) > 0.99999,
            "text {index}"
        );
    }
}

#[test]
fn missing_files_say_how_to_fetch() {
    let empty = tempfile::tempdir().unwrap();
    let error = MiniLm::load(empty.path()).err().unwrap();
    assert!(error.to_string().contains("chorus models fetch"), "{error}");
}
