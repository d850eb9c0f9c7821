//! Local LLM speed: prompt tokens/s (prefill) and generated tokens/s (greedy decoding) of
//! SmolLM2-135M-Instruct, on a prompt like the ones cluster naming sends. `bench/llm_reference.py`
//! measures the same prompt with Hugging Face transformers on PyTorch.
//!
//!   CHORUS_HOME=... cargo bench -p chorus-local --bench generate -- [GENERATED_TOKENS]

use std::path::PathBuf;
use std::time::Instant;

use chorus_local::SmolLm;
use chorus_models::{ChatMessage, ChatRequest};

const REPEATS: usize = 5;

/// The prompt both sides time: keywords of a cluster, asking for a short name.
const PROMPT: &str = include_str!("../../../bench/llm_prompt.txt");

fn main() {
    let generated: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    let home = std::env::var_os("CHORUS_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/chorus-home")
        });
    let model = SmolLm::load(&home.join("models/smollm2-135m-instruct"), 0)
        .expect("run `chorus models fetch smollm2-135m-instruct` first");
    let request = |max_tokens| ChatRequest::new(vec![ChatMessage::user(PROMPT)], 0.0, max_tokens);
    let time = |request: &ChatRequest| {
        let started = Instant::now();
        let reply = model.complete_now(request).expect("generation works");
        (started.elapsed().as_secs_f64(), reply.usage)
    };
    let mut prefill = Vec::new();
    let mut decode = Vec::new();
    let mut prompt_tokens = 0;
    for _ in 0..REPEATS {
        let (first, usage) = time(&request(1));
        prompt_tokens = usage.input_tokens;
        let (full, usage) = time(&request(generated));
        prefill.push(usage.input_tokens as f64 / first);
        decode.push((usage.output_tokens.saturating_sub(1)) as f64 / (full - first));
    }
    println!(
        "chorus SmolLm (candle, Q4_1): prompt {prompt_tokens} tokens, median of {REPEATS}: \
         prefill {:.0} tokens/s, generation {:.1} tokens/s",
        median(&mut prefill),
        median(&mut decode)
    );
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
