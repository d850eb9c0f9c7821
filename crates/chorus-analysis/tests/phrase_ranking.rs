//! Keyword mode with `hierarchy.name_candidates`: a cluster's candidate phrases ranked by the
//! embedder, the one nearest the centre of its conversations naming it; the embedder sees only
//! phrases that passed the release's user threshold, never a conversation.

mod common;

use chorus_analysis::{AnalysisError, Centering, Embed, Models};

use common::{DIM, Doc, Noise, analysed, doc, plan, vector};

const PASSPORT: &str = "Passport renewal form?";
const TRAVEL: &str = "Travel document application?";
const BICYCLE: &str = "How do I fix the chain on my bicycle?";

/// A cluster whose users wrote two phrases, each half of them, and a cluster of bicycle
/// repairs elsewhere.
fn documents() -> Vec<Doc> {
    let mut noise = Noise(11);
    let mut docs = Vec::new();
    for i in 0..60 {
        let text = if i % 2 == 0 { PASSPORT } else { TRAVEL };
        let v = vector(&[1.0], 0.3, &mut noise);
        docs.push(doc(docs.len(), format!("p{i}"), i % 28, text, v));
    }
    for i in 0..60 {
        let v = vector(&[0.0, 0.0, 1.0], 0.3, &mut noise);
        docs.push(doc(docs.len(), format!("b{i}"), i % 28, BICYCLE, v));
    }
    docs
}

/// Puts `near` along the first axis (where the documents cluster) and every other text
/// along the last; records what it was asked. With `failing`, it fails on every text.
struct Scripted {
    near: &'static str,
    asked: Vec<String>,
    failing: bool,
}

impl Scripted {
    fn near(near: &'static str) -> Self {
        Self {
            near,
            asked: Vec::new(),
            failing: false,
        }
    }
}

impl Embed for Scripted {
    fn embed(&mut self, texts: &[String]) -> Result<Vec<Option<Vec<f32>>>, AnalysisError> {
        self.asked.extend(texts.iter().cloned());
        Ok(texts
            .iter()
            .map(|text| {
                let mut v = vec![0.0; DIM];
                v[if text == self.near { 0 } else { DIM - 1 }] = 1.0;
                (!self.failing).then_some(v)
            })
            .collect())
    }
}

/// The name of the travel/passport cluster, with `candidates` phrases ranked by `embedder`.
fn travel_name(candidates: usize, embedder: &mut Scripted) -> String {
    let mut plan = plan(2);
    plan.hierarchy.name_candidates = candidates;
    // Centred by language, as a run is by default: phrase vectors are centred likewise.
    let models = Models::embedder_only(embedder);
    let analysis = analysed(documents(), &plan, models, Centering::Language);
    let names: Vec<String> = analysis
        .report
        .tree
        .children
        .iter()
        .map(|node| node.name.clone())
        .collect();
    names
        .into_iter()
        .find(|name| name.contains("passport") || name.contains("travel"))
        .unwrap_or_else(|| panic!("no travel cluster in {:?}", analysis.report.tree.children))
}

#[test]
fn the_phrase_nearest_the_clusters_centre_names_it() {
    let mut embedder = Scripted::near("travel document application");
    assert_eq!(
        travel_name(16, &mut embedder),
        "travel document application"
    );
    assert!(
        embedder
            .asked
            .contains(&"passport renewal form".to_string()),
        "{:?}",
        embedder.asked
    );
    for text in &embedder.asked {
        assert!(
            ![PASSPORT, TRAVEL, BICYCLE].contains(&text.as_str()),
            "a conversation was embedded: {text}"
        );
    }

    let mut embedder = Scripted::near("passport renewal form");
    assert_eq!(travel_name(16, &mut embedder), "passport renewal form");
}

#[test]
fn an_embedder_failing_on_every_phrase_leaves_the_class_tf_idf_order() {
    let mut embedder = Scripted {
        failing: true,
        ..Scripted::near("travel document application")
    };
    assert_eq!(travel_name(16, &mut embedder), "passport renewal form");
    assert!(!embedder.asked.is_empty());
}

#[test]
fn without_candidates_no_phrase_is_embedded_and_class_tf_idf_names() {
    let mut embedder = Scripted::near("travel document application");
    // Equally distinctive and long: the first in word order.
    assert_eq!(travel_name(0, &mut embedder), "passport renewal form");
    assert!(embedder.asked.is_empty(), "{:?}", embedder.asked);
}
