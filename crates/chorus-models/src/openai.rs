//! Servers that speak the OpenAI wire format: chat completions and embeddings.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName};
use serde_json::{Value, json};

use crate::http::{HttpCore, Served};
use crate::{
    BackendConfig, BoxFuture, ChatModel, ChatReply, ChatRequest, ChatRole, Embedder, ItemFailure,
    Matrix, ModelError, PrefillMode, Readiness, Usage, UsageTotals,
};

/// Names quoted when a server does not serve the model asked for.
const LISTED_NAMES: usize = 20;

/// Whether a `GET /models` answer lists `model` (Ollama lists `name:latest` for `name`).
fn lists_model(model: &str) -> impl Fn(StatusCode, &str) -> Served + '_ {
    move |status, text| {
        let listed = serde_json::from_str::<Value>(text)
            .ok()
            .filter(|_| status.is_success());
        let ids: Vec<String> = listed
            .as_ref()
            .and_then(|value| value["data"].as_array())
            .map(|data| {
                data.iter()
                    .filter_map(|entry| entry["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if ids.is_empty() {
            Served::Unknown
        } else if ids
            .iter()
            .any(|id| id == model || id.strip_suffix(":latest") == Some(model))
        {
            Served::Yes
        } else {
            Served::No(
                ids.into_iter()
                    .take(LISTED_NAMES)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
    }
}

fn bearer(key: &str) -> Vec<(HeaderName, String)> {
    vec![(AUTHORIZATION, format!("Bearer {key}"))]
}

/// Chat completions from an OpenAI-compatible server.
pub struct OpenAiChat {
    core: HttpCore,
    model: String,
    prefill: PrefillMode,
    form: String,
}

impl OpenAiChat {
    /// Connects nothing yet; fails only on configuration (a missing key variable, no URL).
    pub fn new(config: &BackendConfig) -> Result<Self, ModelError> {
        Ok(Self {
            core: HttpCore::new(config, HeaderMap::new(), bearer)?,
            model: config.model.clone(),
            prefill: config.prefill,
            form: format!("prefill={}", config.prefill.name()),
        })
    }

    /// The current adaptive concurrency limit.
    pub fn concurrency(&self) -> usize {
        self.core.limit().current()
    }

    fn body(&self, request: &ChatRequest) -> Value {
        let mut messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({"role": role_name(m.role), "content": m.content}))
            .collect();
        if let Some(prefill) = &request.prefill {
            match self.prefill {
                PrefillMode::TrailingAssistant | PrefillMode::ContinueFinalMessage => {
                    messages.push(json!({"role": "assistant", "content": prefill}));
                }
                PrefillMode::Instruction => {
                    let instruction = format!("\n\nBegin your reply with exactly: {prefill}");
                    match messages.iter_mut().rev().find(|m| m["role"] == "user") {
                        Some(last_user) => {
                            let content = format!(
                                "{}{instruction}",
                                last_user["content"].as_str().unwrap_or("")
                            );
                            last_user["content"] = Value::String(content);
                        }
                        None => {
                            messages.push(json!({"role": "user", "content": instruction.trim()}))
                        }
                    }
                }
            }
        }
        let mut body = json!({
            "model": self.model,
            "messages": messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        });
        if !request.stop.is_empty() {
            body["stop"] = json!(request.stop);
        }
        if request.prefill.is_some() && self.prefill == PrefillMode::ContinueFinalMessage {
            body["continue_final_message"] = json!(true);
            body["add_generation_prompt"] = json!(false);
        }
        body
    }

    fn parse(&self, reply: &Value, prefill: Option<&str>) -> Result<ChatReply, ModelError> {
        let choice = reply
            .get("choices")
            .and_then(|choices| choices.get(0))
            .ok_or_else(|| {
                self.core
                    .item_error(ItemFailure::Malformed, "no choices in the reply")
            })?;
        let message = &choice["message"];
        if message.get("refusal").is_some_and(|r| !r.is_null())
            || choice.get("finish_reason").and_then(Value::as_str) == Some("content_filter")
        {
            let why = message["refusal"].as_str().unwrap_or("content filter");
            return Err(self.core.item_error(ItemFailure::Refused, why.to_string()));
        }
        let text = message
            .get("content")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                self.core
                    .item_error(ItemFailure::Malformed, "the reply has no message content")
            })?;
        // Asked by instruction, the model writes the prefill itself; a server whose chat
        // template closes the trailing assistant turn has the model start afresh, often with
        // the prefill again. Either way the copy goes.
        let text = match prefill.map(str::trim).filter(|p| !p.is_empty()) {
            Some(prefill) => text.trim_start().strip_prefix(prefill).unwrap_or(text),
            None => text,
        };
        if text.trim().is_empty() {
            return Err(self
                .core
                .item_error(ItemFailure::Empty, "the reply is empty"));
        }
        let usage = Usage {
            input_tokens: reply["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
            output_tokens: reply["usage"]["completion_tokens"].as_u64().unwrap_or(0),
        };
        self.core.usage.tokens(usage);
        Ok(ChatReply {
            text: text.to_string(),
            usage,
        })
    }
}

fn role_name(role: ChatRole) -> &'static str {
    match role {
        ChatRole::System => "system",
        ChatRole::User => "user",
        ChatRole::Assistant => "assistant",
    }
}

impl ChatModel for OpenAiChat {
    fn id(&self) -> &str {
        &self.model
    }

    fn request_form(&self) -> &str {
        &self.form
    }

    fn probe(&self) -> BoxFuture<'_, Result<Readiness, ModelError>> {
        Box::pin(self.core.check_model("/models", lists_model(&self.model)))
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatReply, ModelError>> {
        Box::pin(async move {
            let reply = self
                .core
                .post_json("/chat/completions", &self.body(request))
                .await?;
            self.parse(&reply, request.prefill.as_deref())
        })
    }

    fn usage(&self) -> UsageTotals {
        self.core.usage.totals()
    }
}

/// Embeddings from an OpenAI-compatible server (OpenAI, vLLM, text-embeddings-inference, ...).
pub struct OpenAiEmbedder {
    core: HttpCore,
    model: String,
    dim: std::sync::OnceLock<usize>,
}

impl OpenAiEmbedder {
    /// Connects nothing yet; fails only on configuration.
    pub fn new(config: &BackendConfig) -> Result<Self, ModelError> {
        Ok(Self {
            core: HttpCore::new(config, HeaderMap::new(), bearer)?,
            model: config.model.clone(),
            dim: std::sync::OnceLock::new(),
        })
    }

    fn parse(&self, reply: &Value, expected: usize) -> Result<Matrix, ModelError> {
        let malformed = |message: String| self.core.item_error(ItemFailure::Malformed, message);
        let data = reply["data"]
            .as_array()
            .ok_or_else(|| malformed("no data array".into()))?;
        if data.len() != expected {
            return Err(malformed(format!(
                "{} vectors for {expected} texts",
                data.len()
            )));
        }
        let mut rows: Vec<(u64, Vec<f32>)> = Vec::with_capacity(data.len());
        for (position, item) in data.iter().enumerate() {
            let vector = item["embedding"]
                .as_array()
                .ok_or_else(|| malformed(format!("item {position} has no embedding")))?
                .iter()
                .map(|x| x.as_f64().map(|x| x as f32))
                .collect::<Option<Vec<f32>>>()
                .ok_or_else(|| malformed(format!("item {position} has a non-number")))?;
            rows.push((item["index"].as_u64().unwrap_or(position as u64), vector));
        }
        rows.sort_by_key(|(index, _)| *index);
        let matrix = Matrix::from_rows(rows.into_iter().map(|(_, row)| row).collect())
            .ok_or_else(|| malformed("vectors of different lengths".into()))?;
        let dim = *self.dim.get_or_init(|| matrix.dim());
        if dim != matrix.dim() {
            return Err(malformed(format!(
                "vectors of length {}, earlier {dim}",
                matrix.dim()
            )));
        }
        self.core.usage.tokens(Usage {
            input_tokens: reply["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
            output_tokens: 0,
        });
        Ok(matrix)
    }
}

impl Embedder for OpenAiEmbedder {
    fn id(&self) -> &str {
        &self.model
    }

    fn dim(&self) -> Option<usize> {
        self.dim.get().copied()
    }

    fn probe(&self) -> BoxFuture<'_, Result<Readiness, ModelError>> {
        Box::pin(self.core.check_model("/models", lists_model(&self.model)))
    }

    fn embed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Matrix, ModelError>> {
        Box::pin(async move {
            let body = json!({"model": self.model, "input": texts});
            let reply = self.core.post_json("/embeddings", &body).await?;
            self.parse(&reply, texts.len())
        })
    }

    fn usage(&self) -> UsageTotals {
        self.core.usage.totals()
    }
}
