//! Tracing exports: one model call or one turn a record.
//!
//! - LangSmith runs (`{"id", "run_type", "inputs", "outputs", "parent_run_id", "start_time",
//!   "extra": {"metadata": {..}}}`): each root run is a conversation; runs inside a trace repeat
//!   what their root run holds and are counted, not read.
//! - Langfuse traces (`{"id", "timestamp", "input", "output", "userId", "sessionId", ..}`).
//! - OpenTelemetry GenAI spans as OTLP JSON (`{"resourceSpans": [{"resource", "scopeSpans":
//!   [{"spans": [..]}]}]}`, the collector's file exporter writes one such document a line), or
//!   single spans as the console exporter prints them. Message content is read from every
//!   generation of the semantic conventions: `gen_ai.input.messages` / `gen_ai.output.messages`,
//!   indexed `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` attributes, and the
//!   `gen_ai.content.*` / `gen_ai.*.message` / `gen_ai.choice` events.
//!
//! Records that name a session or thread (`sessionId`, `thread_id`, `gen_ai.conversation.id`)
//! are that session's turns, joined in time order into one conversation.

use serde_json::{Map, Value};

use chorus_types::{Message, Role};

use super::messages::message_list;
use super::sessions::{Join, Piece, history_repeated};
use super::{Draft, LogItem, id_at, id_of, time_at};
use crate::fields::{MapError, get_path};
use crate::quarantine::Reason;

pub(crate) fn is_langsmith_run(object: &Map<String, Value>) -> bool {
    object.get("run_type").is_some_and(Value::is_string)
        && object.contains_key("inputs")
        && (object.contains_key("id") || object.contains_key("trace_id"))
}

/// Metadata keys a LangSmith run names its thread with.
const THREAD_KEYS: [&str; 3] = ["thread_id", "session_id", "conversation_id"];

/// Run types that are one model call.
const MODEL_RUNS: [&str; 2] = ["llm", "chat_model"];

/// A root run, and that the file holds its trace's root; a model call inside a trace, which
/// stands in for the root run only when the file holds none (an export of `llm` runs alone);
/// any other run inside a trace says nothing of its own.
pub(crate) fn read_langsmith_run(object: &Map<String, Value>) -> Result<Vec<LogItem>, MapError> {
    let trace = id_at(object, "trace_id");
    let inside = object
        .get("parent_run_id")
        .is_some_and(|parent| !parent.is_null());
    let model_call = object
        .get("run_type")
        .and_then(Value::as_str)
        .is_some_and(|kind| MODEL_RUNS.contains(&kind));
    if inside && !(model_call && trace.is_some()) {
        return Ok(vec![LogItem::NoWords]);
    }
    let metadata = get_path(object, "extra.metadata").and_then(Value::as_object);
    let mut draft = Draft {
        id: id_at(object, "id"),
        user_id: metadata.and_then(|metadata| {
            ["user_id", "user"]
                .iter()
                .find_map(|key| id_at(metadata, key))
        }),
        created_at: time_at(object, "start_time")?,
        ..Draft::default()
    };
    for key in ["name", "run_type", "status", "error"] {
        draft.note(key, object.get(key));
    }
    if inside {
        let item = exchange(object, ["inputs", "outputs"], draft, trace.clone())?;
        return Ok(vec![match item {
            LogItem::Piece(mut piece) => {
                piece.stands_in_for = trace;
                LogItem::Piece(piece)
            }
            other => other,
        }]);
    }
    let thread =
        metadata.and_then(|metadata| THREAD_KEYS.iter().find_map(|key| id_at(metadata, key)));
    let mut items = vec![exchange(object, ["inputs", "outputs"], draft, thread)?];
    items.extend(
        trace
            .or_else(|| id_at(object, "id"))
            .map(LogItem::TraceRoot),
    );
    Ok(items)
}

