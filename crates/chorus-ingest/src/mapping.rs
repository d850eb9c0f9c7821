//! JSON records of each schema to conversations. CSV rows and Parquet rows arrive here as JSON
//! objects too, so every format shares one set of rules for ids, users, times and metadata.

use serde_json::{Map, Value};

use chorus_types::{Conversation, Message, Part, Role};

use crate::fields::{CommonFields, FieldCandidates, MapError, first_present, metadata};
use crate::options::FieldNames;
use crate::quarantine::Reason;
use crate::timestamp::kind_of;

/// The shape of one JSON record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Schema {
    Openai,
    Sharegpt,
    Transcript,
    Text,
    ChatgptExport,
    ClaudeExport,
}

/// Recognises a record's schema from its fields.
pub(crate) fn classify(object: &Map<String, Value>, fields: &FieldNames) -> Option<Schema> {
    if object.get("mapping").is_some_and(Value::is_object) {
        return Some(Schema::ChatgptExport);
    }
    if object.get("chat_messages").is_some_and(Value::is_array) {
        return Some(Schema::ClaudeExport);
    }
    if object.get("messages").is_some_and(Value::is_array) {
        return Some(Schema::Openai);
    }
    if ["conversations", "conversation"]
        .iter()
        .any(|key| object.get(*key).is_some_and(Value::is_array))
    {
        return Some(Schema::Sharegpt);
    }
    if let Some((_, Value::String(text))) = first_present(object, &fields.transcript_candidates())
        && looks_like_transcript(text)
    {
        return Some(Schema::Transcript);
    }
    match first_present(object, &fields.text_candidates()) {
        Some((_, Value::String(_))) => Some(Schema::Text),
        _ => None,
    }
}

/// Where a record came from, for generated ids.
pub(crate) struct Origin<'a> {
    pub(crate) id_prefix: &'a str,
    /// `:line` or `#record`.
    pub(crate) position: String,
}

/// Maps one record of a known schema.
pub(crate) fn map_record(
    schema: Schema,
    value: Value,
    fields: &FieldNames,
    origin: &Origin<'_>,
) -> Result<Conversation, MapError> {
    let Value::Object(object) = value else {
        return Err(MapError::new(
            Reason::NotAnObject,
            format!("expected a JSON object, found {}", kind_of(&value)),
        ));
    };
    let mut candidates = FieldCandidates {
        id: fields.id_candidates(),
        user: fields.user_candidates(),
        time: fields.time_candidates(),
    };
    if schema == Schema::ClaudeExport && fields.user.is_none() {
        candidates.user.insert(0, "account.uuid");
    }
    let mut used = Vec::new();
    let common = CommonFields::read(&object, &candidates, &mut used)?;
    let with_id = |mut error: MapError| {
        error.id = common.id.clone();
        error
    };
    let messages = match schema {
        Schema::Openai => openai_messages(&object, &mut used),
        Schema::Sharegpt => sharegpt_messages(&object, &mut used),
        Schema::Transcript => transcript_messages(&object, fields, &mut used),
        Schema::Text => text_messages(&object, fields, &mut used),
        Schema::ChatgptExport => chatgpt_messages(&object, &mut used),
        Schema::ClaudeExport => claude_messages(&object, &mut used),
    }
    .map_err(with_id)?;
    let metadata = metadata(&object, &used);
    Ok(Conversation {
        id: common
            .id
            .unwrap_or_else(|| format!("{}{}", origin.id_prefix, origin.position)),
        user_id: common.user_id,
        created_at: common.created_at,
        messages,
        metadata,
    })
}

fn required_array<'a>(
    object: &'a Map<String, Value>,
    keys: &[&'static str],
    used: &mut Vec<&str>,
) -> Result<&'a Vec<Value>, MapError> {
    for key in keys {
        match object.get(*key) {
            Some(Value::Array(items)) => {
                used.push(key);
                return Ok(items);
            }
            Some(Value::Null) | None => {}
            Some(other) => {
                return Err(MapError::new(
                    Reason::InvalidField,
                    format!("field {key:?} should be an array, found {}", kind_of(other)),
                ));
            }
        }
    }
    Err(MapError::new(
        Reason::MissingMessages,
        format!("no {} field", keys.join(" or ")),
    ))
}

fn message_object(item: &Value, index: usize) -> Result<&Map<String, Value>, MapError> {
    item.as_object().ok_or_else(|| {
        MapError::new(
            Reason::InvalidField,
            format!(
                "message {} should be an object, found {}",
                index + 1,
                kind_of(item)
            ),
        )
    })
}

