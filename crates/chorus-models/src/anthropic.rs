//! The Anthropic Messages API.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::http::{HttpCore, Served};
use crate::{
    BackendConfig, BoxFuture, ChatModel, ChatReply, ChatRequest, ChatRole, ItemFailure, ModelError,
    Readiness, Usage, UsageTotals,
};

/// The API version chorus speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Messages from the Anthropic API (or a server that speaks it).
pub struct AnthropicChat {
    core: HttpCore,
    model: String,
}

impl AnthropicChat {
    /// Connects nothing yet; fails only on configuration (a missing key variable, no URL).
    pub fn new(config: &BackendConfig) -> Result<Self, ModelError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        let auth = |key: &str| vec![(HeaderName::from_static("x-api-key"), key.to_string())];
        Ok(Self {
            core: HttpCore::new(config, headers, auth)?,
            model: config.model.clone(),
        })
    }

    fn body(&self, request: &ChatRequest) -> Value {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == ChatRole::System)
            .map(|m| m.content.as_str())
            .collect();
        let mut messages: Vec<Value> = request
            .messages
            .iter()
            .filter(|m| m.role != ChatRole::System)
            .map(|m| {
                let role = if m.role == ChatRole::User {
                    "user"
                } else {
                    "assistant"
                };
                json!({"role": role, "content": m.content})
            })
            .collect();
        if let Some(prefill) = &request.prefill {
            // The API continues a trailing assistant turn; it rejects one ending in whitespace.
            messages.push(json!({"role": "assistant", "content": prefill.trim_end()}));
        }
        let mut body = json!({
            "model": self.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "messages": messages,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if !request.stop.is_empty() {
            body["stop_sequences"] = json!(request.stop);
        }
        body
    }

    fn parse(&self, reply: &Value) -> Result<ChatReply, ModelError> {
        let blocks = reply["content"].as_array().ok_or_else(|| {
            self.core
                .item_error(ItemFailure::Malformed, "no content array in the reply")
        })?;
        if reply["stop_reason"].as_str() == Some("refusal") {
            return Err(self
                .core
                .item_error(ItemFailure::Refused, "stop_reason: refusal"));
        }
        let text: String = blocks
            .iter()
            .filter(|block| block["type"] == "text")
            .filter_map(|block| block["text"].as_str())
            .collect();
        if text.trim().is_empty() {
            return Err(self
                .core
                .item_error(ItemFailure::Empty, "the reply is empty"));
        }
        let usage = Usage {
            input_tokens: reply["usage"]["input_tokens"].as_u64().unwrap_or(0),
            output_tokens: reply["usage"]["output_tokens"].as_u64().unwrap_or(0),
        };
        self.core.usage.tokens(usage);
        Ok(ChatReply { text, usage })
    }
}

impl ChatModel for AnthropicChat {
    fn id(&self) -> &str {
        &self.model
    }

    /// `GET /v1/models/{model}`, which resolves aliases too; a 404 of the API's own
    /// `not_found_error` kind means the model does not exist.
    fn probe(&self) -> BoxFuture<'_, Result<Readiness, ModelError>> {
        let path = format!("/v1/models/{}", self.model);
        Box::pin(async move {
            self.core
                .check_model(&path, |status, text| {
                    let kind = serde_json::from_str::<Value>(text)
                        .ok()
                        .and_then(|v| v["error"]["type"].as_str().map(str::to_string));
                    if status.is_success() {
                        Served::Yes
                    } else if kind.as_deref() == Some("not_found_error") {
                        Served::No("nothing under this name (see GET /v1/models)".into())
                    } else {
                        Served::Unknown
                    }
                })
                .await
        })
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatReply, ModelError>> {
        Box::pin(async move {
            let reply = self
                .core
                .post_json("/v1/messages", &self.body(request))
                .await?;
            self.parse(&reply)
        })
    }

    fn usage(&self) -> UsageTotals {
        self.core.usage.totals()
    }
}
