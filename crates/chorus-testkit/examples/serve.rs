//! Runs the test server on its own, for benchmarks of clients outside this workspace.
//!
//!   cargo run --release -p chorus-testkit --example serve -- LATENCY_MS
//!
//! Prints the OpenAI base URL on the first line, then serves until killed.

use std::io::Write;
use std::time::Duration;

use chorus_testkit::{Script, TestServer};

fn main() {
    let latency_ms: u64 = std::env::args()
        .nth(1)
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(100);
    let server = TestServer::start(Script::new().latency(Duration::from_millis(latency_ms)));
    println!("{}", server.openai_base_url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
