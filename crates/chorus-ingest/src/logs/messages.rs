//! Messages as tracing tools and SDKs write them: OpenAI's `{role, content}`, OpenTelemetry's
//! `{role, parts}`, LangChain's serialised messages (`{"lc": 1, "id": [.., "HumanMessage"],
//! "kwargs": {..}}` and `{"type": "human", "data": {..}}`), bare strings, and objects of named
//! inputs (`{"question": ".."}`).

use serde_json::{Map, Value};

use chorus_types::{Message, Part, Role};

use crate::fields::MapError;
use crate::mapping::{content_parts, only_tool_results, speaker_role};
use crate::quarantine::Reason;

/// Fields a chain's inputs or outputs commonly keep their one text under.
const NAMED_TEXT: [&str; 16] = [
    "generations",
    "prompts",
    "input",
    "question",
    "query",
    "prompt",
    "text",
    "message",
    "content",
    "user_input",
    "output",
    "answer",
    "result",
    "response",
    "completion",
    "generated_text",
];

/// Every message a value holds; text that names no speaker is `speaker`'s.
pub(crate) fn message_list(value: &Value, speaker: Role) -> Result<Vec<Message>, MapError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(text) => Ok(said(speaker, text)),
        Value::Array(items) => {
            let mut messages = Vec::new();
            for item in items {
                messages.extend(message_list(item, speaker)?);
            }
            Ok(messages)
        }
        Value::Object(object) => object_messages(object, speaker),
        other => Ok(said(speaker, &other.to_string())),
    }
}

fn said(speaker: Role, text: &str) -> Vec<Message> {
    if text.trim().is_empty() {
        Vec::new()
    } else {
        vec![Message::text(speaker, text)]
    }
}

fn object_messages(object: &Map<String, Value>, speaker: Role) -> Result<Vec<Message>, MapError> {
    if let Some(list) = object.get("messages").filter(|v| v.is_array()) {
        return message_list(list, speaker);
    }
    if let Some(message) = one_message(object)? {
        return Ok(vec![message]);
    }
    if let Some(text) = NAMED_TEXT.iter().find_map(|key| object.get(*key)) {
        return message_list(text, speaker);
    }
    let strings: Vec<&str> = object.values().filter_map(Value::as_str).collect();
    match strings.as_slice() {
        [only] if object.len() == 1 => Ok(said(speaker, only)),
        // Named inputs of a chain that fit no common name: their JSON is what was sent.
        _ => Ok(said(speaker, &Value::Object(object.clone()).to_string())),
    }
}

/// A single message object in any of the known shapes; `None` when the object is not one.
pub(crate) fn one_message(object: &Map<String, Value>) -> Result<Option<Message>, MapError> {
    let (role_name, body) = if let Some(kwargs) = langchain_constructor(object) {
        (kwargs.0, kwargs.1)
    } else if let Some(role) = object.get("role").and_then(Value::as_str) {
        (role.to_string(), object)
    } else if let Some(kind) = object.get("type").and_then(Value::as_str)
        && let Some(role) = langchain_type(kind)
    {
        let body = object
            .get("data")
            .and_then(Value::as_object)
            .unwrap_or(object);
        (role.to_string(), body)
    } else {
        return Ok(None);
    };
    let role = body
        .get("role")
        .and_then(Value::as_str)
        .filter(|_| role_name == "chat")
        .unwrap_or(&role_name);
    let mut role = speaker_role(role).ok_or_else(|| {
        MapError::new(
            Reason::UnknownRole,
            format!("a message has the role {role:?}, which chorus does not know"),
        )
    })?;
    let content = ["content", "parts", "text"]
        .iter()
        .filter_map(|key| body.get(*key))
        .find(|value| !value.is_null());
    let mut parts = content_parts(content, 0)?;
    if body
        .get("tool_calls")
        .and_then(Value::as_array)
        .is_some_and(|calls| !calls.is_empty())
    {
        parts.push(Part::Placeholder {
            kind: "tool_calls".into(),
        });
    }
    if role == Role::User && only_tool_results(&parts) {
        role = Role::Tool;
    }
    Ok(Some(Message { role, parts }))
}

/// LangChain's `{"lc": 1, "type": "constructor", "id": [..., "HumanMessage"], "kwargs": {..}}`:
/// the role its class names, and the message's fields.
fn langchain_constructor(object: &Map<String, Value>) -> Option<(String, &Map<String, Value>)> {
    let class = object.get("id")?.as_array()?.last()?.as_str()?;
    let kwargs = object.get("kwargs")?.as_object()?;
    let role = match class.trim_end_matches("Chunk") {
        "HumanMessage" => "user",
        "AIMessage" => "assistant",
        "SystemMessage" => "system",
        "ToolMessage" | "FunctionMessage" => "tool",
        "ChatMessage" => "chat",
        _ => return None,
    };
    Some((role.to_string(), kwargs))
}

/// LangChain's message types (`message_to_dict`, `.dict()`).
fn langchain_type(kind: &str) -> Option<&'static str> {
    match kind {
        "human" => Some("user"),
        "ai" => Some("assistant"),
        "system" => Some("system"),
        "tool" | "function" => Some("tool"),
        "chat" => Some("chat"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rendered(value: Value) -> Vec<(Role, String)> {
        message_list(&value, Role::User)
            .unwrap()
            .iter()
            .map(|m| (m.role, m.rendered_text()))
            .collect()
    }

    #[test]
    fn every_known_shape_reads_its_speaker_and_words() {
        let value = json!([
            [{"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "SystemMessage"], "kwargs": {"content": "be kind"}}],
            {"type": "human", "data": {"content": "hi"}},
            {"type": "ai", "content": "hello"},
            {"role": "assistant", "parts": [{"type": "text", "content": "parts"}]},
            {"role": "user", "content": [{"type": "tool_result", "content": "42"}]},
            "bare"
        ]);
        assert_eq!(
            rendered(value),
            vec![
                (Role::System, "be kind".into()),
                (Role::User, "hi".into()),
                (Role::Assistant, "hello".into()),
                (Role::Assistant, "parts".into()),
                (Role::Tool, "[tool_result]".into()),
                (Role::User, "bare".into()),
            ]
        );
    }

    #[test]
    fn named_inputs_are_read_as_the_speakers_words() {
        assert_eq!(
            rendered(json!({"question": "why?"})),
            vec![(Role::User, "why?".into())]
        );
        assert_eq!(
            rendered(json!({"topic": "tea", "style": "short"})),
            vec![(Role::User, r#"{"style":"short","topic":"tea"}"#.into())]
        );
        assert!(rendered(json!({"messages": []})).is_empty());
    }

    #[test]
    fn an_unknown_role_is_an_error() {
        let error =
            message_list(&json!([{"role": "narrator", "content": "x"}]), Role::User).unwrap_err();
        assert_eq!(error.reason, Reason::UnknownRole);
    }
}