/// Fields only Langfuse's trace objects carry beside `input` and `output`.
const LANGFUSE_MARKS: [&str; 6] = [
    "sessionId",
    "htmlPath",
    "projectId",
    "observations",
    "totalCost",
    "latency",
];

pub(crate) fn is_langfuse_trace(object: &Map<String, Value>) -> bool {
    (object.contains_key("input") || object.contains_key("output"))
        && LANGFUSE_MARKS.iter().any(|key| object.contains_key(*key))
}

pub(crate) fn read_langfuse_trace(object: &Map<String, Value>) -> Result<LogItem, MapError> {
    let mut draft = Draft {
        id: id_at(object, "id"),
        user_id: id_at(object, "userId"),
        created_at: time_at(object, "timestamp")?,
        ..Draft::default()
    };
    for key in ["name", "release", "version", "environment", "tags"] {
        draft.note(key, object.get(key));
    }
    exchange(
        object,
        ["input", "output"],
        draft,
        id_at(object, "sessionId"),
    )
}

/// What a call was sent (the user's turn) and gave back (the assistant's), at `keys`.
fn exchange(
    object: &Map<String, Value>,
    [sent, received]: [&str; 2],
    draft: Draft,
    session: Option<String>,
) -> Result<LogItem, MapError> {
    let at = |key: &str| object.get(key).unwrap_or(&Value::Null);
    let input = message_list(at(sent), Role::User)?;
    let output = message_list(at(received), Role::Assistant)?;
    Ok(turn(draft, session, input, output))
}

/// A call of a named session is a piece of it; otherwise a conversation of its own. Agent
/// frameworks return the whole message state: an output that repeats the input adds only what
/// is new.
fn turn(
    mut draft: Draft,
    session: Option<String>,
    input: Vec<Message>,
    mut output: Vec<Message>,
) -> LogItem {
    let repeated = history_repeated(&input, &output);
    output.drain(..repeated);
    match session {
        Some(session) => LogItem::Piece(Piece {
            session,
            join: Join::Turns,
            node: None,
            input,
            output,
            about: draft,
            stands_in_for: None,
        }),
        None => {
            draft.messages = input;
            draft.messages.extend(output);
            LogItem::Conversation(draft)
        }
    }
}

pub(crate) fn is_otel(object: &Map<String, Value>) -> bool {
    object.get("resourceSpans").is_some_and(Value::is_array) || single_span(object)
}

/// A span on its own: OTLP's `{"traceId", "spanId", "attributes": [..]}` or the console
/// exporter's `{"context": {"span_id"}, "attributes": {..}}`.
fn single_span(object: &Map<String, Value>) -> bool {
    let ids = (object.contains_key("traceId") && object.contains_key("spanId"))
        || get_path(object, "context.span_id").is_some();
    ids && object.contains_key("attributes") && object.contains_key("name")
}

pub(crate) fn read_otel(object: &Map<String, Value>) -> Result<Vec<LogItem>, MapError> {
    let Some(resource_spans) = object.get("resourceSpans").and_then(Value::as_array) else {
        return Ok(vec![read_span(object, &Map::new())]);
    };
    let mut items = Vec::new();
    for resource_span in resource_spans {
        let resource = attributes(get_path_value(resource_span, "resource.attributes"));
        let scopes = ["scopeSpans", "instrumentationLibrarySpans"]
            .iter()
            .find_map(|key| resource_span.get(*key).and_then(Value::as_array));
        for scope in scopes.into_iter().flatten() {
            let spans = scope.get("spans").and_then(Value::as_array);
            for span in spans.into_iter().flatten().filter_map(Value::as_object) {
                items.push(read_span(span, &resource));
            }
        }
    }
    Ok(items)
}

fn get_path_value<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    value.as_object().and_then(|object| get_path(object, path))
}

