//! JSON records of each schema to conversations. CSV rows and Parquet rows arrive here as JSON
//! objects too, so every format shares one set of rules for ids, users, times and metadata.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::{Map, Value};

use chorus_types::{Conversation, Message, Part, Role};

use crate::fields::{CommonFields, FieldCandidates, MapError, first_present, metadata};
use crate::options::FieldNames;
use crate::quarantine::Reason;
use crate::timestamp::kind_of;
use crate::transcript::{chat_template, looks_like_transcript, parse_transcript};

/// The shape of one JSON record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Schema {
    Openai,
    Sharegpt,
    Transcript,
    Text,
    ChatgptExport,
    ClaudeExport,
    Gemini,
}

/// Recognises a record's schema from its fields.
pub(crate) fn classify(object: &Map<String, Value>, fields: &FieldNames) -> Option<Schema> {
    if object.get("mapping").is_some_and(Value::is_object) {
        return Some(Schema::ChatgptExport);
    }
    if object.get("chat_messages").is_some_and(Value::is_array) {
        return Some(Schema::ClaudeExport);
    }
    if holds_messages(object.get("messages")) {
        return Some(Schema::Openai);
    }
    if gemini_contents(object.get("contents")) {
        return Some(Schema::Gemini);
    }
    if ["conversations", "conversation"]
        .iter()
        .any(|key| holds_messages(object.get(*key)))
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
        Schema::Openai => listed_messages(&object, &["messages", "contents"], fields, &mut used),
        Schema::Gemini => listed_messages(&object, &["contents"], fields, &mut used),
        Schema::Sharegpt => listed_messages(
            &object,
            &["conversations", "conversation"],
            fields,
            &mut used,
        ),
        Schema::Transcript => transcript_messages(&object, fields, &mut used),
        Schema::Text => text_messages(&object, fields, &mut used),
        Schema::ChatgptExport => chatgpt_messages(&object, &mut used),
        Schema::ClaudeExport => claude_messages(&object, fields, &mut used),
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

/// The message list: an array, or a JSON string holding one (a Parquet or CSV column of
/// messages written as JSON).
fn required_messages<'a>(
    object: &'a Map<String, Value>,
    keys: &[&'static str],
    used: &mut Vec<&str>,
) -> Result<Cow<'a, [Value]>, MapError> {
    for key in keys {
        match object.get(*key) {
            Some(Value::Array(items)) => {
                used.push(key);
                return Ok(Cow::Borrowed(items));
            }
            Some(Value::Null) | None => {}
            Some(Value::String(text)) if json_array_text(text) => {
                let items: Vec<Value> = serde_json::from_str(text).map_err(|error| {
                    MapError::new(
                        Reason::InvalidField,
                        format!("field {key:?} holds JSON that does not parse: {error}"),
                    )
                })?;
                used.push(key);
                return Ok(Cow::Owned(items));
            }
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

/// An array of messages, or text that opens like a JSON array of objects.
fn holds_messages(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Array(_)) => true,
        Some(Value::String(text)) => json_array_text(text),
        _ => false,
    }
}

/// Gemini's `generateContent` requests: `contents`, a list of `{role, parts: [...]}`.
fn gemini_contents(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_array)
        .and_then(|items| items.first())
        .is_some_and(|first| first.get("parts").is_some_and(Value::is_array))
}

fn json_array_text(text: &str) -> bool {
    let text = text.trim_start();
    text.starts_with('[') && text[1..].trim_start().starts_with(['{', ']'])
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

/// A message's speaker, from the first of the role fields it has (the formats that keep
/// messages in a list name it `role`, `from`, `sender`, ...).
fn speaker<'a>(
    message: &'a Map<String, Value>,
    role_fields: &[&str],
    index: usize,
) -> Result<&'a str, MapError> {
    let Some((key, value)) = role_fields
        .iter()
        .find_map(|key| message.get(*key).map(|value| (*key, value)))
    else {
        return Err(MapError::new(
            Reason::UnknownRole,
            format!(
                "message {} has none of the fields {} (name it with --role-field)",
                index + 1,
                role_fields.join(", ")
            ),
        ));
    };
    // `author: {"role": "user"}` (ChatGPT) or `author: "user"`.
    let role = match value {
        Value::Object(author) => author.get("role").unwrap_or(value),
        _ => value,
    };
    role.as_str().ok_or_else(|| {
        MapError::new(
            Reason::InvalidField,
            format!(
                "message {}: {key:?} should be a string, found {}",
                index + 1,
                kind_of(role)
            ),
        )
    })
}

fn unknown_role(role: &str, index: usize) -> MapError {
    MapError::new(
        Reason::UnknownRole,
        format!(
            "message {} has role {role:?} (map it with --role-map {role}=user, or =assistant, \
             =system, =tool)",
            index + 1
        ),
    )
}

/// A speaker name the user mapped to a role.
fn mapped_role(fields: &FieldNames, name: &str) -> Option<Role> {
    fields
        .role_values
        .iter()
        .find(|(source, _)| source.eq_ignore_ascii_case(name))
        .and_then(|(_, role)| speaker_role(role))
}

/// Every speaker name the list formats use, to one role.
pub(crate) fn speaker_role(role: &str) -> Option<Role> {
    match role.to_ascii_lowercase().as_str() {
        "system" | "developer" => Some(Role::System),
        "user" | "human" | "prompter" => Some(Role::User),
        "assistant" | "model" | "gpt" | "chatgpt" | "bard" | "bing" | "bot" | "ai"
        | "function_call" => Some(Role::Assistant),
        "tool" | "function" | "ipython" | "function_response" | "observation" => Some(Role::Tool),
        _ => None,
    }
}

