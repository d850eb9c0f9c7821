//! The release door and siblings that no word of their users tells apart: merged into one
//! node, unless one of them stands out on its own (a coordinated group, a one-day burst),
//! which a merge would hide in a larger node.

mod common;

use chorus_analysis::{Centering, Models};
use chorus_report::ReportNode;

use common::{Doc, Noise, analysed, doc, plan, vector};

/// What sets the second bread cluster apart from the first, besides its place.
#[derive(Clone, Copy, PartialEq)]
enum Second {
    /// Nothing: its users wrote what the first cluster's did.
    Ordinary,
    /// One near-identical request from every account.
    Coordinated,
    /// All of it on one day.
    Burst,
}

const BREAD: &str = "How do I bake sourdough bread at home?";

/// Two clusters of bread questions in the same words, far apart in the vectors, and one of
/// bicycle repairs; over four weeks.
fn documents(second: Second) -> Vec<Doc> {
    let mut noise = Noise(7);
    let mut docs = Vec::new();
    for i in 0..80 {
        let v = vector(&[1.0], 0.5, &mut noise);
        docs.push(doc(docs.len(), format!("a{i}"), i % 28, BREAD, v));
    }
    for i in 0..60 {
        let spread = if second == Second::Coordinated {
            0.01
        } else {
            0.5
        };
        let v = vector(&[0.6, 0.8], spread, &mut noise);
        let day = if second == Second::Burst { 10 } else { i % 28 };
        docs.push(doc(docs.len(), format!("b{i}"), day, BREAD, v));
    }
    for i in 0..80 {
        let v = vector(&[0.0, 0.0, 1.0], 0.5, &mut noise);
        let text = "How do I fix the chain on my bicycle?";
        docs.push(doc(docs.len(), format!("c{i}"), i % 28, text, v));
    }
    docs
}

/// The published bread nodes, after checking how many clusters the door merged and how many
/// bread nodes it published.
fn bread_nodes(second: Second, merged: usize, published: usize) -> Vec<ReportNode> {
    let analysis = analysed(documents(second), &plan(3), Models::none(), Centering::None);
    let nodes = &analysis.report.tree.children;
    assert_eq!(analysis.release.clusters_merged, merged, "{nodes:#?}");
    let bread: Vec<ReportNode> = nodes
        .iter()
        .filter(|node| node.name.contains("sourdough"))
        .cloned()
        .collect();
    assert_eq!(bread.len(), published, "{nodes:#?}");
    bread
}

/// The one node of `nodes` that `flagged` holds for, with the second cluster's 60
/// conversations; the other's name carries a number.
fn kept_apart(nodes: &[ReportNode], flagged: fn(&ReportNode) -> bool) {
    let hits: Vec<&ReportNode> = nodes.iter().filter(|n| flagged(n)).collect();
    assert_eq!(hits.len(), 1, "{nodes:#?}");
    assert_eq!(hits[0].conversations, 60);
    let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    assert_ne!(names[0], names[1]);
    assert!(names.iter().any(|n| n.ends_with(" (2)")), "{names:?}");
}

#[test]
fn siblings_in_the_same_words_are_merged_into_one_node() {
    let bread = bread_nodes(Second::Ordinary, 1, 1);
    assert_eq!(bread[0].conversations, 140);
    assert!(!bread[0].name.contains('('), "{}", bread[0].name);
}

#[test]
fn a_coordinated_sibling_keeps_its_own_node_under_a_numbered_name() {
    kept_apart(&bread_nodes(Second::Coordinated, 0, 2), |n| {
        n.signals.coordinated
    });
}

#[test]
fn a_sibling_with_a_burst_of_its_own_is_not_merged_away() {
    kept_apart(&bread_nodes(Second::Burst, 0, 2), |n| {
        n.signals.burst.is_some()
    });
}
