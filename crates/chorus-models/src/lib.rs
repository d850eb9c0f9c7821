//! The model layer: one interface for every chat model and embedder, whatever serves it.
//!
//! Stages see only [`ChatModel`] and [`Embedder`]. Behind them, [`openai`] covers every server
//! that speaks the OpenAI wire format (OpenAI, vLLM, SGLang, llama.cpp's server, Ollama, LM
//! Studio, text-embeddings-inference) and [`anthropic`] the Anthropic Messages API. Both share
//! one HTTP core: a pool of base URLs used in turn, adaptive concurrency (halved on 429, grown
//! back on success), retries with exponential backoff and jitter that honour `Retry-After`, a
//! per-request timeout, and errors that say whether the run must stop (a bad key, a wrong URL)
//! or only this item failed (a malformed or refused reply).
#![warn(missing_docs)]

pub mod anthropic;
mod budget;
mod config;
mod error;
mod http;
mod limiter;
pub mod openai;
mod types;

pub use budget::{Budget, Budgeted, Pricing, estimate_tokens};
pub use config::{BackendConfig, BackendKind, PrefillMode};
pub use error::{ItemFailure, ModelError};
pub use limiter::AdaptiveLimit;
pub use types::{ChatMessage, ChatReply, ChatRequest, ChatRole, Matrix, Usage, UsageTotals};

use std::future::Future;
use std::pin::Pin;

/// A boxed future, so the traits stay usable as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the start-up check of a backend found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The server answered and serves the model (or there is nothing to check: a local model).
    Ready,
    /// The server answered but does not list its models, so the model name is not checked;
    /// the text says what was asked and what came back.
    ModelUnchecked(String),
}

/// A model that continues a conversation.
pub trait ChatModel: Send + Sync {
    /// The model id, part of every cache key.
    fn id(&self) -> &str;
    /// What else shapes the request a backend sends beyond the [`ChatRequest`] itself (how a
    /// prefill is sent, say), so that it is part of every cache key: a reply got one way is
    /// not reused for a request sent another way.
    fn request_form(&self) -> &str {
        ""
    }
    /// One cheap request at start-up: is the server up, and does it serve this model? A
    /// [`ModelError::Fatal`] says what to fix before anything is sent.
    fn probe(&self) -> BoxFuture<'_, Result<Readiness, ModelError>> {
        Box::pin(async { Ok(Readiness::Ready) })
    }
    /// One completion. The reply text excludes any prefill.
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatReply, ModelError>>;
    /// Tokens and requests so far.
    fn usage(&self) -> UsageTotals;
}

/// A model that turns texts into vectors.
pub trait Embedder: Send + Sync {
    /// The model id, part of every cache key.
    fn id(&self) -> &str;
    /// Vector length, once known (after the first call for remote embedders that do not say).
    fn dim(&self) -> Option<usize>;
    /// One L2-normalised row per text, in order.
    fn embed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Matrix, ModelError>>;
    /// Tokens and requests so far.
    fn usage(&self) -> UsageTotals;
    /// One cheap request at start-up, as [`ChatModel::probe`].
    fn probe(&self) -> BoxFuture<'_, Result<Readiness, ModelError>> {
        Box::pin(async { Ok(Readiness::Ready) })
    }
    /// Whether the model was trained to put the same meaning in different languages close
    /// together, so that a text's nearest neighbours cross languages. Unknown (a server's
    /// model) counts as no.
    fn multilingual(&self) -> bool {
        false
    }
}

impl<M: ChatModel + ?Sized> ChatModel for Box<M> {
    fn id(&self) -> &str {
        (**self).id()
    }

    fn request_form(&self) -> &str {
        (**self).request_form()
    }

    fn probe(&self) -> BoxFuture<'_, Result<Readiness, ModelError>> {
        (**self).probe()
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatReply, ModelError>> {
        (**self).complete(request)
    }

    fn usage(&self) -> UsageTotals {
        (**self).usage()
    }
}

/// The embeddings backend a configuration names: any OpenAI-compatible `/v1/embeddings` server
/// (OpenAI, vLLM, text-embeddings-inference, Ollama). Anthropic has no embeddings API.
pub fn embedder(config: &BackendConfig) -> Result<Box<dyn Embedder>, ModelError> {
    match config.kind {
        BackendKind::Openai => Ok(Box::new(openai::OpenAiEmbedder::new(config)?)),
        BackendKind::Anthropic => Err(ModelError::Fatal {
            backend: "anthropic".into(),
            message: "the Anthropic API has no embeddings endpoint".into(),
            fix: "use kind = \"openai\" with an OpenAI-compatible embeddings server for models.embed, or leave models.embed out for the local model".into(),
        }),
    }
}

/// The chat backend a configuration names.
pub fn chat_model(config: &BackendConfig) -> Result<Box<dyn ChatModel>, ModelError> {
    Ok(match config.kind {
        BackendKind::Openai => Box::new(openai::OpenAiChat::new(config)?),
        BackendKind::Anthropic => Box::new(anthropic::AnthropicChat::new(config)?),
    })
}
