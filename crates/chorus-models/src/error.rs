use std::fmt;

use serde::{Deserialize, Serialize};

/// Why one item's call failed while the run can go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemFailure {
    /// The reply was not the JSON the API promises.
    Malformed,
    /// The reply held no text.
    Empty,
    /// The model declined (a refusal or a content filter).
    Refused,
    /// The server rejected this request (400, 413, 422) for a reason specific to it.
    Rejected,
    /// Every retry failed (429, 5xx, timeouts, dropped connections).
    Exhausted,
}

impl fmt::Display for ItemFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemFailure::Malformed => "malformed reply",
            ItemFailure::Empty => "empty reply",
            ItemFailure::Refused => "refused",
            ItemFailure::Rejected => "request rejected",
            ItemFailure::Exhausted => "retries exhausted",
        })
    }
}

/// A failed model call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Nothing will work until a person fixes something: a key, a URL, a model name. The run
    /// stops at once instead of retrying a million items.
    #[error("{backend}: {message}. {fix}")]
    Fatal {
        /// Which backend and endpoint.
        backend: String,
        /// What happened, with the HTTP status when there was one.
        message: String,
        /// What to do about it.
        fix: String,
    },
    /// This item failed; it is recorded as missing with the reason and the run goes on.
    #[error("{backend}: {failure}: {message}")]
    Item {
        /// Which backend and endpoint.
        backend: String,
        /// The kind of failure.
        failure: ItemFailure,
        /// The specifics.
        message: String,
    },
}

impl ModelError {
    /// True when the run must stop.
    pub fn is_fatal(&self) -> bool {
        matches!(self, ModelError::Fatal { .. })
    }
}
