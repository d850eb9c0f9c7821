//! The HTTP core both hosted backends share: endpoints in turn, adaptive concurrency, retries.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde_json::Value;

use crate::types::UsageCounter;
use crate::{AdaptiveLimit, BackendConfig, ItemFailure, ModelError, Readiness};

const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Tries of the start-up probe: enough for a server still starting, few enough that a wrong
/// port is reported in seconds.
const PROBE_ATTEMPTS: u32 = 3;
/// How much of an error body is quoted in a message.
const QUOTED_BODY_CHARS: usize = 300;

pub(crate) struct HttpCore {
    client: reqwest::Client,
    base_urls: Vec<String>,
    next_url: AtomicUsize,
    headers: HeaderMap,
    limit: AdaptiveLimit,
    max_attempts: u32,
    backoff: Duration,
    jitter: AtomicU64,
    pub(crate) usage: UsageCounter,
    pub(crate) name: String,
    key_hint: String,
}

impl HttpCore {
    /// `auth` turns the API key into headers; it is read from the environment here, never from a
    /// file.
    pub(crate) fn new(
        config: &BackendConfig,
        mut headers: HeaderMap,
        auth: impl Fn(&str) -> Vec<(HeaderName, String)>,
    ) -> Result<Self, ModelError> {
        let name = format!("{:?} backend for model {:?}", config.kind, config.model).to_lowercase();
        let fatal = |message: String, fix: &str| ModelError::Fatal {
            backend: name.clone(),
            message,
            fix: fix.to_string(),
        };
        if config.base_urls.is_empty() {
            return Err(fatal(
                "no base URL".into(),
                "set base_urls in the model configuration",
            ));
        }
        let key_hint = match &config.api_key_env {
            Some(variable) => {
                let key = std::env::var(variable).map_err(|_| {
                    fatal(
                        format!("the environment variable {variable} is not set"),
                        "export it with the API key, or remove api_key_env for a server without keys",
                    )
                })?;
                for (header, value) in auth(&key) {
                    let value = HeaderValue::from_str(&value).map_err(|_| {
                        fatal(
                            format!("{variable} holds characters a header cannot carry"),
                            "check the key",
                        )
                    })?;
                    headers.insert(header, value);
                }
                format!("check the key in {variable}")
            }
            None => "this server wants a key: set api_key_env to the variable that holds it".into(),
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(config.timeout_seconds.max(0.001)))
            .build()
            .map_err(|error| {
                fatal(
                    format!("cannot build an HTTP client: {error}"),
                    "report this",
                )
            })?;
        Ok(Self {
            client,
            base_urls: config
                .base_urls
                .iter()
                .map(|url| url.trim_end_matches('/').to_string())
                .collect(),
            next_url: AtomicUsize::new(0),
            headers,
            limit: AdaptiveLimit::new(config.max_concurrency),
            max_attempts: config.max_attempts.max(1),
            backoff: Duration::from_secs_f64(config.backoff_seconds.max(0.0)),
            jitter: AtomicU64::new(config.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            usage: UsageCounter::default(),
            name,
            key_hint,
        })
    }

    pub(crate) fn limit(&self) -> &AdaptiveLimit {
        &self.limit
    }

    fn next_base_url(&self) -> &str {
        let index = self.next_url.fetch_add(1, Ordering::Relaxed) % self.base_urls.len();
        &self.base_urls[index]
    }

    pub(crate) fn item_error(
        &self,
        failure: ItemFailure,
        message: impl Into<String>,
    ) -> ModelError {
        ModelError::Item {
            backend: self.name.clone(),
            failure,
            message: message.into(),
        }
    }

    fn fatal(&self, message: String, fix: &str) -> ModelError {
        ModelError::Fatal {
            backend: self.name.clone(),
            message,
            fix: fix.to_string(),
        }
    }

    /// POSTs `body` to `path` under the next base URL, retrying what can be retried, and returns
    /// the parsed JSON reply.
    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> Result<Value, ModelError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.usage.request();
            let (outcome, retry_after) = self.try_once(path, body).await;
            let last = match outcome {
                Attempt::Done(result) => return result,
                Attempt::Retry(message) => message,
            };
            if attempt >= self.max_attempts {
                return Err(self.item_error(
                    ItemFailure::Exhausted,
                    format!("{attempt} tries, the last: {last}"),
                ));
            }
            self.usage.retry();
            tokio::time::sleep(retry_after.unwrap_or_else(|| self.backoff_delay(attempt))).await;
        }
    }

    async fn try_once(&self, path: &str, body: &Value) -> (Attempt, Option<Duration>) {
        let permit = self.limit.acquire().await;
        let url = format!("{}{path}", self.next_base_url());
        let response = match self
            .client
            .post(&url)
            .headers(self.headers.clone())
            .json(body)
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => {
                return (
                    Attempt::Retry(format!("{url}: {}", transport(&error))),
                    None,
                );
            }
        };
        let status = response.status();
        let retry_after = parse_retry_after(response.headers());
        let text = match response.text().await {
            Ok(text) => text,
            Err(error) => {
                return (
                    Attempt::Retry(format!("{url}: reading the reply: {error}")),
                    None,
                );
            }
        };
        let quoted: String = text.chars().take(QUOTED_BODY_CHARS).collect();
        let outcome = match status {
            s if s.is_success() => {
                permit.succeeded();
                Attempt::Done(serde_json::from_str(&text).map_err(|error| {
                    self.item_error(ItemFailure::Malformed, format!("{url}: {error}: {quoted}"))
                }))
            }
            StatusCode::TOO_MANY_REQUESTS => {
                permit.throttled();
                return (Attempt::Retry(format!("{url}: 429 {quoted}")), retry_after);
            }
            s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => {
                return (Attempt::Retry(format!("{url}: {s} {quoted}")), retry_after);
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Attempt::Done(Err(
                self.fatal(format!("{url} answered {status}: {quoted}"), &self.key_hint)
            )),
            StatusCode::NOT_FOUND => Attempt::Done(Err(self.fatal(
                format!("{url} answered 404: {quoted}"),
                "check the base URL (OpenAI-style URLs end in /v1) and the model name",
            ))),
            s => Attempt::Done(Err(self.item_error(
                ItemFailure::Rejected,
                format!("{url} answered {s}: {quoted}"),
            ))),
        };
        (outcome, None)
    }

    /// The start-up check: every base URL is asked `path` with a GET; each must answer, and
    /// `serves` must find the model in what it answers. An endpoint a server lacks (404, 405)
    /// leaves the model unchecked; a server that cannot be reached, refuses the key or does
    /// not serve the model is a fatal error naming the URL.
    pub(crate) async fn check_model(
        &self,
        path: &str,
        serves: impl Fn(StatusCode, &str) -> Served,
    ) -> Result<Readiness, ModelError> {
        let mut readiness = Readiness::Ready;
        for base in &self.base_urls {
            let url = format!("{base}{path}");
            let (status, text) = self.probe_get(&url).await?;
            let quoted: String = text.chars().take(QUOTED_BODY_CHARS).collect();
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                return Err(
                    self.fatal(format!("{url} answered {status}: {quoted}"), &self.key_hint)
                );
            }
            match serves(status, &text) {
                Served::Yes => {}
                Served::No(listed) => {
                    return Err(self.fatal(
                        format!("{url} does not serve this model; it lists: {listed}"),
                        "set model in [models] to one of the names it lists, or load the model on the server",
                    ));
                }
                Served::Unknown => {
                    readiness = Readiness::ModelUnchecked(format!(
                        "{url} answered {status}, so the model name was not checked"
                    ));
                }
            }
        }
        Ok(readiness)
    }

    /// A GET for the start-up check, tried a few times; the status and body, or a fatal error
    /// when the server cannot be reached.
    async fn probe_get(&self, url: &str) -> Result<(StatusCode, String), ModelError> {
        let mut last = String::new();
        for attempt in 1..=PROBE_ATTEMPTS {
            match self
                .client
                .get(url)
                .headers(self.headers.clone())
                .send()
                .await
            {
                Ok(response) if !response.status().is_server_error() => {
                    let status = response.status();
                    return Ok((status, response.text().await.unwrap_or_default()));
                }
                Ok(response) => last = format!("it answered {}", response.status()),
                Err(error) => last = transport(&error),
            }
            if attempt < PROBE_ATTEMPTS {
                tokio::time::sleep(self.backoff_delay(attempt)).await;
            }
        }
        Err(self.fatal(
            format!("cannot reach {url} ({last}, {PROBE_ATTEMPTS} tries)"),
            "start the server, or correct base_urls in [models]; nothing was sent, and a rerun starts where this one stopped",
        ))
    }

    /// Full jitter: a uniform draw in [0, base * 2^(attempt-1)], capped.
    fn backoff_delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        let mut x = self.jitter.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter.store(x, Ordering::Relaxed);
        ceiling.mul_f64((x >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Whether a server's answer to the start-up check lists the model.
pub(crate) enum Served {
    /// It does.
    Yes,
    /// It does not; these are the names it lists.
    No(String),
    /// The answer does not say (the endpoint is missing or says nothing usable).
    Unknown,
}

/// A failed request in words a person can act on: "connection refused", "timed out".
fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".into();
    }
    // reqwest's own message only repeats the URL; the innermost cause says what happened
    // ("tcp connect error: Connection refused (os error 111)").
    let mut innermost = None;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    innermost.unwrap_or_else(|| error.to_string())
}

enum Attempt {
    Done(Result<Value, ModelError>),
    Retry(String),
}

/// `Retry-After` in seconds (an HTTP date is rare from APIs and is treated as absent).
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| Duration::from_secs_f64(seconds).min(MAX_BACKOFF))
}
