//! A cluster whose users write in two languages is named in the language most of them write,
//! even when the others' words are the more distinctive ones.

mod common;

use chorus_analysis::{Centering, Models};

use common::{Doc, Noise, analysed, doc, plan, vector};

const ENGLISH: [&str; 3] = [
    "How should I bake bread at home when I do not have a machine and my kitchen is small?",
    "Why does my bread always come out of the oven so dense and heavy, and what am I doing wrong?",
    "Which kind of flour would you recommend for making bread, and how long should the dough rest?",
];

/// Every Spanish speaker writes the same request: its words outscore the one English word
/// ("bread") that all the English speakers share.
const SPANISH: &str =
    "Quiero una receta de pan de masa madre casera para hacer en mi cocina todos los domingos";

/// `english` and `spanish` users asking about bread (one cluster in the vectors), and 80 about
/// bicycles.
fn documents(english: usize, spanish: usize) -> Vec<Doc> {
    let mut noise = Noise(11);
    let mut docs = Vec::new();
    for i in 0..english as i64 {
        let v = vector(&[1.0], 0.3, &mut noise);
        docs.push(doc(
            docs.len(),
            format!("en{i}"),
            i % 28,
            ENGLISH[(i % 3) as usize],
            v,
        ));
    }
    for i in 0..spanish as i64 {
        let v = vector(&[1.0], 0.3, &mut noise);
        docs.push(doc(docs.len(), format!("es{i}"), i % 28, SPANISH, v));
    }
    for i in 0..80 {
        let v = vector(&[0.0, 0.0, 1.0], 0.3, &mut noise);
        let text = "How do I fix the chain on my bicycle?";
        docs.push(doc(docs.len(), format!("c{i}"), i % 28, text, v));
    }
    docs
}

/// The name of the published bread node.
fn bread_name(english: usize, spanish: usize) -> String {
    let analysis = analysed(
        documents(english, spanish),
        &plan(2),
        Models::none(),
        Centering::None,
    );
    let nodes = &analysis.report.tree.children;
    let bread: Vec<&str> = nodes
        .iter()
        .map(|node| node.name.as_str())
        .filter(|name| !name.contains("bicycle") && !name.contains("chain"))
        .collect();
    assert_eq!(bread.len(), 1, "{nodes:#?}");
    bread[0].to_string()
}

const SPANISH_WORDS: [&str; 5] = ["receta", "pan", "masa", "madre", "casera"];

#[test]
fn a_cluster_mostly_in_english_is_named_in_english() {
    let name = bread_name(60, 40);
    assert!(name.contains("bread"), "{name}");
    assert!(
        !name
            .split([' ', '·'])
            .any(|word| SPANISH_WORDS.contains(&word)),
        "{name}"
    );
}

#[test]
fn a_cluster_mostly_in_spanish_is_named_in_spanish() {
    let name = bread_name(36, 64);
    assert!(
        name.split([' ', '·'])
            .any(|word| SPANISH_WORDS.contains(&word)),
        "{name}"
    );
    assert!(!name.contains("bread"), "{name}");
}
