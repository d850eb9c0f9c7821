//! What the analysis asks of a run's models. The caller implements [`ModelAccess`] over its
//! own store, budget and backends; the analysis never knows which server answers.

use chorus_models::ChatRequest;

use crate::AnalysisError;

/// Checks one reply to the request at an index: `Err` says what is wrong with it.
pub type ReplyCheck<'a> = &'a dyn Fn(usize, &str) -> Result<(), String>;

/// An embedder, as the analysis uses one outside the embedding stage: for category texts and
/// candidate names, in the conversations' space.
pub trait Embed {
    /// Unit vectors of `texts`, `None` where the embedder failed on one.
    fn embed(&mut self, texts: &[String]) -> Result<Vec<Option<Vec<f32>>>, AnalysisError>;
}

/// A chat model and an embedder, as the analysis's model steps use them.
pub trait ModelAccess: Embed {
    /// Sends `requests` (as model stage `stage`, prompt `version`) and checks each reply with
    /// `check`; with `retry`, a reply that fails is asked once more, told what was wrong. Per
    /// request: the reply's text, or why there is none (counted as missing by the caller).
    fn ask(
        &mut self,
        stage: &'static str,
        version: u32,
        requests: &[ChatRequest],
        retry: bool,
        check: ReplyCheck<'_>,
    ) -> Result<Vec<Result<String, String>>, AnalysisError>;
}

/// [`ModelAccess::ask`] with each usable reply parsed by `parse` (which is also the check).
pub(crate) fn ask_parsed<T>(
    models: &mut dyn ModelAccess,
    stage: &'static str,
    version: u32,
    requests: &[ChatRequest],
    retry: bool,
    parse: impl Fn(usize, &str) -> Result<T, String>,
) -> Result<Vec<Result<T, String>>, AnalysisError> {
    let check = |index: usize, text: &str| parse(index, text).map(drop);
    let replies = models.ask(stage, version, requests, retry, &check)?;
    Ok(replies
        .into_iter()
        .enumerate()
        .map(|(index, reply)| reply.and_then(|text| parse(index, &text)))
        .collect())
}

/// The run's models, when it has any: model steps take them from here.
pub struct Models<'m>(Access<'m>);

enum Access<'m> {
    None,
    Embedder(&'m mut dyn Embed),
    Chat(&'m mut dyn ModelAccess),
}

impl<'m> Models<'m> {
    /// No model: every step is computed.
    pub fn none() -> Self {
        Self(Access::None)
    }

    /// A chat model and an embedder for the steps that ask one.
    pub fn new(access: &'m mut dyn ModelAccess) -> Self {
        Self(Access::Chat(access))
    }

    /// An embedder and no chat model (keyword mode): it ranks the candidate names.
    pub fn embedder_only(embedder: &'m mut dyn Embed) -> Self {
        Self(Access::Embedder(embedder))
    }

    /// The models, for a step of `kind` the plan chose because there is a chat model.
    pub(crate) fn get(
        &mut self,
        kind: &'static str,
    ) -> Result<&mut dyn ModelAccess, AnalysisError> {
        match &mut self.0 {
            Access::Chat(access) => Ok(&mut **access),
            Access::None | Access::Embedder(_) => Err(AnalysisError::NoModel(kind)),
        }
    }

    /// The embedder, when the run has one.
    pub(crate) fn embedder(&mut self) -> Option<&mut dyn Embed> {
        match &mut self.0 {
            Access::Chat(access) => Some(&mut **access),
            Access::Embedder(embedder) => Some(&mut **embedder),
            Access::None => None,
        }
    }
}
