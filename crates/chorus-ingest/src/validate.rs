//! Checks every mapped conversation passes, whatever format it came from.

use chorus_types::{Conversation, Part, Role};

use crate::fields::MapError;
use crate::options::{IngestOptions, OversizePolicy};
use crate::quarantine::Reason;

/// What validation changed in an accepted conversation, for the run summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Adjustments {
    pub(crate) empty_messages_removed: u64,
    pub(crate) messages_truncated: u64,
}

/// The mark left where an oversize message was cut.
pub const TRUNCATION_MARK: &str = " [… truncated by chorus]";

/// Removes empty messages, then rejects conversations with nothing left or no user turn, and
/// truncates or rejects oversize messages as configured.
pub(crate) fn validate(
    conversation: &mut Conversation,
    options: &IngestOptions,
) -> Result<Adjustments, MapError> {
    let mut adjustments = Adjustments::default();
    let before = conversation.messages.len();
    conversation.messages.retain(|message| !message.is_empty());
    adjustments.empty_messages_removed = (before - conversation.messages.len()) as u64;
    if conversation.messages.is_empty() {
        let detail = if before == 0 {
            "the messages list is empty".to_string()
        } else {
            format!("all {before} messages are empty")
        };
        return Err(MapError::new(Reason::EmptyMessages, detail));
    }
    if !conversation.messages.iter().any(|m| m.role == Role::User) {
        return Err(MapError::new(
            Reason::NoUserTurn,
            format!(
                "{} messages, none from the user",
                conversation.messages.len()
            ),
        ));
    }
    let cap = options.max_message_chars;
    for (index, message) in conversation.messages.iter_mut().enumerate() {
        let chars = message.text_chars();
        if chars <= cap {
            continue;
        }
        match options.oversize {
            OversizePolicy::Reject => {
                return Err(MapError::new(
                    Reason::OversizeMessage,
                    format!(
                        "message {} has {chars} characters, over the cap of {cap} (ingest.max_message_chars)",
                        index + 1
                    ),
                ));
            }
            OversizePolicy::Truncate => {
                truncate_parts(&mut message.parts, cap);
                adjustments.messages_truncated += 1;
            }
        }
    }
    Ok(adjustments)
}

fn truncate_parts(parts: &mut [Part], cap: usize) {
    let mut budget = cap;
    for part in parts {
        if let Part::Text { text } = part {
            let chars = text.chars().count();
            if chars <= budget {
                budget -= chars;
                continue;
            }
            let cut = text
                .char_indices()
                .nth(budget)
                .map_or(text.len(), |(at, _)| at);
            text.truncate(cut);
            text.push_str(TRUNCATION_MARK);
            budget = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_types::Message;

    fn conversation(messages: Vec<Message>) -> Conversation {
        Conversation {
            id: "x".into(),
            user_id: None,
            created_at: None,
            messages,
            metadata: Default::default(),
        }
    }

    #[test]
    fn truncation_cuts_on_a_char_boundary_and_marks_the_cut() {
        let mut c = conversation(vec![Message::text(Role::User, "ééééé")]);
        let options = IngestOptions {
            max_message_chars: 3,
            ..IngestOptions::default()
        };
        let adjustments = validate(&mut c, &options).unwrap();
        assert_eq!(adjustments.messages_truncated, 1);
        assert_eq!(
            c.messages[0].rendered_text(),
            format!("ééé{TRUNCATION_MARK}")
        );
    }

    #[test]
    fn empty_messages_are_removed_and_counted() {
        let mut c = conversation(vec![
            Message::text(Role::System, "  "),
            Message::text(Role::User, "hi"),
        ]);
        let adjustments = validate(&mut c, &IngestOptions::default()).unwrap();
        assert_eq!(adjustments.empty_messages_removed, 1);
        assert_eq!(c.messages.len(), 1);
    }
}
