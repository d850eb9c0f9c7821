//! Writes seeded, realistic OpenAI-format JSON lines of a given size, for ingest benchmarks.
//!
//! cargo run --release -p chorus-ingest --example generate_conversations -- BYTES OUT.jsonl [SEED]

use std::io::{BufWriter, Write};

const WORDS: &[&str] = &[
    "the",
    "a",
    "to",
    "of",
    "and",
    "in",
    "is",
    "it",
    "you",
    "that",
    "for",
    "on",
    "with",
    "as",
    "can",
    "how",
    "what",
    "please",
    "help",
    "me",
    "write",
    "code",
    "function",
    "error",
    "python",
    "data",
    "file",
    "explain",
    "why",
    "recipe",
    "email",
    "summary",
    "translate",
    "letter",
    "plan",
    "travel",
    "budget",
    "story",
    "poem",
    "question",
    "answer",
    "example",
    "table",
    "list",
    "sort",
    "database",
    "query",
    "server",
    "network",
    "design",
    "marketing",
    "health",
    "exercise",
    "schedule",
    "meeting",
    "review",
    "essay",
    "history",
    "science",
    "math",
    "equation",
    "résumé",
    "naïve",
    "über",
    "日本語",
    "données",
    "información",
];

/// xorshift64*: tiny, seeded, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sentence(rng: &mut Rng, words: u64) -> String {
    let mut text = String::new();
    for i in 0..words {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    text.push('.');
    text
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(bytes), Some(out)) = (args.get(1).and_then(|b| b.parse::<u64>().ok()), args.get(2))
    else {
        eprintln!("usage: generate_conversations BYTES OUT.jsonl [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(7u64);
    let mut rng = Rng(seed.max(1));
    let file = std::fs::File::create(out).expect("cannot create the output file");
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let mut written = 0u64;
    let mut index = 0u64;
    while written < bytes {
        let turns = 1 + rng.below(4) + rng.below(2) * rng.below(6);
        let mut messages = Vec::new();
        for _ in 0..turns {
            let user_words = 5 + rng.below(60);
            let assistant_words = 20 + rng.below(300);
            messages.push(
                serde_json::json!({"role": "user", "content": sentence(&mut rng, user_words)}),
            );
            messages.push(serde_json::json!({"role": "assistant", "content": sentence(&mut rng, assistant_words)}));
        }
        let record = serde_json::json!({
            "id": format!("gen-{index}"),
            "user_id": format!("user-{}", rng.below(1 + index / 20)),
            "created_at": 1_735_689_600 + rng.below(60 * 86_400),
            "messages": messages,
        });
        let mut line = serde_json::to_vec(&record).expect("JSON encoding cannot fail");
        line.push(b'\n');
        writer.write_all(&line).expect("write failed");
        written += line.len() as u64;
        index += 1;
    }
    writer.flush().expect("write failed");
    eprintln!("{index} conversations, {written} bytes");
}