/// OTLP's `[{"key", "value": {"stringValue": ..}}]` or a plain map, as a plain map.
fn attributes(value: Option<&Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(map)) => map.clone(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|entry| {
                let key = entry.get("key")?.as_str()?;
                Some((key.to_string(), any_value(entry.get("value")?)))
            })
            .collect(),
        _ => Map::new(),
    }
}

/// OTLP's typed `AnyValue` as plain JSON.
fn any_value(value: &Value) -> Value {
    let Some(object) = value.as_object() else {
        return value.clone();
    };
    if let Some(values) = get_path(object, "arrayValue.values").and_then(Value::as_array) {
        return Value::Array(values.iter().map(any_value).collect());
    }
    if let Some(entries) = object.get("kvlistValue") {
        return Value::Object(attributes(entries.get("values")));
    }
    [
        "stringValue",
        "intValue",
        "doubleValue",
        "boolValue",
        "bytesValue",
    ]
    .iter()
    .find_map(|key| object.get(*key).cloned())
    .unwrap_or(Value::Null)
}

/// Operations whose spans should carry the messages of a model call.
const MODEL_CALLS: [&str; 3] = ["chat", "text_completion", "generate_content"];

fn read_span(span: &Map<String, Value>, resource: &Map<String, Value>) -> LogItem {
    match span_turn(span, resource) {
        Ok(item) => item,
        Err(error) => LogItem::Rejected(error),
    }
}

fn span_turn(
    span: &Map<String, Value>,
    resource: &Map<String, Value>,
) -> Result<LogItem, MapError> {
    let attrs = attributes(span.get("attributes"));
    let events: Vec<(String, Map<String, Value>)> = span
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|event| {
            let name = event.get("name")?.as_str()?.to_string();
            Some((name, attributes(event.get("attributes"))))
        })
        .collect();
    let generative = attrs.keys().any(|key| key.starts_with("gen_ai."))
        || events.iter().any(|(name, _)| name.starts_with("gen_ai."));
    if !generative {
        return Ok(LogItem::NoWords);
    }
    let (input, output) = span_messages(&attrs, &events)?;
    let operation = attrs.get("gen_ai.operation.name").and_then(Value::as_str);
    if input.is_empty() && output.is_empty() {
        if operation.is_some_and(|operation| MODEL_CALLS.contains(&operation)) {
            return Err(MapError::new(
                Reason::MissingMessages,
                "a GenAI span of a model call holds no message content: the instrumentation \
                 recorded none (turn on content capture, e.g. \
                 OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)",
            ));
        }
        return Ok(LogItem::NoWords);
    }
    let lookup = |key: &str| attrs.get(key).or_else(|| resource.get(key));
    let mut draft = Draft {
        id: id_at(span, "spanId").or_else(|| {
            span.get("context")
                .and_then(Value::as_object)
                .and_then(|context| id_at(context, "span_id"))
        }),
        user_id: ["user.id", "enduser.id"]
            .iter()
            .find_map(|key| lookup(key).and_then(id_of)),
        created_at: match time_at(span, "startTimeUnixNano")? {
            Some(time) => Some(time),
            None => time_at(span, "start_time")?,
        },
        ..Draft::default()
    };
    draft.note(
        "provider",
        lookup("gen_ai.provider.name").or_else(|| lookup("gen_ai.system")),
    );
    draft.note("model", lookup("gen_ai.request.model"));
    draft.note(
        "operation",
        operation.map(|o| Value::String(o.into())).as_ref(),
    );
    draft.note("service", lookup("service.name"));
    let session = ["gen_ai.conversation.id", "session.id"]
        .iter()
        .find_map(|key| lookup(key).and_then(id_of));
    Ok(turn(draft, session, input, output))
}

/// A message list written as a JSON string (as OTel attributes must be), or plain text.
fn decoded(value: &Value, speaker: Role) -> Result<Vec<Message>, MapError> {
    if let Value::String(text) = value
        && let trimmed = text.trim_start()
        && (trimmed.starts_with('[') || trimmed.starts_with('{'))
        && let Ok(parsed) = serde_json::from_str::<Value>(text)
    {
        return message_list(&parsed, speaker);
    }
    message_list(value, speaker)
}

