//! Phrases that name a class: runs of one to [`MAX_PHRASE_WORDS`] words its users wrote, word
//! for word, each by at least `min_users` distinct users of the class. They open and close on
//! a content word (function words may stand inside: "track a card delivery"; a phrasal verb's
//! particle may close one: "top up") and never cross punctuation, a number or a redaction
//! placeholder.

use std::collections::{HashMap, HashSet};

use crate::keywords::{BREAK, FUNCTION_WORD, Keyword, Vocabulary, class_members, class_tf_idf};
use crate::stopwords::PARTICLES;

/// The longest phrase, in words.
pub const MAX_PHRASE_WORDS: usize = 5;

/// A phrase that describes a class against the others, scored as a keyword is: `term` holds its
/// words, lower-cased and joined by spaces; `users` the distinct users of the class who wrote it.
pub type Phrase = Keyword;

/// Documents to find phrases in: the word sequence of each (from
/// [`Vocabulary::word_sequence`]), its user and its class.
pub struct Sequences<'a> {
    /// Word ids per document.
    pub words: &'a [Vec<u32>],
    /// The user of each document.
    pub users: &'a [u64],
    /// The class of each document, `0..classes`.
    pub classes: &'a [usize],
}

/// What a class's documents say of one phrase.
struct Candidate {
    words: Vec<u32>,
    documents: usize,
    users: HashSet<u64>,
}

/// The `top` phrases of each class, best first. Candidates hold a word of the class's
/// `anchors` (its keywords' words) and are used by at least `min_users` distinct users of the
/// class; they rank by class-based TF-IDF. Each chosen phrase is stretched to the longest
/// phrase around it that at least half of its users wrote ("card" → "card delivery" when most
/// who wrote one wrote the other), and a phrase whose content words an earlier pick already
/// says is skipped.
pub fn class_phrases(
    documents: &Sequences<'_>,
    classes: usize,
    anchors: &[HashSet<u32>],
    vocabulary: &Vocabulary,
    min_users: usize,
    top: usize,
) -> Vec<Vec<Phrase>> {
    let members = class_members(documents.classes, classes);
    let closing: HashSet<u32> = PARTICLES
        .iter()
        .filter_map(|word| vocabulary.id(word))
        .collect();
    let no_anchors = HashSet::new();
    let candidates: Vec<HashMap<u64, Candidate>> = members
        .iter()
        .enumerate()
        .map(|(class, docs)| {
            let anchors = anchors.get(class).unwrap_or(&no_anchors);
            let mut found = class_candidates(documents, docs, anchors, &closing);
            found.retain(|_, candidate| candidate.users.len() >= min_users);
            found
        })
        .collect();
    let wanted: HashSet<u64> = candidates.iter().flat_map(|c| c.keys().copied()).collect();
    let frequency = document_frequency(documents.words, &wanted, &closing);
    let mean_size = documents.words.len() as f64 / classes.max(1) as f64;
    candidates
        .into_iter()
        .zip(&members)
        .map(|(found, docs)| {
            let scored: Vec<(Phrase, Vec<u32>)> = found
                .into_iter()
                .map(|(key, candidate)| {
                    let frequency = frequency.get(&key).copied().unwrap_or(1);
                    let (share, score) =
                        class_tf_idf(candidate.documents, docs.len(), frequency, mean_size);
                    let phrase = Phrase {
                        term: text_of(&candidate.words, vocabulary),
                        score,
                        users: candidate.users.len(),
                        share,
                    };
                    (phrase, candidate.words)
                })
                .collect();
            chosen(scored, min_users, top)
        })
        .collect()
}

/// The candidates of one class: every phrase of its documents that holds an anchor word,
/// counted once per document.
fn class_candidates(
    documents: &Sequences<'_>,
    docs: &[usize],
    anchors: &HashSet<u32>,
    closing: &HashSet<u32>,
) -> HashMap<u64, Candidate> {
    let mut found: HashMap<u64, Candidate> = HashMap::new();
    for &doc in docs {
        let mut seen = HashSet::new();
        for gram in phrases_of(&documents.words[doc], closing) {
            if !gram
                .iter()
                .any(|id| anchors.contains(&(id & !FUNCTION_WORD)))
            {
                continue;
            }
            let key = key_of(gram);
            if !seen.insert(key) {
                continue;
            }
            let candidate = found.entry(key).or_insert_with(|| Candidate {
                words: gram.iter().map(|id| id & !FUNCTION_WORD).collect(),
                documents: 0,
                users: HashSet::new(),
            });
            candidate.documents += 1;
            candidate.users.insert(documents.users[doc]);
        }
    }
    found
}

