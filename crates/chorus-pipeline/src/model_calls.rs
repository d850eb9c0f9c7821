//! Model calls through the run store: an identical request is sent once, ever, per store.

use serde::{Deserialize, Serialize};

use chorus_models::{ChatModel, ChatReply, ChatRequest, ItemFailure, ModelError};
use chorus_store::{Store, cache_key};
use chorus_types::ContentHash;

use crate::PipelineError;

/// What one chat call came to, as stored: a reply, or a failure that would happen again (a
/// refusal, a malformed or empty reply, a rejected request). Transient failures (retries
/// exhausted) are not stored, so a later run tries again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatOutcome {
    /// The model answered.
    Reply(ChatReply),
    /// This item failed; it is recorded as missing with the reason.
    Failed {
        /// The kind of failure.
        failure: ItemFailure,
        /// The specifics.
        message: String,
    },
}

/// Counts of one batch of calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Answered from the store.
    pub cache_hits: u64,
    /// Sent to the model.
    pub sent: u64,
}

/// The cache key of one request: the whole request is the input, the model id and stage name
/// and version complete it.
fn request_key(
    stage: &str,
    version: u32,
    model: &str,
    request: &ChatRequest,
) -> Result<ContentHash, PipelineError> {
    let encoded = serde_json::to_vec(request).map_err(|error| PipelineError::Encode {
        stage: stage.to_string(),
        message: error.to_string(),
    })?;
    Ok(cache_key(
        stage,
        version,
        model,
        "",
        ContentHash::of(&encoded),
    ))
}

/// Whether the store already holds the outcome of this request.
pub(crate) fn is_cached(
    store: &Store,
    stage: &str,
    version: u32,
    model: &str,
    request: &ChatRequest,
) -> Result<bool, PipelineError> {
    Ok(store
        .get(request_key(stage, version, model, request)?)?
        .is_some())
}

/// Completes every request, in order: stored outcomes are read back, the rest sent at once (the
/// backend bounds how many are in flight) and stored as they come back. A fatal error (a bad
/// key, a wrong URL) stops the batch and is returned; what finished before it stays stored.
pub async fn complete_all(
    model: &dyn ChatModel,
    store: &mut Store,
    stage: &str,
    version: u32,
    requests: &[ChatRequest],
) -> Result<(Vec<ChatOutcome>, CallCounts), PipelineError> {
    let mut outcomes: Vec<Option<ChatOutcome>> = Vec::with_capacity(requests.len());
    let mut missing = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        let key = request_key(stage, version, model.id(), request)?;
        let stored = store
            .get(key)?
            .and_then(|bytes| serde_json::from_slice::<ChatOutcome>(&bytes).ok());
        if stored.is_none() {
            missing.push((index, key));
        }
        outcomes.push(stored);
    }
    let counts = CallCounts {
        cache_hits: (requests.len() - missing.len()) as u64,
        sent: missing.len() as u64,
    };
    let replies = futures::future::join_all(
        missing
            .iter()
            .map(|&(index, _)| model.complete(&requests[index])),
    )
    .await;
    let mut fresh = Vec::new();
    let mut fatal = None;
    for ((index, key), reply) in missing.into_iter().zip(replies) {
        let outcome = match reply {
            Ok(reply) => ChatOutcome::Reply(reply),
            Err(ModelError::Item {
                failure, message, ..
            }) => ChatOutcome::Failed { failure, message },
            Err(error) => {
                fatal.get_or_insert(error);
                continue;
            }
        };
        if !matches!(
            outcome,
            ChatOutcome::Failed {
                failure: ItemFailure::Exhausted,
                ..
            }
        ) {
            let bytes = serde_json::to_vec(&outcome).map_err(|error| PipelineError::Encode {
                stage: stage.to_string(),
                message: error.to_string(),
            })?;
            fresh.push((key, bytes));
        }
        outcomes[index] = Some(outcome);
    }
    store.put_batch(stage, &fresh)?;
    if let Some(error) = fatal {
        return Err(PipelineError::Model(error));
    }
    Ok((outcomes.into_iter().flatten().collect(), counts))
}
