use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::stopwords::StopWords;

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[[A-Z_]+\]").unwrap_or_else(|e| panic!("placeholder pattern: {e}"))
});

/// Words of a text's opening kept in order (see [`Vocabulary::word_sequence`]).
pub const SEQUENCE_WORDS: usize = 48;

/// Marks a function word in a word sequence.
pub const FUNCTION_WORD: u32 = 1 << 31;

/// Stands between two stretches of a word sequence no phrase crosses (punctuation, a number,
/// a redaction placeholder).
pub const BREAK: u32 = u32::MAX;

/// Terms (words and two-word phrases) interned to ids.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    ids: HashMap<String, u32>,
    terms: Vec<String>,
}

impl Vocabulary {
    /// An empty vocabulary.
    pub fn new() -> Self {
        Self::default()
    }

    /// The distinct terms of `text` (in `language`, a detector name, when known), as sorted
    /// ids: lower-cased words of two or more characters that are not function words (of
    /// English and of the language), numbers or redaction placeholders, and each pair of such
    /// words that stand next to each other.
    pub fn terms_of(&mut self, text: &str, language: Option<&str>) -> Vec<u32> {
        self.term_ids(&lowered(text), &StopWords::of(language))
    }

    /// The first [`SEQUENCE_WORDS`] words of `text` in order, as ids (function words marked
    /// with [`FUNCTION_WORD`]), [`BREAK`] where punctuation, a number or a placeholder stands:
    /// what phrases are read from.
    pub fn word_sequence(&mut self, text: &str, language: Option<&str>) -> Vec<u32> {
        self.sequence_ids(&lowered(text), &StopWords::of(language))
    }

    /// [`Vocabulary::terms_of`] and [`Vocabulary::word_sequence`] of one text, read once.
    pub fn terms_and_sequence(
        &mut self,
        text: &str,
        language: Option<&str>,
    ) -> (Vec<u32>, Vec<u32>) {
        let (lower, stop) = (lowered(text), StopWords::of(language));
        (
            self.term_ids(&lower, &stop),
            self.sequence_ids(&lower, &stop),
        )
    }

    fn term_ids(&mut self, lower: &str, stop: &StopWords) -> Vec<u32> {
        let mut ids: Vec<u32> = terms(lower, stop)
            .into_iter()
            .map(|t| self.intern(t))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn sequence_ids(&mut self, lower: &str, stop: &StopWords) -> Vec<u32> {
        let mut sequence = Vec::new();
        let mut words = 0;
        for word in raw_words(lower) {
            let broken = word.is_empty() || word.chars().all(|c| c.is_numeric());
            if broken {
                if sequence.last().is_some_and(|&last| last != BREAK) {
                    sequence.push(BREAK);
                }
                continue;
            }
            if words == SEQUENCE_WORDS {
                break;
            }
            words += 1;
            let id = self.intern(word.to_string());
            let function = word.chars().count() < 2 || stop.contains(word);
            sequence.push(if function { id | FUNCTION_WORD } else { id });
        }
        sequence
    }

    fn intern(&mut self, term: String) -> u32 {
        if let Some(&id) = self.ids.get(&term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.terms.push(term.clone());
        self.ids.insert(term, id);
        id
    }

    /// The id of a term seen before.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }

    /// The text of a term id.
    pub fn term(&self, id: u32) -> &str {
        self.terms.get(id as usize).map_or("", String::as_str)
    }

    /// Number of distinct terms seen.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no term was seen.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// `text` lower-cased, redaction placeholders turned into a separator.
fn lowered(text: &str) -> String {
    PLACEHOLDER.replace_all(text, " | ").to_lowercase()
}

/// The terms of lower-cased text (see [`lowered`]).
fn terms(lower: &str, stop: &StopWords) -> Vec<String> {
    let mut out = Vec::new();
    let mut previous: Option<&str> = None;
    for word in raw_words(lower) {
        if !is_content_word(word, stop) {
            // A stopword or a gap breaks a phrase; an empty split (repeated separators) does not.
            if !word.is_empty() || previous.is_some() {
                previous = None;
            }
            continue;
        }
        if let Some(before) = previous {
            out.push(format!("{before} {word}"));
        }
        out.push(word.to_string());
        previous = Some(word);
    }
    out
}

/// The pieces of lower-cased `text` between separators (anything but letters, digits and
/// apostrophes), apostrophes trimmed; repeated separators give empty pieces.
pub(crate) fn raw_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|word| word.trim_matches('\''))
}

/// A word that can carry meaning: two or more characters, not a function word, not a number.
pub(crate) fn is_content_word(word: &str, stop: &StopWords) -> bool {
    word.chars().count() >= 2 && !stop.contains(word) && !word.chars().all(|c| c.is_numeric())
}

/// A word that carries meaning in whatever language it is read: not a function word of any.
pub(crate) fn is_content_word_anywhere(word: &str) -> bool {
    word.chars().count() >= 2
        && !crate::stopwords::in_any_language(word)
        && !word.chars().all(|c| c.is_numeric())
}

/// A term that describes one class against the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    /// The word or phrase.
    pub term: String,
    /// Class-based TF-IDF weight.
    pub score: f64,
    /// Distinct users of the class who used it.
    pub users: usize,
    /// Share of the class's documents that contain it.
    pub share: f64,
}

