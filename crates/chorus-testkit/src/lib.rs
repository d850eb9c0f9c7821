//! A scriptable model server on 127.0.0.1 for tests and benchmarks.
//!
//! It speaks the real wire formats — OpenAI chat completions and embeddings under `/v1`, the
//! Anthropic Messages API at `/v1/messages` — and can be told, request by request, to be slow,
//! to answer 429 with `Retry-After`, 500, malformed JSON, a refusal or nothing at all. It counts
//! requests and the most it ever had in flight, and keeps every request body. It lists the
//! models it serves (`GET /v1/models`, and the Anthropic `GET /v1/models/{id}`) when told
//! which; otherwise those endpoints answer 404, as on a server without them.
//!
//! ```
//! use chorus_testkit::{Fault, Script, TestServer};
//!
//! let server = TestServer::start(Script::new().fault(Fault::Status(500)));
//! assert!(server.openai_base_url().starts_with("http://127.0.0.1:"));
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// What the server does instead of answering normally, once, for the next request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer with this status and a JSON error body.
    Status(u16),
    /// Answer 429, with `Retry-After` in seconds when given.
    RateLimited(Option<f64>),
    /// Wait this long before answering normally (longer than the client's timeout: a hang).
    Hang(Duration),
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Answer 200 with a refusal.
    Refusal,
    /// Answer 200 with empty text.
    Empty,
}

type ReplyFn = dyn Fn(&Value) -> String + Send + Sync;

/// How the server behaves.
pub struct Script {
    latency: Duration,
    faults: VecDeque<Fault>,
    api_key: Option<String>,
    reply: Box<ReplyFn>,
    dim: usize,
    models: Option<Vec<String>>,
}

impl Default for Script {
    fn default() -> Self {
        Self::new()
    }
}

impl Script {
    /// Answers at once, without faults, by echoing the last user message.
    pub fn new() -> Self {
        Self {
            latency: Duration::ZERO,
            faults: VecDeque::new(),
            api_key: None,
            reply: Box::new(|body| format!("echo: {}", last_user_text(body))),
            dim: 8,
            models: None,
        }
    }

    /// The models the server lists and serves; requests for others are still answered (the
    /// client's start-up check is what is under test).
    pub fn models(mut self, names: &[&str]) -> Self {
        self.models = Some(names.iter().map(|name| name.to_string()).collect());
        self
    }

    /// Every answer takes this long.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The next request not yet faulted gets this fault.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push_back(fault);
        self
    }

    /// Requests must carry this key (`Authorization: Bearer` or `x-api-key`), or get 401.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The text of every chat reply, from the request body.
    pub fn reply(mut self, reply: impl Fn(&Value) -> String + Send + Sync + 'static) -> Self {
        self.reply = Box::new(reply);
        self
    }
}

/// The text of the last user message of an OpenAI or Anthropic request body.
pub fn last_user_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|messages| messages.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string()
}

struct Shared {
    script: Mutex<Script>,
    requests: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    bodies: Mutex<Vec<(String, Value)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running server; it stops when dropped.
pub struct TestServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    /// Starts a server on a free port of 127.0.0.1, on a thread and runtime of its own, so
    /// synchronous and asynchronous tests alike can use it.
    ///
    /// # Panics
    /// When no port can be bound: a test cannot go on without its server.
    pub fn start(script: Script) -> Self {
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            bodies: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(openai_chat))
            .route("/v1/embeddings", post(openai_embeddings))
            .route("/v1/messages", post(anthropic_messages))
            .route("/v1/models", get(openai_models))
            .route("/v1/models/{id}", get(anthropic_model))
            .with_state(shared.clone());
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let (bound, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a test server needs a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a test server needs a port on 127.0.0.1");
                let _ = bound.send(
                    listener
                        .local_addr()
                        .expect("a bound socket has an address"),
                );
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.await;
                    })
                    .await;
            });
        });
        let address = address
            .recv()
            .expect("the test server thread died before binding");
        Self {
            address,
            shared,
            shutdown: Some(shutdown),
        }
    }

    /// The base URL for OpenAI-compatible clients (`http://127.0.0.1:PORT/v1`).
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// The base URL for Anthropic clients (`http://127.0.0.1:PORT`).
    pub fn anthropic_base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The most requests ever in flight at once.
    pub fn max_in_flight(&self) -> u64 {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Every request so far: path and JSON body.
    pub fn bodies(&self) -> Vec<(String, Value)> {
        lock(&self.shared.bodies).clone()
    }

    /// Queues one more fault.
    pub fn push_fault(&self, fault: Fault) {
        lock(&self.shared.script).faults.push_back(fault);
    }

    /// Drops every queued fault: the server answers normally again.
    pub fn clear_faults(&self) {
        lock(&self.shared.script).faults.clear();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        shared.requests.fetch_add(1, Ordering::SeqCst);
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

enum Plan {
    /// Answer normally, or with the refusal or empty text this fault asks for.
    Answer(Option<Fault>),
    Respond(Response),
}

/// Records the request, waits the latency and applies the next fault, if any.
async fn prepare(shared: &Shared, path: &str, headers: &HeaderMap, body: &Value) -> Plan {
    lock(&shared.bodies).push((path.to_string(), body.clone()));
    let (latency, fault, key) = {
        let mut script = lock(&shared.script);
        (
            script.latency,
            script.faults.pop_front(),
            script.api_key.clone(),
        )
    };
    if let Some(key) = key {
        let bearer = format!("Bearer {key}");
        let presented = headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(bearer.as_str())
            || headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(key.as_str());
        if !presented {
            return Plan::Respond(error(StatusCode::UNAUTHORIZED, "invalid api key"));
        }
    }
    tokio::time::sleep(latency).await;
    match fault {
        None | Some(Fault::Refusal) | Some(Fault::Empty) => Plan::Answer(fault),
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Plan::Respond(error(status, "scripted failure"))
        }
        Some(Fault::RateLimited(retry_after)) => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "rate limited");
            if let Some(seconds) = retry_after
                && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
            {
                response.headers_mut().insert("retry-after", value);
            }
            Plan::Respond(response)
        }
        Some(Fault::Hang(duration)) => {
            tokio::time::sleep(duration).await;
            Plan::Answer(None)
        }
        Some(Fault::Malformed) => {
            Plan::Respond((StatusCode::OK, "{\"choices\": [ this is not json").into_response())
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": "test_server"}})),
    )
        .into_response()
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

fn prompt_words(body: &Value) -> u64 {
    body["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .map(|m| words(m["content"].as_str().unwrap_or("")))
                .sum()
        })
        .unwrap_or(0)
}

