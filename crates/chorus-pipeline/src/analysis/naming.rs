//! Cluster names: contrastive model prompts and keyword names, and the excerpts investigation
//! mode attaches.

use std::collections::HashMap;

use chorus_cluster::KMeans;
use chorus_facets::summary::{ClusterName, name_cluster_request};
use chorus_models::ChatRequest;
use chorus_text::Keyword;

use super::Collected;
use super::draft::{DraftNode, ModelText};
use crate::PipelineError;
use crate::summary::ModelCaller;

/// Inside and outside summaries per summary-mode base cluster.
const NAMING_SAMPLES: usize = 12;

/// At most this many of one user's summaries go into one naming prompt.
const NAMING_PER_USER: usize = 2;

/// Neighbouring clusters whose members make the contrast.
const CONTRAST_CLUSTERS: usize = 3;

/// Contrastive naming prompts: the members nearest the centroid (a few per user at most), and
/// the nearest members of the nearest other clusters.
pub(super) fn base_naming_requests(
    collected: &Collected,
    clusters: &KMeans,
    nodes: &[DraftNode],
) -> Vec<ChatRequest> {
    (0..nodes.len())
        .map(|cluster| {
            let inside: Vec<String> = central_members(
                collected,
                clusters,
                &nodes[cluster].members,
                cluster,
                NAMING_PER_USER,
            )
            .take(NAMING_SAMPLES)
            .map(|d| collected.summaries[d].clone())
            .collect();
            let mut others: Vec<usize> = (0..nodes.len()).filter(|&o| o != cluster).collect();
            let centroid_gap = |o: usize| -> f32 {
                clusters
                    .centroid(o)
                    .iter()
                    .zip(clusters.centroid(cluster))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum()
            };
            others.sort_by(|&a, &b| centroid_gap(a).total_cmp(&centroid_gap(b)).then(a.cmp(&b)));
            let near: Vec<usize> = others
                .iter()
                .take(CONTRAST_CLUSTERS)
                .flat_map(|&o| nodes[o].members.iter().copied())
                .collect();
            let outside: Vec<String> =
                central_members(collected, clusters, &near, cluster, usize::MAX)
                    .take(NAMING_SAMPLES)
                    .map(|d| collected.summaries[d].clone())
                    .collect();
            name_cluster_request(&inside, &outside)
        })
        .collect()
}

/// `docs` nearest `cluster`'s centroid first (ties by position), at most `per_user` of any one
/// user.
fn central_members<'a>(
    collected: &'a Collected,
    clusters: &KMeans,
    docs: &[usize],
    cluster: usize,
    per_user: usize,
) -> impl Iterator<Item = usize> + 'a {
    let dim = collected.dim;
    let centroid = clusters.centroid(cluster);
    let distance = |doc: usize| -> f32 {
        collected.vectors()[doc * dim..(doc + 1) * dim]
            .iter()
            .zip(centroid)
            .map(|(a, b)| (a - b) * (a - b))
            .sum()
    };
    let mut sorted: Vec<(f32, usize)> = docs.iter().map(|&d| (distance(d), d)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut seen: HashMap<u64, usize> = HashMap::new();
    sorted.into_iter().map(|(_, d)| d).filter(move |&d| {
        let count = seen.entry(collected.users[d]).or_default();
        *count += 1;
        *count <= per_user
    })
}

/// Investigation mode: each base cluster's excerpts, from its most central conversations, one
/// per user.
pub(super) fn attach_excerpts(
    nodes: &mut [DraftNode],
    collected: &Collected,
    clusters: &KMeans,
    count: usize,
) {
    let Some(excerpts) = collected.excerpts.as_ref() else {
        return;
    };
    for (cluster, node) in nodes.iter_mut().enumerate() {
        node.examples = central_members(collected, clusters, &node.members, cluster, 1)
            .take(count)
            .map(|d| excerpts[d].clone())
            .collect();
    }
}

/// Keyword mode with a local LLM: each cluster with keywords gets a readable name made from
/// them alone; the keywords stay the name where the model's reply was unusable.
pub(super) fn name_from_keywords(
    nodes: &mut [DraftNode],
    namer: &mut ModelCaller<'_>,
) -> Result<(), PipelineError> {
    let named: Vec<usize> = (0..nodes.len())
        .filter(|&i| !nodes[i].keywords.is_empty())
        .collect();
    let keywords: Vec<Vec<(String, f64)>> = named
        .iter()
        .map(|&i| {
            nodes[i]
                .keywords
                .iter()
                .map(|k| (k.term.clone(), k.share))
                .collect()
        })
        .collect();
    for (index, name) in named.into_iter().zip(namer.keyword_names(&keywords)?) {
        if let Some(name) = name {
            nodes[index].name = name;
            nodes[index].model_text = ModelText::Name;
        }
    }
    Ok(())
}

pub(super) fn cluster_names<'a>(
    nodes: impl IntoIterator<Item = &'a DraftNode>,
) -> Vec<ClusterName> {
    nodes
        .into_iter()
        .map(|node| ClusterName {
            name: node.name.clone(),
            description: node.description.clone(),
        })
        .collect()
}

/// Model names where the reply was usable; the keyword names stay elsewhere.
pub(super) fn apply_names(nodes: &mut [DraftNode], names: Vec<Option<ClusterName>>) {
    for (node, name) in nodes.iter_mut().zip(names) {
        if let Some(named) = name {
            node.name = named.name;
            node.description = named.description;
            node.model_text = ModelText::NameAndDescription;
        }
    }
}

/// The first three keywords (the release names a node without any).
pub(super) fn name_from(keywords: &[Keyword]) -> String {
    keywords
        .iter()
        .take(3)
        .map(|k| k.term.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(super) fn describe(keywords: &[Keyword]) -> String {
    if keywords.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = keywords
        .iter()
        .map(|k| format!("{} ({:.0}%)", k.term, k.share * 100.0))
        .collect();
    format!(
        "Users here wrote about {}. Shares are of this cluster's conversations.",
        listed.join(", ")
    )
}
