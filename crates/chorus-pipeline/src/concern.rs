//! Keyword mode's concern facet, with no LLM: each conversation's vector is compared with the
//! embedded descriptions of the concern levels (`concern_anchors.v3.txt`).

use chorus_facets::summary::concern_anchors;

use crate::{EmbedStage, Embedded, PipelineError};

pub(crate) struct ConcernScorer {
    anchors: Vec<(u8, Vec<f32>)>,
    /// [`BENIGN_MARGIN`] in this embedder's units.
    margin: f32,
}

impl ConcernScorer {
    /// Embeds the anchors with the run's embedder (so they live in the same space as the
    /// conversations). An anchor the embedder fails on is left out.
    pub(crate) fn new(stage: &EmbedStage<'_>) -> Result<Self, PipelineError> {
        let anchors = concern_anchors();
        let texts: Vec<String> = anchors.iter().map(|(_, text)| text.to_string()).collect();
        let vectors = stage.embed_texts(&texts)?;
        Ok(Self::of(
            anchors
                .into_iter()
                .zip(vectors)
                .filter_map(|((level, _), embedded)| match embedded {
                    Embedded::Vector(vector) => Some((level, vector)),
                    Embedded::Failed(_) => None,
                })
                .collect(),
        ))
    }

    /// A scorer over embedded anchors, its margin scaled by how spread their cosines with
    /// each other are against all-MiniLM-L6-v2's, for which the margin was measured: models
    /// differ in how much of the cosine range they use (multilingual-e5-small puts any two
    /// texts between about 0.7 and 0.95), and a margin in MiniLM's units is then all or
    /// nothing.
    fn of(anchors: Vec<(u8, Vec<f32>)>) -> Self {
        let margin = match cosine_spread(&anchors) {
            Some(spread) if spread > 0.0 => (BENIGN_MARGIN * spread / MINILM_ANCHOR_SPREAD) as f32,
            _ => BENIGN_MARGIN as f32,
        };
        Self { anchors, margin }
    }

    /// The level (2–5) of the nearest concerning anchor when it is nearer than every benign
    /// (level 1) anchor by the margin, else 1; None when no anchor could be embedded or
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
            Some((level, similarity)) if similarity - benign > self.margin => Some(level),
            Some(_) => Some(1),
            None if benign.is_finite() => Some(1),
            None => None,
        }
    }
}

/// How much nearer (in all-MiniLM-L6-v2's cosine) a concerning anchor must be than the nearest
/// benign one. Embeddings group by topic more than by intent, so without a margin ordinary
/// questions about stolen cards or children's accounts land near harmful anchors. Chosen by a
/// sweep over Banking77 (all benign), hh-rlhf red-team transcripts and two synthetic sets with
/// planted levels, see docs/benchmarks.md ("The benign margin swept").
const BENIGN_MARGIN: f64 = 0.07;

/// The standard deviation of the anchors' cosines with each other under all-MiniLM-L6-v2 (the
/// unit [`BENIGN_MARGIN`] is in).
const MINILM_ANCHOR_SPREAD: f64 = 0.114_11;

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

    #[test]
    fn a_concerning_level_needs_a_clear_margin_over_benign() {
        // Anchors at right angles: no spread to scale by, the margin as measured.
        let scorer = ConcernScorer::of(vec![
            (1, unit(&[1.0, 0.0, 0.0])),
            (4, unit(&[0.0, 1.0, 0.0])),
            (5, unit(&[0.0, 0.0, 1.0])),
        ]);
        assert_eq!(scorer.margin, 0.07);
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

    #[test]
    fn an_embedder_that_packs_its_cosines_tight_gets_a_margin_as_tight() {
        // Every anchor shares one strong direction, as in multilingual-e5-small's space: their
        // cosines with each other lie between 0.94 and 0.97.
        let scorer = ConcernScorer::of(vec![
            (1, unit(&[1.0, 0.0, 0.0, 4.0])),
            (4, unit(&[0.0, 1.0, 0.0, 4.0])),
            (5, unit(&[0.0, 0.0, 0.5, 4.0])),
        ]);
        assert!(
            (scorer.margin - 0.006_21).abs() < 1e-4,
            "margin {}",
            scorer.margin
        );
        // 0.009 nearer the harmful anchor than the benign one: a clear margin in this space,
        // none in MiniLM's.
        assert_eq!(scorer.level(&unit(&[0.3, 0.45, 0.0, 4.0])), Some(4));
        assert_eq!(scorer.level(&unit(&[0.45, 0.3, 0.0, 4.0])), Some(1));
    }
}
