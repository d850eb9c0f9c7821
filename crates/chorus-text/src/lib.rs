//! Text rules for keyword mode: [`redact`] replaces personal details by placeholders before any
//! text is embedded or counted; [`Vocabulary`] and [`class_keywords`] describe clusters by the
//! words many distinct users in them used.
#![warn(missing_docs)]

mod gate;
mod keywords;
mod redact;

pub use gate::{
    COPIED_RUN_WORDS, Instructions, gated_words, unusable_answer, unusable_reply, word_runs, words,
};
pub use keywords::{Documents, Keyword, Vocabulary, class_keywords};
pub use redact::{PiiKind, Redacted, redact};
