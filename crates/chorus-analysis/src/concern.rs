//! Keyword mode's concern facet, with no LLM: each conversation's vector is compared with the
//! embedded descriptions of the concern levels (the anchors), and read beside its base
//! cluster's. One conversation's nearness to an anchor is a noisy signal (embeddings group by
//! topic more than by intent); the cluster's mean nearness is the same signal over many
//! conversations of one task, so a conversation is scored on both.

/// Concern levels 1 (benign) to 5.
const LEVELS: usize = 5;

/// The share of a conversation's concern reading taken from its base cluster's mean
/// (`facets.concern_context`). Chosen by a sweep over four sets (docs/benchmarks.md, "Concern
/// read beside the base cluster"): the largest share at which planted harmful English
/// conversations were all still found, every set ranking better or the same.
pub const DEFAULT_CONCERN_CONTEXT: f32 = 0.25;

/// How much nearer (in all-MiniLM-L6-v2's cosine) a concerning anchor must be than the nearest
/// benign one. Without a margin ordinary questions about stolen cards or children's accounts
/// land near harmful anchors. Chosen by a sweep over Banking77 (all benign), hh-rlhf red-team
/// transcripts and two synthetic sets with planted levels, see docs/benchmarks.md ("The benign
/// margin swept").
const BENIGN_MARGIN: f64 = 0.07;

/// The standard deviation of the anchors' cosines with each other under all-MiniLM-L6-v2 (the
/// unit [`BENIGN_MARGIN`] is in).
const MINILM_ANCHOR_SPREAD: f64 = 0.114_11;

/// The embedded anchors and the rule that reads a level from nearness to them.
#[derive(Debug)]
pub struct ConcernScorer {
    /// Per anchor: its level (1–5).
    levels: Vec<u8>,
    /// The anchors' vectors, one row of `dim` numbers each.
    vectors: Vec<f32>,
    /// The length of the vectors it reads (never 0).
    dim: usize,
    /// [`BENIGN_MARGIN`] in this embedder's units.
    margin: f32,
    /// The share of a reading taken from the conversation's base cluster (0 to 1).
    context: f32,
}

impl ConcernScorer {
    /// A scorer over embedded anchors (level, vector) of `dim` numbers (others are left out,
    /// as are levels outside 1–5), its margin scaled by how spread their cosines with each
    /// other are against all-MiniLM-L6-v2's, for which the margin was measured: models differ
    /// in how much of the cosine range they use (multilingual-e5-small puts any two texts
    /// between about 0.7 and 0.95), and a margin in MiniLM's units is then all or nothing.
    /// `context` is the share of a conversation's reading taken from its base cluster's mean
    /// (clamped to 0–1). None when no anchor is left to read by.
    pub fn new(anchors: Vec<(u8, Vec<f32>)>, dim: usize, context: f32) -> Option<Self> {
        let anchors: Vec<(u8, Vec<f32>)> = anchors
            .into_iter()
            .filter(|(level, vector)| (1..=LEVELS as u8).contains(level) && vector.len() == dim)
            .collect();
        if anchors.is_empty() || dim == 0 {
            return None;
        }
        let margin = match cosine_spread(&anchors) {
            Some(spread) if spread > 0.0 => (BENIGN_MARGIN * spread / MINILM_ANCHOR_SPREAD) as f32,
            _ => BENIGN_MARGIN as f32,
        };
        Some(Self {
            levels: anchors.iter().map(|(level, _)| *level).collect(),
            vectors: anchors.into_iter().flat_map(|(_, vector)| vector).collect(),
            dim,
            margin,
            context: if context.is_finite() {
                context.clamp(0.0, 1.0)
            } else {
                0.0
            },
        })
    }

    /// The share of a reading taken from the conversation's base cluster.
    pub(crate) fn context(&self) -> f32 {
        self.context
    }

    /// How many anchors it holds (at least one).
    pub(crate) fn anchors(&self) -> usize {
        self.levels.len()
    }

    /// The length of the vectors it reads.
    pub(crate) fn dim(&self) -> usize {
        self.dim
    }

    /// `vector`'s cosine with each anchor, appended to `out`.
    pub(crate) fn similarities(&self, vector: &[f32], out: &mut Vec<f32>) {
        out.extend(
            self.vectors
                .chunks_exact(self.dim)
                .map(|anchor| anchor.iter().zip(vector).map(|(a, b)| a * b).sum::<f32>()),
        );
    }

