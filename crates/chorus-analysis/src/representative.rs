//! Candidate phrases ranked by how well they represent their node, as KeyBERT and BERTopic
//! rank keywords: the candidates (the most distinctive phrases by class TF-IDF, each written
//! by `min_users` of the node's users) are embedded like the conversations, and picked nearest
//! the centre of the node's conversations first, each next one also unlike the phrases already
//! picked (maximal marginal relevance), so the name says what most of the node is about and
//! the description adds what the name does not. Phrases at least half as distinctive as the
//! best and written at least half as often as the most written lead: nearness alone would name
//! a node by a long phrase few of its users wrote.

use std::collections::HashMap;

use chorus_text::Phrase;

use crate::draft::DraftNode;
use crate::embedded::{Vectors, dot};
use crate::tree::TreeBuilder;
use crate::{AnalysisError, Embed};

/// How much a candidate's likeness to its node counts against its likeness to the phrases
/// picked before it (1: likeness to the node alone).
const RELEVANCE_WEIGHT: f32 = 0.7;

/// Orders each publishable node's phrases by maximal marginal relevance, the first `keep` of
/// them; nodes too small to publish keep their phrases in the order they came.
pub(crate) fn rank_phrases(
    nodes: &mut [DraftNode],
    builder: &TreeBuilder<'_>,
    embedder: &mut dyn Embed,
    keep: usize,
) -> Result<(), AnalysisError> {
    let ranked: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].phrases.len() > 1 && builder.publishable(&nodes[i]))
        .collect();
    let mut texts: Vec<String> = Vec::new();
    let mut row_of: HashMap<String, usize> = HashMap::new();
    for &i in &ranked {
        for phrase in &nodes[i].phrases {
            row_of.entry(phrase.term.clone()).or_insert_with(|| {
                texts.push(phrase.term.clone());
                texts.len() - 1
            });
        }
    }
    let vectors = Vectors::embed(embedder, &texts)?;
    // An embedder that failed on every phrase gives no vector to compare: the order stays.
    let usable = vectors.dim == builder.collected.dim;
    for &i in ranked.iter().filter(|_| usable) {
        let node = &mut nodes[i];
        let rows: Vec<usize> = node.phrases.iter().map(|p| row_of[&p.term]).collect();
        let candidates = centred_rows(builder, &node.members, &vectors, &rows)?;
        let centre = centre_of(builder, &node.members);
        let leading = leading_phrases(&node.phrases);
        let order = marginal_relevance(&candidates, vectors.dim, &centre, &leading, keep);
        let phrases = std::mem::take(&mut node.phrases);
        node.phrases = order.into_iter().map(|at| phrases[at].clone()).collect();
    }
    Ok(())
}

/// The phrases that may lead: at least half as distinctive as the most distinctive, and
/// written in at least half as many of the node's conversations as the most written.
fn leading_phrases(phrases: &[Phrase]) -> Vec<bool> {
    let best = |value: fn(&Phrase) -> f64| phrases.iter().map(value).fold(0.0, f64::max);
    let (score, share) = (best(|p| p.score), best(|p| p.share));
    phrases
        .iter()
        .map(|p| p.score * 2.0 >= score && p.share * 2.0 >= share)
        .collect()
}

/// The rows of `vectors` at `rows`, centred as the node's conversations were (by the language
/// most of its members were detected in) and scaled to unit length.
fn centred_rows(
    builder: &TreeBuilder<'_>,
    members: &[usize],
    vectors: &Vectors,
    rows: &[usize],
) -> Result<Vec<f32>, AnalysisError> {
    let collected = builder.collected;
    let language = collected
        .majority_language(members.iter().copied())
        .map(|majority| majority.language);
    let mut centred: Vec<f32> = rows
        .iter()
        .flat_map(|&row| vectors.row(row).iter().copied())
        .collect();
    let languages = std::iter::repeat_n(language, rows.len());
    collected
        .centering
        .center(&mut centred, vectors.dim, languages)?;
    for row in centred.chunks_exact_mut(vectors.dim) {
        normalise(row);
    }
    Ok(centred)
}

