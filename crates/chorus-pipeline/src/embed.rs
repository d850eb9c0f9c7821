//! The embedding stage: texts to unit vectors through whatever [`Embedder`] the caller chose,
//! batched, cached in the run store as raw little-endian floats.

use chorus_analysis::{AnalysisError, Embed};
use chorus_models::{Embedder, Matrix, ModelError};
use chorus_types::ContentHash;

use crate::{ItemStage, PipelineError};

/// A runtime of a model stage's own: local models compute when polled, HTTP backends need an
/// async reactor; one current-thread runtime serves both.
pub(crate) fn model_runtime(stage: &str) -> Result<tokio::runtime::Runtime, PipelineError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| PipelineError::Runtime(format!("stage {stage}: {error}")))
}

/// Bump when what is embedded for a given text changes.
const EMBED_VERSION: u32 = 1;
/// Texts per embedder call.
const CALL_BATCH: usize = 64;

/// One text's vector, or why it has none (the run goes on without it and counts it).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Embedded {
    /// The L2-normalised vector.
    Vector(Vec<f32>),
    /// The embedder failed on this text.
    Failed(String),
}

/// Embeds texts with one embedder. Async backends run on a runtime of the stage's own, so the
/// same stage drives a local model and an HTTP server alike.
pub struct EmbedStage<'a> {
    embedder: &'a dyn Embedder,
    runtime: tokio::runtime::Runtime,
}

impl<'a> EmbedStage<'a> {
    /// A stage over `embedder`.
    pub fn new(embedder: &'a dyn Embedder) -> Result<Self, PipelineError> {
        Ok(Self {
            embedder,
            runtime: model_runtime("embed")?,
        })
    }

    /// Each row of `matrix`, or why it cannot be used.
    fn vectors(&self, matrix: &Matrix) -> Vec<Embedded> {
        (0..matrix.rows())
            .map(|row| {
                let vector = matrix.row(row);
                if self.usable(vector) {
                    Embedded::Vector(vector.to_vec())
                } else {
                    Embedded::Failed(format!(
                        "the embedder returned {} numbers, not {} finite ones",
                        vector.len(),
                        self.embedder.dim().unwrap_or(vector.len())
                    ))
                }
            })
            .collect()
    }

    /// A vector clustering can use: not empty, of the embedder's length, every value finite.
    fn usable(&self, vector: &[f32]) -> bool {
        !vector.is_empty()
            && self.embedder.dim().is_none_or(|dim| dim == vector.len())
            && vector.iter().all(|v| v.is_finite())
    }

    /// Vectors for a few texts outside the cached stage (the concern anchors).
    pub(crate) fn embed_texts(&self, texts: &[String]) -> Result<Vec<Embedded>, PipelineError> {
        self.embed_or_isolate(texts)
    }

    /// A batch that failed as a whole is tried text by text, so one bad text fails alone.
    fn embed_or_isolate(&self, texts: &[String]) -> Result<Vec<Embedded>, PipelineError> {
        let answer = self.runtime.block_on(self.embedder.embed(texts));
        self.settle(texts, answer)
    }

    /// What the embedder's `answer` for `texts` gives: their vectors; a fatal error; or, when
    /// the call failed, each text tried on its own (a lone text is recorded as failed).
    fn settle(
        &self,
        texts: &[String],
        answer: Result<Matrix, ModelError>,
    ) -> Result<Vec<Embedded>, PipelineError> {
        match answer {
            Ok(matrix) => Ok(self.vectors(&matrix)),
            Err(error) if error.is_fatal() => Err(PipelineError::Model(error)),
            Err(_) if texts.len() > 1 => self.isolate(texts),
            Err(error) => Ok(vec![Embedded::Failed(error.to_string())]),
        }
    }

    fn isolate(&self, texts: &[String]) -> Result<Vec<Embedded>, PipelineError> {
        texts
            .iter()
            .map(|text| self.embed_or_isolate(std::slice::from_ref(text)))
            .collect::<Result<Vec<_>, _>>()
            .map(|parts| parts.into_iter().flatten().collect())
    }
}

/// The stage as the analysis embeds short texts with it (names, category texts), uncached.
pub(crate) struct AnalysisEmbedder<'s, 'a>(pub &'s EmbedStage<'a>);

impl Embed for AnalysisEmbedder<'_, '_> {
    fn embed(&mut self, texts: &[String]) -> Result<Vec<Option<Vec<f32>>>, AnalysisError> {
        let embedded = self
            .0
            .embed_texts(texts)
            .map_err(|error| AnalysisError::Model(Box::new(error)))?;
        Ok(embedded
            .into_iter()
            .map(|e| match e {
                Embedded::Vector(vector) => Some(vector),
                Embedded::Failed(_) => None,
            })
            .collect())
    }
}

impl ItemStage for EmbedStage<'_> {
    type Input = String;
    type Output = Embedded;

    fn name(&self) -> &'static str {
        "embed"
    }

    fn version(&self) -> u32 {
        EMBED_VERSION
    }

    fn model(&self) -> &str {
        self.embedder.id()
    }

    fn input_hash(&self, text: &String) -> ContentHash {
        ContentHash::of(text.as_bytes())
    }

    fn compute(&self, text: &String) -> Embedded {
        match self.embed_or_isolate(std::slice::from_ref(text)) {
            Ok(mut vectors) if vectors.len() == 1 => vectors.remove(0),
            Ok(_) => Embedded::Failed("the embedder returned no vector".into()),
            Err(error) => Embedded::Failed(error.to_string()),
        }
    }

    /// Every chunk of the batch is asked for at once: a server backend's own limit (adaptive,
    /// at most `max_concurrency`) decides how many are in flight; a local model computes them
    /// in turn. A chunk that failed as a whole is tried text by text.
    fn compute_batch(&self, texts: &[&String]) -> Result<Vec<Embedded>, PipelineError> {
        let chunks: Vec<Vec<String>> = texts
            .chunks(CALL_BATCH)
            .map(|chunk| chunk.iter().map(|t| (*t).clone()).collect())
            .collect();
        let answers = self.runtime.block_on(futures::future::join_all(
            chunks.iter().map(|chunk| self.embedder.embed(chunk)),
        ));
        let mut out = Vec::with_capacity(texts.len());
        for (chunk, answer) in chunks.iter().zip(answers) {
            out.extend(self.settle(chunk, answer)?);
        }
        Ok(out)
    }

    fn encode(&self, output: &Embedded) -> Result<Vec<u8>, PipelineError> {
        Ok(match output {
            Embedded::Vector(values) => std::iter::once(b'v')
                .chain(values.iter().flat_map(|v| v.to_le_bytes()))
                .collect(),
            Embedded::Failed(message) => std::iter::once(b'f').chain(message.bytes()).collect(),
        })
    }

    /// A cached vector that is damaged (wrong length, NaN, infinite) does not decode, so it is
    /// computed again (and counted as invalid in the stage's report).
    fn decode(&self, bytes: &[u8]) -> Option<Embedded> {
        match bytes.split_first()? {
            (b'v', rest) if rest.len() % 4 == 0 => {
                let vector: Vec<f32> = rest
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                self.usable(&vector).then_some(Embedded::Vector(vector))
            }
            (b'f', rest) => Some(Embedded::Failed(String::from_utf8_lossy(rest).into_owned())),
            _ => None,
        }
    }
}