    /// Per level, the nearest anchor's cosine (minus infinity for a level with none).
    fn per_level(&self, similarities: &[f32]) -> [f32; LEVELS] {
        let mut best = [f32::NEG_INFINITY; LEVELS];
        for (&level, &similarity) in self.levels.iter().zip(similarities) {
            let slot = &mut best[usize::from(level) - 1];
            *slot = slot.max(similarity);
        }
        best
    }

    /// The level (2–5) of the nearest concerning level when it is nearer than the benign
    /// (level 1) anchors by the margin, else 1.
    fn level(&self, nearest: [f32; LEVELS]) -> u8 {
        let (concerning, similarity) =
            (2..=LEVELS)
                .zip(&nearest[1..])
                .fold((1, f32::NEG_INFINITY), |best, (level, &s)| {
                    if s > best.1 { (level, s) } else { best }
                });
        if similarity - nearest[0] > self.margin {
            concerning as u8
        } else {
            1
        }
    }

    /// Each conversation's level from its anchor similarities (`similarities`, one row of
    /// [`Self::anchors`] numbers each) blended with its base cluster's mean similarities
    /// (`base_of`: each conversation's base cluster, `k` of them).
    pub(crate) fn levels(
        &self,
        similarities: &[f32],
        base_of: &[usize],
        k: usize,
    ) -> Vec<Option<u8>> {
        let width = self.anchors();
        let rows = similarities.chunks_exact(width);
        let mut sums = vec![0.0f64; k * width];
        let mut counts = vec![0usize; k];
        for (row, &cluster) in rows.clone().zip(base_of) {
            if let Some(sum) = sums.get_mut(cluster * width..(cluster + 1) * width) {
                sum.iter_mut()
                    .zip(row)
                    .for_each(|(s, &v)| *s += f64::from(v));
                counts[cluster] += 1;
            }
        }
        let cluster_nearest: Vec<[f32; LEVELS]> = sums
            .chunks_exact(width)
            .zip(&counts)
            .map(|(sum, &count)| {
                let mean: Vec<f32> = sum
                    .iter()
                    .map(|s| (s / count.max(1) as f64) as f32)
                    .collect();
                self.per_level(&mean)
            })
            .collect();
        rows.zip(base_of)
            .map(|(row, &cluster)| {
                let own = self.per_level(row);
                let blended = match cluster_nearest.get(cluster) {
                    Some(theirs) => std::array::from_fn(|l| blend(own[l], theirs[l], self.context)),
                    None => own,
                };
                Some(self.level(blended))
            })
            .collect()
    }
}

/// `theirs` weighted `context`, `own` the rest; a level with no anchor stays minus infinity.
fn blend(own: f32, theirs: f32, context: f32) -> f32 {
    if own.is_finite() && theirs.is_finite() {
        (1.0 - context) * own + context * theirs
    } else {
        f32::NEG_INFINITY
    }
}