/// The unit mean of the members' (centred) vectors.
fn centre_of(builder: &TreeBuilder<'_>, members: &[usize]) -> Vec<f32> {
    let collected = builder.collected;
    let dim = collected.dim;
    let mut centre = vec![0.0f32; dim];
    for &doc in members {
        let row = &collected.vectors()[doc * dim..(doc + 1) * dim];
        centre.iter_mut().zip(row).for_each(|(c, x)| *c += x);
    }
    normalise(&mut centre);
    centre
}

fn normalise(row: &mut [f32]) {
    let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        row.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Up to `keep` of the unit `candidates` rows, in the order maximal marginal relevance picks
/// them against `centre`: first the nearest the centre, then each time the one whose likeness
/// to the centre, less its likeness to the nearest one already picked, is highest (the
/// earlier candidate on a tie). The `leading` candidates are all picked before any other: a
/// phrase few of the node's users wrote may lie near its centre, yet say little of it.
fn marginal_relevance(
    candidates: &[f32],
    dim: usize,
    centre: &[f32],
    leading: &[bool],
    keep: usize,
) -> Vec<usize> {
    if dim == 0 || centre.len() != dim {
        return (0..candidates.len() / dim.max(1)).take(keep).collect();
    }
    let rows: Vec<&[f32]> = candidates.chunks_exact(dim).collect();
    let relevance: Vec<f32> = rows.iter().map(|row| dot(row, centre)).collect();
    let mut nearest_picked = vec![f32::NEG_INFINITY; rows.len()];
    let mut picked: Vec<usize> = Vec::new();
    while picked.len() < keep.min(rows.len()) {
        let score = |i: usize| {
            let redundancy = if picked.is_empty() {
                0.0
            } else {
                nearest_picked[i]
            };
            RELEVANCE_WEIGHT * relevance[i] - (1.0 - RELEVANCE_WEIGHT) * redundancy
        };
        let open: Vec<usize> = (0..rows.len()).filter(|i| !picked.contains(i)).collect();
        let any_leading = open.iter().any(|&i| leading.get(i) == Some(&true));
        let Some(best) = open
            .into_iter()
            .filter(|&i| !any_leading || leading.get(i) == Some(&true))
            .fold(None, |best: Option<usize>, i| match best {
                Some(b) if score(b) >= score(i) => Some(b),
                _ => Some(i),
            })
        else {
            break;
        };
        picked.push(best);
        for (i, row) in rows.iter().enumerate() {
            nearest_picked[i] = nearest_picked[i].max(dot(row, rows[best]));
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_the_centre_comes_first_and_a_near_copy_of_it_does_not_come_second() {
        // Likeness to the centre: 0.889, 0.855 and 0.878; but 1 is almost 0, 2 is not.
        let candidates = [
            0.7001, 0.7001, 0.14, //
            0.7053, 0.7053, 0.0705, //
            0.169, 0.5071, 0.8452, //
        ];
        let centre = [0.5774, 0.5774, 0.5774];
        let all = [true; 3];
        let order =
            |leading: &[bool], keep| marginal_relevance(&candidates, 3, &centre, leading, keep);
        assert_eq!(order(&all, 3), vec![0, 2, 1]);
        assert_eq!(order(&all, 1), vec![0]);
        // A candidate not among the leading ones comes after all of them.
        assert_eq!(order(&[false, true, true], 3), vec![2, 1, 0]);
    }

    #[test]
    fn ties_keep_the_distinctiveness_order() {
        let candidates = [1.0, 0.0, 1.0, 0.0];
        let order = marginal_relevance(&candidates, 2, &[1.0, 0.0], &[true, true], 2);
        assert_eq!(order, vec![0, 1]);
    }
}
