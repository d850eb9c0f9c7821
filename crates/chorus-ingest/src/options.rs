use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Format;

/// What to do with a message longer than [`IngestOptions::max_message_chars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OversizePolicy {
    /// Keep the first `max_message_chars` characters, mark the cut and count it.
    #[default]
    Truncate,
    /// Reject the whole conversation.
    Reject,
}

/// Which source fields hold what. Unset fields fall back to common names; each may be a dotted
/// path (`meta.account`) into nested objects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldNames {
    /// The conversation id.
    pub id: Option<String>,
    /// The account (user) id.
    pub user: Option<String>,
    /// The conversation's start time.
    pub time: Option<String>,
    /// The text: a transcript, or a single user turn for text, CSV and TSV records.
    pub text: Option<String>,
    /// A label kept as metadata for evaluation only (e.g. Banking77's `category`).
    pub label: Option<String>,
    /// The speaker of each message in a message list or a one-message-per-row table.
    pub role: Option<String>,
    /// The words of each message in a message list or a one-message-per-row table.
    pub content: Option<String>,
    /// Where a wrapping record keeps its list of conversation records (`data`,
    /// `export.conversations`).
    pub records: Option<String>,
    /// Speaker names of the source to chorus roles (`customer = "user"`, `agent =
    /// "assistant"`), tried before the names chorus knows; matched ignoring case.
    pub role_values: BTreeMap<String, String>,
}

/// How inputs are read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestOptions {
    /// Force one format instead of recognising it per file.
    pub format: Option<Format>,
    /// Field names for sources that use other names.
    pub fields: FieldNames,
    /// Longest message kept, in characters.
    pub max_message_chars: usize,
    /// What happens to a longer message.
    pub oversize: OversizePolicy,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            format: None,
            fields: FieldNames::default(),
            max_message_chars: 100_000,
            oversize: OversizePolicy::Truncate,
        }
    }
}

impl FieldNames {
    pub(crate) fn id_candidates(&self) -> Vec<&str> {
        candidates(
            &self.id,
            &[
                "id",
                "conversation_id",
                "uuid",
                "conversation_hash",
                "conversationId",
            ],
        )
    }

    pub(crate) fn user_candidates(&self) -> Vec<&str> {
        // WildChat's only account-like field is the hashed IP address.
        candidates(
            &self.user,
            &[
                "user_id",
                "user",
                "account_id",
                "account",
                "userId",
                "accountId",
                "hashed_ip",
            ],
        )
    }

    pub(crate) fn time_candidates(&self) -> Vec<&str> {
        candidates(
            &self.time,
            &[
                "created_at",
                "create_time",
                "createdAt",
                "timestamp",
                "time",
                "date",
            ],
        )
    }

    pub(crate) fn text_candidates(&self) -> Vec<&str> {
        candidates(
            &self.text,
            &[
                "text",
                "prompt",
                "query",
                "question",
                "utterance",
                "message",
                "content",
                "input",
                "instruction",
            ],
        )
    }

    pub(crate) fn role_candidates(&self) -> Vec<&str> {
        candidates(&self.role, &["role", "from", "sender", "speaker", "author"])
    }

    pub(crate) fn content_candidates(&self) -> Vec<&str> {
        candidates(
            &self.content,
            &["content", "value", "text", "message", "parts"],
        )
    }

    pub(crate) fn transcript_candidates(&self) -> Vec<&str> {
        candidates(
            &self.text,
            &[
                "chosen",
                "transcript",
                "text",
                "conversation",
                "dialogue",
                "dialog",
            ],
        )
    }
}

/// A field the user named is the only candidate: silently falling back to another would hide a
/// typo in the flag.
fn candidates<'a>(configured: &'a Option<String>, defaults: &[&'static str]) -> Vec<&'a str> {
    match configured {
        Some(name) => vec![name.as_str()],
        None => defaults.to_vec(),
    }
}
