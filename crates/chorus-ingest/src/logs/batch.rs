//! OpenAI Batch API files: the input file's requests (`{"custom_id", "method", "url", "body"}`)
//! and the output file's results (`{"custom_id", "response": {"status_code", "body"}, "error"}`).
//! A request and its result are one conversation, joined by `custom_id` once every input is
//! read, whichever file came first; either half alone is read as far as it goes.

use std::collections::HashMap;

use serde_json::{Map, Value};

use chorus_types::{Message, Part, Role};

use super::messages::{message_list, one_message};
use super::{Draft, LogItem, id_at, text_at, time_at};
use crate::fields::MapError;
use crate::quarantine::{Location, Reason};

pub(crate) fn is_record(object: &Map<String, Value>) -> bool {
    object.contains_key("custom_id")
        && ((object.get("body").is_some_and(Value::is_object)
            && (object.contains_key("url") || object.contains_key("method")))
            || object.contains_key("response"))
}

/// One side of a batch call.
pub(crate) enum BatchHalf {
    Request { custom_id: String, draft: Draft },
    Result { custom_id: String, draft: Draft },
}

pub(crate) fn read(object: &Map<String, Value>) -> Result<LogItem, MapError> {
    let custom_id = id_at(object, "custom_id").ok_or_else(|| {
        MapError::new(
            Reason::InvalidField,
            "field \"custom_id\" should be a non-empty string",
        )
    })?;
    let half = match object.get("body").and_then(Value::as_object) {
        Some(body) => BatchHalf::Request {
            draft: request(body, object.get("url"))?,
            custom_id,
        },
        None => BatchHalf::Result {
            draft: result(object)?,
            custom_id,
        },
    };
    Ok(LogItem::BatchHalf(half))
}

/// Chat Completions (`messages`), Responses (`instructions` + `input`) or Completions
/// (`prompt`) request bodies.
fn request(body: &Map<String, Value>, url: Option<&Value>) -> Result<Draft, MapError> {
    let mut draft = Draft::default();
    if let Some(instructions) = text_at(body, "instructions") {
        draft
            .messages
            .push(Message::text(Role::System, instructions));
    }
    for key in ["messages", "input", "prompt"] {
        if let Some(value) = body.get(key) {
            draft.messages.extend(message_list(value, Role::User)?);
            break;
        }
    }
    // The API's own field for the end user the request was made for.
    draft.user_id = ["user", "safety_identifier"]
        .iter()
        .find_map(|key| id_at(body, key))
        .or_else(|| {
            body.get("metadata")
                .and_then(Value::as_object)
                .and_then(|metadata| id_at(metadata, "user_id"))
        });
    draft.note("model", body.get("model"));
    draft.note("endpoint", url);
    Ok(draft)
}

fn result(object: &Map<String, Value>) -> Result<Draft, MapError> {
    let mut draft = Draft::default();
    let response = object.get("response").and_then(Value::as_object);
    if let Some(response) = response {
        draft.note("status_code", response.get("status_code"));
    }
    draft.note(
        "batch_error",
        object
            .get("error")
            .and_then(|error| error.get("code").or(Some(error))),
    );
    let Some(body) = response
        .and_then(|response| response.get("body"))
        .and_then(Value::as_object)
    else {
        return Ok(draft);
    };
    draft.created_at = match time_at(body, "created")? {
        Some(time) => Some(time),
        None => time_at(body, "created_at")?,
    };
    draft.note("model", body.get("model"));
    let choices = body.get("choices").and_then(Value::as_array);
    for choice in choices.into_iter().flatten() {
        if let Some(message) = choice.get("message").and_then(Value::as_object) {
            draft.messages.extend(one_message(message)?);
        } else if let Some(text) = choice.get("text").and_then(Value::as_str) {
            draft.messages.push(Message::text(Role::Assistant, text));
        }
    }
    let output = body.get("output").and_then(Value::as_array);
    for item in output.into_iter().flatten().filter_map(Value::as_object) {
        match item.get("type").and_then(Value::as_str) {
            Some("message") => draft.messages.extend(one_message(item)?),
            Some("reasoning") | None => {}
            Some(kind) => draft.messages.push(Message {
                role: Role::Assistant,
                parts: vec![Part::Placeholder { kind: kind.into() }],
            }),
        }
    }
    Ok(draft)
}