/// Documents (of every class) holding each wanted phrase.
fn document_frequency(
    words: &[Vec<u32>],
    wanted: &HashSet<u64>,
    closing: &HashSet<u32>,
) -> HashMap<u64, usize> {
    let mut frequency: HashMap<u64, usize> = HashMap::new();
    for sequence in words {
        let mut seen = HashSet::new();
        for gram in phrases_of(sequence, closing) {
            let key = key_of(gram);
            if wanted.contains(&key) && seen.insert(key) {
                *frequency.entry(key).or_default() += 1;
            }
        }
    }
    frequency
}

/// Every run of 1 to [`MAX_PHRASE_WORDS`] words within one stretch of `sequence` that opens
/// on a content word and closes on one, or on one of the `closing` particles right after a
/// content word ("top up", whatever follows).
fn phrases_of<'a>(
    sequence: &'a [u32],
    closing: &'a HashSet<u32>,
) -> impl Iterator<Item = &'a [u32]> {
    let content = |id: Option<&u32>| id.is_some_and(|id| id & FUNCTION_WORD == 0);
    sequence.split(|&id| id == BREAK).flat_map(move |stretch| {
        (0..stretch.len()).flat_map(move |start| {
            (1..=MAX_PHRASE_WORDS)
                .filter(move |length| start + length <= stretch.len())
                .filter_map(move |length| {
                    let gram = &stretch[start..start + length];
                    let closes = content(gram.last())
                        || length > 1
                            && content(gram.get(length - 2))
                            && gram
                                .last()
                                .is_some_and(|id| closing.contains(&(id & !FUNCTION_WORD)));
                    (content(gram.first()) && closes).then_some(gram)
                })
        })
    })
}

