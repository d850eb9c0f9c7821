//! Local embedding throughput on realistic texts from the hh-rlhf transcripts
//! (`../shared/data`): the first user turn of each (`first`, short) or all its user turns
//! joined (`joined`, what keyword mode embeds), the same texts `bench/embed_reference.py` gives
//! Python sentence-transformers.
//!
//!   CHORUS_HOME=... cargo bench -p chorus-local --bench embed -- [TEXTS] [MODEL] [first|joined]

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use chorus_local::{SentenceEncoder, SentenceModel};

const REPEATS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let count: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let model = args
        .get(1)
        .map(|name| SentenceModel::from_name(name).expect("a model chorus runs locally"))
        .unwrap_or(SentenceModel::MiniLmL6V2);
    let joined = args.get(2).is_some_and(|kind| kind == "joined");
    let texts = user_texts(count, joined);
    let home = std::env::var_os("CHORUS_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/chorus-home")
        });
    let encoder = SentenceEncoder::load(model, &home.join("models").join(model.name()))
        .expect("run `chorus models fetch` first");
    let mut rates: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let started = Instant::now();
            encoder.embed_now(&texts).expect("embedding works");
            texts.len() as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    println!(
        "chorus {}: {} texts (mean {} chars), median of {REPEATS}: {:.1} texts/s",
        model.name(),
        texts.len(),
        chars / texts.len().max(1),
        rates[REPEATS / 2]
    );
}

/// The user turns of each transcript, as `bench/embed_reference.py` reads them: the first only,
/// or all of them joined by newlines.
fn user_texts(count: usize, joined: bool) -> Vec<String> {
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
            let turns: Vec<String> = chosen
                .split("Human:")
                .skip(1)
                .filter_map(|part| Some(part.split("\n\nAssistant:").next()?.trim().to_string()))
                .collect();
            if joined {
                (!turns.is_empty()).then(|| turns.join("\n"))
            } else {
                turns.into_iter().next()
            }
        })
        .take(count)
        .collect()
}
