//! Local embedding throughput on realistic texts: the first user turns of the hh-rlhf
//! transcripts (`../shared/data`), the same texts `bench/embeddings.sh` gives Python
//! sentence-transformers.
//!
//!   CHORUS_HOME=... cargo bench -p chorus-local --bench embed -- [TEXTS]

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use chorus_local::MiniLm;

const REPEATS: usize = 3;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let texts = first_user_turns(count);
    let home = std::env::var_os("CHORUS_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/chorus-home")
        });
    let model = MiniLm::load(&home.join("models/all-minilm-l6-v2"))
        .expect("run `chorus models fetch` first");
    let mut rates: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let started = Instant::now();
            model.embed_now(&texts).expect("embedding works");
            texts.len() as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    println!(
        "chorus MiniLm (candle): {} texts (mean {} chars), median of {REPEATS}: {:.1} texts/s",
        texts.len(),
        chars / texts.len().max(1),
        rates[REPEATS / 2]
    );
}

/// The first user turn of each transcript, as `bench/embed_reference.py` reads them.
fn first_user_turns(count: usize) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/hh-rlhf-harmless-test.jsonl.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("the shared data set"))
        .read_to_string(&mut text)
        .expect("gzip text");
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|record| {
            let chosen = record["chosen"].as_str()?.to_string();
            let after = chosen.split("Human:").nth(1)?;
            Some(after.split("\n\nAssistant:").next()?.trim().to_string())
        })
        .take(count)
        .collect()
}
