//! The release door and siblings that no word of their users tells apart: merged into one
//! node, unless one of them stands out on its own (a coordinated group, a one-day burst),
//! which a merge would hide in a larger node.

mod common;

use chorus_analysis::Models;
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

/// The published top level and how many clusters the door merged.
fn top_level(second: Second) -> (Vec<ReportNode>, usize) {
    let analysis = analysed(documents(second), &plan(3), Models::none());
    (
        analysis.report.tree.children.clone(),
        analysis.release.clusters_merged,
    )
}

fn bread_nodes(nodes: &[ReportNode]) -> Vec<&ReportNode> {
    nodes
        .iter()
        .filter(|node| node.name.contains("sourdough"))
        .collect()
}

#[test]
fn siblings_in_the_same_words_are_merged_into_one_node() {
    let (nodes, merged) = top_level(Second::Ordinary);
    let bread = bread_nodes(&nodes);
    assert_eq!(merged, 1, "{nodes:#?}");
    assert_eq!(bread.len(), 1, "{nodes:#?}");
    assert_eq!(bread[0].conversations, 140);
    assert!(!bread[0].name.contains('('), "{}", bread[0].name);
}

#[test]
fn a_coordinated_sibling_keeps_its_own_node_under_a_numbered_name() {
    let (nodes, merged) = top_level(Second::Coordinated);
    let bread = bread_nodes(&nodes);
    assert_eq!(merged, 0, "{nodes:#?}");
    assert_eq!(bread.len(), 2, "{nodes:#?}");
    let flagged: Vec<&&ReportNode> = bread.iter().filter(|n| n.signals.coordinated).collect();
    assert_eq!(flagged.len(), 1, "{bread:#?}");
    assert_eq!(flagged[0].conversations, 60);
    assert_ne!(bread[0].name, bread[1].name);
    assert!(
        bread.iter().any(|n| n.name.ends_with(" (2)")),
        "{:?}",
        bread.iter().map(|n| &n.name).collect::<Vec<_>>()
    );
}

#[test]
fn a_sibling_with_a_burst_of_its_own_is_not_merged_away() {
    let (nodes, merged) = top_level(Second::Burst);
    let bread = bread_nodes(&nodes);
    assert_eq!(merged, 0, "{nodes:#?}");
    assert_eq!(bread.len(), 2, "{nodes:#?}");
    let burst: Vec<&&ReportNode> = bread.iter().filter(|n| n.signals.burst.is_some()).collect();
    assert_eq!(burst.len(), 1, "{bread:#?}");
    assert_eq!(burst[0].conversations, 60);
}
