//! The release door and siblings that no word of their users tells apart: merged into one
//! node, unless one of them stands out on its own (a coordinated group, a one-day burst),
//! which a merge would hide in a larger node.

use chrono::{Duration, TimeZone, Utc};

use chorus_analysis::{
    Centering, ClusterConfig, Collected, HierarchyConfig, MapConfig, Models, Observation, Plan,
    PrivacyConfig, Steps, UnknownUsers, VectorFile, analyse,
};
use chorus_facets::profile;
use chorus_report::ReportNode;
use chorus_types::{Conversation, Message, Role};

const DIM: usize = 8;

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

/// A seeded stream of numbers in [-1, 1).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// `direction` with noise of `spread` in the dimensions no group points along, unit length.
fn vector(direction: &[f32], spread: f32, noise: &mut Noise) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIM)
        .map(|i| {
            direction.get(i).copied().unwrap_or(0.0)
                + if i >= 3 { spread * noise.next() } else { 0.0 }
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

struct Doc {
    conversation: Conversation,
    text: &'static str,
    vector: Vec<f32>,
}

fn doc(id: usize, user: String, day: i64, text: &'static str, vector: Vec<f32>) -> Doc {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .expect("a valid date");
    Doc {
        conversation: Conversation {
            id: format!("c{id}"),
            user_id: Some(user),
            created_at: Some(start + Duration::days(day)),
            messages: vec![Message::text(Role::User, text)],
            metadata: Default::default(),
        },
        text,
        vector,
    }
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

fn plan() -> Plan {
    Plan {
        steps: Steps::decide(false, false),
        seed: 7,
        cluster: ClusterConfig {
            k: Some(3),
            reduce_dims: 0,
            ..ClusterConfig::default()
        },
        hierarchy: HierarchyConfig::default(),
        map: MapConfig {
            enabled: false,
            ..MapConfig::default()
        },
        privacy: PrivacyConfig::default(),
        label_field: None,
        cohort_field: None,
        embed_model: "test vectors".into(),
        custom_facets: Vec::new(),
        fixed_tree: None,
        taxonomy: None,
    }
}

/// The published top level and how many clusters the door merged.
fn top_level(second: Second) -> (Vec<ReportNode>, usize) {
    let plan = plan();
    let folder = tempfile::tempdir().expect("a temporary folder");
    let vectors = VectorFile::create(&folder.path().join("vectors.f32")).expect("a vector file");
    let mut collected = Collected::new(&plan, vectors);
    for doc in documents(second) {
        let profile = profile(&doc.conversation);
        collected
            .add(
                Observation {
                    conversation: &doc.conversation,
                    profile: &profile,
                    text: doc.text,
                    redactions: &[],
                    vector: Some(&doc.vector),
                    label: None,
                    facets: None,
                },
                UnknownUsers::Distinct,
            )
            .expect("a conversation is collected");
    }
    collected.seal().expect("sealed");
    collected.center(Centering::None).expect("centred");
    let analysis = analyse(&collected, &plan, Models::none()).expect("analysed");
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