/// Documents to describe: the term ids of each, its user, and its class.
pub struct Documents<'a> {
    /// Term ids per document (from [`Vocabulary::terms_of`]).
    pub terms: &'a [Vec<u32>],
    /// The user of each document (any ids; distinct ids are distinct people).
    pub users: &'a [u64],
    /// The class of each document, `0..classes`.
    pub classes: &'a [usize],
}

/// The `top` keywords of each class by class-based TF-IDF: a term's share of the class's
/// documents, weighted by how rare it is overall (`ln(1 + mean class size ÷ documents with the
/// term)`). Only terms used by at least `min_users` distinct users of the class count, so a
/// keyword never rests on a few people's words.
pub fn class_keywords(
    documents: &Documents<'_>,
    classes: usize,
    vocabulary: &Vocabulary,
    min_users: usize,
    top: usize,
) -> Vec<Vec<Keyword>> {
    let mut frequency: HashMap<u32, usize> = HashMap::new();
    for terms in documents.terms {
        for &t in terms {
            *frequency.entry(t).or_default() += 1;
        }
    }
    let members = class_members(documents.classes, classes);
    let mean_size = documents.terms.len() as f64 / classes.max(1) as f64;
    members
        .iter()
        .map(|docs| {
            let mut counts: HashMap<u32, (usize, HashSet<u64>)> = HashMap::new();
            for &doc in docs {
                for &t in &documents.terms[doc] {
                    let entry = counts.entry(t).or_default();
                    entry.0 += 1;
                    entry.1.insert(documents.users[doc]);
                }
            }
            let mut keywords: Vec<Keyword> = counts
                .into_iter()
                .filter(|(_, (_, users))| users.len() >= min_users)
                .map(|(t, (count, users))| {
                    let (share, score) = class_tf_idf(count, docs.len(), frequency[&t], mean_size);
                    Keyword {
                        term: vocabulary.term(t).to_string(),
                        score,
                        users: users.len(),
                        share,
                    }
                })
                .collect();
            // On equal scores the phrase goes first: it says more than its words.
            keywords.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then(b.term.contains(' ').cmp(&a.term.contains(' ')))
                    .then(a.term.cmp(&b.term))
            });
            drop_covered_words(&mut keywords);
            keywords.truncate(top);
            keywords
        })
        .collect()
}

/// Each class's documents in order, for `classes[doc]` in `0..count` (others are left out).
pub fn class_members(classes: &[usize], count: usize) -> Vec<Vec<usize>> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (doc, &class) in classes.iter().enumerate() {
        if let Some(list) = members.get_mut(class) {
            list.push(doc);
        }
    }
    members
}

/// Class-based TF-IDF of a term that `count` documents of a class of `size` hold and
/// `frequency` documents of all: its share of the class, weighted by how rare it is overall
/// (`ln(1 + mean class size ÷ frequency)`). Returns the share and the score.
pub(crate) fn class_tf_idf(
    count: usize,
    size: usize,
    frequency: usize,
    mean_size: f64,
) -> (f64, f64) {
    let share = count as f64 / size.max(1) as f64;
    let rarity = (1.0 + mean_size / frequency.max(1) as f64).ln();
    (share, share * rarity)
}

/// A word already inside a higher-ranked phrase adds nothing ("card" under "new card").
fn drop_covered_words(keywords: &mut Vec<Keyword>) {
    let mut seen: HashSet<String> = HashSet::new();
    keywords.retain(|k| {
        let keep = k.term.contains(' ') || !seen.contains(&k.term);
        if keep {
            seen.extend(k.term.split(' ').map(str::to_string));
        }
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_skip_function_words_numbers_and_placeholders() {
        let english = StopWords::of(None);
        assert_eq!(
            terms(
                &lowered("How do I reset my Password? Email [EMAIL] 2024"),
                &english
            ),
            ["reset", "password", "email"]
        );
        assert_eq!(
            terms(&lowered("Don't   block card"), &english),
            ["block", "block card", "card"]
        );
        let spanish = StopWords::of(Some("Spanish"));
        assert_eq!(
            terms(&lowered("¿Cómo bloqueo mi tarjeta?"), &spanish),
            ["bloqueo", "tarjeta"]
        );
    }

    #[test]
    fn distinctive_terms_of_many_users_describe_a_class() {
        let mut vocabulary = Vocabulary::new();
        let texts = [
            ("my card has not arrived", 0, 1),
            ("card still not here", 0, 2),
            ("when will my card arrive, arrived?", 0, 3),
            ("secret project zebra card arrived", 0, 3),
            ("exchange rate for euros", 1, 4),
            ("what exchange rate do you use", 1, 5),
            ("bad exchange rate again", 1, 6),
        ];
        let terms: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| vocabulary.terms_of(t.0, None))
            .collect();
        let classes: Vec<usize> = texts.iter().map(|t| t.1).collect();
        let users: Vec<u64> = texts.iter().map(|t| t.2).collect();
        let documents = Documents {
            terms: &terms,
            users: &users,
            classes: &classes,
        };
        let keywords = class_keywords(&documents, 2, &vocabulary, 2, 3);
        let names =
            |c: usize| -> Vec<&str> { keywords[c].iter().map(|k| k.term.as_str()).collect() };
        assert_eq!(names(0)[0], "card");
        assert!(names(0).contains(&"arrived"));
        assert_eq!(names(1)[0], "exchange rate");
        // "zebra" was used by one user only: never a keyword.
        assert!(keywords[0].iter().all(|k| !k.term.contains("zebra")));
        assert!(keywords.iter().flatten().all(|k| k.users >= 2));
    }
}