/// Where a half was read: the input's index among the files, its id prefix, the line.
#[derive(Clone, Debug)]
pub(crate) struct Placement {
    pub(crate) file: usize,
    pub(crate) id_prefix: String,
    pub(crate) location: Location,
}

#[derive(Default)]
struct Pair {
    request: Option<(Placement, Draft)>,
    result: Option<(Placement, Draft)>,
}

impl Pair {
    fn side(&mut self, request: bool) -> &mut Option<(Placement, Draft)> {
        if request {
            &mut self.request
        } else {
            &mut self.result
        }
    }
}

/// Every half read so far, paired by custom id in order of first appearance; a custom id used
/// again after its pair is complete starts a new pair.
#[derive(Default)]
pub(crate) struct Batches {
    pairs: Vec<Pair>,
    open: HashMap<String, usize>,
}

impl Batches {
    pub(crate) fn push(&mut self, placement: Placement, half: BatchHalf) {
        let (custom_id, mut draft, is_request) = match half {
            BatchHalf::Request { custom_id, draft } => (custom_id, draft, true),
            BatchHalf::Result { custom_id, draft } => (custom_id, draft, false),
        };
        let index = match self.open.get(&custom_id) {
            Some(&index) if self.pairs[index].side(is_request).is_none() => index,
            _ => {
                self.pairs.push(Pair::default());
                self.open.insert(custom_id.clone(), self.pairs.len() - 1);
                self.pairs.len() - 1
            }
        };
        draft.id = Some(custom_id);
        *self.pairs[index].side(is_request) = Some((placement, draft));
    }

    /// Each call as one conversation (request then reply), placed where its request was read
    /// (its result, when no request was).
    pub(crate) fn into_drafts(self) -> impl Iterator<Item = (Placement, Draft)> {
        self.pairs
            .into_iter()
            .filter_map(|pair| match (pair.request, pair.result) {
                (Some((placement, mut request)), Some((_, result))) => {
                    request.messages.extend(result.messages);
                    request.created_at = request.created_at.or(result.created_at);
                    for (key, value) in result.metadata {
                        request.metadata.entry(key).or_insert(value);
                    }
                    Some((placement, request))
                }
                (Some(half), None) | (None, Some(half)) => Some(half),
                (None, None) => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn half(value: Value) -> BatchHalf {
        match read(value.as_object().unwrap()).unwrap() {
            LogItem::BatchHalf(half) => half,
            _ => panic!("not a batch half"),
        }
    }

    fn at(file: usize) -> Placement {
        Placement {
            file,
            id_prefix: format!("f{file}"),
            location: Location::line(1),
        }
    }

    #[test]
    fn a_result_read_first_still_joins_its_request() {
        let mut batches = Batches::default();
        batches.push(
            at(1),
            half(json!({"id": "batch_req_1", "custom_id": "r1", "response": {"status_code": 200,
                "body": {"created": 1711652795, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris."}}]}},
                "error": null})),
        );
        batches.push(
            at(0),
            half(json!({"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions",
                "body": {"model": "gpt-4o-mini", "user": "u-7",
                    "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]}})),
        );
        batches.push(
            at(0),
            half(
                json!({"custom_id": "r2", "method": "POST", "url": "/v1/responses",
                "body": {"model": "gpt-4.1", "instructions": "Be kind.", "input": "Hello"}}),
            ),
        );
        let drafts: Vec<(Placement, Draft)> = batches.into_drafts().collect();
        assert_eq!(drafts.len(), 2);
        let (placement, first) = &drafts[0];
        assert_eq!(placement.file, 0);
        assert_eq!(first.id.as_deref(), Some("r1"));
        assert_eq!(first.user_id.as_deref(), Some("u-7"));
        let said: Vec<String> = first.messages.iter().map(Message::rendered_text).collect();
        assert_eq!(said, ["Be brief.", "Capital of France?", "Paris."]);
        assert_eq!(first.messages[2].role, Role::Assistant);
        assert_eq!(first.metadata["status_code"], "200");
        assert_eq!(first.metadata["endpoint"], "/v1/chat/completions");
        assert!(first.created_at.is_some());
        let roles: Vec<Role> = drafts[1].1.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::System, Role::User]);
    }
}
