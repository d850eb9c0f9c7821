//! Summary mode's hierarchy: one level of parents over named clusters, found by the chat model
//! and made certain to converge by embeddings.
//!
//! The clusters are split into neighbourhoods by their name embeddings; the model proposes
//! parents for each neighbourhood (seeing a few nearby clusters outside it), merges the
//! proposals of all neighbourhoods into at most `target`, then places each cluster under one
//! parent, the list shuffled per call so its order does not steer the choice. Whatever the
//! model does, the level ends strictly smaller than the one below: merged names beyond
//! `target` are folded by embedding, a cluster the model will not place goes to the nearest
//! parent by embedding, parents left empty are dropped, and the calls are bounded (one per
//! neighbourhood, one merge, one per cluster, each with one retry).

use chorus_cluster::{KMeansOptions, SeededRng, kmeans};
use chorus_facets::hierarchy::{
    HIERARCHY_PROMPT_VERSION, assign_parent_request, dedupe_parents_request, parse_choice,
    parse_name_list, propose_parents_request, same_name,
};
use chorus_facets::summary::ClusterName;
use chorus_models::ChatRequest;

use crate::embedded::{Vectors, dot};
use crate::models::ask_parsed;
use crate::{AnalysisError, ModelAccess};

/// Clusters per neighbourhood when proposing parents.
pub const NEIGHBOURHOOD_SIZE: usize = 40;
/// Clusters outside a neighbourhood shown with it as contrast.
const NEARBY_CLUSTERS: usize = 4;
/// The model stage name of the hierarchy's calls (cache keys, `run.json`).
const STAGE: &str = "hierarchy";

/// The parents of one level.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Grouping {
    /// Per child: the index of its parent.
    pub parent_of: Vec<usize>,
    /// The parents' names, every one with at least one child.
    pub parents: Vec<String>,
}

/// Groups `children` under at most `target` parents (`1 <= target < children.len()`).
pub(crate) fn group_children(
    children: &[ClusterName],
    target: usize,
    models: &mut dyn ModelAccess,
    seed: u64,
) -> Result<Grouping, AnalysisError> {
    let target = target.clamp(1, children.len().saturating_sub(1).max(1));
    let texts: Vec<String> = children
        .iter()
        .map(|c| format!("{}: {}", c.name, c.description))
        .collect();
    let vectors = Vectors::embed(models, &texts)?;
    let hoods = neighbourhoods(&vectors, seed)?;
    let proposals = propose(children, &vectors, &hoods, target, models)?;
    let parents = match merge(proposals, target, models, seed)? {
        Some(parents) => parents,
        // No usable proposal anywhere: the parents are the clusters' own k-means groups.
        None => return embedding_groups(children, &vectors, target, seed),
    };
    let parent_vectors = Vectors::embed(models, &parents)?;
    let shown: Vec<&str> = parents.iter().map(String::as_str).collect();
    let answers = ask_placements(children, &shown, None, models, seed)?;
    // A child the model would not place (counted as missing in run.json) goes to the nearest
    // parent by embedding.
    let parent_of: Vec<usize> = answers
        .into_iter()
        .enumerate()
        .map(|(child, answer)| {
            answer.unwrap_or_else(|_| parent_vectors.nearest(vectors.row(child)))
        })
        .collect();
    Ok(without_empty_parents(parent_of, parents))
}

/// The option that places a cluster under no category.
const NO_CATEGORY: &str = "None of these";

/// Taxonomy mode in summary mode: the model places each base cluster under one of `leaves`
/// (each shown by its path of names, the list shuffled per call) or under none of them
/// (`None`: "Unassigned"); a cluster it gives no usable answer for keeps its `fallback` (the
/// embedding's choice).
pub(crate) fn place_in_categories(
    children: &[ClusterName],
    leaves: &[String],
    fallback: &[Option<usize>],
    models: &mut dyn ModelAccess,
    seed: u64,
) -> Result<Vec<Option<usize>>, AnalysisError> {
    let options: Vec<&str> = leaves.iter().map(String::as_str).collect();
    let answers = ask_placements(children, &options, Some(NO_CATEGORY), models, seed)?;
    Ok(answers
        .into_iter()
        .zip(fallback)
        .map(|(answer, fallback)| match answer {
            Ok(choice) if choice < leaves.len() => Some(choice),
            Ok(_) => None,
            Err(_) => *fallback,
        })
        .collect())
}

