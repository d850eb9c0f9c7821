//! The vocabulary gate's text rules: which words of a text are content words, the runs of words
//! a copy would share with its source, and replies no text may come from (markup, a quoted
//! conversation, the prompt's own instructions).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::keywords::{is_content_word_anywhere, raw_words};

/// Words of this many or more in a row, copied from text that fewer than `min_users` accounts
/// wrote, make a published text a copy.
pub const COPIED_RUN_WORDS: usize = 6;

/// Words any description may use whoever wrote the node's text: they say what kind of thing a
/// cluster is and can point at no one.
const GENERIC_WORDS: &str = include_str!("generic_words.txt");

static GENERIC: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| GENERIC_WORDS.split_whitespace().collect());

/// The lower-cased words of `text`, in order: runs of letters, digits and apostrophes.
pub fn words(text: &str) -> Vec<String> {
    raw_words(&text.to_lowercase())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words of `text` that the gate asks evidence for: content words (see
/// [`crate::Vocabulary::terms_of`]) that are not generic descriptive words.
pub fn gated_words(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    words(text)
        .into_iter()
        .filter(|w| is_content_word_anywhere(w) && !GENERIC.contains(w.as_str()))
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

/// A number for each run of [`COPIED_RUN_WORDS`] words in `text` (every word counts, function
/// words too), sorted and without repeats. Two texts share a run exactly when they share a
/// number (up to 64-bit hash collisions, which can only make the gate stricter).
pub fn word_runs(text: &str) -> Vec<u64> {
    let words = words(text);
    let mut runs: Vec<u64> = words
        .windows(COPIED_RUN_WORDS)
        .map(|window| {
            let hash = blake3::hash(window.join(" ").as_bytes());
            u64::from_le_bytes(hash.as_bytes()[..8].try_into().unwrap_or([0; 8]))
        })
        .collect();
    runs.sort_unstable();
    runs.dedup();
    runs
}

static MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)</?[a-z][a-z0-9_-]*[^>]*>|\]\(|https?://|www\.|```|&[a-z]+;|&#")
        .unwrap_or_else(|e| panic!("markup pattern: {e}"))
});

static PROMPT_MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)</?(answer|conversation|summary|name|groups?|contrast|candidates|categories|cluster|nearby)\b[^>]*>|https?://|www\.")
        .unwrap_or_else(|e| panic!("prompt markup pattern: {e}"))
});

/// A tag the answer opens with (`<response>`, `</s>`): a model's template leaking, never the
/// start of a description.
static OPENING_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*</?[A-Za-z_|][A-Za-z0-9_|-]*[^<>]{0,40}>")
        .unwrap_or_else(|e| panic!("opening tag pattern: {e}"))
});

static ROLE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(^|[\s>\]])(user|human|assistant|system|ai|gpt|bot)\s*:")
        .unwrap_or_else(|e| panic!("role pattern: {e}"))
});

/// The runs of words of the prompts a model was given, which no reply may repeat; built once
/// per set of prompts.
pub struct Instructions(HashSet<u64>);

impl Instructions {
    /// The runs of `prompts`, read as one text.
    pub fn new(prompts: &[&str]) -> Self {
        Self(word_runs(&prompts.join("\n")).into_iter().collect())
    }
}

/// Why a model's reply cannot be a published name or description, if it cannot: it holds
/// markup or a link, quotes a conversation turn ("User: …"), or repeats a run of
/// [`COPIED_RUN_WORDS`] words of the `instructions` it was given.
pub fn unusable_reply(text: &str, instructions: &Instructions) -> Option<String> {
    if let Some(found) = MARKUP.find(text) {
        return Some(format!("it holds markup ({:?})", found.as_str()));
    }
    echoed(text, instructions)
}

