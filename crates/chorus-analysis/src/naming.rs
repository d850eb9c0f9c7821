//! Cluster names behind one trait — keywords, a local model's titles of them, contrastive
//! model names — and the excerpts investigation mode attaches.

use std::collections::HashMap;

use chorus_cluster::KMeans;
use chorus_facets::summary::{
    ClusterName, NAMING_PROMPT_VERSION, name_cluster_request, name_keywords_request,
    name_parent_request, parse_cluster_name, parse_keyword_name,
};
use chorus_models::ChatRequest;

use crate::base::BaseClusters;
use crate::draft::{DraftNode, ModelText};
use crate::models::ask_parsed;
use crate::tree::TreeBuilder;
use crate::{AnalysisError, Collected, ModelAccess, Models, Naming};

/// The model stage name of naming calls (cache keys, `run.json`).
const STAGE: &str = "name";

/// What a namer may look at besides the nodes themselves.
pub(crate) struct NamingContext<'a> {
    /// The clustered conversations and the release's thresholds.
    pub builder: &'a TreeBuilder<'a>,
    /// The base clusters.
    pub base: &'a BaseClusters,
}

/// Names the nodes of each level. Every node arrives named by its keywords (and, from the
/// model hierarchy, with its proposed parent name); above the base, with its children.
pub(crate) trait Namer {
    /// Names `nodes`, the clusters of `level`.
    fn name(
        &mut self,
        level: usize,
        nodes: &mut [DraftNode],
        context: &NamingContext<'_>,
        models: &mut Models<'_>,
    ) -> Result<(), AnalysisError>;
}

/// The namer `naming` stands for.
pub(crate) fn namer_for(naming: Naming) -> Box<dyn Namer> {
    match naming {
        Naming::Keywords => Box::new(KeywordNames),
        Naming::LocalTitles => Box::new(LocalTitles),
        Naming::Contrastive => Box::new(ContrastiveNames),
    }
}

/// The keyword names stay.
struct KeywordNames;

impl Namer for KeywordNames {
    fn name(
        &mut self,
        _level: usize,
        _nodes: &mut [DraftNode],
        _context: &NamingContext<'_>,
        _models: &mut Models<'_>,
    ) -> Result<(), AnalysisError> {
        Ok(())
    }
}

/// A local model titles each cluster from its keywords alone, at every level.
struct LocalTitles;

impl Namer for LocalTitles {
    fn name(
        &mut self,
        _level: usize,
        nodes: &mut [DraftNode],
        _context: &NamingContext<'_>,
        models: &mut Models<'_>,
    ) -> Result<(), AnalysisError> {
        name_from_keywords(nodes, models.get("local title")?)
    }
}

/// The chat model names each base cluster from its members' summaries against its
/// neighbours', and each parent from the names of its children that will be published.
struct ContrastiveNames;

impl Namer for ContrastiveNames {
    fn name(
        &mut self,
        level: usize,
        nodes: &mut [DraftNode],
        context: &NamingContext<'_>,
        models: &mut Models<'_>,
    ) -> Result<(), AnalysisError> {
        let requests: Vec<ChatRequest> = if level == 0 {
            base_naming_requests(context.builder.collected, &context.base.clusters, nodes)
        } else {
            // Only children that will be published feed their words upward: a folded child's
            // text rests on too few people.
            nodes
                .iter()
                .map(|node| {
                    let published = node
                        .children
                        .iter()
                        .filter(|child| context.builder.publishable(child));
                    name_parent_request(&cluster_names(published))
                })
                .collect()
        };
        let names = ask_parsed(
            models.get("contrastive name")?,
            STAGE,
            NAMING_PROMPT_VERSION,
            &requests,
            true,
            |_, text| parse_cluster_name(text),
        )?;
        apply_names(nodes, names.into_iter().map(Result::ok).collect());
        Ok(())
    }
}

/// Inside and outside summaries per summary-mode base cluster.
const NAMING_SAMPLES: usize = 12;

/// At most this many of one user's summaries go into one naming prompt.
const NAMING_PER_USER: usize = 2;

/// Neighbouring clusters whose members make the contrast.
const CONTRAST_CLUSTERS: usize = 3;

/// Contrastive naming prompts: the members nearest the centroid (a few per user at most), and
/// the nearest members of the nearest other clusters.
fn base_naming_requests(
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
pub(crate) fn attach_excerpts(
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
/// them alone; the keywords stay the name where the model's reply was unusable (not asked
/// again: the keywords are all it is shown).
fn name_from_keywords(
    nodes: &mut [DraftNode],
    models: &mut dyn ModelAccess,
) -> Result<(), AnalysisError> {
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
    let requests: Vec<ChatRequest> = keywords.iter().map(|k| name_keywords_request(k)).collect();
    let names = ask_parsed(
        models,
        STAGE,
        NAMING_PROMPT_VERSION,
        &requests,
        false,
        |index, text| parse_keyword_name(text, &keywords[index]),
    )?;
    for (index, name) in named.into_iter().zip(names) {
        if let Ok(name) = name {
            nodes[index].name = name;
            nodes[index].model_text = ModelText::Name;
        }
    }
    Ok(())
}

pub(crate) fn cluster_names<'a>(
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
fn apply_names(nodes: &mut [DraftNode], names: Vec<Option<ClusterName>>) {
    for (node, name) in nodes.iter_mut().zip(names) {
        if let Some(named) = name {
            node.name = named.name;
            node.description = named.description;
            node.model_text = ModelText::NameAndDescription;
        }
    }
}
