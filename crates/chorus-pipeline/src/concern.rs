//! Keyword mode's concern facet, with no LLM: each conversation's vector is compared with the
//! embedded descriptions of the concern levels (`concern_anchors.v3.txt`).

use chorus_facets::summary::concern_anchors;

use crate::{EmbedStage, Embedded, PipelineError};

pub(crate) struct ConcernScorer {
    anchors: Vec<(u8, Vec<f32>)>,
}

impl ConcernScorer {
    /// Embeds the anchors with the run's embedder (so they live in the same space as the
    /// conversations). An anchor the embedder fails on is left out.
    pub(crate) fn new(stage: &EmbedStage<'_>) -> Result<Self, PipelineError> {
        let anchors = concern_anchors();
        let texts: Vec<String> = anchors.iter().map(|(_, text)| text.to_string()).collect();
        let vectors = stage.embed_texts(&texts)?;
        Ok(Self {
            anchors: anchors
                .into_iter()
                .zip(vectors)
                .filter_map(|((level, _), embedded)| match embedded {
                    Embedded::Vector(vector) => Some((level, vector)),
                    Embedded::Failed(_) => None,
                })
                .collect(),
        })
    }

    /// The level (2–5) of the nearest concerning anchor when it is nearer than every benign
    /// (level 1) anchor by [`BENIGN_MARGIN`], else 1; None when no anchor could be embedded or
    /// the lengths differ.
    pub(crate) fn level(&self, vector: &[f32]) -> Option<u8> {
        let mut benign = f32::NEG_INFINITY;
        let mut concerning: Option<(u8, f32)> = None;
        for (level, anchor) in &self.anchors {
            if anchor.len() != vector.len() {
                continue;
            }
            let similarity: f32 = anchor.iter().zip(vector).map(|(a, b)| a * b).sum();
            if *level == 1 {
                benign = benign.max(similarity);
            } else if concerning.is_none_or(|(_, best)| similarity > best) {
                concerning = Some((*level, similarity));
            }
        }
        match concerning {
            Some((level, similarity)) if similarity - benign > BENIGN_MARGIN => Some(level),
            Some(_) => Some(1),
            None if benign.is_finite() => Some(1),
            None => None,
        }
    }
}

/// How much nearer (in cosine) a concerning anchor must be than the nearest benign one. Embeddings
/// group by topic more than by intent, so without a margin ordinary questions about stolen cards
/// or children's accounts land near harmful anchors. Chosen by a sweep over Banking77 (all
/// benign), hh-rlhf red-team transcripts and two synthetic sets with planted levels, see
/// docs/benchmarks.md ("The benign margin swept").
const BENIGN_MARGIN: f32 = 0.07;

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(values: &[f32]) -> Vec<f32> {
        let norm = values.iter().map(|x| x * x).sum::<f32>().sqrt();
        values.iter().map(|x| x / norm).collect()
    }

    #[test]
    fn a_concerning_level_needs_a_clear_margin_over_benign() {
        let scorer = ConcernScorer {
            anchors: vec![
                (1, unit(&[1.0, 0.0, 0.0])),
                (4, unit(&[0.0, 1.0, 0.0])),
                (5, unit(&[0.0, 0.0, 1.0])),
            ],
        };
        assert_eq!(scorer.level(&unit(&[0.9, 0.1, 0.0])), Some(1));
        assert_eq!(scorer.level(&unit(&[0.1, 0.9, 0.2])), Some(4));
        assert_eq!(scorer.level(&unit(&[0.1, 0.2, 0.9])), Some(5));
        // Nearer the harmful anchor, but not by the margin.
        assert_eq!(scorer.level(&unit(&[0.70, 0.72, 0.0])), Some(1));
        assert_eq!(
            scorer.level(&[1.0, 0.0]),
            None,
            "a vector of another length"
        );
    }
}
