//! Coding-agent session logs: one JSON event per line, one session a file.
//!
//! - Claude Code (`~/.claude/projects/*/SESSION.jsonl`): `{"type": "user" | "assistant" | ...,
//!   "sessionId", "uuid", "parentUuid", "timestamp", "message": {"role", "content"}}`; branches
//!   left by edits are dropped by following the parent links up from the last event.
//! - Codex CLI (`~/.codex/sessions/**/rollout-*.jsonl`): `{"timestamp", "type": "session_meta" |
//!   "response_item" | "event_msg" | "turn_context", "payload": {..}}`, or, in older files, bare
//!   Responses API items after a first line of session facts.
//!
//! Neither names its user: a session file is one person's, so the conversation has no user id.
//! Local paths (`cwd`) are not kept: they name the person's home folder.

use serde_json::{Map, Value};

use chorus_types::{Message, Part, Role};

use super::messages::one_message;
use super::sessions::{Join, Node, Piece};
use super::{Draft, LogItem, text_at, time_at};
use crate::fields::MapError;

/// Claude Code events: every line names its kind and, but for summary and file-snapshot
/// lines, its session (queue operations and other bookkeeping carry no event id).
pub(crate) fn is_claude_code(object: &Map<String, Value>) -> bool {
    match object.get("type").and_then(Value::as_str) {
        Some("summary") => object.contains_key("leafUuid"),
        Some("file-history-snapshot") => object.contains_key("snapshot"),
        Some(_) => object.get("sessionId").is_some_and(Value::is_string),
        None => false,
    }
}

pub(crate) fn read_claude_code(object: &Map<String, Value>) -> Result<LogItem, MapError> {
    let flag = |key: &str| object.get(key).and_then(Value::as_bool) == Some(true);
    let (Some(session), Some(uuid)) = (text_at(object, "sessionId"), text_at(object, "uuid"))
    else {
        return Ok(LogItem::NoWords);
    };
    // A sub-agent's chain is the agent talking to itself: its prompt is written by the agent.
    if flag("isSidechain") {
        return Ok(LogItem::NoWords);
    }
    // After a compaction the chain restarts; its logical parent links it to what came before.
    let parent = text_at(object, "parentUuid").or_else(|| text_at(object, "logicalParentUuid"));
    let mut input = Vec::new();
    let speaks = matches!(
        object.get("type").and_then(Value::as_str),
        Some("user" | "assistant")
    );
    if speaks
        && let Some(message) = object.get("message").and_then(Value::as_object)
        && let Some(mut message) = one_message(message)?
    {
        if message.role == Role::User {
            // Meta lines (command caveats) and compaction summaries are written by the tool,
            // not typed by the person.
            if flag("isMeta") || flag("isCompactSummary") {
                message.role = Role::System;
            }
        }
        input.push(message);
    }
    let mut about = Draft {
        created_at: time_at(object, "timestamp")?,
        ..Draft::default()
    };
    about.note("claude_code_version", object.get("version"));
    about.note(
        "model",
        object
            .get("message")
            .and_then(|message| message.get("model")),
    );
    Ok(LogItem::Piece(Piece {
        session: session.to_string(),
        join: Join::LatestBranch,
        node: Some(Node {
            id: uuid.to_string(),
            parent: parent.map(str::to_string),
            rank: None,
        }),
        input,
        output: Vec::new(),
        about,
        stands_in_for: None,
    }))
}

/// Event kinds of a Codex rollout line.
const CODEX_EVENTS: [&str; 5] = [
    "session_meta",
    "response_item",
    "event_msg",
    "turn_context",
    "compacted",
];

/// Responses API items an older Codex file writes bare, one a line.
const CODEX_ITEMS: [&str; 8] = [
    "message",
    "reasoning",
    "function_call",
    "function_call_output",
    "local_shell_call",
    "custom_tool_call",
    "custom_tool_call_output",
    "web_search_call",
];