/// The standard deviation of the cosines between every two anchors (None under two).
fn cosine_spread(anchors: &[(u8, Vec<f32>)]) -> Option<f64> {
    let mut cosines = Vec::new();
    for (i, (_, a)) in anchors.iter().enumerate() {
        for (_, b) in &anchors[i + 1..] {
            cosines.push(a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum::<f64>());
        }
    }
    if cosines.is_empty() {
        return None;
    }
    let mean = cosines.iter().sum::<f64>() / cosines.len() as f64;
    let variance = cosines.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / cosines.len() as f64;
    Some(variance.sqrt()).filter(|spread| spread.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(values: &[f32]) -> Vec<f32> {
        let norm = values.iter().map(|x| x * x).sum::<f32>().sqrt();
        values.iter().map(|x| x / norm).collect()
    }

    /// Each vector scored alone: its own base cluster.
    fn alone(scorer: &ConcernScorer, vectors: &[Vec<f32>]) -> Vec<Option<u8>> {
        let mut similarities = Vec::new();
        for vector in vectors {
            scorer.similarities(vector, &mut similarities);
        }
        let base_of: Vec<usize> = (0..vectors.len()).collect();
        scorer.levels(&similarities, &base_of, vectors.len())
    }

    #[test]
    fn a_concerning_level_needs_a_clear_margin_over_benign() {
        // Anchors at right angles: no spread to scale by, the margin as measured.
        let scorer = ConcernScorer::new(
            vec![
                (1, unit(&[1.0, 0.0, 0.0])),
                (4, unit(&[0.0, 1.0, 0.0])),
                (5, unit(&[0.0, 0.0, 1.0])),
                (4, vec![1.0, 0.0]),
            ],
            3,
            DEFAULT_CONCERN_CONTEXT,
        )
        .unwrap();
        assert_eq!(scorer.margin, 0.07);
        assert_eq!(
            scorer.anchors(),
            3,
            "the anchor of another length is left out"
        );
        let vectors = [
            unit(&[0.9, 0.1, 0.0]),
            unit(&[0.1, 0.9, 0.2]),
            unit(&[0.1, 0.2, 0.9]),
            // Nearer the harmful anchor, but not by the margin.
            unit(&[0.70, 0.72, 0.0]),
        ];
        assert_eq!(
            alone(&scorer, &vectors),
            [Some(1), Some(4), Some(5), Some(1)]
        );
    }

    #[test]
    fn an_embedder_that_packs_its_cosines_tight_gets_a_margin_as_tight() {
        // Every anchor shares one strong direction, as in multilingual-e5-small's space: their
        // cosines with each other lie between 0.94 and 0.97.
        let scorer = ConcernScorer::new(
            vec![
                (1, unit(&[1.0, 0.0, 0.0, 4.0])),
                (4, unit(&[0.0, 1.0, 0.0, 4.0])),
                (5, unit(&[0.0, 0.0, 0.5, 4.0])),
            ],
            4,
            DEFAULT_CONCERN_CONTEXT,
        )
        .unwrap();
        assert!(
            (scorer.margin - 0.006_21).abs() < 1e-4,
            "margin {}",
            scorer.margin
        );
        // 0.009 nearer the harmful anchor than the benign one: a clear margin in this space,
        // none in MiniLM's.
        let vectors = [unit(&[0.3, 0.45, 0.0, 4.0]), unit(&[0.45, 0.3, 0.0, 4.0])];
        assert_eq!(alone(&scorer, &vectors), [Some(4), Some(1)]);
    }

    #[test]
    fn a_conversation_is_read_beside_its_base_cluster() {
        let anchors = vec![(1, unit(&[1.0, 0.0, 0.0])), (4, unit(&[0.0, 1.0, 0.0]))];
        let scorer = ConcernScorer::new(anchors.clone(), 3, DEFAULT_CONCERN_CONTEXT).unwrap();
        // Alone, the first is just inside the margin of the harmful anchor (0.09 nearer) and
        // the second just outside it (0.05).
        let borderline = unit(&[0.66, 0.75, 0.0]);
        let short_of_it = unit(&[0.69, 0.74, 0.0]);
        assert_eq!(
            alone(&scorer, &[borderline.clone(), short_of_it.clone()]),
            [Some(4), Some(1)]
        );
        let mut similarities = Vec::new();
        let harmful = unit(&[0.1, 1.0, 0.0]);
        let benign = unit(&[1.0, 0.1, 0.0]);
        for vector in [
            &borderline,
            &benign,
            &benign,
            &short_of_it,
            &harmful,
            &harmful,
        ] {
            scorer.similarities(vector, &mut similarities);
        }
        // Among benign conversations the borderline one is benign; among harmful ones the one
        // short of the margin is harmful; the clear cases keep their level.
        assert_eq!(
            scorer.levels(&similarities, &[0, 0, 0, 1, 1, 1], 2),
            [Some(1), Some(1), Some(1), Some(4), Some(4), Some(4)]
        );
        // With no share from the cluster, each is read alone again.
        let alone_in_cluster = ConcernScorer::new(anchors, 3, 0.0).unwrap();
        assert_eq!(
            alone_in_cluster.levels(&similarities, &[0, 0, 0, 1, 1, 1], 2),
            [Some(4), Some(1), Some(1), Some(1), Some(4), Some(4)]
        );
    }

    #[test]
    fn no_anchor_no_scorer() {
        assert!(ConcernScorer::new(Vec::new(), 3, DEFAULT_CONCERN_CONTEXT).is_none());
        let of_another_length = vec![(4, unit(&[1.0, 0.0]))];
        assert!(ConcernScorer::new(of_another_length, 3, DEFAULT_CONCERN_CONTEXT).is_none());
        assert!(ConcernScorer::new(vec![(1, Vec::new())], 0, DEFAULT_CONCERN_CONTEXT).is_none());
    }
}
