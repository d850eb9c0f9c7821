//! Orchestration efficiency: how close chorus gets to the throughput a fixed-latency server
//! allows, through the whole call path (store lookups, the adaptive limiter, HTTP, store writes).
//!
//!   cargo bench -p chorus-pipeline --bench orchestration
//!
//! efficiency = achieved requests/s ÷ (concurrency ÷ latency). 1.0 is perfect.

use std::time::{Duration, Instant};

use chorus_models::openai::OpenAiChat;
use chorus_models::{BackendConfig, BackendKind, ChatMessage, ChatRequest};
use chorus_pipeline::complete_all;
use chorus_store::Store;
use chorus_testkit::{Script, TestServer};

const LATENCY: Duration = Duration::from_millis(100);
const ROUNDS: usize = 20;
const REPEATS: usize = 3;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    println!(
        "latency {} ms, {ROUNDS} rounds of requests per concurrency level, median of {REPEATS}",
        LATENCY.as_millis()
    );
    println!(
        "{:>11} {:>9} {:>10} {:>12} {:>10}",
        "concurrency", "requests", "seconds", "requests/s", "efficiency"
    );
    for concurrency in [8usize, 32, 128] {
        let mut runs: Vec<(f64, f64)> = (0..REPEATS)
            .map(|repeat| runtime.block_on(measure(concurrency, repeat)))
            .collect();
        runs.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (seconds, rate) = runs[REPEATS / 2];
        let ideal = concurrency as f64 / LATENCY.as_secs_f64();
        println!(
            "{concurrency:>11} {:>9} {seconds:>10.2} {rate:>12.1} {:>10.3}",
            concurrency * ROUNDS,
            rate / ideal
        );
    }
}

async fn measure(concurrency: usize, repeat: usize) -> (f64, f64) {
    let server = TestServer::start(Script::new().latency(LATENCY));
    let config = BackendConfig {
        max_concurrency: concurrency,
        ..BackendConfig::new(BackendKind::Openai, server.openai_base_url(), "bench-model")
    };
    let model = OpenAiChat::new(&config).expect("a backend");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut store = Store::open(&dir.path().join("store.sqlite")).expect("a store");
    let requests: Vec<ChatRequest> = (0..concurrency * ROUNDS)
        .map(|i| {
            ChatRequest::new(
                vec![ChatMessage::user(format!("run {repeat} request {i}"))],
                0.0,
                16,
            )
        })
        .collect();
    let started = Instant::now();
    let (outcomes, counts) = complete_all(&model, &mut store, "bench", 1, &requests)
        .await
        .expect("the bench server answers");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(counts.sent as usize, outcomes.len());
    (seconds, outcomes.len() as f64 / seconds)
}
