//! What the analysis asks of a run's models. The caller implements [`ModelAccess`] over its
//! own store, budget and backends; the analysis never knows which server answers.

use chorus_models::ChatRequest;

use crate::AnalysisError;

/// Checks one reply to the request at an index: `Err` says what is wrong with it.
pub type ReplyCheck<'a> = &'a dyn Fn(usize, &str) -> Result<(), String>;

/// A chat model and an embedder, as the analysis's model steps use them.
pub trait ModelAccess {
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

    /// Unit vectors of `texts`, `None` where the embedder failed on one.
    fn embed(&mut self, texts: &[String]) -> Result<Vec<Option<Vec<f32>>>, AnalysisError>;
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
pub struct Models<'m>(Option<&'m mut dyn ModelAccess>);

impl<'m> Models<'m> {
    /// No model: every step is computed.
    pub fn none() -> Self {
        Self(None)
    }

    /// A chat model and an embedder for the steps that ask one.
    pub fn new(access: &'m mut dyn ModelAccess) -> Self {
        Self(Some(access))
    }

    /// The models, for a step of `kind` the plan chose because there are some.
    pub(crate) fn get(
        &mut self,
        kind: &'static str,
    ) -> Result<&mut dyn ModelAccess, AnalysisError> {
        match self.0.as_deref_mut() {
            Some(access) => Ok(access),
            None => Err(AnalysisError::NoModel(kind)),
        }
    }
}
