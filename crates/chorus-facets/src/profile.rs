use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use chorus_types::{Conversation, Role};

/// Bump when [`profile`] changes what it computes: cached profiles are then recomputed.
pub const PROFILE_VERSION: u32 = 2;

/// The computed facets of one conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// User messages (each starts a turn).
    pub turns: u32,
    /// Assistant messages.
    pub assistant_messages: u32,
    /// System messages.
    pub system_messages: u32,
    /// Tool messages.
    pub tool_messages: u32,
    /// Non-text parts (images, files, tool calls) over all messages.
    pub placeholders: u32,
    /// Characters of text over all messages.
    pub chars: u64,
    /// Characters of text the user wrote.
    pub user_chars: u64,
    /// The language of the user's text, as a full English name, when it can be told reliably.
    pub language: Option<String>,
    /// The day the conversation started (UTC), when known.
    pub day: Option<NaiveDate>,
}

/// How much of the user's text the language detector reads: enough to be reliable (hh-rlhf gives
/// the same languages at 400 as at 2,000 characters), and the detector is the costliest part of a
/// profile, so not more.
const LANGUAGE_SAMPLE_CHARS: usize = 400;

/// Computes the profile of one conversation.
pub fn profile(conversation: &Conversation) -> Profile {
    let count = |role| conversation.count_role(role) as u32;
    let user_chars = conversation
        .user_messages()
        .map(|m| m.text_chars() as u64)
        .sum();
    let mut sample = String::new();
    for message in conversation.user_messages() {
        if sample.chars().count() >= LANGUAGE_SAMPLE_CHARS {
            break;
        }
        sample.push_str(&message.rendered_text());
        sample.push('\n');
    }
    let sample: String = sample.chars().take(LANGUAGE_SAMPLE_CHARS).collect();
    Profile {
        turns: count(Role::User),
        assistant_messages: count(Role::Assistant),
        system_messages: count(Role::System),
        tool_messages: count(Role::Tool),
        placeholders: conversation
            .messages
            .iter()
            .map(|m| m.placeholder_count() as u32)
            .sum(),
        chars: conversation.text_chars() as u64,
        user_chars,
        language: detect_language(&sample),
        day: conversation.created_at.map(|t| t.date_naive()),
    }
}

/// Detector confidence below which no language is given. whatlang's own "reliable" cut (about
/// 0.8 here) left a quarter of short messages without a language; at 0.3 `chorus eval` measured
/// 99 % precision with 91 % coverage on a 20,000-conversation synthetic set in eight languages
/// (docs/benchmarks.md).
const LANGUAGE_CONFIDENCE: f64 = 0.3;

/// The language of a text as a full English name ("English", "Japanese"), or `None` when the
/// detector is not confident.
pub fn detect_language(text: &str) -> Option<String> {
    let info = whatlang::detect(text)?;
    (info.confidence() >= LANGUAGE_CONFIDENCE).then(|| match info.lang() {
        // The detector names the written standard after its spoken form; readers of a report
        // (and every other source of language names here) say Chinese.
        whatlang::Lang::Cmn => "Chinese".to_string(),
        lang => lang.eng_name().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_types::{Message, Part};

    #[test]
    fn counts_roles_parts_and_language() {
        let conversation = Conversation {
            id: "1".into(),
            user_id: None,
            created_at: Some("2024-05-06T23:30:00Z".parse().unwrap()),
            messages: vec![
                Message::text(Role::System, "Be brief."),
                Message::text(
                    Role::User,
                    "Bonjour, pouvez-vous m'aider à écrire une lettre de motivation pour un poste de boulanger ?",
                ),
                Message {
                    role: Role::Assistant,
                    parts: vec![
                        Part::Text {
                            text: "Oui.".into(),
                        },
                        Part::Placeholder {
                            kind: "image_url".into(),
                        },
                    ],
                },
            ],
            metadata: Default::default(),
        };
        let p = profile(&conversation);
        assert_eq!(
            (
                p.turns,
                p.assistant_messages,
                p.system_messages,
                p.tool_messages
            ),
            (1, 1, 1, 0)
        );
        assert_eq!(p.placeholders, 1);
        assert_eq!(p.language.as_deref(), Some("French"));
        assert_eq!(p.day, NaiveDate::from_ymd_opt(2024, 5, 6));
        assert_eq!(p.chars, conversation.text_chars() as u64);
    }

    #[test]
    fn short_or_ambiguous_text_has_no_language() {
        assert_eq!(detect_language("ok"), None);
        assert_eq!(detect_language(""), None);
    }
}