/// The placement step: the model puts each child under one of `options`, shown in a seeded
/// order per child so the order does not steer the choice (`last`, when given, always ends the
/// list and is answered as `options.len()`); per child its choice, or why there is none.
fn ask_placements(
    children: &[ClusterName],
    options: &[&str],
    last: Option<&str>,
    models: &mut dyn ModelAccess,
    seed: u64,
) -> Result<Vec<Result<usize, String>>, AnalysisError> {
    let all: Vec<&str> = options.iter().copied().chain(last).collect();
    let orders: Vec<Vec<usize>> = (0..children.len())
        .map(|index| {
            let mut order: Vec<usize> = (0..options.len()).collect();
            SeededRng::new(seed, index as u64).shuffle(&mut order);
            order.extend(last.map(|_| options.len()));
            order
        })
        .collect();
    let shown = |index: usize| -> Vec<&str> { orders[index].iter().map(|&o| all[o]).collect() };
    let calls: Vec<ChatRequest> = children
        .iter()
        .enumerate()
        .map(|(index, child)| assign_parent_request(child, &shown(index)))
        .collect();
    ask_parsed(
        models,
        STAGE,
        HIERARCHY_PROMPT_VERSION,
        &calls,
        true,
        |index, text| parse_choice(text, &shown(index)).map(|choice| orders[index][choice]),
    )
}

/// The children in each neighbourhood: k-means over their name embeddings, about
/// [`NEIGHBOURHOOD_SIZE`] each.
fn neighbourhoods(vectors: &Vectors, seed: u64) -> Result<Vec<Vec<usize>>, AnalysisError> {
    let count = vectors.len().div_ceil(NEIGHBOURHOOD_SIZE);
    if count <= 1 {
        return Ok(vec![(0..vectors.len()).collect()]);
    }
    let grouped = kmeans(&vectors.rows, vectors.dim, &KMeansOptions::new(count, seed))
        .map_err(AnalysisError::numeric_step(STAGE))?;
    let mut hoods = vec![Vec::new(); grouped.k()];
    for (child, &hood) in grouped.assignments.iter().enumerate() {
        hoods[hood as usize].push(child);
    }
    hoods.retain(|h| !h.is_empty());
    Ok(hoods)
}

/// Every usable proposal, neighbourhood by neighbourhood (each asked for its share of
/// `target`, at least one).
fn propose(
    children: &[ClusterName],
    vectors: &Vectors,
    hoods: &[Vec<usize>],
    target: usize,
    models: &mut dyn ModelAccess,
) -> Result<Vec<String>, AnalysisError> {
    let wanted: Vec<usize> = hoods
        .iter()
        .map(|hood| (target * hood.len()).div_ceil(children.len()).max(1))
        .collect();
    let requests: Vec<ChatRequest> = hoods
        .iter()
        .zip(&wanted)
        .map(|(hood, &count)| {
            let members: Vec<ClusterName> = hood.iter().map(|&c| children[c].clone()).collect();
            let nearby: Vec<ClusterName> = nearest_outside(vectors, hood)
                .into_iter()
                .map(|c| children[c].clone())
                .collect();
            propose_parents_request(&members, &nearby, count)
        })
        .collect();
    let answers = ask_parsed(
        models,
        STAGE,
        HIERARCHY_PROMPT_VERSION,
        &requests,
        true,
        |index, text| parse_name_list(text, wanted[index] * 2),
    )?;
    Ok(answers.into_iter().flatten().flatten().collect())
}

/// The clusters outside `hood` nearest its mean vector.
fn nearest_outside(vectors: &Vectors, hood: &[usize]) -> Vec<usize> {
    let mut centre = vec![0.0f32; vectors.dim];
    for &member in hood {
        for (c, v) in centre.iter_mut().zip(vectors.row(member)) {
            *c += v;
        }
    }
    let mut outside: Vec<(usize, f32)> = (0..vectors.len())
        .filter(|c| !hood.contains(c))
        .map(|c| (c, dot(vectors.row(c), &centre)))
        .collect();
    outside.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    outside
        .into_iter()
        .take(NEARBY_CLUSTERS)
        .map(|(c, _)| c)
        .collect()
}