/// Why a model's answer about one conversation (a facet's text) cannot be used, if it cannot:
/// it holds the prompts' own tags or a link, quotes a turn, repeats the `instructions`, or is
/// mostly a copy of the `conversation` it should describe (more than half of its runs of
/// [`COPIED_RUN_WORDS`] words are in it). Other markup may be what the conversation was about
/// ("center a `<div>`"), so it is allowed inside the answer, unlike in a published name, but
/// not as its opening (`<response>…`).
pub fn unusable_answer(
    text: &str,
    instructions: &Instructions,
    conversation: &str,
) -> Option<String> {
    if let Some(found) = PROMPT_MARKUP.find(text) {
        return Some(format!(
            "it holds the prompt's markup or a link ({:?})",
            found.as_str()
        ));
    }
    if let Some(found) = OPENING_TAG.find(text) {
        return Some(format!(
            "it opens with markup ({:?})",
            found.as_str().trim()
        ));
    }
    if let Some(problem) = echoed(text, instructions) {
        return Some(problem);
    }
    let runs = word_runs(text);
    if runs.len() >= 2 {
        let source: HashSet<u64> = word_runs(conversation).into_iter().collect();
        let copied = runs.iter().filter(|run| source.contains(run)).count();
        if copied * 2 > runs.len() {
            return Some("it copies the conversation instead of describing it".into());
        }
    }
    None
}

/// A quoted turn or a repeat of the instructions.
fn echoed(text: &str, instructions: &Instructions) -> Option<String> {
    if ROLE_PREFIX.is_match(text) {
        return Some("it quotes a conversation turn".into());
    }
    if word_runs(text)
        .iter()
        .any(|run| instructions.0.contains(run))
    {
        return Some("it repeats the prompt's instructions".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gated_words_skip_function_and_generic_words() {
        assert_eq!(
            gated_words("Requests about resetting a transfer PASSWORD, password again"),
            ["resetting", "transfer", "password"]
        );
    }

    #[test]
    fn shared_runs_are_found_whatever_the_case_and_punctuation() {
        let a = word_runs("He said: my neighbour John Smith lives at the end");
        let b = word_runs("my Neighbour, john smith lives at");
        assert!(a.iter().any(|run| b.contains(run)));
        assert!(word_runs("five words are too few").is_empty());
    }

    #[test]
    fn markup_quotes_and_echoed_instructions_are_unusable() {
        let prompt = Instructions::new(&[
            "Name the group in at most ten words and never include identifying details.",
        ]);
        for bad in [
            "<name>The name</name>",
            "click [here](http://x.invalid)",
            "User: how do I get my money back",
            "Name the group in at most ten words",
            "see www.example.invalid",
        ] {
            assert!(unusable_reply(bad, &prompt).is_some(), "{bad}");
        }
        assert_eq!(
            unusable_reply("Card delivery and tracking questions", &prompt),
            None
        );
        assert_eq!(unusable_reply("Costs of 3 < 5 items", &prompt), None);
    }

    #[test]
    fn answers_may_name_markup_but_not_copy_the_conversation_or_echo_the_prompt() {
        let prompt = Instructions::new(&[
            "What is the user's overall request for the assistant in this conversation?",
        ]);
        let conversation = "<conversation>\nUser: my landlord Mr Peter Gray at 12 Elm Road keeps the deposit and will not answer my letters\n</conversation>";
        assert!(
            unusable_answer("<response>The user's request is to", &prompt, conversation)
                .is_some_and(|why| why.contains("opens with markup"))
        );
        assert_eq!(
            unusable_answer(
                "Help centering a <div> element with CSS.",
                &prompt,
                conversation
            ),
            None
        );
        assert_eq!(
            unusable_answer(
                "Advice on getting a rental deposit back from a landlord.",
                &prompt,
                conversation
            ),
            None
        );
        for bad in [
            "my landlord Mr Peter Gray at 12 Elm Road keeps the deposit",
            "<answer>The user's overall request for the assistant",
            "the user's overall request for the assistant in this conversation",
            "User: my landlord keeps the deposit",
            "See https://example.invalid for the form.",
        ] {
            assert!(
                unusable_answer(bad, &prompt, conversation).is_some(),
                "{bad}"
            );
        }
    }
}
