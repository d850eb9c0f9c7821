//! Function words by language: the NLTK lists where NLTK has one, stopwords-iso's for the other
//! languages (both maintained, through the `stop-words` crate), and a short list of English chat
//! fillers ("hi", "thanks", "please") that no function-word list holds. English always applies:
//! chat text in any language quotes English.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Words of chat that carry no topic in any conversation.
const CHAT_FILLERS: &str = include_str!("chat_fillers.txt");

static FILLERS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| CHAT_FILLERS.split_whitespace().collect());

/// English function words that end a phrasal verb ("top up", "log out", "pay off"): a phrase
/// may close on one right after a content word. Prepositions that lead into a noun ("for",
/// "in", "on") are not among them: "insults for" or "address for" would name nothing.
pub(crate) const PARTICLES: [&str; 5] = ["up", "down", "out", "off", "over"];

/// Each available list, by ISO 639-1 code.
static BY_CODE: LazyLock<HashMap<&'static str, HashSet<&'static str>>> = LazyLock::new(|| {
    stop_words::available_languages()
        .iter()
        .filter_map(|&code| {
            let words = stop_words::lookup(code)?;
            Some((code, words.iter().copied().collect()))
        })
        .collect()
});

static ENGLISH: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    let mut words: HashSet<&'static str> = FILLERS.clone();
    if let Some(english) = BY_CODE.get("en") {
        words.extend(english.iter().copied());
    }
    words
});

/// Every list's words: what no language uses for a topic.
static ANY_LANGUAGE: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    let mut words: HashSet<&'static str> = ENGLISH.clone();
    for list in BY_CODE.values() {
        words.extend(list.iter().copied());
    }
    words
});

/// The language detector's English names (what a conversation's `language` holds) to ISO
/// 639-1 codes.
static CODE_OF: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    let mut codes: HashMap<&'static str, &'static str> = whatlang::Lang::all()
        .iter()
        .filter_map(|lang| {
            let code = isolang::Language::from_639_3(lang.code())?.to_639_1()?;
            Some((lang.eng_name(), code))
        })
        .collect();
    // Reports name Mandarin by its written standard.
    codes.insert("Chinese", "zh");
    codes
});

/// The function words of text in `language` (a detector name such as "Spanish"; `None` when
/// undetected): English and the chat fillers, plus that language's list.
#[derive(Clone, Copy)]
pub struct StopWords {
    own: Option<&'static HashSet<&'static str>>,
}

impl StopWords {
    /// The lists for text in `language`.
    pub fn of(language: Option<&str>) -> Self {
        let own = language
            .and_then(|name| CODE_OF.get(name))
            .filter(|&&code| code != "en")
            .and_then(|code| BY_CODE.get(code));
        Self { own }
    }

    /// Whether `word` (lower-cased) is a function word of this text. Lists write some words
    /// without the acute accent that marks a question or stress ("como" for "cómo", "que" for
    /// "qué"), so the word without it counts too.
    pub fn contains(&self, word: &str) -> bool {
        let listed =
            |word: &str| ENGLISH.contains(word) || self.own.is_some_and(|own| own.contains(word));
        listed(word) || without_acute_accents(word).is_some_and(|plain| listed(&plain))
    }
}

/// `word` with á é í ó ú as a e i o u, when it has any.
fn without_acute_accents(word: &str) -> Option<String> {
    let plain = |c: char| match c {
        'á' => 'a',
        'é' => 'e',
        'í' => 'i',
        'ó' => 'o',
        'ú' => 'u',
        other => other,
    };
    word.chars()
        .any(|c| plain(c) != c)
        .then(|| word.chars().map(plain).collect())
}

/// Whether `word` (lower-cased) is a function word of any language: the gate asks no evidence
/// for such words, whatever language a text is in.
pub(crate) fn in_any_language(word: &str) -> bool {
    ANY_LANGUAGE.contains(word)
        || without_acute_accents(word).is_some_and(|plain| ANY_LANGUAGE.contains(plain.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_has_its_own_function_words() {
        let spanish = StopWords::of(Some("Spanish"));
        let german = StopWords::of(Some("German"));
        let english = StopWords::of(None);
        assert!(spanish.contains("para") && spanish.contains("the"));
        assert!(spanish.contains("cómo") && !spanish.contains("tarjeta"));
        // Umlauts are letters of their own: "schön" is not "schon".
        assert!(!german.contains("schön"));
        assert!(german.contains("schon") || german.contains("aber"));
        assert!(!english.contains("para"));
        assert!(english.contains("thanks"));
        // "die" is a German article and an English verb.
        assert!(german.contains("die") && !english.contains("die"));
        assert!(StopWords::of(Some("Russian")).contains("как"));
        assert!(in_any_language("und") && !in_any_language("password"));
    }

    #[test]
    fn every_detected_language_with_a_list_is_mapped() {
        for name in [
            "English",
            "French",
            "Portuguese",
            "Japanese",
            "Chinese",
            "Korean",
            "Hindi",
        ] {
            assert!(CODE_OF.contains_key(name), "{name}");
        }
    }
}
