//! OpenAssistant (OASST1/OASST2) conversations: a tree of alternative replies under every
//! prompt. Read as a tree a line (`{"message_tree_id", "prompt": {"text", "role", "replies":
//! [..]}}`, the `*.trees.jsonl` files) or as one message a row (`message_id`, `parent_id`,
//! `message_tree_id`, `role`, `text`, `rank`: the Hugging Face tables). Either way a tree is one
//! conversation: from the prompt, the best-ranked reply at every step.

use serde_json::{Map, Value};

use chorus_types::{Message, Role};

use super::sessions::{Join, Node, Piece};
use super::{Draft, LogItem, id_at, text_at, time_at};
use crate::fields::MapError;
use crate::quarantine::Reason;

pub(crate) fn is_record(object: &Map<String, Value>) -> bool {
    object.contains_key("message_tree_id")
        && (object.get("prompt").is_some_and(Value::is_object)
            || (object.contains_key("message_id")
                && object.get("role").is_some_and(Value::is_string)
                && object.contains_key("text")))
}

pub(crate) fn read(object: &Map<String, Value>) -> Result<LogItem, MapError> {
    let tree = id_at(object, "message_tree_id").ok_or_else(|| {
        MapError::new(
            Reason::InvalidField,
            "field \"message_tree_id\" should be a string",
        )
    })?;
    match object.get("prompt").and_then(Value::as_object) {
        Some(prompt) => whole_tree(tree, object, prompt),
        None => message_row(tree, object),
    }
}

fn whole_tree(
    tree: String,
    object: &Map<String, Value>,
    prompt: &Map<String, Value>,
) -> Result<LogItem, MapError> {
    let mut draft = about(prompt)?;
    draft.id = Some(tree);
    draft.note("tree_state", object.get("tree_state"));
    let mut current = Some(prompt);
    let mut depth = 0;
    while let Some(node) = current {
        draft.messages.push(message(node, depth)?);
        depth += 1;
        let replies = node.get("replies").and_then(Value::as_array);
        current = replies
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .min_by(|a, b| rank(a).total_cmp(&rank(b)));
    }
    Ok(LogItem::Conversation(draft))
}

fn message_row(tree: String, object: &Map<String, Value>) -> Result<LogItem, MapError> {
    let id = id_at(object, "message_id").ok_or_else(|| {
        MapError::new(
            Reason::InvalidField,
            "field \"message_id\" should be a string",
        )
    })?;
    Ok(LogItem::Piece(Piece {
        session: tree,
        join: Join::BestRanked,
        node: Some(Node {
            id,
            parent: id_at(object, "parent_id"),
            rank: object.get("rank").and_then(Value::as_f64),
        }),
        input: vec![message(object, 0)?],
        output: Vec::new(),
        about: about(object)?,
        stands_in_for: None,
    }))
}

/// Unranked replies come after ranked ones.
fn rank(node: &Map<String, Value>) -> f64 {
    node.get("rank")
        .and_then(Value::as_f64)
        .unwrap_or(f64::INFINITY)
}

fn message(node: &Map<String, Value>, index: usize) -> Result<Message, MapError> {
    let role = match node.get("role").and_then(Value::as_str) {
        Some("prompter") => Role::User,
        Some("assistant") => Role::Assistant,
        other => {
            return Err(MapError::new(
                Reason::UnknownRole,
                format!(
                    "message {} has role {:?}; OpenAssistant messages are \"prompter\" or \"assistant\"",
                    index + 1,
                    other.unwrap_or("")
                ),
            ));
        }
    };
    Ok(Message::text(role, text_at(node, "text").unwrap_or("")))
}

fn about(node: &Map<String, Value>) -> Result<Draft, MapError> {
    let mut draft = Draft {
        user_id: id_at(node, "user_id"),
        created_at: time_at(node, "created_date")?,
        ..Draft::default()
    };
    draft.note("lang", node.get("lang"));
    Ok(draft)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tree_follows_the_best_ranked_replies() {
        let record = json!({"message_tree_id": "t1", "tree_state": "ready_for_export", "prompt": {
        "message_id": "p", "role": "prompter", "text": "How do I bake bread?", "lang": "en",
        "user_id": "u1", "created_date": "2023-02-05T10:00:00+00:00",
        "replies": [
            {"message_id": "a2", "role": "assistant", "text": "worse", "rank": 1, "replies": []},
            {"message_id": "a1", "role": "assistant", "text": "Knead, rise, bake.", "rank": 0,
             "replies": [{"message_id": "q2", "role": "prompter", "text": "How long?", "replies": []}]}
        ]}});
        let LogItem::Conversation(draft) = read(record.as_object().unwrap()).unwrap() else {
            panic!("a tree is one conversation");
        };
        let said: Vec<String> = draft.messages.iter().map(Message::rendered_text).collect();
        assert_eq!(
            said,
            ["How do I bake bread?", "Knead, rise, bake.", "How long?"]
        );
        assert_eq!(draft.user_id.as_deref(), Some("u1"));
        assert_eq!(draft.metadata["lang"], "en");
    }
}