/// A phrase's words as one number (FNV-1a over the ids, function-word marks removed).
fn key_of(gram: &[u32]) -> u64 {
    gram.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, id| {
        (hash ^ u64::from(id & !FUNCTION_WORD)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn text_of(words: &[u32], vocabulary: &Vocabulary) -> String {
    words
        .iter()
        .map(|&id| vocabulary.term(id))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Best first, each stretched to the longest phrase around it that most of its users wrote;
/// a phrase adding no content word to those already chosen is left out.
fn chosen(mut scored: Vec<(Phrase, Vec<u32>)>, min_users: usize, top: usize) -> Vec<Phrase> {
    scored.sort_by(|a, b| {
        b.0.score
            .total_cmp(&a.0.score)
            .then(b.1.len().cmp(&a.1.len()))
            .then(a.0.term.cmp(&b.0.term))
    });
    let mut picked: Vec<Phrase> = Vec::new();
    let mut said: HashSet<u32> = HashSet::new();
    for (phrase, words) in &scored {
        if picked.len() == top {
            break;
        }
        let (stretched, stretched_words) = stretch(phrase, words, &scored, min_users);
        if stretched_words.iter().all(|word| said.contains(word)) {
            continue;
        }
        said.extend(stretched_words.iter().copied());
        picked.push(stretched.clone());
    }
    picked
}

/// The longest candidate holding `words` in a row that at least half of `phrase`'s users
/// wrote (the better scored on a tie); `phrase` itself when there is none.
fn stretch<'a>(
    phrase: &'a Phrase,
    words: &'a [u32],
    scored: &'a [(Phrase, Vec<u32>)],
    min_users: usize,
) -> (&'a Phrase, &'a [u32]) {
    let needed = min_users.max(phrase.users.div_ceil(2));
    scored
        .iter()
        .filter(|(other, other_words)| {
            other.users >= needed
                && other_words.len() > words.len()
                && other_words
                    .windows(words.len())
                    .any(|window| window == words)
        })
        .max_by(|a, b| {
            a.1.len()
                .cmp(&b.1.len())
                .then(a.0.score.total_cmp(&b.0.score))
        })
        .map_or((phrase, words), |(other, other_words)| (other, other_words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_open_and_close_on_content_words_within_a_stretch() {
        let mut vocabulary = Vocabulary::new();
        let sequence = vocabulary.word_sequence("Track a card delivery, please. 42 euros", None);
        let grams: Vec<String> = phrases_of(&sequence, &HashSet::new())
            .map(|gram| {
                text_of(
                    &gram
                        .iter()
                        .map(|id| id & !FUNCTION_WORD)
                        .collect::<Vec<_>>(),
                    &vocabulary,
                )
            })
            .collect();
        assert!(grams.contains(&"track a card delivery".to_string()));
        assert!(grams.contains(&"card".to_string()));
        assert!(
            !grams
                .iter()
                .any(|g| g.starts_with("a ") || g.ends_with(" a"))
        );
        // Punctuation and numbers end a stretch.
        assert!(!grams.iter().any(
            |g| g.contains("delivery please") || g.contains("euros") && g.contains("delivery")
        ));
    }

    /// The phrases of two or more classes of `texts` (text, class, user), three a class at
    /// three users, each class's candidates holding one of its `anchors`' words.
    fn phrases_of_texts(texts: &[(&str, usize, u64)], anchors: &[&[&str]]) -> Vec<Vec<Phrase>> {
        let mut vocabulary = Vocabulary::new();
        let words: Vec<Vec<u32>> = texts
            .iter()
            .map(|&(text, _, _)| vocabulary.word_sequence(text, None))
            .collect();
        let users: Vec<u64> = texts.iter().map(|t| t.2).collect();
        let classes: Vec<usize> = texts.iter().map(|t| t.1).collect();
        let anchors: Vec<HashSet<u32>> = anchors
            .iter()
            .map(|terms| terms.iter().filter_map(|t| vocabulary.id(t)).collect())
            .collect();
        let documents = Sequences {
            words: &words,
            users: &users,
            classes: &classes,
        };
        class_phrases(&documents, anchors.len(), &anchors, &vocabulary, 3, 3)
    }

    #[test]
    fn a_class_is_named_by_the_phrase_most_of_its_users_wrote() {
        let texts = [
            ("how do I track a card delivery", 0, 1),
            ("can I track a card delivery online", 0, 2),
            ("I want to track a card delivery", 0, 3),
            ("track a card delivery for my son", 0, 4),
            ("card delivery is late", 0, 5),
            ("what exchange rate do you use", 1, 6),
            ("bad exchange rate today", 1, 7),
            ("exchange rate for euros", 1, 8),
            ("my card was swallowed", 1, 9),
        ];
        let phrases = phrases_of_texts(
            &texts,
            &[&["card", "delivery", "track"], &["exchange", "rate"]],
        );
        assert_eq!(phrases[0][0].term, "track a card delivery");
        assert_eq!(phrases[0][0].users, 4);
        assert_eq!(phrases[1][0].term, "exchange rate");
        // "swallowed" was written by one user only.
        assert!(phrases.iter().flatten().all(|p| p.users >= 3));
        // Nothing after the name repeats its words alone.
        assert_eq!(phrases[0].len(), 1, "{:?}", phrases[0]);
    }

    #[test]
    fn a_phrasal_verb_keeps_its_particle_and_a_preposition_is_never_the_last_word() {
        let texts = [
            ("how do I top up my card", 0, 0),
            ("top up failed", 0, 1),
            ("can I top up by cheque", 0, 2),
            ("top up card please", 0, 3),
            ("my top up is pending", 0, 4),
            ("insults for my neighbour", 1, 5),
            ("insults for a coworker", 1, 6),
            ("insults for someone lazy", 1, 7),
            ("insults for people who chew loudly", 1, 8),
            ("good insults", 1, 9),
        ];
        let phrases = phrases_of_texts(&texts, &[&["top"], &["insults"]]);
        assert_eq!(phrases[0][0].term, "top up");
        assert_eq!(phrases[0][0].users, 5);
        assert_eq!(phrases[1][0].term, "insults");
        assert!(
            phrases.iter().flatten().all(|p| !p.term.ends_with(" for")),
            "{phrases:?}"
        );
    }
}
