//! What a facet is, and how a model's answer to one is parsed and validated: shared by the
//! built-in facets and the ones an operator defines.

use std::collections::BTreeMap;

/// What kind of value a facet has.
#[derive(Clone, Debug, PartialEq)]
pub enum FacetKind {
    /// Free text, at most two sentences.
    Text,
    /// One or more human languages, by full English name.
    Languages,
    /// An integer from `min` to `max`.
    Scale {
        /// Lowest allowed.
        min: u8,
        /// Highest allowed.
        max: u8,
    },
    /// Exactly one of these values.
    Categorical(Vec<String>),
    /// A number (decimals allowed) from `min` to `max`.
    Number {
        /// Lowest allowed.
        min: f64,
        /// Highest allowed.
        max: f64,
    },
    /// Yes or no.
    YesNo,
}

/// A facet an LLM answers per conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryFacet {
    /// Its name in reports.
    pub name: String,
    /// Its prompt's version.
    pub version: u32,
    /// The question.
    pub question: String,
    /// Text the reply is made to start with.
    pub prefill: String,
    /// Most tokens of reply.
    pub max_tokens: u32,
    /// The kind of value.
    pub kind: FacetKind,
}

/// A parsed facet value.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacetValue {
    /// A text answer, without the prefilled opening.
    Text(String),
    /// Language names, most used first.
    Languages(Vec<String>),
    /// A point on a scale.
    Scale(u8),
    /// One of a categorical facet's values, as configured.
    Category(String),
    /// A number in a numeric facet's range.
    Number(f64),
    /// A yes-or-no answer.
    YesNo(bool),
}

/// The text between `<answer>` and `</answer>` of prefill + reply (or the whole reply when the
/// model left the tags out).
fn answer_text(facet: &SummaryFacet, reply: &str) -> String {
    let opening = facet
        .prefill
        .strip_prefix("<answer>")
        .unwrap_or(&facet.prefill);
    let mut text = reply.trim();
    if let Some(at) = text.find("<answer>") {
        text = &text[at + "<answer>".len()..];
    }
    if let Some(at) = text.find("</answer>") {
        text = &text[..at];
    }
    let text = text.trim();
    let text = text.strip_prefix(opening.trim()).unwrap_or(text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses and validates a reply (the text after the prefill).
pub fn parse_reply(facet: &SummaryFacet, reply: &str) -> Result<FacetValue, String> {
    let text = answer_text(facet, reply);
    match &facet.kind {
        FacetKind::Text => parse_text(&text),
        FacetKind::Languages => parse_languages(&text),
        FacetKind::Scale { min, max } => parse_scale(&text, *min, *max),
        FacetKind::Categorical(values) => parse_category(&text, values),
        FacetKind::Number { min, max } => parse_number(&text, *min, *max),
        FacetKind::YesNo => parse_yes_no(&text),
    }
}

fn parse_text(text: &str) -> Result<FacetValue, String> {
    let mut sentences = Vec::new();
    let mut rest = text;
    while sentences.len() < 2 && !rest.is_empty() {
        let end = rest.find(". ").map_or(rest.len(), |at| at + 1);
        sentences.push(rest[..end].trim());
        rest = rest[end..].trim_start();
    }
    let joined = sentences.join(" ");
    if joined.split_whitespace().count() < 2 {
        return Err(format!("the answer {joined:?} is too short"));
    }
    let mut chars = joined.chars();
    let capitalised = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => joined,
    };
    Ok(FacetValue::Text(capitalised))
}

fn parse_languages(text: &str) -> Result<FacetValue, String> {
    let mut names: Vec<String> = Vec::new();
    for part in text
        .split([',', ';', '/', '\n'])
        .flat_map(|p| p.split(" and "))
    {
        let part = part.trim().trim_end_matches('.').trim();
        let valid = !part.is_empty()
            && part.split_whitespace().count() <= 3
            && part
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '-');
        if !valid {
            continue;
        }
        let name = part
            .split_whitespace()
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or(String::new(), |first| {
                    first
                        .to_uppercase()
                        .chain(chars.flat_map(char::to_lowercase))
                        .collect()
                })
            })
            .collect::<Vec<_>>()
            .join(" ");
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(format!("no language name in {text:?}"));
    }
    Ok(FacetValue::Languages(names))
}

fn parse_scale(text: &str, min: u8, max: u8) -> Result<FacetValue, String> {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    let value: u32 = digits
        .parse()
        .map_err(|_| format!("no number in {text:?}"))?;
    if value < u32::from(min) || value > u32::from(max) {
        return Err(format!("{value} is outside {min}–{max}"));
    }
    Ok(FacetValue::Scale(value as u8))
}

fn parse_category(text: &str, values: &[String]) -> Result<FacetValue, String> {
    let key = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let answer = key(text);
    if let Some(value) = values.iter().find(|v| key(v) == answer) {
        return Ok(FacetValue::Category(value.clone()));
    }
    let named: Vec<&String> = values
        .iter()
        .filter(|v| !key(v).is_empty() && answer.contains(&key(v)))
        .collect();
    match named[..] {
        [only] => Ok(FacetValue::Category(only.clone())),
        _ => Err(format!(
            "{text:?} is not one of the allowed values ({})",
            values.join(", ")
        )),
    }
}

/// The first number in the answer, within `min`–`max`.
fn parse_number(text: &str, min: f64, max: f64) -> Result<FacetValue, String> {
    let start = text
        .find(|c: char| c.is_ascii_digit() || c == '-')
        .ok_or_else(|| format!("no number in {text:?}"))?;
    let number: String = text[start..]
        .chars()
        .enumerate()
        .take_while(|&(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'))
        .map(|(_, c)| c)
        .collect();
    let value: f64 = number
        .trim_end_matches('.')
        .parse()
        .map_err(|_| format!("no number in {text:?}"))?;
    if !(min..=max).contains(&value) {
        return Err(format!("{value} is outside {min}–{max}"));
    }
    Ok(FacetValue::Number(value))
}

/// Yes or no, from the answer's first word.
fn parse_yes_no(text: &str) -> Result<FacetValue, String> {
    let first: String = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    match first.as_str() {
        "yes" => Ok(FacetValue::YesNo(true)),
        "no" => Ok(FacetValue::YesNo(false)),
        _ => Err(format!("{text:?} is neither yes nor no")),
    }
}

/// The facets of one conversation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SummaryFacets {
    /// Facet → its answer.
    pub values: BTreeMap<String, FacetValue>,
    /// Facet → why it has no value.
    pub missing: BTreeMap<String, String>,
}

impl SummaryFacets {
    /// A text facet's answer.
    pub fn text(&self, facet: &str) -> Option<&str> {
        match self.values.get(facet) {
            Some(FacetValue::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// A scale facet's answer.
    pub fn scale(&self, facet: &str) -> Option<u8> {
        match self.values.get(facet) {
            Some(FacetValue::Scale(value)) => Some(*value),
            _ => None,
        }
    }

    /// A language facet's answer (none when missing).
    pub fn languages(&self, facet: &str) -> &[String] {
        match self.values.get(facet) {
            Some(FacetValue::Languages(names)) => names,
            _ => &[],
        }
    }
}
