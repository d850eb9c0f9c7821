//! Text rules for keyword mode: [`redact`] replaces personal details by placeholders before any
//! text is embedded or counted; [`Vocabulary`] and [`class_keywords`] describe clusters by the
//! words many distinct users in them used, and [`class_phrases`] by the phrases they wrote.
#![warn(missing_docs)]

mod gate;
mod keywords;
mod phrases;
mod redact;
mod stopwords;

pub use gate::{
    COPIED_RUN_WORDS, Instructions, gated_words, unusable_answer, unusable_reply, word_runs, words,
};
pub use keywords::{
    BREAK, Documents, FUNCTION_WORD, Keyword, SEQUENCE_WORDS, Vocabulary, class_keywords,
    class_members,
};
pub use phrases::{Phrase, Sequences, class_phrases};
pub use redact::{PiiKind, Redacted, redact};
