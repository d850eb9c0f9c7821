//! One message per row: CSV, Parquet or JSON logs whose every row holds a conversation id, a
//! speaker and the words. The rows of a file are grouped by conversation id (a conversation's
//! rows need not be next to each other) and put in turn order when a turn field is given on
//! every row; each group is then read as one conversation of the OpenAI form.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::fields::{first_present, identifier};
use crate::options::FieldNames;
use crate::quarantine::Location;

/// Columns that name a row's conversation (unless `--id-field` names one).
const CONVERSATION_KEYS: [&str; 6] = [
    "conversation_id",
    "thread_id",
    "session_id",
    "chat_id",
    "dialogue_id",
    "dialog_id",
];

/// Columns that give a message's place in its conversation.
const ORDER_KEYS: [&str; 6] = [
    "turn",
    "turn_index",
    "message_index",
    "position",
    "seq",
    "sequence",
];

/// True for a row that is one message of a conversation.
pub(crate) fn is_message_row(object: &Map<String, Value>, fields: &FieldNames) -> bool {
    group_key(object, fields).is_some()
        && fields
            .role_candidates()
            .iter()
            .any(|key| object.get(*key).is_some_and(Value::is_string))
        && fields
            .content_candidates()
            .iter()
            .any(|key| object.contains_key(*key))
}

fn conversation_keys(fields: &FieldNames) -> Vec<&str> {
    match &fields.id {
        Some(name) => vec![name.as_str()],
        None => CONVERSATION_KEYS.to_vec(),
    }
}

fn group_key(object: &Map<String, Value>, fields: &FieldNames) -> Option<String> {
    let (name, value) = first_present(object, &conversation_keys(fields))?;
    identifier(value, name).ok().flatten()
}

/// The message rows of one file, grouped by conversation in order of first appearance.
#[derive(Default)]
pub(crate) struct PendingRows {
    groups: Vec<Group>,
    by_key: HashMap<String, usize>,
}

struct Group {
    key: String,
    /// Where the conversation's first row is.
    location: Location,
    rows: Vec<Map<String, Value>>,
}

impl PendingRows {
    pub(crate) fn push(
        &mut self,
        location: Location,
        row: Map<String, Value>,
        fields: &FieldNames,
    ) {
        let key = group_key(&row, fields).unwrap_or_default();
        let index = *self.by_key.entry(key.clone()).or_insert_with(|| {
            self.groups.push(Group {
                key,
                location,
                rows: Vec::new(),
            });
            self.groups.len() - 1
        });
        self.groups[index].rows.push(row);
    }

    /// Each conversation as one record of the OpenAI form, with where its first row was.
    pub(crate) fn into_records(
        self,
        fields: &FieldNames,
    ) -> impl Iterator<Item = (Location, Value)> {
        self.groups.into_iter().map(move |group| {
            let record = conversation_record(group.key, group.rows, fields);
            (group.location, record)
        })
    }
}

fn order_of(row: &Map<String, Value>) -> Option<f64> {
    let (_, value) = first_present(row, &ORDER_KEYS)?;
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// `{"id": KEY, ...the first row's other fields, "messages": [{"role", "content"}...]}`.
fn conversation_record(
    key: String,
    mut rows: Vec<Map<String, Value>>,
    fields: &FieldNames,
) -> Value {
    let message_fields: Vec<&str> = fields
        .role_candidates()
        .into_iter()
        .chain(fields.content_candidates())
        .collect();
    // Turn order only when every row gives one; otherwise the file's order stands.
    let orders: Option<Vec<f64>> = rows.iter().map(order_of).collect();
    if let Some(orders) = orders {
        let mut ordered: Vec<(f64, Map<String, Value>)> = orders.into_iter().zip(rows).collect();
        ordered.sort_by(|a, b| a.0.total_cmp(&b.0));
        rows = ordered.into_iter().map(|(_, row)| row).collect();
    }
    let messages: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut message = Map::new();
            for key in &message_fields {
                if let Some(value) = row.get(*key) {
                    message.insert((*key).to_string(), value.clone());
                }
            }
            Value::Object(message)
        })
        .collect();
    let mut record = rows.into_iter().next().unwrap_or_default();
    for key in message_fields
        .iter()
        .chain(&ORDER_KEYS)
        .chain(&conversation_keys(fields))
    {
        record.remove(*key);
    }
    record.insert("id".into(), Value::String(key));
    record.insert("messages".into(), Value::Array(messages));
    Value::Object(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn rows_group_by_conversation_in_turn_order() {
        let fields = FieldNames::default();
        let rows = [
            json!({"conversation_id": "a", "turn": 2, "role": "assistant", "content": "hello", "user_id": "u1"}),
            json!({"conversation_id": "b", "turn": 1, "role": "user", "content": "yo", "user_id": "u2"}),
            json!({"conversation_id": "a", "turn": 1, "role": "user", "content": "hi", "user_id": "u1"}),
        ];
        let mut pending = PendingRows::default();
        for (i, row) in rows.into_iter().enumerate() {
            assert!(is_message_row(row.as_object().unwrap(), &fields));
            pending.push(Location::line(i as u64 + 2), object(row), &fields);
        }
        let records: Vec<(Location, Value)> = pending.into_records(&fields).collect();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].0, Location::line(2));
        assert_eq!(records[0].1["id"], "a");
        assert_eq!(records[0].1["user_id"], "u1");
        assert_eq!(records[0].1["messages"][0]["content"], "hi");
        assert_eq!(records[0].1["messages"][1]["role"], "assistant");
        assert!(records[0].1.get("turn").is_none());
    }

    #[test]
    fn a_conversation_record_is_no_message_row() {
        let fields = FieldNames::default();
        for value in [
            json!({"conversation_id": "a", "messages": []}),
            json!({"role": "user", "content": "hi"}),
            json!({"conversation_id": "a", "text": "no speaker"}),
        ] {
            assert!(
                !is_message_row(value.as_object().unwrap(), &fields),
                "{value}"
            );
        }
    }
}