/// The parents: the proposals with repeats dropped, merged by the model when there are more
/// than `target`, and folded by embedding when still too many. `None` when nothing was
/// proposed.
fn merge(
    proposals: Vec<String>,
    target: usize,
    models: &mut dyn ModelAccess,
    seed: u64,
) -> Result<Option<Vec<String>>, AnalysisError> {
    let mut distinct: Vec<String> = Vec::new();
    for proposal in proposals {
        if !distinct.iter().any(|d| same_name(d, &proposal)) {
            distinct.push(proposal);
        }
    }
    if distinct.is_empty() {
        return Ok(None);
    }
    if distinct.len() <= target {
        return Ok(Some(distinct));
    }
    let request = dedupe_parents_request(&distinct, target);
    let merged = ask_parsed(
        models,
        STAGE,
        HIERARCHY_PROMPT_VERSION,
        &[request],
        true,
        |_, text| parse_name_list(text, target),
    )?;
    if let Some(Ok(names)) = merged.into_iter().next() {
        return Ok(Some(names));
    }
    let vectors = Vectors::embed(models, &distinct)?;
    let folded = kmeans(
        &vectors.rows,
        vectors.dim,
        &KMeansOptions::new(target, seed),
    )
    .map_err(AnalysisError::numeric_step(STAGE))?;
    // Each fold is named by its member nearest the fold's centre.
    Ok(Some(
        (0..folded.k())
            .filter(|&f| folded.sizes[f] > 0)
            .map(|f| {
                let members: Vec<usize> = (0..distinct.len())
                    .filter(|&d| folded.assignments[d] as usize == f)
                    .collect();
                let best = members
                    .iter()
                    .copied()
                    .max_by(|&a, &b| {
                        dot(vectors.row(a), folded.centroid(f))
                            .total_cmp(&dot(vectors.row(b), folded.centroid(f)))
                            .then(b.cmp(&a))
                    })
                    .unwrap_or(0);
                distinct[best].clone()
            })
            .collect(),
    ))
}

/// Parents without the model: k-means of the children's name embeddings, each parent named
/// after its child nearest the centre until the parent naming step renames it.
fn embedding_groups(
    children: &[ClusterName],
    vectors: &Vectors,
    target: usize,
    seed: u64,
) -> Result<Grouping, AnalysisError> {
    let grouped = kmeans(
        &vectors.rows,
        vectors.dim,
        &KMeansOptions::new(target, seed),
    )
    .map_err(AnalysisError::numeric_step(STAGE))?;
    let parent_of: Vec<usize> = grouped.assignments.iter().map(|&a| a as usize).collect();
    let parents = (0..grouped.k())
        .map(|g| {
            let nearest = (0..children.len())
                .filter(|&c| parent_of[c] == g)
                .max_by(|&a, &b| {
                    dot(vectors.row(a), grouped.centroid(g))
                        .total_cmp(&dot(vectors.row(b), grouped.centroid(g)))
                        .then(b.cmp(&a))
                });
            nearest.map_or_else(String::new, |c| children[c].name.clone())
        })
        .collect();
    Ok(without_empty_parents(parent_of, parents))
}

/// Drops parents no child went to and renumbers the rest in their order.
fn without_empty_parents(parent_of: Vec<usize>, parents: Vec<String>) -> Grouping {
    let mut renumbered = vec![usize::MAX; parents.len()];
    let mut kept = Vec::new();
    for (index, name) in parents.into_iter().enumerate() {
        if parent_of.contains(&index) {
            renumbered[index] = kept.len();
            kept.push(name);
        }
    }
    Grouping {
        parent_of: parent_of.into_iter().map(|p| renumbered[p]).collect(),
        parents: kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_parents_are_dropped_and_the_rest_renumbered() {
        let grouping =
            without_empty_parents(vec![2, 0, 2], vec!["a".into(), "b".into(), "c".into()]);
        assert_eq!(grouping.parent_of, vec![1, 0, 1]);
        assert_eq!(grouping.parents, vec!["a", "c"]);
    }

    #[test]
    fn nearest_picks_the_highest_dot_product() {
        let vectors = Vectors {
            rows: vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8],
            dim: 2,
        };
        assert_eq!(vectors.nearest(&[0.1, 0.9]), 1);
        assert_eq!(vectors.nearest(&[0.9, 0.1]), 0);
        assert_eq!(nearest_outside(&vectors, &[1]), vec![2, 0]);
    }
}