async fn openai_chat(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let _in_flight = InFlight::enter(&shared);
    let fault = match prepare(&shared, "/v1/chat/completions", &headers, &body).await {
        Plan::Respond(response) => return response,
        Plan::Answer(fault) => fault,
    };
    let (text, refusal, finish) = match fault {
        Some(Fault::Refusal) => (Value::Null, json!("I can't help with that."), "stop"),
        Some(_) => (json!(""), Value::Null, "stop"),
        None => (
            json!((lock(&shared.script).reply)(&body)),
            Value::Null,
            "stop",
        ),
    };
    let completion = words(text.as_str().unwrap_or(""));
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": refusal}, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_words(&body), "completion_tokens": completion, "total_tokens": prompt_words(&body) + completion}
    }))
    .into_response()
}

fn served_models(shared: &Shared) -> Option<Vec<String>> {
    lock(&shared.script).models.clone()
}

async fn openai_models(State(shared): State<Arc<Shared>>) -> Response {
    match served_models(&shared) {
        Some(names) => {
            let data: Vec<Value> = names
                .iter()
                .map(|id| json!({"id": id, "object": "model", "owned_by": "test"}))
                .collect();
            Json(json!({"object": "list", "data": data})).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "no such endpoint"),
    }
}

async fn anthropic_model(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match served_models(&shared) {
        Some(names) if names.contains(&id) => {
            Json(json!({"type": "model", "id": id, "display_name": id})).into_response()
        }
        Some(_) => (
            StatusCode::NOT_FOUND,
            Json(json!({"type": "error", "error": {"type": "not_found_error", "message": format!("model: {id}")}})),
        )
            .into_response(),
        None => error(StatusCode::NOT_FOUND, "no such endpoint"),
    }
}

async fn openai_embeddings(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let _in_flight = InFlight::enter(&shared);
    if let Plan::Respond(response) = prepare(&shared, "/v1/embeddings", &headers, &body).await {
        return response;
    }
    let dim = lock(&shared.script).dim;
    let texts: Vec<String> = match &body["input"] {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items
            .iter()
            .map(|t| t.as_str().unwrap_or("").to_string())
            .collect(),
        _ => Vec::new(),
    };
    // Listed in reverse to check that clients order by "index".
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .rev()
        .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": pseudo_vector(text, dim)}))
        .collect();
    let tokens: u64 = texts.iter().map(|t| words(t)).sum();
    Json(json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))
        .into_response()
}

/// A deterministic vector from the text's bytes (not normalised: clients must normalise).
fn pseudo_vector(text: &str, dim: usize) -> Vec<f64> {
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        state = (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    (0..dim)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2000) as f64 / 100.0 - 10.0
        })
        .collect()
}

async fn anthropic_messages(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let _in_flight = InFlight::enter(&shared);
    if headers.get("anthropic-version").is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "anthropic-version header is required",
        );
    }
    let fault = match prepare(&shared, "/v1/messages", &headers, &body).await {
        Plan::Respond(response) => return response,
        Plan::Answer(fault) => fault,
    };
    let (text, stop_reason) = match fault {
        Some(Fault::Refusal) => (String::new(), "refusal"),
        Some(_) => (String::new(), "end_turn"),
        None => ((lock(&shared.script).reply)(&body), "end_turn"),
    };
    let system_words = words(body["system"].as_str().unwrap_or(""));
    Json(json!({
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {"input_tokens": prompt_words(&body) + system_words, "output_tokens": words(&text)}
    }))
    .into_response()
}