fn role_text<'a>(
    message: &'a Map<String, Value>,
    key: &str,
    index: usize,
) -> Result<&'a str, MapError> {
    match message.get(key) {
        Some(Value::String(role)) => Ok(role),
        Some(other) => Err(MapError::new(
            Reason::InvalidField,
            format!(
                "message {}: {key:?} should be a string, found {}",
                index + 1,
                kind_of(other)
            ),
        )),
        None => Err(MapError::new(
            Reason::UnknownRole,
            format!("message {} has no {key:?} field", index + 1),
        )),
    }
}

fn unknown_role(role: &str, index: usize) -> MapError {
    MapError::new(
        Reason::UnknownRole,
        format!("message {} has role {role:?}", index + 1),
    )
}

fn openai_role(role: &str) -> Option<Role> {
    match role.to_ascii_lowercase().as_str() {
        "system" | "developer" => Some(Role::System),
        "user" | "human" => Some(Role::User),
        "assistant" | "model" => Some(Role::Assistant),
        "tool" | "function" | "ipython" => Some(Role::Tool),
        _ => None,
    }
}

/// Content as a string, or as an array of typed parts (`{"type": "text", "text": ...}`); any
/// part that is not text becomes a placeholder of its type.
fn content_parts(content: Option<&Value>, index: usize) -> Result<Vec<Part>, MapError> {
    match content {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(vec![Part::Text { text: text.clone() }]),
        Some(Value::Array(parts)) => parts.iter().map(|part| content_part(part, index)).collect(),
        Some(other) => Err(MapError::new(
            Reason::InvalidField,
            format!(
                "message {}: content should be a string or an array of parts, found {}",
                index + 1,
                kind_of(other)
            ),
        )),
    }
}

fn content_part(part: &Value, index: usize) -> Result<Part, MapError> {
    match part {
        Value::String(text) => Ok(Part::Text { text: text.clone() }),
        Value::Object(fields) => {
            let kind = fields
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            match (kind, fields.get("text")) {
                ("text" | "input_text" | "output_text", Some(Value::String(text))) => {
                    Ok(Part::Text { text: text.clone() })
                }
                _ => Ok(Part::Placeholder {
                    kind: kind.to_string(),
                }),
            }
        }
        other => Err(MapError::new(
            Reason::InvalidField,
            format!(
                "message {}: a content part is {}",
                index + 1,
                kind_of(other)
            ),
        )),
    }
}

fn openai_messages(
    object: &Map<String, Value>,
    used: &mut Vec<&str>,
) -> Result<Vec<Message>, MapError> {
    let items = required_array(object, &["messages"], used)?;
    let mut messages = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let message = message_object(item, index)?;
        let role_name = role_text(message, "role", index)?;
        let role = openai_role(role_name).ok_or_else(|| unknown_role(role_name, index))?;
        let mut parts = content_parts(message.get("content"), index)?;
        if message
            .get("tool_calls")
            .is_some_and(|calls| !calls.is_null())
        {
            parts.push(Part::Placeholder {
                kind: "tool_calls".into(),
            });
        }
        messages.push(Message { role, parts });
    }
    Ok(messages)
}

fn sharegpt_role(role: &str) -> Option<Role> {
    match role.to_ascii_lowercase().as_str() {
        "system" => Some(Role::System),
        "human" | "user" => Some(Role::User),
        "gpt" | "assistant" | "chatgpt" | "bard" | "bing" | "model" | "function_call" => {
            Some(Role::Assistant)
        }
        "tool" | "function" | "function_response" | "observation" => Some(Role::Tool),
        _ => None,
    }
}

fn sharegpt_messages(
    object: &Map<String, Value>,
    used: &mut Vec<&str>,
) -> Result<Vec<Message>, MapError> {
    let items = required_array(object, &["conversations", "conversation"], used)?;
    let mut messages = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let message = message_object(item, index)?;
        let role_name = role_text(message, "from", index)?;
        let role = sharegpt_role(role_name).ok_or_else(|| unknown_role(role_name, index))?;
        let parts = content_parts(message.get("value"), index)?;
        messages.push(Message { role, parts });
    }
    Ok(messages)
}

fn text_field<'a>(
    object: &'a Map<String, Value>,
    candidates: &[&'a str],
    used: &mut Vec<&'a str>,
) -> Result<&'a str, MapError> {
    match first_present(object, candidates) {
        Some((name, Value::String(text))) => {
            used.push(name);
            Ok(text)
        }
        Some((name, other)) => Err(MapError::new(
            Reason::MissingTextField,
            format!(
                "field {name:?} should be a string, found {}",
                kind_of(other)
            ),
        )),
        None => Err(MapError::new(
            Reason::MissingTextField,
            format!(
                "no text field (looked for {}); name it with --text-field",
                candidates.join(", ")
            ),
        )),
    }
}