pub(crate) fn is_codex(object: &Map<String, Value>) -> bool {
    let kind = object.get("type").and_then(Value::as_str);
    let event = kind.is_some_and(|kind| CODEX_EVENTS.contains(&kind))
        && object.get("payload").is_some_and(Value::is_object);
    event
        || object.get("record_type").and_then(Value::as_str) == Some("state")
        || old_codex_facts(object)
        || kind.is_some_and(|kind| is_bare_item(kind, object))
}

fn is_bare_item(kind: &str, object: &Map<String, Value>) -> bool {
    CODEX_ITEMS.contains(&kind)
        && match kind {
            "message" => {
                object.get("role").is_some_and(Value::is_string)
                    && object.get("content").is_some_and(Value::is_array)
            }
            "reasoning" => object.contains_key("summary"),
            _ => object.contains_key("call_id"),
        }
}

/// The first line of an older rollout: `{"id", "timestamp", "instructions", "git"}`.
fn old_codex_facts(object: &Map<String, Value>) -> bool {
    object.contains_key("id")
        && object.contains_key("timestamp")
        && object.contains_key("instructions")
        && object
            .keys()
            .all(|key| ["id", "timestamp", "instructions", "git"].contains(&key.as_str()))
}

/// Reads a Codex line; `session` is the session the file's facts line named.
pub(crate) fn read_codex(
    object: &Map<String, Value>,
    session: &mut Option<String>,
) -> Result<LogItem, MapError> {
    let kind = object.get("type").and_then(Value::as_str).unwrap_or("");
    let payload = object.get("payload").and_then(Value::as_object);
    let mut about = Draft {
        created_at: time_at(object, "timestamp")?,
        ..Draft::default()
    };
    let item = match (kind, payload) {
        ("session_meta", Some(facts)) => {
            *session = text_at(facts, "id").map(str::to_string);
            about.note("codex_version", facts.get("cli_version"));
            about.note("originator", facts.get("originator"));
            about.note("model_provider", facts.get("model_provider"));
            None
        }
        ("turn_context", Some(context)) => {
            about.note("model", context.get("model"));
            None
        }
        ("response_item", Some(item)) => Some(item),
        _ if old_codex_facts(object) => {
            *session = text_at(object, "id").map(str::to_string);
            None
        }
        _ if is_bare_item(kind, object) => Some(object),
        // Events repeat what the response items say (user_message, agent_message) or count
        // tokens; state lines hold no words.
        _ => return Ok(LogItem::NoWords),
    };
    let input = match item {
        Some(item) => match codex_item(item)? {
            Some(message) => vec![message],
            // Reasoning (encrypted or summarised) is not part of what was said.
            None => return Ok(LogItem::NoWords),
        },
        None => Vec::new(),
    };
    Ok(LogItem::Piece(Piece {
        session: session.clone().unwrap_or_default(),
        join: Join::Lines,
        node: None,
        input,
        output: Vec::new(),
        about,
        stands_in_for: None,
    }))
}

/// Text Codex sends as a user message that the person did not type: the environment it runs
/// in and the project's standing instructions.
const CODEX_CONTEXT_OPENINGS: [&str; 3] = [
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md instructions",
];

fn codex_item(item: &Map<String, Value>) -> Result<Option<Message>, MapError> {
    let kind = item.get("type").and_then(Value::as_str).unwrap_or("");
    let placeholder = |role, kind: &str| Message {
        role,
        parts: vec![Part::Placeholder { kind: kind.into() }],
    };
    Ok(match kind {
        "message" => one_message(item)?.map(|mut message| {
            let context = message.parts.first().is_some_and(|part| {
                matches!(part, Part::Text { text }
                    if CODEX_CONTEXT_OPENINGS.iter().any(|opening| text.trim_start().starts_with(opening)))
            });
            if message.role == Role::User && context {
                message.role = Role::System;
            }
            message
        }),
        "function_call" | "local_shell_call" | "custom_tool_call" | "web_search_call" => {
            Some(placeholder(Role::Assistant, kind))
        }
        "function_call_output" | "custom_tool_call_output" => Some(placeholder(Role::Tool, kind)),
        _ => None,
    })
}
