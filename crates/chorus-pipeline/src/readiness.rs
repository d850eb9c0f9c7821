//! The start-up check of every model a run will call: is each server up, and does it serve the
//! model named? Done once, before any input is read, so that a closed port or a wrong model
//! name stops the run at once with the fix instead of showing up as a million missing values.

use serde::Serialize;

use chorus_models::{ChatModel, Embedder, Readiness};

use crate::PipelineError;
use crate::embed::model_runtime;

/// What the start-up check found for one model, for `run.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelCheck {
    /// What the model does in the run: `chat` or `embed`.
    pub role: &'static str,
    /// The model.
    pub model: String,
    /// Why the model name could not be checked (the server lists no models); absent when it
    /// was, or when the model is local.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchecked: Option<String>,
}

/// Probes the chat model and the embedder, if any; a fatal answer (unreachable server, bad
/// key, unknown model) is returned as the run's error.
pub fn check_models(
    chat: Option<&dyn ChatModel>,
    embedder: Option<&dyn Embedder>,
) -> Result<Vec<ModelCheck>, PipelineError> {
    let runtime = model_runtime("start-up check")?;
    let mut checks = Vec::new();
    if let Some(chat) = chat {
        let readiness = runtime.block_on(chat.probe());
        checks.push(check("chat", chat.id(), readiness)?);
    }
    if let Some(embedder) = embedder {
        let readiness = runtime.block_on(embedder.probe());
        checks.push(check("embed", embedder.id(), readiness)?);
    }
    Ok(checks)
}

fn check(
    role: &'static str,
    model: &str,
    readiness: Result<Readiness, chorus_models::ModelError>,
) -> Result<ModelCheck, PipelineError> {
    let unchecked = match readiness.map_err(PipelineError::Model)? {
        Readiness::Ready => None,
        Readiness::ModelUnchecked(why) => Some(why),
    };
    Ok(ModelCheck {
        role,
        model: model.to_string(),
        unchecked,
    })
}
