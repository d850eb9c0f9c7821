//! Short texts embedded by the run's embedder outside the embedding stage (names, category
//! texts), one unit row each.

use crate::{AnalysisError, Embed};

/// Texts per embedder call: an HTTP embedder limits the inputs of one request.
const CALL_BATCH: usize = 64;

/// Unit vectors, one row per text (a text the embedder failed on gets zeros: it is then
/// nearest to nothing in particular, and the first candidate wins).
pub(crate) struct Vectors {
    pub(crate) rows: Vec<f32>,
    pub(crate) dim: usize,
}

impl Vectors {
    pub(crate) fn embed(embedder: &mut dyn Embed, texts: &[String]) -> Result<Self, AnalysisError> {
        let mut embedded = Vec::with_capacity(texts.len());
        for batch in texts.chunks(CALL_BATCH) {
            embedded.extend(embedder.embed(batch)?);
        }
        let dim = embedded.iter().flatten().map(Vec::len).next().unwrap_or(1);
        let rows = embedded
            .iter()
            .flat_map(|e| match e {
                Some(v) if v.len() == dim => v.clone(),
                _ => vec![0.0; dim],
            })
            .collect();
        Ok(Self { rows, dim })
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len() / self.dim
    }

    pub(crate) fn row(&self, index: usize) -> &[f32] {
        &self.rows[index * self.dim..(index + 1) * self.dim]
    }

    /// The row with the highest dot product with `query` (the first on ties).
    pub(crate) fn nearest(&self, query: &[f32]) -> usize {
        (0..self.len())
            .map(|i| (i, dot(self.row(i), query)))
            .fold((0, f32::NEG_INFINITY), |best, (i, score)| {
                if score > best.1 { (i, score) } else { best }
            })
            .0
    }
}

pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
