//! A run's analysis over seeded vectors and short texts, without an embedder or a model.

use chrono::{Duration, TimeZone, Utc};

use chorus_analysis::{
    Analysis, Centering, ClusterConfig, Collected, HierarchyConfig, MapConfig, Models, Observation,
    Plan, PrivacyConfig, Steps, UnknownUsers, VectorFile, analyse,
};
use chorus_facets::profile;
use chorus_types::{Conversation, Message, Role};

pub const DIM: usize = 8;

/// A seeded stream of numbers in [-1, 1).
pub struct Noise(pub u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// `direction` with noise of `spread` in the dimensions from 3 on (no group points along
/// them), unit length.
pub fn vector(direction: &[f32], spread: f32, noise: &mut Noise) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIM)
        .map(|i| {
            let noise = if i >= 3 { spread * noise.next() } else { 0.0 };
            direction.get(i).copied().unwrap_or(0.0) + noise
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

pub struct Doc {
    pub conversation: Conversation,
    pub text: &'static str,
    pub vector: Vec<f32>,
}

/// A one-message conversation of `user`, `day` days into November 2026.
pub fn doc(id: usize, user: String, day: i64, text: &'static str, vector: Vec<f32>) -> Doc {
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

/// Keyword mode, `k` base clusters found in the vectors as given, no map.
pub fn plan(k: usize) -> Plan {
    Plan {
        steps: Steps::decide(false, false),
        seed: 7,
        cluster: ClusterConfig {
            k: Some(k),
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
        multilingual_embedder: false,
        custom_facets: Vec::new(),
        fixed_tree: None,
        taxonomy: None,
    }
}

/// The analysis of `docs`, their vectors centred as `centering` says.
pub fn analysed(docs: Vec<Doc>, plan: &Plan, models: Models<'_>, centering: Centering) -> Analysis {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let vectors = VectorFile::create(&folder.path().join("vectors.f32")).expect("a vector file");
    let mut collected = Collected::new(plan, vectors);
    for doc in docs {
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
    collected.center(centering).expect("centred");
    analyse(&mut collected, plan, models).expect("analysed")
}
