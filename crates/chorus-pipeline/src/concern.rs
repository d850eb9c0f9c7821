//! Keyword mode's concern facet, with no LLM: the descriptions of the concern levels
//! (`concern_anchors.v3.txt`) embedded with the run's embedder, so they live in the same space
//! as the conversations; the analysis reads the levels from nearness to them.

use chorus_analysis::ConcernScorer;
use chorus_facets::summary::concern_anchors;

use crate::{EmbedStage, Embedded, PipelineError};

/// The scorer over the anchors embedded by `stage` for vectors of `dim` numbers, taking
/// `context` of each reading from the conversation's base cluster. An anchor the embedder
/// fails on is left out; None when none is left.
pub(crate) fn concern_scorer(
    stage: &EmbedStage<'_>,
    dim: usize,
    context: f32,
) -> Result<Option<ConcernScorer>, PipelineError> {
    let anchors = concern_anchors();
    let texts: Vec<String> = anchors.iter().map(|(_, text)| text.to_string()).collect();
    let vectors = stage.embed_texts(&texts)?;
    let embedded = anchors
        .into_iter()
        .zip(vectors)
        .filter_map(|((level, _), embedded)| match embedded {
            Embedded::Vector(vector) => Some((level, vector)),
            Embedded::Failed(_) => None,
        })
        .collect();
    Ok(ConcernScorer::new(embedded, dim, context))
}