fn text_messages<'a>(
    object: &'a Map<String, Value>,
    fields: &'a FieldNames,
    used: &mut Vec<&'a str>,
) -> Result<Vec<Message>, MapError> {
    let text = text_field(object, &fields.text_candidates(), used)?;
    Ok(vec![Message::text(Role::User, text)])
}

const TRANSCRIPT_SPEAKERS: [(&str, Role); 4] = [
    ("Human:", Role::User),
    ("Assistant:", Role::Assistant),
    ("User:", Role::User),
    ("System:", Role::System),
];

fn looks_like_transcript(text: &str) -> bool {
    text.trim_start().starts_with("Human:") || text.contains("\n\nHuman:")
}

fn transcript_messages<'a>(
    object: &'a Map<String, Value>,
    fields: &'a FieldNames,
    used: &mut Vec<&'a str>,
) -> Result<Vec<Message>, MapError> {
    let text = text_field(object, &fields.transcript_candidates(), used)?;
    parse_transcript(text)
}

/// Splits `Human: ... Assistant: ...` text into messages. A speaker label counts only at the
/// start of the text or after a blank line, so "Human:" inside a sentence stays text.
pub(crate) fn parse_transcript(text: &str) -> Result<Vec<Message>, MapError> {
    let mut boundaries: Vec<(usize, usize, Role)> = Vec::new();
    let mut search_from = 0;
    let starts = std::iter::once(0).chain(text.match_indices("\n\n").map(|(at, _)| at + 2));
    for start in starts {
        if start < search_from {
            continue;
        }
        let rest = &text[start..];
        if let Some((label, role)) = TRANSCRIPT_SPEAKERS
            .iter()
            .find(|(label, _)| rest.starts_with(label))
        {
            boundaries.push((start, start + label.len(), *role));
            search_from = start + label.len();
        }
    }
    if !boundaries.iter().any(|(_, _, role)| *role == Role::User) {
        return Err(MapError::new(
            Reason::MalformedTranscript,
            "no \"Human:\" turn found at the start of the text or after a blank line",
        ));
    }
    let mut messages = Vec::with_capacity(boundaries.len() + 1);
    let preamble = text[..boundaries[0].0].trim();
    if !preamble.is_empty() {
        messages.push(Message::text(Role::System, preamble));
    }
    for (i, (_, body_start, role)) in boundaries.iter().enumerate() {
        let body_end = boundaries.get(i + 1).map_or(text.len(), |next| next.0);
        messages.push(Message::text(*role, text[*body_start..body_end].trim()));
    }
    Ok(messages)
}

fn chatgpt_role(role: &str) -> Option<Role> {
    match role {
        "system" => Some(Role::System),
        "user" => Some(Role::User),
        "assistant" => Some(Role::Assistant),
        "tool" => Some(Role::Tool),
        _ => None,
    }
}