type Turn = (Vec<Message>, Vec<Message>);

/// What was sent and what came back, from whichever convention the instrumentation follows.
fn span_messages(
    attrs: &Map<String, Value>,
    events: &[(String, Map<String, Value>)],
) -> Result<Turn, MapError> {
    let (mut input, mut output) = (Vec::new(), Vec::new());
    if let Some(system) = attrs.get("gen_ai.system_instructions") {
        input.extend(decoded(system, Role::System)?);
    }
    if let Some(sent) = attrs.get("gen_ai.input.messages") {
        input.extend(decoded(sent, Role::User)?);
    }
    if let Some(received) = attrs.get("gen_ai.output.messages") {
        output.extend(decoded(received, Role::Assistant)?);
    }
    if input.is_empty() && output.is_empty() {
        input = indexed(attrs, "gen_ai.prompt", Role::User)?;
        output = indexed(attrs, "gen_ai.completion", Role::Assistant)?;
    }
    if input.is_empty() && output.is_empty() {
        (input, output) = event_messages(events)?;
    }
    Ok((input, output))
}

/// OpenLLMetry's `gen_ai.prompt.0.role`, `gen_ai.prompt.0.content`, ...
fn indexed(
    attrs: &Map<String, Value>,
    prefix: &str,
    speaker: Role,
) -> Result<Vec<Message>, MapError> {
    let mut messages = Vec::new();
    for index in 0.. {
        let content = attrs.get(&format!("{prefix}.{index}.content"));
        let role = attrs.get(&format!("{prefix}.{index}.role"));
        if content.is_none() && role.is_none() {
            break;
        }
        let mut message = Map::new();
        message.insert(
            "role".into(),
            role.cloned()
                .unwrap_or_else(|| Value::String(speaker.as_str().into())),
        );
        message.insert("content".into(), content.cloned().unwrap_or(Value::Null));
        messages.extend(message_list(&Value::Object(message), speaker)?);
    }
    Ok(messages)
}

