//! The fields every record shares, whatever its format: id, user, time and metadata.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::quarantine::Reason;
use crate::timestamp::{kind_of, parse_time};

/// A record that could not be mapped: the reason, its specifics, and the id if it was readable.
#[derive(Debug)]
pub(crate) struct MapError {
    pub(crate) reason: Reason,
    pub(crate) detail: String,
    pub(crate) id: Option<String>,
}

impl MapError {
    pub(crate) fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
            id: None,
        }
    }
}

/// Follows a dotted path (`meta.user.id`) into nested objects.
pub(crate) fn get_path<'a>(object: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = object.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// The first candidate field present and not null, with its name.
pub(crate) fn first_present<'a>(
    object: &'a Map<String, Value>,
    candidates: &[&'a str],
) -> Option<(&'a str, &'a Value)> {
    candidates.iter().find_map(|name| {
        get_path(object, name)
            .filter(|value| !value.is_null())
            .map(|value| (*name, value))
    })
}

/// An identifier: a non-empty string, or a number written as text.
pub(crate) fn identifier(value: &Value, field: &str) -> Result<Option<String>, MapError> {
    match value {
        Value::String(text) if text.trim().is_empty() => Ok(None),
        Value::String(text) => Ok(Some(text.clone())),
        Value::Number(number) => Ok(Some(number.to_string())),
        Value::Null => Ok(None),
        other => Err(MapError::new(
            Reason::InvalidField,
            format!(
                "field {field:?} should be a string or number, found {}",
                kind_of(other)
            ),
        )),
    }
}

/// A time, or absent for null; anything else is an error naming the field.
pub(crate) fn time_field(value: &Value, field: &str) -> Result<Option<DateTime<Utc>>, MapError> {
    parse_time(value).map_err(|detail| {
        MapError::new(
            Reason::InvalidTimestamp,
            format!("field {field:?}: {detail}"),
        )
    })
}

/// Id, user and time of a record, plus the fields that were used for them.
pub(crate) struct CommonFields {
    pub(crate) id: Option<String>,
    pub(crate) user_id: Option<String>,
    pub(crate) created_at: Option<DateTime<Utc>>,
}

pub(crate) struct FieldCandidates<'a> {
    pub(crate) id: Vec<&'a str>,
    pub(crate) user: Vec<&'a str>,
    pub(crate) time: Vec<&'a str>,
}

impl CommonFields {
    /// Reads id, user and time, marking the fields used so they stay out of the metadata.
    pub(crate) fn read<'a>(
        object: &'a Map<String, Value>,
        candidates: &FieldCandidates<'a>,
        used: &mut Vec<&'a str>,
    ) -> Result<Self, MapError> {
        let id = match first_present(object, &candidates.id) {
            Some((name, value)) => {
                used.push(name);
                identifier(value, name)?
            }
            None => None,
        };
        let with_id = |mut error: MapError| {
            error.id = id.clone();
            error
        };
        let user_id = match first_present(object, &candidates.user) {
            Some((name, value)) => {
                used.push(name);
                identifier(value, name).map_err(with_id)?
            }
            None => None,
        };
        let created_at = match first_present(object, &candidates.time) {
            Some((name, value)) => {
                used.push(name);
                time_field(value, name).map_err(with_id)?
            }
            None => None,
        };
        Ok(Self {
            id,
            user_id,
            created_at,
        })
    }
}

/// Every top-level field not used for something else, as text: strings as they are, other
/// values as compact JSON. Nulls carry nothing and are left out. A field read through a dotted
/// path leaves its parent object in the metadata, since the parent may hold more.
pub(crate) fn metadata(object: &Map<String, Value>, used: &[&str]) -> BTreeMap<String, String> {
    object
        .iter()
        .filter(|(key, value)| !value.is_null() && !used.contains(&key.as_str()))
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
        .collect()
}
