//! The hosted backends against a real HTTP server on 127.0.0.1 speaking their wire formats.

use std::time::{Duration, Instant};

use chorus_models::anthropic::AnthropicChat;
use chorus_models::openai::{OpenAiChat, OpenAiEmbedder};
use chorus_models::{
    BackendConfig, BackendKind, Budget, Budgeted, ChatMessage, ChatModel, ChatRequest, Embedder,
    ItemFailure, ModelError, PrefillMode, Pricing, Readiness,
};
use chorus_testkit::{Fault, Script, TestServer};

fn openai(server: &TestServer) -> BackendConfig {
    BackendConfig {
        backoff_seconds: 0.01,
        timeout_seconds: 5.0,
        ..BackendConfig::new(BackendKind::Openai, server.openai_base_url(), "test-model")
    }
}

fn request(text: &str) -> ChatRequest {
    ChatRequest::new(
        vec![ChatMessage::system("Be brief."), ChatMessage::user(text)],
        0.2,
        64,
    )
}

fn failure(error: ModelError) -> ItemFailure {
    match error {
        ModelError::Item { failure, .. } => failure,
        other => panic!("expected an item failure, got {other}"),
    }
}

#[tokio::test]
async fn openai_chat_round_trip_with_prefill_and_usage() {
    let server = TestServer::start(Script::new());
    let config = BackendConfig {
        prefill: PrefillMode::TrailingAssistant,
        ..openai(&server)
    };
    let chat = OpenAiChat::new(&config).unwrap();
    let mut req = request("hello there");
    req.prefill = Some("The user's request is".into());
    let reply = chat.complete(&req).await.unwrap();
    assert_eq!(reply.text, "echo: hello there");
    assert_eq!(reply.usage.output_tokens, 3);
    let (path, body) = &server.bodies()[0];
    assert_eq!(path, "/v1/chat/completions");
    assert_eq!(body["model"], "test-model");
    assert_eq!(
        body["messages"][2]["role"], "assistant",
        "prefill as a trailing assistant turn"
    );
    assert_eq!(body["messages"][2]["content"], "The user's request is");
    assert_eq!(chat.usage().requests, 1);
}

#[tokio::test]
async fn instruction_prefill_is_the_default_asked_for_and_stripped() {
    let server = TestServer::start(Script::new().reply(|_| "Summary: a cake recipe.".into()));
    let config = openai(&server);
    assert_eq!(config.prefill, PrefillMode::Instruction);
    let chat = OpenAiChat::new(&config).unwrap();
    let mut req = request("bake");
    req.prefill = Some("Summary:".into());
    assert_eq!(chat.complete(&req).await.unwrap().text, " a cake recipe.");
    let body = &server.bodies()[0].1;
    assert!(
        body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .ends_with("Begin your reply with exactly: Summary:")
    );
}

#[tokio::test]
async fn retries_honour_retry_after_and_recover() {
    let server = TestServer::start(
        Script::new()
            .fault(Fault::RateLimited(Some(0.3)))
            .fault(Fault::Status(500))
            .fault(Fault::Status(503)),
    );
    let chat = OpenAiChat::new(&openai(&server)).unwrap();
    let started = Instant::now();
    let reply = chat.complete(&request("again")).await.unwrap();
    assert_eq!(reply.text, "echo: again");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "Retry-After was honoured"
    );
    assert_eq!(server.requests(), 4);
    assert_eq!(chat.usage().retries, 3);
    assert_eq!(chat.concurrency(), 8, "a 429 halves the limit of 16");
}