/// The branch the person last saw: from `current_node` up through the parents to the root.
/// Edited messages leave other branches in the tree; they are not part of the conversation.
fn chatgpt_messages(
    object: &Map<String, Value>,
    used: &mut Vec<&str>,
) -> Result<Vec<Message>, MapError> {
    used.extend(["mapping", "current_node"]);
    let broken = |detail: String| MapError::new(Reason::BrokenMessageTree, detail);
    let mapping = object
        .get("mapping")
        .and_then(Value::as_object)
        .ok_or_else(|| broken("no \"mapping\" object".into()))?;
    let mut node_id = match object.get("current_node").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => {
            last_leaf(mapping).ok_or_else(|| broken("no \"current_node\" and no leaf".into()))?
        }
    };
    let mut chain = Vec::new();
    loop {
        if chain.len() > mapping.len() {
            return Err(broken("the parent links form a cycle".into()));
        }
        let node = mapping
            .get(&node_id)
            .and_then(Value::as_object)
            .ok_or_else(|| broken(format!("node {node_id:?} is referenced but missing")))?;
        chain.push(node);
        match node.get("parent").and_then(Value::as_str) {
            Some(parent) => node_id = parent.to_string(),
            None => break,
        }
    }
    chain.reverse();
    let mut messages = Vec::new();
    for (index, node) in chain.iter().enumerate() {
        let Some(message) = node.get("message").and_then(Value::as_object) else {
            continue;
        };
        let role_name = message
            .get("author")
            .and_then(|author| author.get("role"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let role = chatgpt_role(role_name).ok_or_else(|| unknown_role(role_name, index))?;
        messages.push(Message {
            role,
            parts: chatgpt_parts(message.get("content")),
        });
    }
    Ok(messages)
}

fn last_leaf(mapping: &Map<String, Value>) -> Option<String> {
    mapping
        .iter()
        .filter(|(_, node)| {
            node.get("children")
                .and_then(Value::as_array)
                .is_none_or(|children| children.is_empty())
        })
        .map(|(id, _)| id.clone())
        .next_back()
}

fn chatgpt_parts(content: Option<&Value>) -> Vec<Part> {
    let Some(content) = content.and_then(Value::as_object) else {
        return Vec::new();
    };
    let content_type = content
        .get("content_type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    if let Some(parts) = content.get("parts").and_then(Value::as_array) {
        return parts
            .iter()
            .filter_map(|part| match part {
                Value::String(text) if text.is_empty() => None,
                Value::String(text) => Some(Part::Text { text: text.clone() }),
                Value::Object(fields) => Some(Part::Placeholder {
                    kind: fields
                        .get("content_type")
                        .and_then(Value::as_str)
                        .unwrap_or(content_type)
                        .to_string(),
                }),
                _ => None,
            })
            .collect();
    }
    match content.get("text").and_then(Value::as_str) {
        Some(text) if !text.is_empty() => vec![Part::Text { text: text.into() }],
        Some(_) => Vec::new(),
        None => vec![Part::Placeholder {
            kind: content_type.to_string(),
        }],
    }
}

fn claude_messages(
    object: &Map<String, Value>,
    used: &mut Vec<&str>,
) -> Result<Vec<Message>, MapError> {
    let items = required_array(object, &["chat_messages"], used)?;
    used.push("account");
    let mut messages = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let message = message_object(item, index)?;
        let role_name = role_text(message, "sender", index)?;
        let role = match role_name {
            "human" => Role::User,
            "assistant" => Role::Assistant,
            other => return Err(unknown_role(other, index)),
        };
        let mut parts = match message.get("content") {
            Some(Value::Array(content)) if !content.is_empty() => content
                .iter()
                .map(|part| content_part(part, index))
                .collect::<Result<Vec<_>, _>>()?,
            _ => content_parts(message.get("text"), index)?,
        };
        for key in ["attachments", "files"] {
            let count = message
                .get(key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            parts.extend((0..count).map(|_| Part::Placeholder {
                kind: key.trim_end_matches('s').to_string(),
            }));
        }
        messages.push(Message { role, parts });
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transcript_splits_on_labels_after_blank_lines_only() {
        let messages = parse_transcript(
            "\n\nHuman: Say \"Human: hi\" please\n\nAssistant: Human: hi\n\nHuman: thanks",
        )
        .unwrap();
        let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
        assert_eq!(messages[0].rendered_text(), "Say \"Human: hi\" please");
        assert_eq!(messages[1].rendered_text(), "Human: hi");
    }

    #[test]
    fn transcript_without_human_is_malformed() {
        let error = parse_transcript("just some text").unwrap_err();
        assert_eq!(error.reason, Reason::MalformedTranscript);
    }

    #[test]
    fn classify_each_schema() {
        let fields = FieldNames::default();
        let cases = [
            (json!({"mapping": {}}), Some(Schema::ChatgptExport)),
            (json!({"chat_messages": []}), Some(Schema::ClaudeExport)),
            (json!({"messages": []}), Some(Schema::Openai)),
            (json!({"conversations": []}), Some(Schema::Sharegpt)),
            (
                json!({"chosen": "\n\nHuman: hi\n\nAssistant: yo"}),
                Some(Schema::Transcript),
            ),
            (json!({"text": "hello"}), Some(Schema::Text)),
            (json!({"foo": 1}), None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                classify(value.as_object().unwrap(), &fields),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn chatgpt_follows_the_current_branch() {
        let record = json!({
            "id": "c",
            "current_node": "b2",
            "mapping": {
                "root": {"message": null, "parent": null, "children": ["a"]},
                "a": {"message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["q"]}}, "parent": "root", "children": ["b1", "b2"]},
                "b1": {"message": {"author": {"role": "assistant"}, "content": {"content_type": "text", "parts": ["old"]}}, "parent": "a", "children": []},
                "b2": {"message": {"author": {"role": "assistant"}, "content": {"content_type": "multimodal_text", "parts": ["new", {"content_type": "image_asset_pointer"}]}}, "parent": "a", "children": []}
            }
        });
        let origin = Origin {
            id_prefix: "f",
            position: ":1".into(),
        };
        let conversation = map_record(
            Schema::ChatgptExport,
            record,
            &FieldNames::default(),
            &origin,
        )
        .unwrap();
        assert_eq!(conversation.messages.len(), 2);
        assert_eq!(
            conversation.messages[1].rendered_text(),
            "new\n\n[image_asset_pointer]"
        );
    }
}
