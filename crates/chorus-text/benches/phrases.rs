//! Naming cost at scale: N synthetic documents of 48 words (a class's topic words, a long
//! tail of other words, function words), their keywords and then their phrases found for a
//! level of N/100 classes (the base level's size) and for 12 classes (the top level's); wall
//! time of each part.
//!
//!   cargo bench -p chorus-text --bench phrases -- N

use std::collections::HashSet;
use std::time::Instant;

use chorus_text::{Documents, Sequences, Vocabulary, class_keywords, class_phrases};

const FUNCTION_WORDS: [&str; 12] = [
    "the", "a", "to", "my", "for", "of", "is", "how", "do", "i", "in", "and",
];

/// xorshift64*: the bench's own seeded numbers.
struct Numbers(u64);

impl Numbers {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| a != "--bench")
        .and_then(|a| a.parse().ok())
        .expect("N: documents");
    let classes = (n / 100).max(12);
    let mut numbers = Numbers(7);
    let word = |i: usize| format!("w{i}x");
    let mut texts = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for doc in 0..n {
        let class = doc % classes;
        let words: Vec<String> = (0..48)
            .map(|_| match numbers.below(10) {
                0..=3 => FUNCTION_WORDS[numbers.below(FUNCTION_WORDS.len())].to_string(),
                4..=6 => word(100_000 + class * 30 + numbers.below(30)),
                // A long tail: most words rare, a few everywhere.
                _ => {
                    let reach = 1 + numbers.below(20_000);
                    word(numbers.below(reach))
                }
            })
            .collect();
        texts.push(words.join(" "));
        truth.push(class);
    }
    let users: Vec<u64> = (0..n as u64).collect();
    let mut vocabulary = Vocabulary::new();
    let started = Instant::now();
    let (terms, sequences): (Vec<Vec<u32>>, Vec<Vec<u32>>) = texts
        .iter()
        .map(|t| vocabulary.terms_and_sequence(t, None))
        .unzip();
    println!(
        "terms and sequences of {n}: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for count in [classes, 12] {
        let of: Vec<usize> = truth.iter().map(|&c| c % count).collect();
        let documents = Documents {
            terms: &terms,
            users: &users,
            classes: &of,
        };
        let started = Instant::now();
        let keywords = class_keywords(&documents, count, &vocabulary, 25, 10);
        let keyword_seconds = started.elapsed().as_secs_f64();
        let anchors: Vec<HashSet<u32>> = keywords
            .iter()
            .map(|list| {
                list.iter()
                    .flat_map(|k| k.term.split(' '))
                    .filter_map(|w| vocabulary.id(w))
                    .collect()
            })
            .collect();
        let sequences = Sequences {
            words: &sequences,
            users: &users,
            classes: &of,
        };
        let started = Instant::now();
        let phrases = class_phrases(&sequences, count, &anchors, &vocabulary, 25, 10);
        let phrase_seconds = started.elapsed().as_secs_f64();
        let named = phrases.iter().filter(|p| !p.is_empty()).count();
        println!(
            "{count} classes: keywords {keyword_seconds:.1} s, phrases {phrase_seconds:.1} s ({named} classes with a phrase)"
        );
    }
}
