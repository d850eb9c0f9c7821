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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Answered from the store.
    pub cache_hits: u64,
    /// Sent to the model.
    pub sent: u64,
    /// Identical to another request of the batch, answered by that one's call.
    pub shared: u64,
    /// Calls sent that got no answer (refused or reset connections, timeouts, 5xx and 429
    /// after every retry): not stored, so a rerun sends them again.
    pub transport_failures: u64,
    /// The last of those failures, with the server's URL.
    pub last_transport_failure: Option<String>,
}

/// The cache key of one request: the whole request is the input (prompt, prefill,
/// temperature, token limit, stop sequences); the stage name and version, the model id and how
/// the backend sends a request (its prefill mode) complete it.
fn request_key(
    stage: &str,
    version: u32,
    model: &dyn ChatModel,
    request: &ChatRequest,
) -> Result<ContentHash, PipelineError> {
    let encoded = serde_json::to_vec(request).map_err(|error| PipelineError::Encode {
        stage: stage.to_string(),
        message: error.to_string(),
    })?;
    Ok(cache_key(
        stage,
        version,
        model.id(),
        model.request_form(),
        ContentHash::of(&encoded),
    ))
}

/// Whether the store already holds the outcome of this request.
pub(crate) fn is_cached(
    store: &Store,
    stage: &str,
    version: u32,
    model: &dyn ChatModel,
    request: &ChatRequest,
) -> Result<bool, PipelineError> {
    Ok(store
        .get(request_key(stage, version, model, request)?)?
        .is_some())
}

/// Answers are committed to the store at least this often…
const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// … or once this many are waiting, whichever comes first.
const COMMIT_BATCH: usize = 64;

/// Completes every request, in order: stored outcomes are read back, identical requests share
/// one call, the rest are sent at once (the backend bounds how many are in flight) and each
/// answer is committed to the store as it comes back (in small transactions, at least every
/// second), so a kill at any moment loses only the calls in flight. A fatal error (a bad key, a
/// wrong URL) stops the batch and is returned; what was answered before it stays stored.
pub async fn complete_all(
    model: &dyn ChatModel,
    store: &mut Store,
    stage: &str,
    version: u32,
    requests: &[ChatRequest],
) -> Result<(Vec<ChatOutcome>, CallCounts), PipelineError> {
    use futures::StreamExt;

    let mut outcomes: Vec<Option<ChatOutcome>> = Vec::with_capacity(requests.len());
    // Each distinct missing request once, with every position that asked it.
    let mut missing: Vec<(ContentHash, Vec<usize>)> = Vec::new();
    let mut position_of: std::collections::HashMap<ContentHash, usize> =
        std::collections::HashMap::new();
    let mut cache_hits = 0;
    for (index, request) in requests.iter().enumerate() {
        let key = request_key(stage, version, model, request)?;
        let stored = store
            .get(key)?
            .and_then(|bytes| serde_json::from_slice::<ChatOutcome>(&bytes).ok());
        match (&stored, position_of.get(&key)) {
            (Some(_), _) => cache_hits += 1,
            (None, Some(&at)) => missing[at].1.push(index),
            (None, None) => {
                position_of.insert(key, missing.len());
                missing.push((key, vec![index]));
            }
        }
        outcomes.push(stored);
    }
    let mut counts = CallCounts {
        cache_hits,
        sent: missing.len() as u64,
        shared: (requests.len() - cache_hits as usize - missing.len()) as u64,
        ..CallCounts::default()
    };
    let mut in_flight: futures::stream::FuturesUnordered<_> =
        missing
            .iter()
            .enumerate()
            .map(|(slot, (_, indices))| async move {
                (slot, model.complete(&requests[indices[0]]).await)
            })
            .collect();
    let mut fresh = Vec::new();
    let mut last_commit = std::time::Instant::now();
    let mut fatal = None;
    while let Some((slot, reply)) = in_flight.next().await {
        let (key, indices) = &missing[slot];
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
        if let ChatOutcome::Failed {
            failure: ItemFailure::Exhausted,
            message,
        } = &outcome
        {
            counts.transport_failures += 1;
            counts.last_transport_failure = Some(message.clone());
        } else {
            let bytes = serde_json::to_vec(&outcome).map_err(|error| PipelineError::Encode {
                stage: stage.to_string(),
                message: error.to_string(),
            })?;
            fresh.push((*key, bytes));
        }
        if fresh.len() >= COMMIT_BATCH || last_commit.elapsed() >= COMMIT_EVERY {
            store.put_batch(stage, &std::mem::take(&mut fresh))?;
            last_commit = std::time::Instant::now();
        }
        for &index in indices {
            outcomes[index] = Some(outcome.clone());
        }
    }
    store.put_batch(stage, &fresh)?;
    if let Some(error) = fatal {
        return Err(PipelineError::Model(error));
    }
    Ok((outcomes.into_iter().flatten().collect(), counts))
}
