//! Chat calls through the run store against a real HTTP server: nothing is ever sent twice.

use chorus_models::openai::OpenAiChat;
use chorus_models::{BackendConfig, BackendKind, ChatMessage, ChatRequest, ItemFailure};
use chorus_pipeline::{ChatOutcome, PipelineError, complete_all};
use chorus_store::Store;
use chorus_testkit::{Fault, Script, TestServer};

fn requests(count: usize) -> Vec<ChatRequest> {
    (0..count)
        .map(|i| ChatRequest::new(vec![ChatMessage::user(format!("question {i}"))], 0.2, 32))
        .collect()
}

fn chat(server: &TestServer) -> OpenAiChat {
    let config = BackendConfig {
        backoff_seconds: 0.01,
        max_attempts: 2,
        ..BackendConfig::new(BackendKind::Openai, server.openai_base_url(), "test-model")
    };
    OpenAiChat::new(&config).unwrap()
}

#[tokio::test]
async fn the_second_identical_run_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    let server = TestServer::start(Script::new().fault(Fault::Refusal));
    let model = chat(&server);
    let batch = requests(20);

    let (first, counts) =
        complete_all(&model, &mut Store::open(&path).unwrap(), "facet", 1, &batch)
            .await
            .unwrap();
    assert_eq!((counts.sent, counts.cache_hits), (20, 0));
    let refused = first
        .iter()
        .filter(|o| {
            matches!(
                o,
                ChatOutcome::Failed {
                    failure: ItemFailure::Refused,
                    ..
                }
            )
        })
        .count();
    assert_eq!(refused, 1, "the refusal is recorded as that item's failure");
    assert_eq!(server.requests(), 20);

    let (second, counts) =
        complete_all(&model, &mut Store::open(&path).unwrap(), "facet", 1, &batch)
            .await
            .unwrap();
    assert_eq!((counts.sent, counts.cache_hits), (0, 20));
    assert_eq!(
        server.requests(),
        20,
        "no request sent again, refusal included"
    );
    assert_eq!(first, second);

    let (_, counts) = complete_all(&model, &mut Store::open(&path).unwrap(), "facet", 2, &batch)
        .await
        .unwrap();
    assert_eq!(counts.sent, 20, "a new stage version asks again");
}

#[tokio::test]
async fn transient_failures_are_not_cached_and_fatal_ones_stop() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    let server = TestServer::start(
        Script::new()
            .fault(Fault::Status(500))
            .fault(Fault::Status(500)),
    );
    let model = chat(&server);
    let one = requests(1);
    let (outcomes, _) = complete_all(&model, &mut store, "facet", 1, &one)
        .await
        .unwrap();
    assert!(matches!(
        outcomes[0],
        ChatOutcome::Failed {
            failure: ItemFailure::Exhausted,
            ..
        }
    ));
    let (outcomes, counts) = complete_all(&model, &mut store, "facet", 1, &one)
        .await
        .unwrap();
    assert_eq!(counts.sent, 1, "an exhausted item is tried again");
    assert!(matches!(outcomes[0], ChatOutcome::Reply(_)));

    server.push_fault(Fault::Status(401));
    let error = complete_all(&model, &mut store, "facet", 1, &requests(3)[1..2])
        .await
        .unwrap_err();
    assert!(
        matches!(error, PipelineError::Model(ref e) if e.is_fatal()),
        "{error}"
    );
}

#[tokio::test]
async fn identical_requests_in_one_batch_share_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(Script::new());
    let model = chat(&server);
    // 60 requests, 6 distinct texts: as 60 planted conversations of six texts would ask.
    let distinct = requests(6);
    let batch: Vec<ChatRequest> = (0..60).map(|i| distinct[i % 6].clone()).collect();
    let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    let (outcomes, counts) = complete_all(&model, &mut store, "facet", 1, &batch)
        .await
        .unwrap();
    assert_eq!((counts.sent, counts.shared, counts.cache_hits), (6, 54, 0));
    assert_eq!(server.requests(), 6);
    assert_eq!(outcomes.len(), 60);
    assert_eq!(outcomes[0], outcomes[6]);
    assert_ne!(outcomes[0], outcomes[1]);
}