fn event_messages(events: &[(String, Map<String, Value>)]) -> Result<Turn, MapError> {
    let (mut input, mut output) = (Vec::new(), Vec::new());
    for (name, attrs) in events {
        let content = [
            "gen_ai.prompt",
            "gen_ai.completion",
            "gen_ai.event.content",
            "content",
            "message",
        ]
        .iter()
        .find_map(|key| attrs.get(*key));
        let Some(content) = content else { continue };
        let (speaker, into) = match name.as_str() {
            "gen_ai.content.prompt" | "gen_ai.user.message" => (Role::User, &mut input),
            "gen_ai.system.message" => (Role::System, &mut input),
            "gen_ai.tool.message" => (Role::Tool, &mut input),
            "gen_ai.assistant.message" => (Role::Assistant, &mut input),
            "gen_ai.content.completion" | "gen_ai.choice" => (Role::Assistant, &mut output),
            _ => continue,
        };
        into.extend(decoded(content, speaker)?);
    }
    Ok((input, output))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(messages: &[Message]) -> Vec<(Role, String)> {
        messages
            .iter()
            .map(|m| (m.role, m.rendered_text()))
            .collect()
    }

    #[test]
    fn an_otlp_document_yields_its_model_calls() {
        let document = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "helpdesk"}}]},
        "scopeSpans": [{"spans": [
            {"traceId": "t", "spanId": "s1", "name": "chat gpt-4o", "startTimeUnixNano": "1733400000000000000",
             "attributes": [
                {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                {"key": "user.id", "value": {"stringValue": "u9"}},
                {"key": "gen_ai.input.messages", "value": {"stringValue": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Reset my password\"}]}]"}},
                {"key": "gen_ai.output.messages", "value": {"stringValue": "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Open settings.\"}]}]"}}]},
            {"traceId": "t", "spanId": "s2", "name": "chat", "attributes": [
                {"key": "gen_ai.prompt.0.role", "value": {"stringValue": "user"}},
                {"key": "gen_ai.prompt.0.content", "value": {"stringValue": "Hi"}},
                {"key": "gen_ai.completion.0.content", "value": {"stringValue": "Hello"}}]},
            {"traceId": "t", "spanId": "s3", "name": "chat", "attributes": [], "events": [
                {"name": "gen_ai.content.prompt", "attributes": [{"key": "gen_ai.prompt", "value": {"stringValue": "[{\"role\": \"user\", \"content\": \"Weather?\"}]"}}]},
                {"name": "gen_ai.content.completion", "attributes": [{"key": "gen_ai.completion", "value": {"stringValue": "Sunny"}}]}]},
            {"traceId": "t", "spanId": "s4", "name": "GET /", "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}]},
            {"traceId": "t", "spanId": "s5", "name": "chat", "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]}
        ]}]}]});
        let items = read_otel(document.as_object().unwrap()).unwrap();
        assert_eq!(items.len(), 5);
        let LogItem::Conversation(first) = &items[0] else {
            panic!("s1")
        };
        assert_eq!(
            texts(&first.messages),
            [
                (Role::User, "Reset my password".into()),
                (Role::Assistant, "Open settings.".into())
            ]
        );
        assert_eq!(first.user_id.as_deref(), Some("u9"));
        assert_eq!(first.metadata["service"], "helpdesk");
        assert_eq!(
            first.created_at.unwrap().to_rfc3339(),
            "2024-12-05T12:00:00+00:00"
        );
        let LogItem::Conversation(second) = &items[1] else {
            panic!("s2")
        };
        assert_eq!(
            texts(&second.messages)[1],
            (Role::Assistant, "Hello".into())
        );
        let LogItem::Conversation(third) = &items[2] else {
            panic!("s3")
        };
        assert_eq!(texts(&third.messages)[0], (Role::User, "Weather?".into()));
        assert!(matches!(items[3], LogItem::NoWords));
        assert!(matches!(&items[4], LogItem::Rejected(e) if e.reason == Reason::MissingMessages));
    }

    #[test]
    fn langsmith_root_runs_are_read_and_model_calls_stand_in() {
        let root = json!({"id": "r", "run_type": "chain", "parent_run_id": null, "start_time": "2025-01-02T03:04:05",
            "inputs": {"question": "What is RAG?"}, "outputs": {"answer": "Retrieval."},
            "extra": {"metadata": {"user_id": "u1"}}});
        let items = read_langsmith_run(root.as_object().unwrap()).unwrap();
        let [LogItem::Conversation(draft), LogItem::TraceRoot(trace)] = &items[..] else {
            panic!("a root run is a conversation of the trace it roots")
        };
        assert_eq!(trace, "r");
        assert_eq!(
            texts(&draft.messages)[0],
            (Role::User, "What is RAG?".into())
        );
        assert_eq!(draft.user_id.as_deref(), Some("u1"));
        let child = json!({"id": "c", "run_type": "llm", "parent_run_id": "r", "trace_id": "r",
            "inputs": {"prompts": ["Human: hi"]}, "outputs": {}});
        let items = read_langsmith_run(child.as_object().unwrap()).unwrap();
        assert!(
            matches!(&items[..], [LogItem::Piece(piece)] if piece.stands_in_for.as_deref() == Some("r"))
        );
        let retriever = json!({"id": "d", "run_type": "retriever", "parent_run_id": "r",
            "trace_id": "r", "inputs": {}});
        let items = read_langsmith_run(retriever.as_object().unwrap()).unwrap();
        assert!(matches!(&items[..], [LogItem::NoWords]));
    }
}
