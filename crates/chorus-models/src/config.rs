use serde::{Deserialize, Serialize};

/// Which wire format a backend speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// OpenAI-compatible: OpenAI, vLLM, SGLang, llama.cpp, Ollama, LM Studio, TEI.
    Openai,
    /// The Anthropic Messages API.
    Anthropic,
}

/// How a prefill reaches an OpenAI-compatible server, which has no prefill field. (The
/// Anthropic API continues a trailing assistant turn natively and ignores this.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PrefillMode {
    /// An instruction in the last user message to start with the prefill, which is then
    /// removed from the reply. The default: it works on every server, whatever its chat
    /// template does with a trailing assistant turn (OpenAI's API and llama-cpp-python's server
    /// answer one afresh, so the prefill is lost there).
    #[default]
    Instruction,
    /// A trailing assistant message for the server's chat template to continue: for servers
    /// known to continue it (Ollama, llama.cpp's own `llama-server`, SGLang).
    TrailingAssistant,
    /// A trailing assistant message with vLLM's `continue_final_message: true` and
    /// `add_generation_prompt: false`, which make vLLM continue it exactly.
    ContinueFinalMessage,
}

impl PrefillMode {
    /// The name used in configuration files, and in cache keys.
    pub fn name(self) -> &'static str {
        match self {
            PrefillMode::Instruction => "instruction",
            PrefillMode::TrailingAssistant => "trailing-assistant",
            PrefillMode::ContinueFinalMessage => "continue-final-message",
        }
    }
}

/// One model behind one API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    /// The wire format.
    pub kind: BackendKind,
    /// Base URLs, used in turn: several spread the load over a pool of servers. OpenAI-style
    /// URLs end before `/chat/completions` (`http://host:8000/v1`); Anthropic ones before
    /// `/v1/messages` (`https://api.anthropic.com`).
    pub base_urls: Vec<String>,
    /// The model name the API expects.
    pub model: String,
    /// The environment variable holding the API key; none for servers without keys.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Most requests in flight at once (the adaptive limit never exceeds it).
    #[serde(default = "default_concurrency")]
    pub max_concurrency: usize,
    /// Seconds before one request is abandoned (and retried).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: f64,
    /// Tries per request before the item is recorded as failed.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First backoff in seconds; doubled per retry, with full jitter, capped at 60 s.
    #[serde(default = "default_backoff")]
    pub backoff_seconds: f64,
    /// How a prefill is sent (OpenAI-compatible only).
    #[serde(default)]
    pub prefill: PrefillMode,
    /// Seed for the retry jitter.
    #[serde(default)]
    pub seed: u64,
}

fn default_concurrency() -> usize {
    16
}

fn default_timeout() -> f64 {
    120.0
}

fn default_attempts() -> u32 {
    6
}

fn default_backoff() -> f64 {
    1.0
}

impl BackendConfig {
    /// A configuration with every default, for one base URL.
    pub fn new(kind: BackendKind, base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            kind,
            base_urls: vec![base_url.into()],
            model: model.into(),
            api_key_env: None,
            max_concurrency: default_concurrency(),
            timeout_seconds: default_timeout(),
            max_attempts: default_attempts(),
            backoff_seconds: default_backoff(),
            prefill: PrefillMode::default(),
            seed: 0,
        }
    }
}
