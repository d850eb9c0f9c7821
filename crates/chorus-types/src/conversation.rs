use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ContentHash, Hasher};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions set by the operator or product.
    System,
    /// The person using the assistant.
    User,
    /// The assistant.
    Assistant,
    /// Output of a tool or function the assistant called.
    Tool,
}

impl Role {
    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of a message's content.
///
/// Text is kept; anything else (an image, a file, audio) is kept as a typed placeholder so that
/// later stages can count it and render it as `[image]` without ever holding the payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A non-text part, by its kind as the source named it (`image_url`, `file`, `audio`, ...).
    Placeholder {
        /// The kind of content that was left out.
        kind: String,
    },
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its parts in order; most messages have exactly one text part.
    pub parts: Vec<Part>,
}

impl Message {
    /// A message made of one text part.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            parts: vec![Part::Text { text: text.into() }],
        }
    }

    /// The text parts joined by blank lines, placeholders rendered as `[kind]`.
    pub fn rendered_text(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            match part {
                Part::Text { text } => out.push_str(text),
                Part::Placeholder { kind } => {
                    out.push('[');
                    out.push_str(kind);
                    out.push(']');
                }
            }
        }
        out
    }

    /// Characters of text (placeholders excluded).
    pub fn text_chars(&self) -> usize {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text { text } => text.chars().count(),
                Part::Placeholder { .. } => 0,
            })
            .sum()
    }

    /// Number of non-text parts.
    pub fn placeholder_count(&self) -> usize {
        self.parts
            .iter()
            .filter(|part| matches!(part, Part::Placeholder { .. }))
            .count()
    }

    /// True when the message holds no text and no placeholder worth keeping.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|part| match part {
            Part::Text { text } => text.trim().is_empty(),
            Part::Placeholder { .. } => false,
        })
    }
}

/// A conversation between a user and an assistant, as every reader produces it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The id from the source, or `file-stem:line` when the source has none.
    pub id: String,
    /// The account that held the conversation, when the source says.
    pub user_id: Option<String>,
    /// When the conversation started, when the source says.
    pub created_at: Option<DateTime<Utc>>,
    /// Messages in order.
    pub messages: Vec<Message>,
    /// Every other field of the source record, as text (non-string values as compact JSON).
    pub metadata: BTreeMap<String, String>,
}

impl Conversation {
    /// A stable hash of what was said and by whom: user id, time and messages.
    ///
    /// The id and the metadata are left out on purpose: the same conversation exported twice
    /// under the same id but with a different export timestamp in its metadata is the same
    /// content.
    pub fn content_hash(&self) -> ContentHash {
        let mut hasher = Hasher::new();
        hasher.field(self.user_id.as_deref().unwrap_or("").as_bytes());
        hasher.field(
            self.created_at
                .map(|t| t.timestamp_millis().to_string())
                .unwrap_or_default()
                .as_bytes(),
        );
        for message in &self.messages {
            hasher.field(message.role.as_str().as_bytes());
            for part in &message.parts {
                match part {
                    Part::Text { text } => hasher.field(b"text").field(text.as_bytes()),
                    Part::Placeholder { kind } => {
                        hasher.field(b"placeholder").field(kind.as_bytes())
                    }
                };
            }
        }
        hasher.finish()
    }

    /// Messages written by the user.
    pub fn user_messages(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(|m| m.role == Role::User)
    }

    /// Number of messages with the given role.
    pub fn count_role(&self, role: Role) -> usize {
        self.messages.iter().filter(|m| m.role == role).count()
    }

    /// Turns: user messages, each with whatever replies follow it.
    pub fn turns(&self) -> usize {
        self.count_role(Role::User)
    }

    /// Characters of text over all messages.
    pub fn text_chars(&self) -> usize {
        self.messages.iter().map(Message::text_chars).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Conversation {
        Conversation {
            id: "c1".into(),
            user_id: Some("u1".into()),
            created_at: None,
            messages: vec![
                Message::text(Role::User, "How do I bake bread?"),
                Message {
                    role: Role::Assistant,
                    parts: vec![
                        Part::Text {
                            text: "Like this.".into(),
                        },
                        Part::Placeholder {
                            kind: "image_url".into(),
                        },
                    ],
                },
            ],
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn content_hash_ignores_id_and_metadata_but_not_text() {
        let a = sample();
        let mut b = sample();
        b.id = "other".into();
        b.metadata.insert("k".into(), "v".into());
        assert_eq!(a.content_hash(), b.content_hash());
        let mut c = sample();
        c.messages[0] = Message::text(Role::User, "How do I bake cake?");
        assert_ne!(a.content_hash(), c.content_hash());
        let mut d = sample();
        d.messages[0].role = Role::System;
        assert_ne!(a.content_hash(), d.content_hash());
    }

    #[test]
    fn placeholders_are_counted_and_rendered() {
        let conversation = sample();
        assert_eq!(conversation.messages[1].placeholder_count(), 1);
        assert_eq!(
            conversation.messages[1].rendered_text(),
            "Like this.\n\n[image_url]"
        );
        assert_eq!(conversation.text_chars(), 20 + 10);
        assert_eq!(conversation.turns(), 1);
    }

    #[test]
    fn serde_round_trip() {
        let conversation = sample();
        let json = serde_json::to_string(&conversation).unwrap();
        let back: Conversation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, conversation);
    }
}
