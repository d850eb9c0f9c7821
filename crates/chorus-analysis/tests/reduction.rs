//! When base clusters are found in the neighbourhood-keeping reduction: always for English text
//! (one language), for text in several languages only when the embedder is multilingual (an
//! English model's neighbours there share the language more than the topic).

mod common;

use chorus_analysis::{Centering, Models};

use common::{Doc, Noise, analysed, doc, plan, vector};

const ENGLISH: [&str; 2] = [
    "How do I bake sourdough bread at home with my children?",
    "How do I fix the chain on my bicycle before the weekend?",
];
const GERMAN: [&str; 2] = [
    "Wie backe ich zu Hause mit meinen Kindern ein gutes Sauerteigbrot?",
    "Wie repariere ich die Kette an meinem Fahrrad vor dem Wochenende?",
];

/// Two topics, `per_topic` conversations each in English and as many in German when asked.
fn documents(per_topic: usize, german: bool) -> Vec<Doc> {
    let mut noise = Noise(11);
    let mut docs = Vec::new();
    let languages: &[[&'static str; 2]] = if german {
        &[ENGLISH, GERMAN]
    } else {
        &[ENGLISH]
    };
    for texts in languages {
        for (topic, text) in texts.iter().enumerate() {
            let direction: &[f32] = if topic == 0 { &[1.0] } else { &[0.0, 1.0] };
            for i in 0..per_topic {
                let v = vector(direction, 0.4, &mut noise);
                docs.push(doc(
                    docs.len(),
                    format!("u{}", docs.len()),
                    i as i64 % 28,
                    text,
                    v,
                ));
            }
        }
    }
    docs
}

fn reduced_dims(german: bool, multilingual_embedder: bool) -> usize {
    let mut plan = plan(4);
    plan.cluster.reduce_dims = 5;
    plan.multilingual_embedder = multilingual_embedder;
    let analysis = analysed(
        documents(60, german),
        &plan,
        Models::none(),
        Centering::None,
    );
    analysis.report.parameters.reduced_dims
}

#[test]
fn one_language_is_always_reduced() {
    assert_eq!(reduced_dims(false, false), 5);
    assert_eq!(reduced_dims(false, true), 5);
}

#[test]
fn several_languages_are_reduced_only_with_a_multilingual_embedder() {
    assert_eq!(reduced_dims(true, false), 0);
    assert_eq!(reduced_dims(true, true), 5);
}