/// Content as a string, or as an array of typed parts (`{"type": "text", "text": ...}`); any
/// part that is not text becomes a placeholder of its type.
pub(crate) fn content_parts(content: Option<&Value>, index: usize) -> Result<Vec<Part>, MapError> {
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
            // Typed parts name their kind; Gemini's parts are named by their one key
            // (`text`, `inlineData`, `functionCall`, `functionResponse`…).
            let kind = match fields.get("type") {
                Some(kind) => kind.as_str().unwrap_or("unknown"),
                None if fields.contains_key("text") => "text",
                None => fields.keys().next().map_or("unknown", String::as_str),
            };
            // OpenTelemetry's GenAI parts keep the words under `content`.
            let words = fields.get("text").or_else(|| fields.get("content"));
            match (kind, words) {
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

/// A list of message objects (`messages`, `conversations`, `conversation`), whatever the
/// fields its format names the speaker and the words with.
fn listed_messages(
    object: &Map<String, Value>,
    keys: &[&'static str],
    fields: &FieldNames,
    used: &mut Vec<&str>,
) -> Result<Vec<Message>, MapError> {
    let items = required_messages(object, keys, used)?;
    let (role_fields, content_fields) = (fields.role_candidates(), fields.content_candidates());
    let mut messages = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let message = message_object(item, index)?;
        let role_name = speaker(message, &role_fields, index)?;
        let mut role = mapped_role(fields, role_name)
            .or_else(|| speaker_role(role_name))
            .ok_or_else(|| unknown_role(role_name, index))?;
        // Claude.ai keeps an empty `content` list beside the `text` of older messages.
        let content = content_fields
            .iter()
            .filter_map(|key| message.get(*key))
            .find(|value| !value.is_null() && value.as_array().is_none_or(|a| !a.is_empty()));
        let mut parts = content_parts(content, index)?;
        for key in ["attachments", "files"] {
            let count = message
                .get(key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            parts.extend((0..count).map(|_| Part::Placeholder {
                kind: key.trim_end_matches('s').to_string(),
            }));
        }
        if message
            .get("tool_calls")
            .is_some_and(|calls| !calls.is_null())
        {
            parts.push(Part::Placeholder {
                kind: "tool_calls".into(),
            });
        }
        if role == Role::User && only_tool_results(&parts) {
            role = Role::Tool;
        }
        messages.push(Message { role, parts });
    }
    Ok(messages)
}

/// A "user" message that only hands back tool results (the Messages API's `tool_result`
/// blocks) holds no words of the person.
pub(crate) fn only_tool_results(parts: &[Part]) -> bool {
    !parts.is_empty()
        && parts.iter().all(|part| {
            matches!(part, Part::Placeholder { kind } if kind == "tool_result" || kind == "functionResponse")
        })
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
    // A chat template in a text column holds the assistant's turns too: they must not count
    // as the user's words.
    chat_template(text).unwrap_or_else(|| Ok(vec![Message::text(Role::User, text)]))
}

fn transcript_messages<'a>(
    object: &'a Map<String, Value>,
    fields: &'a FieldNames,
    used: &mut Vec<&'a str>,
) -> Result<Vec<Message>, MapError> {
    let text = text_field(object, &fields.transcript_candidates(), used)?;
    parse_transcript(text)
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
    let current = object
        .get("current_node")
        .and_then(Value::as_str)
        .filter(|id| mapping.contains_key(*id));
    let mut node_id = match current {
        Some(id) => id.to_string(),
        None => {
            latest_leaf(mapping).ok_or_else(|| broken("no \"current_node\" and no leaf".into()))?
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
        let mut role = chatgpt_role(role_name).ok_or_else(|| unknown_role(role_name, index))?;
        // Custom instructions and other context the app adds travel as hidden "user" messages:
        // the person did not write them in this conversation.
        if role == Role::User && hidden_from_conversation(message) {
            role = Role::System;
        }
        messages.push(Message {
            role,
            parts: chatgpt_parts(message.get("content")),
        });
    }
    Ok(messages)
}

fn hidden_from_conversation(message: &Map<String, Value>) -> bool {
    let flagged = message
        .get("metadata")
        .and_then(|metadata| metadata.get("is_visually_hidden_from_conversation"))
        .and_then(Value::as_bool)
        == Some(true);
    let context = message
        .get("content")
        .and_then(|content| content.get("content_type"))
        .and_then(Value::as_str)
        .is_some_and(|kind| kind == "user_editable_context");
    flagged || context
}

/// Without `current_node`: the leaf (a node no other node names as its parent, so `children`
/// lists are not needed) whose message was written last; the last such leaf on a tie.
fn latest_leaf(mapping: &Map<String, Value>) -> Option<String> {
    let parents: HashSet<&str> = mapping
        .values()
        .filter_map(|node| node.get("parent").and_then(Value::as_str))
        .collect();
    let written_at = |node: &Value| {
        node.get("message")
            .and_then(|message| message.get("create_time"))
            .and_then(Value::as_f64)
            .unwrap_or(f64::NEG_INFINITY)
    };
    mapping
        .iter()
        .filter(|(id, _)| !parents.contains(id.as_str()))
        .max_by(|(_, a), (_, b)| written_at(a).total_cmp(&written_at(b)))
        .map(|(id, _)| id.clone())
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
    fields: &FieldNames,
    used: &mut Vec<&str>,
) -> Result<Vec<Message>, MapError> {
    used.push("account");
    listed_messages(object, &["chat_messages"], fields, used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