#[tokio::test]
async fn retries_end_as_an_item_failure() {
    let server = TestServer::start(
        Script::new()
            .fault(Fault::Status(500))
            .fault(Fault::Status(502)),
    );
    let config = BackendConfig {
        max_attempts: 2,
        ..openai(&server)
    };
    let chat = OpenAiChat::new(&config).unwrap();
    let error = chat.complete(&request("x")).await.unwrap_err();
    assert_eq!(failure(error), ItemFailure::Exhausted);
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_hang_times_out_and_is_retried() {
    let server = TestServer::start(Script::new().fault(Fault::Hang(Duration::from_secs(5))));
    let config = BackendConfig {
        timeout_seconds: 0.3,
        ..openai(&server)
    };
    let chat = OpenAiChat::new(&config).unwrap();
    let started = Instant::now();
    assert_eq!(
        chat.complete(&request("slow")).await.unwrap().text,
        "echo: slow"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn bad_key_stops_at_once_with_a_fix() {
    let server = TestServer::start(Script::new().api_key("right"));
    // SAFETY: no other test reads this variable; tests in this binary never set it elsewhere.
    unsafe { std::env::set_var("CHORUS_TEST_WRONG_KEY", "wrong") };
    let config = BackendConfig {
        api_key_env: Some("CHORUS_TEST_WRONG_KEY".into()),
        ..openai(&server)
    };
    let chat = OpenAiChat::new(&config).unwrap();
    let error = chat.complete(&request("x")).await.unwrap_err();
    assert!(error.is_fatal());
    assert!(
        error.to_string().contains("CHORUS_TEST_WRONG_KEY"),
        "{error}"
    );
    assert_eq!(server.requests(), 1, "no retries after 401");
}

#[tokio::test]
async fn a_missing_key_variable_is_a_configuration_error() {
    let config = BackendConfig {
        api_key_env: Some("CHORUS_TEST_NEVER_SET".into()),
        ..BackendConfig::new(BackendKind::Openai, "http://127.0.0.1:9/v1", "m")
    };
    let error = OpenAiChat::new(&config).err().unwrap();
    assert!(
        error.is_fatal() && error.to_string().contains("CHORUS_TEST_NEVER_SET"),
        "{error}"
    );
}

#[tokio::test]
async fn not_found_is_fatal() {
    let server = TestServer::start(Script::new().fault(Fault::Status(404)));
    let chat = OpenAiChat::new(&openai(&server)).unwrap();
    let error = chat.complete(&request("x")).await.unwrap_err();
    assert!(
        error.is_fatal() && error.to_string().contains("base URL"),
        "{error}"
    );
}

#[tokio::test]
async fn bad_replies_are_item_failures() {
    let server = TestServer::start(
        Script::new()
            .fault(Fault::Malformed)
            .fault(Fault::Refusal)
            .fault(Fault::Empty)
            .fault(Fault::Status(400)),
    );
    let chat = OpenAiChat::new(&openai(&server)).unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(failure(chat.complete(&request("x")).await.unwrap_err()));
    }
    assert_eq!(
        seen,
        [
            ItemFailure::Malformed,
            ItemFailure::Refused,
            ItemFailure::Empty,
            ItemFailure::Rejected
        ]
    );
    assert_eq!(server.requests(), 4, "none of these is retried");
}

#[tokio::test]
async fn concurrency_never_exceeds_the_bound() {
    let server = TestServer::start(Script::new().latency(Duration::from_millis(30)));
    let config = BackendConfig {
        max_concurrency: 4,
        ..openai(&server)
    };
    let chat = std::sync::Arc::new(OpenAiChat::new(&config).unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let chat = chat.clone();
        tasks.spawn(async move { chat.complete(&request(&format!("q{i}"))).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert!(result.unwrap().is_ok());
    }
    assert_eq!(server.requests(), 40);
    assert!(
        server.max_in_flight() <= 4,
        "{} in flight",
        server.max_in_flight()
    );
    assert!(
        server.max_in_flight() >= 3,
        "the bound is used: {}",
        server.max_in_flight()
    );
}

#[tokio::test]
async fn a_pool_of_base_urls_shares_the_load() {
    let first = TestServer::start(Script::new());
    let second = TestServer::start(Script::new());
    let config = BackendConfig {
        base_urls: vec![first.openai_base_url(), second.openai_base_url()],
        ..openai(&first)
    };
    let chat = OpenAiChat::new(&config).unwrap();
    for i in 0..6 {
        chat.complete(&request(&format!("{i}"))).await.unwrap();
    }
    assert_eq!((first.requests(), second.requests()), (3, 3));
}

#[tokio::test]
async fn embeddings_are_ordered_and_normalised() {
    let server = TestServer::start(Script::new());
    let embedder = OpenAiEmbedder::new(&openai(&server)).unwrap();
    let texts: Vec<String> = ["alpha", "beta", "gamma"].map(String::from).to_vec();
    let matrix = embedder.embed(&texts).await.unwrap();
    assert_eq!(
        (matrix.rows(), matrix.dim(), embedder.dim()),
        (3, 8, Some(8))
    );
    for row in 0..3 {
        let norm: f32 = matrix.row(row).iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5);
    }
    let alone = embedder.embed(&texts[1..2]).await.unwrap();
    assert_eq!(alone.row(0), matrix.row(1), "rows follow the input order");
}

#[tokio::test]
async fn anthropic_messages_round_trip() {
    let server = TestServer::start(Script::new().api_key("secret").reply(|_| "a reply".into()));
    // SAFETY: no other test reads this variable.
    unsafe { std::env::set_var("CHORUS_TEST_ANTHROPIC_KEY", "secret") };
    let config = BackendConfig {
        api_key_env: Some("CHORUS_TEST_ANTHROPIC_KEY".into()),
        backoff_seconds: 0.01,
        ..BackendConfig::new(
            BackendKind::Anthropic,
            server.anthropic_base_url(),
            "claude-test",
        )
    };
    let chat = AnthropicChat::new(&config).unwrap();
    let mut req = request("hi");
    req.prefill = Some("Sure: ".into());
    let reply = chat.complete(&req).await.unwrap();
    assert_eq!(reply.text, "a reply");
    assert_eq!(reply.usage.output_tokens, 2);
    let body = &server.bodies()[0].1;
    assert_eq!(body["system"], "Be brief.");
    assert_eq!(
        body["messages"].as_array().unwrap().len(),
        2,
        "system moved out of messages"
    );
    assert_eq!(
        body["messages"][1],
        serde_json::json!({"role": "assistant", "content": "Sure:"})
    );
    server.push_fault(Fault::Refusal);
    assert_eq!(
        failure(chat.complete(&req).await.unwrap_err()),
        ItemFailure::Refused
    );
}

#[tokio::test]
async fn a_budget_stops_calls_before_it_is_exceeded() {
    let server = TestServer::start(Script::new());
    let chat = OpenAiChat::new(&openai(&server)).unwrap();
    // $1 per million tokens each way; every request's worst case is ~70 tokens (64 to generate).
    let pricing = Pricing {
        input_per_million: 1.0,
        output_per_million: 1.0,
    };
    let one = pricing.worst_case(&request("question"));
    let budget = Budget::new(one * 5.5);
    let budgeted = Budgeted::new(chat, pricing, &budget);
    let mut answered = 0;
    let error = loop {
        match budgeted.complete(&request("question")).await {
            Ok(_) => answered += 1,
            Err(error) => break error,
        }
        assert!(answered < 100, "the budget never stopped the calls");
    };
    assert!(
        error.is_fatal() && error.to_string().contains("--budget"),
        "{error}"
    );
    // Replies cost less than their worst case, so more than five fit, and none was sent past it.
    assert!(answered >= 5, "{answered}");
    assert_eq!(server.requests(), answered);
    assert!(budget.committed_usd() <= one * 5.5);
}

/// A chat template that closes the trailing assistant turn: the model starts afresh and writes
/// the opening itself (llama-cpp-python's server does this).
fn restarts_with_the_prefill(body: &serde_json::Value) -> String {
    let messages = body["messages"].as_array().unwrap();
    let prefill = messages.last().unwrap()["content"].as_str().unwrap();
    format!("{prefill} a cake recipe.")
}

#[tokio::test]
async fn each_prefill_mode_has_its_wire_form_and_its_own_cache_identity() {
    let server = TestServer::start(Script::new().reply(restarts_with_the_prefill));
    let mut forms = Vec::new();
    for mode in [
        PrefillMode::Instruction,
        PrefillMode::TrailingAssistant,
        PrefillMode::ContinueFinalMessage,
    ] {
        let chat = OpenAiChat::new(&BackendConfig {
            prefill: mode,
            ..openai(&server)
        })
        .unwrap();
        let mut req = request("bake");
        req.prefill = Some("Summary:".into());
        let reply = chat.complete(&req).await.unwrap();
        if mode != PrefillMode::Instruction {
            assert_eq!(
                reply.text, " a cake recipe.",
                "{mode:?}: the restated prefill goes"
            );
        }
        forms.push(chat.request_form().to_string());
    }
    let bodies = server.bodies();
    assert_eq!(bodies[0].1["messages"].as_array().unwrap().len(), 2);
    assert_eq!(bodies[1].1["messages"][2]["content"], "Summary:");
    assert!(bodies[1].1.get("continue_final_message").is_none());
    assert_eq!(bodies[2].1["continue_final_message"], true);
    assert_eq!(bodies[2].1["add_generation_prompt"], false);
    forms.dedup();
    assert_eq!(forms.len(), 3, "{forms:?}");
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

#[tokio::test]
async fn the_probe_finds_the_model_or_names_what_the_server_serves() {
    let server = TestServer::start(Script::new().models(&["test-model", "other:7b"]));
    let chat = OpenAiChat::new(&openai(&server)).unwrap();
    assert_eq!(chat.probe().await.unwrap(), Readiness::Ready);
    let embedder = OpenAiEmbedder::new(&openai(&server)).unwrap();
    assert_eq!(embedder.probe().await.unwrap(), Readiness::Ready);
    let ollama_style = TestServer::start(Script::new().models(&["test-model:latest"]));
    let chat = OpenAiChat::new(&openai(&ollama_style)).unwrap();
    assert_eq!(chat.probe().await.unwrap(), Readiness::Ready);

    let wrong = OpenAiChat::new(&BackendConfig {
        model: "no-such-model".into(),
        ..openai(&server)
    })
    .unwrap();
    let error = wrong.probe().await.unwrap_err();
    assert!(error.is_fatal(), "{error}");
    let text = error.to_string();
    assert!(
        text.contains("no-such-model") && text.contains("test-model, other:7b"),
        "{text}"
    );
    assert_eq!(
        server.requests(),
        0,
        "GETs of the probe are not model calls"
    );
}

#[tokio::test]
async fn a_server_without_a_model_list_leaves_the_name_unchecked() {
    let server = TestServer::start(Script::new());
    let chat = OpenAiChat::new(&openai(&server)).unwrap();
    match chat.probe().await.unwrap() {
        Readiness::ModelUnchecked(why) => assert!(why.contains("/v1/models"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_closed_port_fails_the_probe_at_once_and_calls_say_connection_refused() {
    let config = BackendConfig {
        max_attempts: 2,
        backoff_seconds: 0.01,
        ..BackendConfig::new(BackendKind::Openai, closed_port_url(), "m")
    };
    let chat = OpenAiChat::new(&config).unwrap();
    let started = Instant::now();
    let error = chat.probe().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = error.to_string();
    assert!(
        error.is_fatal() && text.contains("cannot reach") && text.contains("refused"),
        "{text}"
    );
    assert!(text.contains("start the server"), "{text}");
    let call = chat.complete(&request("x")).await.unwrap_err();
    assert!(
        call.to_string()
            .to_lowercase()
            .contains("connection refused"),
        "{call}"
    );
    assert_eq!(failure(call), ItemFailure::Exhausted);
}

#[tokio::test]
async fn the_anthropic_probe_asks_for_the_model_by_name() {
    let server = TestServer::start(Script::new().models(&["claude-test"]));
    let config = |model: &str| BackendConfig {
        backoff_seconds: 0.01,
        ..BackendConfig::new(BackendKind::Anthropic, server.anthropic_base_url(), model)
    };
    let chat = AnthropicChat::new(&config("claude-test")).unwrap();
    assert_eq!(chat.probe().await.unwrap(), Readiness::Ready);
    let wrong = AnthropicChat::new(&config("claude-nope")).unwrap();
    let error = wrong.probe().await.unwrap_err();
    assert!(
        error.is_fatal() && error.to_string().contains("claude-nope"),
        "{error}"
    );
}
